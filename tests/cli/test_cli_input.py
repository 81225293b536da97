"""Bad command-line input and settings: one line on stderr, exit 1, nothing created."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from thbhub.cli import app

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env=env)
    return result.exit_code, result.stdout, result.stderr


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "Traceback" not in err, err
    assert "a bug" not in err, err
    return lines[0]


@pytest.mark.parametrize("port", ["-1", "0", "99999"])
def test_serve_port_out_of_range(tmp_path: Path, port: str) -> None:
    code, _, err = run("--db", f"sqlite:///{tmp_path / 'x.db'}", "serve", "--port", port)
    assert code == 1
    assert one_line(err) == f"error: --port {port}: a port is a number from 1 to 65535"


def test_serve_port_in_use(db_url: str) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out, err = run("--db", db_url, "serve", "--port", str(port))
    assert code == 1, err
    assert f"cannot listen on 127.0.0.1:{port}: the port is in use" in one_line(err)
    assert "THB Hub at" not in out + err


def test_serve_unknown_host(tmp_path: Path) -> None:
    # Checked before the database is opened (there is none here).
    host = "no-such-host.invalid"
    code, _, err = run("--db", f"sqlite:///{tmp_path / 'x.db'}", "serve", "--host", host)
    assert code == 1
    assert f"--host {host!r}: not a known host name or address" in one_line(err)


def test_serve_address_not_this_machines(db_url: str) -> None:
    code, _, err = run("--db", db_url, "serve", "--host", "192.0.2.1")  # TEST-NET-1
    assert code == 1
    assert "cannot listen on 192.0.2.1:8000: that address is not one of this machine's" in (
        one_line(err)
    )


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--year", "99999999999999999999", "a year from 1900 to 2100"),
        ("--from", "99999999999999999999", "a year from 1900 to 2100"),
        ("--to", "-99999999999999999999", "a year from 1900 to 2100"),
        ("--year", "0", "a year from 1900 to 2100"),
        ("--dataset", "99999999999999999999", "not a dataset id"),
    ],
)
def test_query_options_out_of_range(db_url: str, option: str, value: str, says: str) -> None:
    code, out, err = run("--db", db_url, "query", "observations", option, value)
    assert code == 1 and out == ""
    assert one_line(err) == f"error: {option} {value}: {says}" + (
        " (see `thbhub query datasets`)" if option == "--dataset" else ""
    )


def _stats_counts(db_url: str) -> tuple[int, int, int]:
    from stats_support import counts
    from thbhub.storage import Database

    db = Database(db_url)
    try:
        return counts(db)
    finally:
        db.dispose()


EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_files_that_are_not_utf8_text_name_line_and_byte(db_url: str, tmp_path: Path) -> None:
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"indic_de,geo\\time\t2019 \nJAN,LT\t1 \n\x7fELF\x02\x01\xd0\x00")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(b"Iso3_code,Country\nFRA,R\xe9union\n")
    xlsx = tmp_path / "mapping.xlsx"  # a workbook is a zip: not text from its first bytes
    xlsx.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x98\xa1")
    before = _stats_counts(db_url)
    cases = [
        (["import", "eurostat", str(binary), "--table", "tps00001"], "binary.csv: line 3, byte 7"),
        (["import", "glotip", str(latin1)], "latin1.csv: line 2, byte 6 (0xe9) is not UTF-8"),
        (
            ["import", "csv", str(EXAMPLES / "lv-victims.csv"), "--mapping", str(xlsx)],
            "mapping.xlsx: line 1, byte 15 (0x98) is not UTF-8 text; a mapping is a YAML",
        ),
    ]
    for args, says in cases:
        code, _, err = run("--db", db_url, *args)
        assert code == 1 and says in one_line(err), (args, err)
    assert _stats_counts(db_url) == before


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ('delimiter: ";"', 'delimiter: ";;"', "column 'delimiter': give one character"),
        ('delimiter: ";"', 'delimiter: ""', "column 'delimiter': give one character"),
        ('delimiter: ";"', 'delimiter: ";"\nencoding: klingon', "column 'encoding': unknown"),
        ('delimiter: ";"', 'delimiter: ";"\nheader_row: 0', "column 'header_row': the header's"),
    ],
)
def test_mapping_settings_are_checked(
    db_url: str, tmp_path: Path, old: str, new: str, says: str
) -> None:
    mapping = tmp_path / "lv.yaml"
    text = (EXAMPLES / "lv-victims.mapping.yaml").read_text(encoding="utf-8")
    assert old in text
    mapping.write_text(text.replace(old, new), encoding="utf-8")
    before = _stats_counts(db_url)
    code, _, err = run(
        "--db", db_url, "import", "csv", str(EXAMPLES / "lv-victims.csv"), "--mapping", str(mapping)
    )
    assert code == 1 and one_line(err).startswith(f"error: lv.yaml, {says}")
    assert _stats_counts(db_url) == before


def test_a_mapping_in_another_encoding_names_line_and_byte(db_url: str, tmp_path: Path) -> None:
    text = (EXAMPLES / "lv-victims.mapping.yaml").read_text(encoding="utf-8")
    mapping = tmp_path / "lv.yaml"
    mapping.write_text(text.replace('delimiter: ";"', 'delimiter: ";"\nencoding: ascii'))
    code, _, err = run(
        "--db", db_url, "import", "csv", str(EXAMPLES / "lv-victims.csv"), "--mapping", str(mapping)
    )
    assert code == 1
    assert "lv-victims.csv: line 1, byte 22 (0xc4) is not ascii text; set `encoding:`" in one_line(
        err
    )


@pytest.mark.parametrize("command", [["status"], ["init"], ["query", "datasets"]])
def test_db_that_is_not_a_database(tmp_path: Path, command: list[str]) -> None:
    csv_file = tmp_path / "data.csv"
    csv_file.write_text("a,b\n1,2\n", encoding="utf-8")
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 20)
    for path, says in ((csv_file, "is not a SQLite database file"), (damaged, "not a database")):
        content = path.read_bytes()
        code, _, err = run("--db", f"sqlite:///{path}", *command)
        assert code == 1 and says in one_line(err), err
        assert path.read_bytes() == content
    code, _, err = run("--db", f"sqlite:///{tmp_path}", *command)
    assert code == 1 and "is a directory, not a database file" in one_line(err)


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["query", "observations"],
        ["query", "datasets"],
        ["sources"],
        ["taxonomy", "list"],
        ["import", "glotip", str(EXAMPLES / "lv-victims.csv")],
    ],
)
def test_only_init_creates_a_database(tmp_path: Path, command: list[str]) -> None:
    missing = tmp_path / "nonexistent" / "dir" / "hub.db"
    code, _, err = run("--db", f"sqlite:///{missing}", *command)
    assert code == 1
    assert one_line(err) == (
        f"error: no database at {missing}: run `thbhub init` to create it, "
        "or check --db / THBHUB_DATABASE_URL"
    )
    assert not (tmp_path / "nonexistent").exists()
    code, _, err = run("--db", f"sqlite:///{missing}", "init")
    assert code == 0, err
    assert missing.is_file()


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("THBHUB_PORT", "abc", "setting THBHUB_PORT='abc' is not valid: expected a whole number"),
        ("THBHUB_PORT", "70000", "THBHUB_PORT='70000' is not valid: expected a number of at most"),
        (
            "THBHUB_DISCLOSURE_THRESHOLD",
            "1",
            "THBHUB_DISCLOSURE_THRESHOLD='1' is not valid: expected a number of at least 2",
        ),
        ("THBHUB_SESSION_HOURS", "-1", "THBHUB_SESSION_HOURS='-1' is not valid: expected a"),
        ("THBHUB_COOKIE_SECURE", "maybe", "THBHUB_COOKIE_SECURE='maybe' is not valid: expected"),
    ],
)
@pytest.mark.parametrize("command", [["status"], ["taxonomy", "schemes"], ["serve"]])
def test_a_bad_setting_is_one_line_naming_the_variable(
    db_url: str, variable: str, value: str, says: str, command: list[str]
) -> None:
    code, _, err = run("--db", db_url, *command, env={variable: value})
    assert code == 1
    assert says in one_line(err)
    code, out, _ = run("--db", db_url, *command, "--help", env={variable: value})
    assert code == 0 and "Usage" in out


@pytest.mark.parametrize("value", ["-3", "nan", "7", "0.5"])
def test_glotip_suppressed_lower_is_0_or_1(db_url: str, value: str) -> None:
    path = Path(__file__).resolve().parents[2] / "src/thbhub/ingest/sample_data"
    glotip = next(path.glob("*glotip*.csv"))
    before = _stats_counts(db_url)
    code, _, err = run("--db", db_url, "import", "glotip", str(glotip), "--suppressed-lower", value)
    assert code == 1
    assert "give 0 or 1 (the lowest count a `<5` cell may hide)" in one_line(err)
    assert _stats_counts(db_url) == before
