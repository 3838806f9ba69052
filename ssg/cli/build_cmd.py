"""`ssg build`."""

from __future__ import annotations

import json
import traceback
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ssg.cli.errors import user_errors
from ssg.cli.progress import progress_for
from ssg.errorgroups import group_errors
from ssg.errors import SsgError

if TYPE_CHECKING:
    from ssg.build.entry import BuildOptions


def run_build(site: Path, options: BuildOptions, *, quiet: bool, verbose: bool, debug: bool, as_json: bool) -> None:
    with user_errors(debug):
        from ssg.build.entry import build
        from ssg.runtime import limits

        # A script reading stdout gets JSON on every exit: internal errors, and a
        # stage the watchdog ends (ssg/runtime/limits.py), included.
        forget = limits.on_watchdog(_failed_summary) if as_json else None
        progress = progress_for(quiet=quiet, as_json=as_json)
        try:
            result = build(site, replace(options, progress=progress))
        except Exception as error:
            progress.close()
            if as_json:
                _failed_summary(error)
            raise
        finally:
            progress.close()
            if forget is not None:
                forget()
    for warning in result.warnings:
        if not quiet:
            typer.echo(f"warning: {warning}", err=True)
    if debug:
        for error in result.errors:
            traceback.print_exception(error)
    for group in group_errors(result.errors):     # a template's typo said once, "while rendering 19 pages" (--json lists each)
        typer.echo(f"error: {group.text}", err=True)
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=2))
    elif not quiet:
        if verbose:
            for rel in result.written:
                typer.echo(f"  wrote {rel}")
            for rel in result.deleted:
                typer.echo(f"  deleted {rel}")
        for path, answer in result.explained.items():
            typer.echo(f"{path}: {answer}")
        typer.echo(f"built {result.rendered} pages into {result.output_root}: {len(result.written)} written, "
                   f"{len(result.unchanged)} unchanged, {len(result.deleted)} deleted, "
                   f"{len(result.errors)} errors in {result.seconds:.2f}s")
        if result.skipped_text():
            typer.echo(result.skipped_text())
    if result.errors:
        raise typer.Exit(code=1)


def _failed_summary(error: object) -> None:
    """The --json summary of a build that ended with ``error`` before it had a result."""
    from ssg.build.options import BuildResult

    said = error.as_dict() if isinstance(error, SsgError) else {
        "message": f"internal error: {type(error).__name__}: {error}" if isinstance(error, Exception) else str(error),
        "file": None, "line": None, "kind": "internal" if isinstance(error, Exception) else "limit",
        "hint": "run again with --debug for the traceback, and please report it" if isinstance(error, Exception)
        else None}
    typer.echo(json.dumps({**BuildResult(output_root=None).summary(), "output": None, "errors": [said]}, indent=2))


def waiting(holder: str) -> None:
    typer.echo(f"waiting for the build lock, {holder}", err=True)
