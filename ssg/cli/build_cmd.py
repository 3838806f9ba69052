"""`ssg build`."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ssg.cli.errors import user_errors


def run_build(site: Path, *, out: Path | None, drafts: bool, future: bool, base_url: str | None,
              quiet: bool, verbose: bool, debug: bool, as_json: bool) -> None:
    with user_errors(debug):
        from ssg.build import BuildOptions, build

        result = build(site, BuildOptions(out=out, drafts=drafts, future=future, base_url=base_url))
    for warning in result.warnings:
        if not quiet:
            typer.echo(f"warning: {warning}", err=True)
    for error in result.errors:
        typer.echo(f"error: {error}", err=True)
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=2))
    elif not quiet:
        if verbose:
            for rel in result.written:
                typer.echo(f"  wrote {rel}")
        typer.echo(f"built {result.rendered} pages into {result.output_root}: {len(result.written)} written, "
                   f"{len(result.unchanged)} unchanged, {len(result.deleted)} deleted, "
                   f"{len(result.errors)} errors in {result.seconds:.2f}s")
    if result.errors:
        raise typer.Exit(code=1)
