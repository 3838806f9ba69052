"""``ssg build``'s entry: the site's configuration and plugins, its build
state under the build lock, and the stages of ssg/build/pipeline.py over the
first site source that serves the build. A damaged state is set aside and
the build run again from an empty one; an OS error is the user's situation
(a full disk, permissions), reported as such."""

from __future__ import annotations

import gc
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ssg.build import pipeline
from ssg.build.options import BuildOptions, BuildResult
from ssg.build.pipeline import Build
from ssg.config.site import CORE_SCHEMA, SiteConfig, build_config, read_config
from ssg.errors import SsgError, UsageError
from ssg.graph.state import BuildState, StateDamaged, damaged
from ssg.plugins.manager import Plugins
from ssg.runtime import limits
from ssg.runtime.lock import Lock
from ssg.sources.files import os_failure

if TYPE_CHECKING:
    from ssg.build.sources.kept import Warm

__all__ = ["STATE_DIR", "BuildOptions", "BuildResult", "build", "load_plugins_and_config", "resolve_output_root"]

STATE_DIR = ".ssg"


def load_plugins_and_config(site_root: Path, options: BuildOptions) -> tuple[Plugins, SiteConfig]:
    raw = read_config(site_root)
    plugins = Plugins().load(site_root, raw.disabled_plugins, raw.locator.where(("plugins", "disable")))
    tables = plugins.config_tables(reserved=CORE_SCHEMA.options)
    config = build_config(raw, tables, {"base_url": options.base_url})
    return plugins, config


def resolve_output_root(site_root: Path, config: SiteConfig, out: Path | None) -> Path:
    """The output folder (ssg/config/outfolder.py says what it may never be)."""
    from ssg.config.outfolder import resolve_output_root as resolve

    return resolve(site_root, config.output_dir, config.theme, config.path, out)


def build(site_root: Path, options: BuildOptions = BuildOptions(), warm: Warm | None = None,
          changed: frozenset[str] | None = None) -> BuildResult:
    """Build the site in ``site_root``, rendering only what changed since the
    last build (a first build is a build from empty state). Configuration and
    plugin errors raise; per-page errors are collected in the result and
    everything else is built.

    A long-running process passes ``warm``, kept between its builds, and the
    files ``changed`` since its last build when it knows them: an edit of
    page text is then rebuilt from the model the last build kept."""
    with _no_cyclic_gc(), limits.exits_refused():
        return _build(site_root, options, warm, changed)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Python's cycle collector off while building: the model is one big
    graph of live objects that every full collection walks (10,000 pages:
    0.3 s of a one-edit build, 10%), and a build makes little cyclic
    garbage. Render and parse workers collect their own (parallel.py)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _build(site_root: Path, options: BuildOptions, warm: Warm | None, changed: frozenset[str] | None) -> BuildResult:
    started = time.perf_counter()
    site_root = site_root.resolve()
    model = warm.model if warm is not None else None
    recovered = None     # a damaged state found (and set aside) by the warm attempt
    if model is not None and changed is not None and model.root == site_root:
        from ssg.build.sources.kept import KeptModel

        with _locked(site_root, options) as state:
            build = Build(model.root, model.config, model.plugins, options, state, model.output_root, started)
            build.announce = warm.announce
            result = _repairing(state, lambda: pipeline.run(build, [KeptModel(model, changed)]))
            recovered = state.recovered
        if result is not None:
            if not result.ok:
                warm.model = None    # failed outputs are retried by a full build
            return _finished(result, options, started)
    plugins, config = load_plugins_and_config(site_root, options)
    output_root = resolve_output_root(site_root, config, options.out)
    try:
        with _locked(site_root, options) as state:
            result = _repairing(state, lambda: _run(Build(site_root, config, plugins, options, state, output_root,
                                                          started), warm))
    except (OSError, sqlite3.Error) as error:    # the user's situation (a full disk, permissions), not ssg's bug
        failure = os_failure(error, site_root / STATE_DIR, output_root)
        if failure is None:
            raise
        raise failure from error
    assert result is not None      # a full load serves every build
    if recovered is not None:
        result.warnings.insert(0, recovered)
    return _finished(result, options, started)


def _run(build: Build, warm: Warm | None) -> BuildResult | None:
    """The stages over the first site source that serves the build: nothing
    changed, a partial site (not in ``ssg serve``, which keeps a full model),
    or a full load."""
    from ssg.build.sources.full import FullLoad
    from ssg.build.sources.partial import PartialSite
    from ssg.build.sources.unchanged import Unchanged
    from ssg.build.survey import survey

    found = survey(build, check_outputs=warm is None or not warm.load)
    build.announce = warm.announce if warm is not None else None
    # A partial site of the edited pages alone (a body edit), else of every page from the page index.
    parses: dict = {}
    partials = [] if warm is not None else [PartialSite(found, parses=parses),
                                             PartialSite(found, complete=True, parses=parses)]
    try:
        return pipeline.run(build, [Unchanged(found), *partials, FullLoad(found, warm)])
    finally:
        for partial in partials:
            partial.close()


def _repairing(state: BuildState, run: Callable[[], BuildResult | None]) -> BuildResult | None:
    """``run()``; if it finds the state database damaged, again from an empty
    state (set aside, said in a warning): every output is checked again."""
    try:
        result = run()
    except (sqlite3.DatabaseError, StateDamaged) as error:
        if not damaged(error) or state.recovered is not None:
            raise
        state.start_over(error)
        result = run()
    if result is not None:
        result.warnings[:0] = [w for w in (state.recovered, state.journal_warning) if w is not None]
        if result.skipped is None:     # nothing loaded: the last full build's counts stand (no page was placed)
            result.skipped = state.skipped()
    return result


@contextmanager
def _locked(site_root: Path, options: BuildOptions) -> Iterator[BuildState]:
    """The site's build state, under its build lock. A .ssg/ that cannot be
    used (not a folder, read-only) is a usage error naming it."""
    folder = site_root / STATE_DIR
    if os.path.lexists(folder) and not folder.is_dir():
        raise UsageError(f"{STATE_DIR} is not a folder: ssg keeps its build state there", where=str(folder),
                         hint=f"remove or rename the file {folder} (the next build is then a full one)")
    lock = Lock(site_root / STATE_DIR / "build.lock", "build", wait=options.wait, on_wait=options.on_wait,
                hint="another build of this site is running; wait for it, or drop --no-wait to queue")
    try:
        lock.acquire()
        try:
            state = BuildState(folder)
        except BaseException:
            lock.release()
            raise
    except (OSError, sqlite3.OperationalError) as error:
        raise UsageError(f"the build state folder {STATE_DIR} cannot be used: {getattr(error, 'strerror', None) or error}",
                         where=str(folder), hint=f"make {folder} writable by the user running ssg, or delete it "
                                                 "(the next build is then a full one)") from error
    try:
        yield state
    finally:
        try:
            state.close()
        finally:
            lock.release()


def _finished(result: BuildResult, options: BuildOptions, started: float) -> BuildResult:
    if options.strict:
        result.errors = [*result.errors,   # a new list: the site's own may live on in a warm model
                         *(SsgError(f"{warning} (a warning, fatal with --strict)") for warning in result.warnings)]
    result.seconds = time.perf_counter() - started
    return result
