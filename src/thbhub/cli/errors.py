"""Turn errors into one line on stderr and an exit code: 1 for user errors.

Usage errors (unknown option, bad choice) are Typer's own and exit 2.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import typer
from typer.core import TyperGroup

from thbhub.cli.helptext import reflow_tree
from thbhub.domain.errors import UserError


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    return typer.Exit(1)


#: ctx.meta key: the command line asks for help somewhere below the root (settings are
#: then not checked, so that help shows even with a bad THBHUB_* variable).
ASKS_HELP = "thbhub.asks_help"


class HubGroup(TyperGroup):
    """The root command group: every user error surfaces here as one line, exit code 1."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        return None if command is None else reflow_tree(command)

    def invoke(self, ctx: Any) -> Any:
        ctx.meta[ASKS_HELP] = bool(set(ctx.help_option_names) & set(ctx.args))
        try:
            return super().invoke(ctx)
        except UserError as exc:
            raise _fail(str(exc)) from exc
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            raise _fail("interrupted; the unfinished step was rolled back") from None
        except BrokenPipeError:
            # The reader stopped reading (`thbhub ... | head`): Click's own handler ends the
            # command quietly (exit 1), as it does for output written outside a command.
            raise
        except OSError as exc:
            # Files the user named: missing, unreadable, a directory, a full disk.
            name = f"{exc.filename}: " if exc.filename else ""
            raise _fail(f"{name}{exc.strerror or exc}") from exc
        except Exception as exc:  # a bug: still one line, and how to see more
            if os.environ.get("THBHUB_DEBUG"):
                raise
            raise _fail(
                f"unexpected {type(exc).__name__}: {exc} "
                "(a bug; run with THBHUB_DEBUG=1 for the traceback and please report it)"
            ) from exc
