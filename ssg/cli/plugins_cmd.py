"""`ssg plugins`."""

from __future__ import annotations

from pathlib import Path

import typer

from ssg.cli.errors import user_errors


def run_plugins(site: Path, *, debug: bool) -> None:
    from ssg.config import CONFIG_NAME, read_config
    from ssg.pluginmanager import Plugins

    with user_errors(debug):
        has_site = (site / CONFIG_NAME).is_file()
        disabled = read_config(site).disabled_plugins if has_site else []
        plugins = Plugins().load(site.resolve() if has_site else None, disabled)
    for info in plugins.infos():
        typer.echo(f"{info.name}  ({info.source})")
        typer.echo(f"    hooks: {', '.join(info.hooks) or '-'}")
    if disabled:
        typer.echo(f"disabled: {', '.join(disabled)}")
