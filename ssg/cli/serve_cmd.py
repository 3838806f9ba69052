"""`ssg serve`: what the terminal shows of a serve session."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ssg.cli.errors import user_errors
from ssg.errorgroups import group_errors
from ssg.errors import SsgError

if TYPE_CHECKING:
    from ssg.build.options import BuildResult
    from ssg.serve import ServeOptions


class TerminalReporter:
    """One line per build (``built in 0.12 s: 1 written, 0 deleted, 0 errors``),
    the errors as ``ssg build`` prints them (one alike on many pages once),
    warnings once until they change."""

    def __init__(self, debug: bool):
        self.debug = debug
        self._warnings: list[str] = []

    def built(self, result: BuildResult) -> None:
        if result.warnings != self._warnings:
            for warning in result.warnings:
                typer.echo(f"warning: {warning}", err=True)
            self._warnings = list(result.warnings)
        if self.debug:
            for error in result.errors:
                traceback.print_exception(error)
        for group in group_errors(result.errors):      # a template's typo said once, "while rendering 19 pages"
            typer.echo(f"error: {group.text}", err=True)
        typer.echo(f"built in {result.seconds:.2f} s: {len(result.written)} written, {len(result.deleted)} deleted, "
                   f"{len(result.errors)} errors" + (" (warm)" if result.warm else "")
                   + (f"; {result.skipped_text()}" if result.skipped_text() else ""))

    def failed(self, error: Exception) -> None:
        if self.debug:
            traceback.print_exception(error)
        if isinstance(error, SsgError):
            typer.echo(f"error: {error}", err=True)
        else:
            typer.echo(f"internal error: {type(error).__name__}: {error} (run again with --debug for the "
                       "traceback, and please report it)", err=True)
        typer.echo("build failed: still serving the last output; fix the error and save to build again")

    def say(self, text: str) -> None:
        typer.echo(text, err=not text.startswith("serving "))


def run_serve(site: Path, options: ServeOptions, *, debug: bool) -> None:
    with user_errors(debug):
        from ssg.serve import Session

        Session(site, options, TerminalReporter(debug)).run()
    typer.echo("stopped", err=True)
