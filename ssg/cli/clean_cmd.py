"""`ssg clean`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import typer

from ssg.cli.errors import user_errors
from ssg.config.outfolder import CONFIG_FILE, STATE_FOLDER, VCS_FOLDERS
from ssg.errors import UsageError


def run_clean(site: Path, *, debug: bool) -> None:
    from ssg.build.entry import BuildOptions, load_plugins_and_config, resolve_output_root

    with user_errors(debug):
        _plugins, config = load_plugins_and_config(site, BuildOptions())
        root = site.resolve()
        output = resolve_output_root(root, config, None)    # refuses an output holding the site's own folders
        if root not in output.parents:
            # A typo in output_dir must not cost the user a folder ssg does not own.
            raise UsageError(f"output folder '{output}' lies outside the site folder; ssg clean only deletes "
                             "folders inside the site", where=config.path,
                             hint=f"delete '{output}' yourself if it holds only built files")
        if output.is_dir():
            kept = _empty(output)
            typer.echo(f"removed {output}" if not kept else
                       f"emptied {output}, keeping {', '.join(kept)} (not ssg's: delete by hand if you mean to)")
        state = root / STATE_FOLDER
        if state.is_dir() and not state.is_symlink():
            shutil.rmtree(state)
            typer.echo(f"removed {state}")


def _empty(output: Path) -> list[str]:
    """Delete the output folder, except what ssg never writes there: a version
    control folder (a gh-pages worktree's .git) or another site's ssg.toml
    and .ssg. Returns the names kept (the folder stays when there are any).
    Symlinks are removed as links, never followed."""
    keep = {*VCS_FOLDERS, CONFIG_FILE, STATE_FOLDER}
    kept = sorted(entry.name for entry in os.scandir(output) if entry.name in keep)
    if not kept:
        shutil.rmtree(output)
        return []
    for entry in os.scandir(output):
        if entry.name in keep:
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    return kept
