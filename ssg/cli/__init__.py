"""The ``ssg`` command line. Each command lives in its own module and imports the
engine lazily so ``ssg --help`` answers fast."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from ssg import __version__

app = typer.Typer(
    name="ssg",
    help="A plugin-based static site generator that never rewrites a file whose bytes did not change.",
    no_args_is_help=True,
    add_completion=True,       # --install-completion / --show-completion (typer imports its completion code lazily)
    context_settings={"help_option_names": ["-h", "--help"]},   # inherited by every command's context
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
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """ssg: build, preview and publish static sites."""


@app.command()
def build(
    site: SiteOption = Path("."),
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Output folder (default: output_dir from ssg.toml).")] = None,
    drafts: Annotated[bool, typer.Option("--drafts", help="Include pages marked draft.")] = False,
    future: Annotated[bool, typer.Option("--future", help="Include pages dated in the future.")] = False,
    expired: Annotated[bool, typer.Option("--expired", help="Include pages whose expiry date has passed.")] = False,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Override base_url (e.g. for a preview host).")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors (exit 1); for CI.")] = False,
    offline: Annotated[bool, typer.Option("--offline", help="No network: remote data comes from the cache in .ssg/.")] = False,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="When another build of this site is running: "
                                                                "wait for it (default) or exit 1.")] = True,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=0, help="Worker processes for large builds "
                                                                  "(default 0: one per core).")] = 0,
    page_timeout: Annotated[float | None, typer.Option("--page-timeout", min=0, metavar="SECONDS",
                                                       help="Fail a page whose parse, link pass or render takes "
                                                            "longer (0: no limit; default: [build] page_timeout, "
                                                            "30).")] = None,
    page_memory: Annotated[int | None, typer.Option("--page-memory", min=0, metavar="MIB",
                                                      help="Fail an output whose render needs more memory than "
                                                           "this many MiB over the render process's size (0: no "
                                                           "limit; default: [build] page_memory, 1024).")] = None,
    explain: Annotated[list[str] | None, typer.Option("--explain", metavar="PATH", help="Say why the output "
                                                      "PATH (e.g. posts/a/ or index.xml) was rebuilt or not; "
                                                      "repeatable.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List every file written and deleted.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")] = False,
) -> None:
    """Build the site into its output folder, rendering only what changed since the last build."""
    from ssg.build.entry import BuildOptions
    from ssg.cli.build_cmd import run_build, waiting

    options = BuildOptions(out=out, drafts=drafts, future=future, expired=expired, base_url=base_url, strict=strict,
                           offline=offline, wait=wait, on_wait=None if quiet else waiting, workers=jobs,
                           explain=tuple(explain or ()), page_timeout=page_timeout, page_memory=page_memory)
    run_build(site, options, quiet=quiet, verbose=verbose, debug=debug, as_json=json_)


@app.command()
def serve(
    site: SiteOption = Path("."),
    host: Annotated[str, typer.Option("--host", help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int | None, typer.Option("--port", "-p", min=0, max=65535,
                                             help="Port to listen on; taken: an error (0: any free port). "
                                                  "Default: 8000, or the next free one of 8000-8019.")] = None,
    watch: Annotated[bool, typer.Option("--watch/--no-watch", help="Rebuild on every change and reload the "
                                                                   "open pages (default).")] = True,
    poll: Annotated[bool, typer.Option("--poll", help="Watch by polling the files: for network mounts and "
                                                      "containers, where file events never arrive.")] = False,
    open_: Annotated[bool, typer.Option("--open", help="Open the site in the web browser.")] = False,
    drafts: Annotated[bool, typer.Option("--drafts", help="Include pages marked draft.")] = False,
    future: Annotated[bool, typer.Option("--future", help="Include pages dated in the future.")] = False,
    expired: Annotated[bool, typer.Option("--expired", help="Include pages whose expiry date has passed.")] = False,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Override base_url: the site is built with it "
                                                                    "and served at its path.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every request.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Build the site, serve it, and rebuild and reload the open pages on every change."""
    from ssg.build.entry import BuildOptions
    from ssg.cli.build_cmd import waiting
    from ssg.cli.serve_cmd import run_serve
    from ssg.serve import ServeOptions

    options = ServeOptions(host=host, port=port, watch=watch, poll=poll, open_browser=open_, verbose=verbose,
                           build=BuildOptions(drafts=drafts, future=future, expired=expired, base_url=base_url,
                                              on_wait=waiting))
    run_serve(site, options, debug=debug)


@app.command()
def deploy(
    target: Annotated[str | None, typer.Argument(help="A [deploy.NAME] table of ssg.toml, or a target URL "
                                                      "(default: the only [deploy.*] table).")] = None,
    site: SiteOption = Path("."),
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be uploaded and deleted; "
                                                            "write nothing, take no lock.")] = False,
    max_deletes: Annotated[int | None, typer.Option("--max-deletes", min=0, help="Fail before deleting anything "
                                                    "if more than N files would be deleted (default: max_deletes "
                                                    "of the target, 256).")] = None,
    status: Annotated[bool, typer.Option("--status", help="Show who holds the deploy lock, since when, the "
                                                          "expiry and the progress; change nothing.")] = False,
    break_lock: Annotated[bool, typer.Option("--break-lock", help="Break an expired deploy lock (a live one "
                                                                  "needs --force).")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --break-lock: break it even while its lease "
                                                        "is live.")] = False,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Wait for a deploy holding the lock instead "
                                                                "of failing (exit 1).")] = False,
    verify: Annotated[bool, typer.Option("--verify", help="Check the target's listing against its manifest "
                                                          "and upload again what is missing or different.")] = False,
    allow_failed_build: Annotated[bool, typer.Option("--allow-failed-build", help="Publish the output even though "
                                                     "the last build failed (nothing is deleted from the "
                                                     "target then).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print errors only.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors (secrets masked).")] = False,
    json_: Annotated[bool, typer.Option("--json", help="Print a machine-readable summary on stdout.")] = False,
) -> None:
    """Publish the built site to a target, uploading only what changed, under a site-wide lock."""
    from ssg.cli.deploy_cmd import DeployFlags, run_deploy

    run_deploy(site, target, DeployFlags(dry_run=dry_run, max_deletes=max_deletes, status=status,
                                         break_lock=break_lock, force=force, wait=wait, verify=verify,
                                         allow_failed_build=allow_failed_build, quiet=quiet, debug=debug, as_json=json_))


@app.command()
def new(
    what: Annotated[str, typer.Argument(metavar="PAGE.md | site DIR | DIR",
                                        help="content/SECTION/NAME.md: a page of this site; site DIR: a new site; "
                                             "DIR (outside a site): a new site.")],
    directory: Annotated[str | None, typer.Argument(metavar="[DIR]", show_default=False,
                                                    help="After 'site': the folder to create the site in.")] = None,
    title: Annotated[str, typer.Option("--title", help="A new site's title.")] = "My new site",
    site: Annotated[Path | None, typer.Option("--site", "-s", file_okay=False, help="The site to add a page to "
                                              "(default: the one in the current folder or a parent).")] = None,
) -> None:
    """Create a page from an archetype, or a new site.

    In a site: `ssg new content/posts/my-post.md` creates that page from
    archetypes/posts.md or archetypes/default.md (the site's, then the
    theme's), titled from its file name ("My post") and dated now.

    A new site: `ssg new site DIR` (DIR new or empty); outside a site
    `ssg new DIR` does the same. A site is never created inside a site's
    content/ or static/ folder.
    """
    from ssg.cli.new_cmd import run_new

    run_new(what, directory, title, site)


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
    """The console script (and ``python -m ssg``). It ends the process without
    tearing the interpreter down: every file, lock and database is closed by
    then, and freeing a 10,000-page model object by object would add 0.2 s to
    every build. (The CLI tests call ``app`` directly, in their own process.)"""
    try:
        app(prog_name="ssg")     # "ssg" in usage lines and completion scripts, for `python -m ssg` too
        code: object = 0
    except SystemExit as stop:
        code = stop.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a closed pipe: nothing more can be said
            pass
    os._exit(code or 0)
