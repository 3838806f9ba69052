"""The ``ssg`` command line. Each command lives in its own module and imports the
engine lazily so ``ssg --help`` answers fast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ssg import __version__

app = typer.Typer(
    name="ssg",
    help="A plugin-based static site generator that never rewrites a file whose bytes did not change.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

SiteOption = Annotated[Path, typer.Option("--site", "-s", help="The site folder (holding ssg.toml).",
                                          file_okay=False)]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ssg {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[bool | None, typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Print the version and exit.")] = None,
) -> None:
    """ssg: build, preview and publish static sites."""


@app.command()
def build(
    site: SiteOption = Path("."),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default: output_dir from ssg.toml).")] = None,
    drafts: Annotated[bool, typer.Option("--drafts", help="Include pages marked draft.")] = False,
    future: Annotated[bool, typer.Option("--future", help="Include pages dated in the future.")] = False,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Override base_url (e.g. for a preview host).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors (exit 1); for CI.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="No network: remote data comes from the cache in .ssg/.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every file written.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")] = False,
) -> None:
    """Build the site into its output folder."""
    from ssg.build import BuildOptions
    from ssg.cli.build_cmd import run_build

    options = BuildOptions(out=out, drafts=drafts, future=future, base_url=base_url, strict=strict, offline=offline)
    run_build(site, options, quiet=quiet, verbose=verbose, debug=debug, as_json=json_)


@app.command()
def new(
    directory: Annotated[Path, typer.Argument(help="Folder to create the site in (must be empty or new).")],
    title: Annotated[str, typer.Option("--title", help="The site's title.")] = "My new site",
) -> None:
    """Create a new site that builds as is."""
    from ssg.cli.new_cmd import run_new

    run_new(directory, title)


@app.command()
def clean(
    site: SiteOption = Path("."),
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Delete the output folder and the build state (.ssg/)."""
    from ssg.cli.clean_cmd import run_clean

    run_clean(site, debug=debug)


@app.command()
def plugins(
    site: SiteOption = Path("."),
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """List loaded plugins, where each comes from and the hooks it implements."""
    from ssg.cli.plugins_cmd import run_plugins

    run_plugins(site, debug=debug)


def main() -> None:
    app()
