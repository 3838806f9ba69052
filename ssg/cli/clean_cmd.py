"""`ssg clean`."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from ssg.cli.errors import user_errors


def run_clean(site: Path, *, debug: bool) -> None:
    from ssg.build import BuildOptions, load_plugins_and_config, resolve_output_root

    with user_errors(debug):
        _plugins, config = load_plugins_and_config(site, BuildOptions())
        targets = [resolve_output_root(site.resolve(), config, None), site.resolve() / ".ssg"]
        for target in targets:
            if target.is_dir():
                shutil.rmtree(target)
                typer.echo(f"removed {target}")
