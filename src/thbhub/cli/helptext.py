"""Command help as prose: docstring paragraphs reflowed to the terminal.

Typer (0.29, rich mode) keeps a docstring's single line breaks in the text after the first
paragraph, so help written at the source's line width came out with a break mid-sentence
wherever a terminal was narrower.  Each paragraph is joined into one line here and left to
Rich to wrap; a paragraph that is laid out (indented lines, list items, Click's ``\\b``
marker) keeps its breaks.
"""

from __future__ import annotations

import inspect
from typing import Any


def reflow(text: str) -> str:
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(p if _laid_out(p) else " ".join(p.split("\n")) for p in paragraphs)


def _laid_out(paragraph: str) -> bool:
    lines = paragraph.split("\n")
    return paragraph.startswith("\b") or any(
        line[:1].isspace() or line.lstrip().startswith(("- ", "* ")) for line in lines
    )


def reflow_tree(command: Any) -> Any:
    """``command`` and, for a group, every command under it, with reflowed help.

    Duck-typed: Typer builds commands from its own copy of Click, not the ``click`` package.
    """
    if command.help:
        command.help = reflow(command.help)
    for sub in getattr(command, "commands", {}).values():
        reflow_tree(sub)
    return command
