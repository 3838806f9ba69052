"""`ssg plugins`."""

from __future__ import annotations

from pathlib import Path

import typer

from ssg.cli.errors import user_errors


def run_plugins(site: Path, *, debug: bool) -> None:
    from ssg.config.site import CONFIG_NAME, read_config
    from ssg.plugins.manager import Plugins

    with user_errors(debug):
        has_site = (site / CONFIG_NAME).is_file()
        raw = read_config(site) if has_site else None
        disabled = raw.disabled_plugins if raw else []
        plugins = Plugins().load(site.resolve() if raw else None, disabled,
                                 raw.locator.where(("plugins", "disable")) if raw else None)
    for info in plugins.infos():
        typer.echo(f"{info.name}  ({info.source})")
        typer.echo(f"    hooks: {', '.join(info.hooks) or '-'}")
    if disabled:
        typer.echo(f"disabled: {', '.join(disabled)}")
