"""`ssg deploy`: every line it prints goes through the redactor, tracebacks too."""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer

from ssg.deploy.redact import Redactor
from ssg.errors import SsgError, UsageError


@dataclass(frozen=True)
class DeployFlags:
    dry_run: bool = False
    max_deletes: int | None = None
    status: bool = False
    break_lock: bool = False
    force: bool = False
    wait: bool = False
    verify: bool = False
    allow_failed_build: bool = False
    quiet: bool = False
    debug: bool = False
    as_json: bool = False


@contextmanager
def deploy_errors(flags: DeployFlags, redactor: Redactor) -> Iterator[None]:
    """As ssg.cli.errors.user_errors, with every secret masked."""
    try:
        yield
    except SsgError as error:
        if flags.debug:
            typer.echo(redactor.clean(traceback.format_exc()), err=True)
        if flags.as_json:
            typer.echo(redactor.clean(json.dumps({"ok": False, "error": error.as_dict()}, indent=2)))
        typer.echo(redactor.clean(f"error: {error}"), err=True)
        raise typer.Exit(code=error.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        raise typer.Exit(code=130) from None
    except Exception as error:
        if flags.debug:
            typer.echo(redactor.clean(traceback.format_exc()), err=True)
        typer.echo(redactor.clean(f"internal error: {type(error).__name__}: {error} (run again with --debug for "
                                  "the traceback, and please report it)"), err=True)
        raise typer.Exit(code=3) from None


def run_deploy(site: Path, choice: str | None, flags: DeployFlags) -> None:
    redactor = Redactor()
    with deploy_errors(flags, redactor):
        _run(site, choice, flags, redactor)


def _run(site: Path, choice: str | None, flags: DeployFlags, redactor: Redactor) -> None:
    from ssg.cli.progress import progress_for
    from ssg.config.site import CORE_SCHEMA, build_config, read_config
    from ssg.deploy import runner
    from ssg.deploy.registry import deploy_targets
    from ssg.deploy.settings import resolve_target
    from ssg.plugins.manager import Plugins

    if flags.force and not flags.break_lock:
        raise UsageError("--force only goes with --break-lock", hint="run `ssg deploy --break-lock --force`")
    if flags.status and flags.break_lock:
        raise UsageError("--status and --break-lock do not go together", hint="run them one after the other")
    raw = read_config(site)
    plugins = Plugins().load(site.resolve(), raw.disabled_plugins, raw.locator.where(("plugins", "disable")))
    config = build_config(raw, plugins.config_tables(reserved=CORE_SCHEMA.options))
    settings = resolve_target(raw, choice, deploy_targets(plugins), redactor)

    def say(text: str) -> None:
        if not flags.quiet:
            typer.echo(redactor.clean(text), err=flags.as_json)

    if flags.status:
        info = runner.status(settings)
        if flags.as_json:
            typer.echo(redactor.clean(json.dumps(info, indent=2)))
        else:
            say(describe_status(info))
        return
    if flags.break_lock:
        holder = runner.break_lock(settings, force=flags.force)
        say(f"broke the deploy lock of {settings.name}, held by {holder.describe()}" if holder
            else f"{settings.name} was not locked")
        return
    progress = progress_for(quiet=flags.quiet, as_json=flags.as_json, clean=redactor.clean)
    progress.note(f"deploying {settings.name} to {settings.shown_url}"
                  + (" (dry run: nothing is written)" if flags.dry_run else ""))
    options = runner.DeployOptions(dry_run=flags.dry_run, max_deletes=flags.max_deletes, wait=flags.wait,
                                   verify=flags.verify, allow_failed_build=flags.allow_failed_build)
    try:
        result = runner.deploy(settings, site.resolve(), (site / config.output_dir).resolve(), options, progress)
    finally:
        progress.close()     # the bar is taken away before the summary or the error
    if flags.dry_run and not flags.quiet and not flags.as_json:
        for path in result.uploaded:
            typer.echo(f"  upload {path}")
        for path in result.deleted:
            typer.echo(f"  delete {path}")
    if flags.as_json:
        typer.echo(redactor.clean(json.dumps({"ok": True, **result.summary()}, indent=2)))
    else:
        say(result.line())


def describe_status(info: dict) -> str:
    lines = [f"{info['target']} ({info['url']})"]
    if info["locked"]:
        progress = info.get("progress") or {}
        done = (f", {progress.get('phase', '?')}: {progress.get('files_done', 0)}/{progress.get('files_total', '?')} "
                "files" if progress else "")
        lines.append(f"  locked by {info['holder']} (user {info['owner']}, deploy {info['deploy_id'][:8]}, "
                     f"token {info['token']}), lease expires {info['expires']}{done}")
        if info.get("holder_gone"):
            lines.append("  its process is gone from this host; the next deploy takes over at once")
    else:
        lines.append("  not locked" + (f" (last holder: {info['expired_holder']})" if "expired_holder" in info else ""))
    last = info.get("last_deploy")
    lines.append(f"  last deploy: {last['at']}, {last['files']} files" if last else "  never deployed")
    if "interrupted_deploy" in info:
        lines.append(f"  an interrupted deploy left {info['interrupted_deploy']}; the next deploy "
                     "uploads or deletes them again")
    return "\n".join(lines)
