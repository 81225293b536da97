"""Checks every delimited-text reader makes before parsing: UTF-8, and which delimiter.

Files from the field are often saved by spreadsheet programs in the writer's locale: a
Windows code page instead of UTF-8, semicolons instead of commas (the default list
separator in most of the Baltic Sea Region's locales).  A code page decoded leniently turns
"Größe" into "Gr��e" in stored records without a word, so such a file is refused with the
row it fails on; a semicolon file is simply read as one.
"""

from __future__ import annotations

from pathlib import Path

from thbhub import csvio
from thbhub.domain.errors import UserError

_BLOCK = 1 << 20


def require_utf8(path: Path) -> None:
    """Refuse a file that is not UTF-8 text (a BOM is fine), naming the row and byte of the
    first one that is not, so the user knows it is the encoding and where."""
    row = 1  # the file's row at the start of ``piece``
    carry = b""
    with path.open("rb") as fh:
        while True:
            block = fh.read(_BLOCK)
            # Whole lines only: a newline byte is never inside a multi-byte character, so a
            # piece cut after one decodes on its own and an error's offset is exact.
            data = carry + block
            cut = len(data) if not block else data.rfind(b"\n") + 1
            piece, carry = data[:cut], data[cut:]
            try:
                piece.decode("utf-8")
            except UnicodeDecodeError as exc:
                head = piece[: exc.start]
                at_row = row + head.count(b"\n")
                at_byte = exc.start - (head.rfind(b"\n") + 1) + 1
                raise UserError(
                    f"{path.name}: line {at_row}, byte {at_byte} "
                    f"(0x{piece[exc.start]:02x}) is not UTF-8 text; save the file as CSV UTF-8 "
                    "(in Excel: Save As, 'CSV UTF-8 (Comma delimited)')"
                ) from exc
            if not block:
                return
            row += piece.count(b"\n")


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV file given its first lines: a tab, a semicolon or a comma,
    whichever the header line has most of (commas win ties)."""
    header = sample.lstrip("\ufeff").splitlines()[0] if sample.strip() else ""
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_sample(path: Path, size: int = 1 << 16) -> str:
    """The first ``size`` characters of a UTF-8 file (after :func:`require_utf8`)."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        return fh.read(size)


def cell_counts(path: Path, delimiter: str) -> dict[int, int]:
    """The rows (numbered as a spreadsheet shows them, the header being row 1) whose number
    of cells differs from the header's, with that number.  A quick count of delimiters per
    line finds the candidates; only then is the file parsed as CSV (quoted delimiters and
    line breaks inside cells are real), so a regular file costs one pass over its lines."""
    # Bytes, not text: the delimiter is one ASCII byte, which no UTF-8 character contains.
    sep = delimiter.encode()
    lines = path.read_bytes().splitlines()
    if not lines:
        return {}
    expected = lines[0].count(sep)
    if all(line.count(sep) == expected or not line.strip() for line in lines[1:]):
        return {}
    out: dict[int, int] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csvio.reader(fh, path.name, delimiter=delimiter)
        width = len(next(reader, []))
        for row_number, row in enumerate(reader, start=2):
            if row and len(row) != width:
                out[row_number] = len(row)
    return out
