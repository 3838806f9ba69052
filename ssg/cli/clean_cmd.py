"""`ssg clean`."""

from __future__ import annotations

import shutil
from pathlib import Path

import typer

from ssg.cli.errors import user_errors
from ssg.errors import UsageError


def run_clean(site: Path, *, debug: bool) -> None:
    from ssg.build import BuildOptions, load_plugins_and_config, resolve_output_root

    with user_errors(debug):
        _plugins, config = load_plugins_and_config(site, BuildOptions())
        root = site.resolve()
        output = resolve_output_root(root, config, None)
        if root not in output.parents:
            # A typo in output_dir must not cost the user a folder ssg does not own.
            raise UsageError(f"output folder '{output}' lies outside the site folder; ssg clean only deletes "
                             "folders inside the site", where=config.path,
                             hint=f"delete '{output}' yourself if it holds only built files")
        for target in (output, root / ".ssg"):
            if target.is_dir():
                shutil.rmtree(target)
                typer.echo(f"removed {target}")
