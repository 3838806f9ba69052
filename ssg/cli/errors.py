"""Turning the project's exceptions into one message and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from ssg.errors import SsgError


@contextmanager
def user_errors(debug: bool) -> Iterator[None]:
    """Print an SsgError as one line on stderr and exit with its code (1 or 2).
    With ``debug`` the traceback is printed too."""
    try:
        yield
    except SsgError as error:
        if debug:
            import traceback

            traceback.print_exc()
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(code=error.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(code=130) from None
    except Exception as error:
        if debug:
            raise
        typer.echo(f"internal error: {type(error).__name__}: {error} (run again with --debug for the traceback, "
                   "and please report it)", err=True)
        sys.exit(3)
