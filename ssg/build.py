"""The build pipeline, top to bottom. Each stage is a plain function over the
explicit ``Site``; hooks run between stages (see ssg/hookspecs.py)."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssg import __version__, crashpoint, limits
from ssg.config import CORE_SCHEMA, SiteConfig, build_config, read_config
from ssg.errors import ConfigError, SsgError, UsageError
from ssg.files import HINT as IRREGULAR_HINT
from ssg.files import os_failure
from ssg.fingerprint import digest
from ssg.inputs import Inputs, input_path, storable
from ssg.lock import Lock
from ssg.model import Output, Site
from ssg.parallel import default_workers, in_background
from ssg.pluginmanager import Plugins
from ssg.progress import QUIET, Progress
from ssg.prune import outputs_intact
from ssg.relpaths import bad_paths
from ssg.state import JOURNAL, BuildState, OutputRecord, StateDamaged, damaged
from ssg.themes import theme_dir

if TYPE_CHECKING:
    from ssg.deps import Evaluator
    from ssg.inputs import FileDigests
    from ssg.pagecache import PageCache
    from ssg.planner import Decision
    from ssg.render import Rendered
    from ssg.warm import Warm

STATE_DIR = ".ssg"
# Why a page is left out of a build: what the terminal calls such pages, and the flag that includes them.
# (ssg has no expiry date; one would be a reason here.)
SKIPPED = {"draft": ("draft page", "--drafts"), "future": ("future-dated page", "--future")}


@dataclass(frozen=True)
class BuildOptions:
    out: Path | None = None
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    strict: bool = False     # warnings fail the build (exit 1), for CI
    offline: bool = False    # plugins must not use the network (remote data comes from .ssg/ caches)
    wait: bool = True        # another build holds the site's lock: wait (True) or fail (False)
    on_wait: Callable[[str], None] | None = None   # told whom we wait for
    workers: int = 0         # render/parse processes; 0 = one per core
    explain: tuple[str, ...] = ()   # output paths whose rebuild reason to report
    page_timeout: float | None = None   # seconds per output (None: [build] page_timeout)
    page_memory: int | None = None      # MiB per render process (None: [build] page_memory)
    progress: Progress = QUIET          # told the stage and counts while the build runs (ssg/progress.py)

    def page_seconds(self, config: SiteConfig) -> float:
        """The limit on one page's work in each stage: its parse, its link
        pass, the render of one output (--page-timeout, else [build] page_timeout)."""
        return self.page_timeout if self.page_timeout is not None else config.build["page_timeout"]


@dataclass
class BuildResult:
    output_root: Path
    rendered: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[SsgError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    parsed: int = 0                                           # content files parsed (not from the cache)
    reasons: dict[str, str] = field(default_factory=dict)     # output path -> why it was rendered
    explained: dict[str, str] = field(default_factory=dict)   # --explain PATH -> answer
    timings: dict[str, float] = field(default_factory=dict)   # stage -> seconds
    warm: bool = False        # rebuilt from the model a long-running process kept (ssg/warm.py)
    narrow: bool = False      # rebuilt from the state and a partial site (ssg/narrow.py)
    restamped: int = 0        # files found with new times and the same bytes (ssg/restamp.py)
    skipped: dict[str, int] | None = None   # pages left out by reason (SKIPPED); None: as the last full build

    @property
    def ok(self) -> bool:
        return not self.errors

    def skipped_text(self) -> str:
        """'1,329 future-dated pages not built (--future includes them)', for the terminal."""
        return "; ".join(f"{count:,} {SKIPPED[reason][0]}{'s' if count != 1 else ''} not built "
                         f"({SKIPPED[reason][1]} includes {'them' if count != 1 else 'it'})"
                         for reason, count in sorted((self.skipped or {}).items()) if reason in SKIPPED and count)

    def summary(self) -> dict[str, Any]:
        return {
            "output": str(self.output_root),
            "pages_rendered": self.rendered,
            "files_parsed": self.parsed,
            "files_written": len(self.written),
            "files_unchanged": len(self.unchanged),
            "files_deleted": len(self.deleted),
            "files_restamped": self.restamped,
            "pages_skipped": self.skipped or {},
            "errors": [e.as_dict() for e in self.errors],
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
            "timings": self.timings,
            **({"explain": self.explained} if self.explained else {}),
        }


def load_plugins_and_config(site_root: Path, options: BuildOptions) -> tuple[Plugins, SiteConfig]:
    raw = read_config(site_root)
    plugins = Plugins().load(site_root, raw.disabled_plugins, raw.locator.where(("plugins", "disable")))
    tables = plugins.config_tables(reserved=CORE_SCHEMA.options)
    config = build_config(raw, tables, {"base_url": options.base_url})
    return plugins, config


def resolve_output_root(site_root: Path, config: SiteConfig, out: Path | None) -> Path:
    """The output folder (ssg/outfolder.py says what it may never be)."""
    from ssg.outfolder import resolve_output_root as resolve

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
        from ssg.warm import rebuild

        with _locked(site_root, options) as state:
            result = _repairing(state, lambda: rebuild(model, changed, options, state, started))
            recovered = state.recovered
        if result is not None:
            if not result.ok:
                warm.model = None    # failed outputs are retried by a full build
            return _finished(result, options, started)
    plugins, config = load_plugins_and_config(site_root, options)
    output_root = resolve_output_root(site_root, config, options.out)
    try:
        with _locked(site_root, options) as state:
            result = _repairing(state, lambda: Build(site_root, config, plugins, options, state, output_root,
                                                     started, warm=warm).run())
    except (OSError, sqlite3.Error) as error:    # the user's situation (a full disk, permissions), not ssg's bug
        failure = os_failure(error, site_root / STATE_DIR, output_root)
        if failure is None:
            raise
        raise failure from error
    if recovered is not None:
        result.warnings.insert(0, recovered)
    return _finished(result, options, started)


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


class Build:
    """One build: the stages of the pipeline over one ``Site``, against the
    state the last build left. Read ``run`` top to bottom."""

    def __init__(self, root: Path, config: SiteConfig, plugins: Plugins, options: BuildOptions,
                 state: BuildState, output_root: Path, started: float, warm: Warm | None = None):
        self.root, self.config, self.plugins, self.options = root, config, plugins, options
        self.warm = warm                   # keep this build's model there for the next (ssg/warm.py)
        self.state, self.output_root, self.started = state, output_root, started
        self.workers = options.workers or default_workers()
        self.theme = theme_dir(root, config.theme, config.path)
        self.result = BuildResult(output_root=output_root)
        self._failed: set[str] = set()     # outputs that failed: their old file stays, rebuilt next time
        self._clock = started
        self._strays: list[str] = []
        self._folders_seen: dict[str, int] = {}   # output folder mtimes read by the stray scan
        self._once: list[str] = []       # warnings not repeated by a build where nothing changed

    def run(self) -> BuildResult:
        state, now = self.state, datetime.now(UTC)
        settings = self._settings_fingerprint()
        same_root = self.same_root = state.meta("output_root") == str(self.output_root)
        same_settings = same_root and state.meta("settings") == settings
        # Files written by a build into this folder that did not finish: ours, bytes unknown.
        unfinished = state.journal(str(self.output_root))
        next_change = state.meta_time("next_change")
        intact = None
        if ((self.warm is None or not self.warm.load) and same_settings and state.meta("failed") == "0"
                and not state.journal_path.exists() and (next_change is None or now < next_change)):
            # Nothing changed? The other core checks the output folders and half the
            # output files while this one scans the inputs, then checks the other half.
            stamps = state.output_stamps()
            half = len(stamps) // 2
            check = partial(outputs_intact, str(self.output_root), stamps[:half], state.folders())
            intact = in_background(check, fork=self.workers > 1)
        inputs = Inputs.scan(self.root, self.theme, self.config.path)
        on_disk = False    # every output file is as the last build left it
        if intact is not None:
            mine = outputs_intact(str(self.output_root), stamps[half:], {})
            on_disk = intact() and mine      # the child's answer is always read: it is waited for
            if not on_disk or state.meta("inputs") != inputs.fingerprint():
                # A fresh checkout, a restored cache: files with new times, and the same bytes?
                from ssg.restamp import restamp

                found = restamp(state, inputs, self.root, self.theme, str(self.output_root), stamps,
                                outputs_checked=on_disk, workers=self.workers)
                on_disk, self.result.restamped = found.outputs_intact, found.inputs + found.outputs
                self._lap("restamp")
        if on_disk and state.meta("inputs") == inputs.fingerprint():
            return self._nothing_changed([row[0] for row in stamps])
        if on_disk and self.warm is None:   # only page text edited? without loading the site (ssg/narrow.py);
            # ssg serve builds the model instead: it keeps it for warm rebuilds
            from ssg.narrow import rebuild

            self._lap("check")
            narrow = rebuild(self, inputs, [row[0] for row in stamps], now)
            if narrow is not None:
                return narrow
        # Another folder was built last: this one's records were kept aside (its files are still known as ssg's).
        records = state.outputs() if same_root else state.other_root(str(self.output_root))
        self._lap("check")

        # Imported here: a build where nothing changed never needs them (startup time).
        from ssg.culprit import call_sparing_pages
        from ssg.deps import Evaluator
        from ssg.fingerprint import Fingerprinter
        from ssg.inputs import FileDigests
        from ssg.links import resolve_links
        from ssg.loader import load_site
        from ssg.outputs import drop_collisions, plan_core_outputs
        from ssg.pagecache import PageCache
        from ssg.planner import decide, plan_fingerprint
        from ssg.templates import make_environment

        # Load: unchanged content files come from the parse cache.
        self.options.progress.stage("load")
        site = Site(root=self.root, config=self.config, output_root=self.output_root,
                    include_drafts=self.options.drafts, include_future=self.options.future,
                    build_time=now, offline=self.options.offline)
        sources = state.sources(parsed=True)
        for path, kind in inputs.irregular:    # a published page that became one fails instead (ssg/loader.py)
            rel = _site_relative(path, self.root)
            if getattr(sources.get(rel), "parsed", None) is None:
                site.warn(f"{rel}: is {kind}, not a regular file; skipped ({IRREGULAR_HINT})")
        self._check_content(sources)
        parser = self._parser_fingerprint()
        seconds = self.options.page_seconds(self.config)
        cache = PageCache(sources, state.meta("parser") == parser, self.workers, parser, seconds)
        cache.progress = self.options.progress
        dep_rows = state.deps() if same_settings else {}
        load_site(site, self.plugins, cache)
        if not cache.seen:
            self._check_content(sources, empty=True)
        self.result.parsed = cache.parsed
        self.result.skipped = site.skipped
        state.stage_sources(cache.updated)     # written while this thread plans
        parsed = {page.source: dict(vars(page)) for page in site.all_pages()} if self.warm is not None else {}
        self._lap("load")
        self.options.progress.stage("links, site hooks")
        known = resolve_links(site, cache.known, seconds)
        self.plugins.hook.ssg_site_loaded(site=site)
        env = make_environment(site, self.theme)
        self.plugins.hook.ssg_jinja_environment(env=env, site=site)
        self._lap("links, site hooks")

        # Plan every output, then decide which are dirty.
        self.options.progress.stage("plan")
        outputs = plan_core_outputs(site)
        for extra in call_sparing_pages(self.plugins, self.plugins.hook.ssg_generate_outputs, site):
            outputs.extend(extra)
        call_sparing_pages(self.plugins, self.plugins.hook.ssg_plan_outputs, site, outputs=outputs)
        kept = drop_collisions(outputs, site)
        self._failed |= {o.path for o in outputs} - {o.path for o in kept}   # the old file stays
        outputs, contexts = self._contexts(kept, site)
        self._lap("plan")
        self.options.progress.stage("dirty check")
        fingerprint = Fingerprinter()
        plans = [plan_fingerprint(o, c, fingerprint) for o, c in zip(outputs, contexts, strict=True)]
        for rel in unfinished:     # replaced or created by the killed build: ssg's, whatever bytes it holds now
            records[rel] = OutputRecord("", "", -1, -1)
        files = FileDigests(sources)
        evaluate = Evaluator(site, env, files, {key: fp for key, fp in dep_rows.values()}, known)
        decision = decide(outputs, plans, records, dep_rows, evaluate, self.output_root, checked=on_disk,
                          everything=None if same_settings else "the configuration, options or code changed")
        self.result.reasons = decision.reasons
        self._lap("dirty check")
        self._explain(decision, {o.path for o in outputs})

        # Render what is dirty; write only what changed; delete what is no longer produced.
        rendered = self._render(outputs, contexts, decision.dirty, env, site, records, evaluate)
        new_records = self._collect(rendered, outputs, plans, records, site)
        self._lap("render")
        planned = {o.path for o in outputs}
        self.options.progress.stage("prune")
        dropped = self._prune(records, planned, site, state)
        self._lap("prune")

        # Commit what this build learnt, in one transaction.
        crashpoint.reached("stage", "before commit")
        self.options.progress.stage("commit")
        self._commit(site, settings, inputs, sources, cache, files, evaluate, dep_rows, new_records, decision, records,
                     dropped, reset=not same_settings)
        self._lap("commit")
        self.result.written.sort()
        self.result.unchanged = sorted(self.result.unchanged + list(decision.clean))
        self.result.errors, self.result.warnings = list(site.errors), list(site.warnings)
        if self.warm is not None:
            from ssg.warm import Model, free_fields

            self.warm.model = None if site.errors or self._failed else Model(
                root=self.root, output_root=self.output_root, options=self.options, config=self.config,
                plugins=self.plugins, site=site, env=env, parser=parser, jobs=cache.jobs, shas=cache.shas,
                parsed=parsed, known=known, outputs=outputs, contexts=contexts, plans=plans,
                records={**decision.clean, **self._committed}, deps=dep_rows, inputs=inputs,
                folders=self._folders_committed, token=self.token,
                free=free_fields(self.plugins, self.config), pages=evaluate.pages)
        self.result.seconds = time.perf_counter() - self.started
        self.plugins.hook.ssg_build_finished(site=site, result=self.result)
        return self.result

    # -- the stages' details -------------------------------------------------

    def _render(self, outputs: list[Output], contexts: list[dict | None], dirty: list[int], env: Any, site: Site,
                records: dict[str, OutputRecord], evaluate: Evaluator, *, write: bool = True) -> list[Rendered]:
        """Render the ``dirty`` outputs in worker processes, under the page
        limits of the options (or of ssg.toml), journaling new files (or,
        without ``write``, handing back the bytes)."""
        from ssg.render import RenderJob, render_all

        options, build = self.options, self.config.build
        memory = options.page_memory if options.page_memory is not None else build["page_memory"]
        return render_all(RenderJob(outputs, contexts, dirty, env, site, records, self.state.folder / JOURNAL,
                                    options.page_seconds(self.config), memory, evaluate, write=write,
                                    progress=options.progress), self.workers)

    def _check_content(self, sources: dict, *, empty: bool = False) -> None:
        """A missing content/ folder, or one without a page when the last
        build had pages, is an error that stops the build before anything is
        written or deleted: a folder lost in a checkout or a bad mount must
        not unpublish the site. ``[build] empty_site = true`` says it is meant."""
        if self.config.build["empty_site"]:
            return
        hint = ("restore it; if the site is meant to have no pages, set empty_site = true "
                "in the [build] table of ssg.toml")
        content = self.root / "content"
        if not content.is_dir():
            raise ConfigError("the content/ folder is missing (nothing was built, nothing deleted)",
                              where=str(content), hint=hint)
        if empty and any(path.startswith("content/") and row.parsed is not None for path, row in sources.items()):
            raise ConfigError("the content/ folder holds no page, but the last build published pages "
                              "(nothing was built, nothing deleted)", where=str(content),
                              hint="restore the pages; if the site is meant to have none now, set empty_site = true "
                                   "in the [build] table of ssg.toml")

    def _lap(self, stage: str) -> None:
        """Seconds spent since the last lap, reported in --json as ``timings`` (added up
        when a stage comes round again)."""
        now = time.perf_counter()
        timings = self.result.timings
        timings[stage] = round(timings.get(stage, 0) + now - self._clock, 3)
        self._clock = now
        crashpoint.reached("stage", stage)

    def _settings_fingerprint(self) -> str:
        """What makes every output dirty when it changes: ssg.toml, the build
        options, and the code (ssg, Python, every loaded plugin)."""
        code = [sys.version, __version__]
        package = Path(__file__).parent
        for path in sorted([*package.glob("*.py"), *map(Path, self.plugins.code_files())]):
            # by its bytes (1 ms): a fresh checkout or install gives every file a new stat
            code.append(f"{path} {hashlib.sha256(path.read_bytes()).hexdigest()}")
        config = self.config.path.read_bytes() if self.config.path else b""
        options = (self.options.drafts, self.options.future, self.options.base_url, str(self.theme))
        return digest("\n".join(code) + repr(options) + digest(config))

    def _parser_fingerprint(self) -> str:
        """What a cached parse depends on besides the file's bytes."""
        from ssg.pagecache import FORMAT

        return digest(repr((__version__, sys.version, FORMAT, sorted(self.config.markdown.items()))))

    def _nothing_changed(self, paths: list[str]) -> BuildResult:
        """No input changed and the output folder is as ssg left it: nothing is
        loaded. ``ssg_build_finished`` still runs, with a site whose pages were
        not loaded."""
        self.result.unchanged = sorted(paths)
        self.result.warnings = self.state.meta_json("warnings", list)
        for asked in self.options.explain:
            self.result.explained[asked] = ("not rebuilt: no input of the site changed"
                                            if _asked_output(asked, set(paths)) else "not an output of this build")
        self.result.seconds = time.perf_counter() - self.started
        site = Site(root=self.root, config=self.config, output_root=self.output_root, offline=self.options.offline)
        self.plugins.hook.ssg_build_finished(site=site, result=self.result)
        return self.result

    def _contexts(self, outputs: list[Output], site: Site) -> tuple[list[Output], list[dict | None]]:
        """Each templated output's render context (``ssg_template_context`` runs
        here); an output whose context fails is reported and not built."""
        from ssg.render import render_context

        kept, contexts = [], []
        for output in outputs:
            try:
                contexts.append(render_context(output, site, self.plugins))
            except SsgError as error:
                site.errors.append(error)
                self._failed.add(output.path)
                continue
            kept.append(output)
        return kept, contexts

    def _folder_stamps(self, paths: set[str]) -> dict[str, int]:
        """mtime of every folder holding an output: a file added or removed by
        hand changes its folder's mtime."""
        folders = {""}
        for rel in paths:
            while "/" in rel:
                rel = rel.rpartition("/")[0]
                if rel in folders:
                    break
                folders.add(rel)
        stamps = {}
        seen = self._folders_seen       # what the stray scan just read: nothing has written since
        for rel in folders:
            if rel in seen:
                stamps[rel] = seen[rel]
                continue
            try:
                stamps[rel] = os.stat(os.path.join(self.output_root, rel)).st_mtime_ns
            except OSError:
                continue
        return stamps

    def _explain(self, decision: Decision, planned: set[str]) -> None:
        for asked in self.options.explain:
            path = _asked_output(asked, planned)
            if path is None:
                self.result.explained[asked] = "not an output of this build"
            else:
                self.result.explained[asked] = (f"rebuilt: {decision.reasons[path]}" if path in decision.reasons
                                                else "not rebuilt: nothing it depends on changed")

    def _collect(self, rendered: list[Rendered], outputs: list[Output], plans: list[str],
                 records: dict[str, OutputRecord], site: Site) -> dict[str, tuple[OutputRecord, dict]]:
        """Outcomes of the render into state records (dependency keys still as keys, with fingerprints)."""
        new: dict[str, tuple[OutputRecord, dict]] = {}
        for item in rendered:
            output = outputs[item.index]
            if item.error is not None:
                site.errors.append(item.error)
                self._failed.add(output.path)
                continue
            written = item.written
            assert written is not None
            new[output.path] = (OutputRecord(plans[item.index], written.sha, written.size, written.mtime_ns), item.keys)
            (self.result.written if written.changed else self.result.unchanged).append(output.path)
            if output.templates:
                self.result.rendered += 1
        for path in self._failed:      # the old file stays; the output is rebuilt next time
            old = records.get(path)
            if old is not None:
                new[path] = (OutputRecord("", old.sha, old.size, old.mtime_ns), {})
        return new

    def _prune(self, records: dict[str, OutputRecord], planned: set[str], site: Site, state: BuildState) -> set[str]:
        """Delete files ssg wrote that this build no longer produces, leftovers of
        interrupted writes, and report (once) files ssg did not write."""
        from ssg.prune import Pruner

        pruner = Pruner(self.output_root)
        gone = {rel for rel in records if rel not in planned and rel not in self._failed}
        for rel in sorted(gone):
            record = records[rel]
            # No bytes recorded: journaled by a killed build, so ssg's whatever they are.
            outcome = pruner.delete(rel, record.sha, record.size, record.mtime_ns, trusted=not record.sha)
            if outcome == "deleted":
                self.result.deleted.append(rel)
            elif outcome == "edited":
                site.warn(f"{self.output_root.name}/{rel}: no longer produced, but changed since ssg wrote it; "
                          "left in place (delete it by hand)")
            elif outcome == "outside":
                site.warn(f"{self.output_root.name}/{rel}: no longer produced, but a folder on its way is a symlink "
                          "leading out of the output folder; left alone (remove the link)")
        pruner.remove_empty_folders()
        known = planned | set(records)
        reported = {rel for rel in state.meta_json("strays", list)
                    if rel not in known and not bad_paths([rel]) and os.path.lexists(self.output_root / rel)}
        found = pruner.strays(known, state.folders() if records and self.same_root else {})
        self._folders_seen = pruner.stamps
        for rel in found:
            if rel not in reported:
                self._once.append(f"{self.output_root.name}/{rel} was not written by ssg; left alone")
                site.warn(self._once[-1])
        self._strays = sorted(reported | set(found))
        return gone

    def _commit(self, site: Site, settings: str, inputs: Inputs, sources: dict, cache: PageCache, files: FileDigests,
                evaluate: Evaluator, dep_rows: dict[int, tuple[str, str]],
                new: dict[str, tuple[OutputRecord, dict]], decision: Decision,
                records: dict[str, OutputRecord], dropped: set[str], *, reset: bool) -> None:
        changed_deps, outputs = assign_key_ids(new, dep_rows, evaluate)
        referenced = set().union(*(r.deps for r in outputs.values()), *(r.deps for r in decision.clean.values()))
        dropped_deps = set(dep_rows) - referenced
        for dep_id in dropped_deps:
            del dep_rows[dep_id]
        self._folders_committed = self._folder_stamps({*outputs, *decision.clean})
        for name in inputs.names():     # every input's hash is known: a fresh checkout compares them (ssg/restamp.py)
            if name not in cache.seen and storable(name) == name:    # (a name that is not UTF-8 fails the build)
                files(input_path(name, self.root, self.theme))
        meta = {"settings": settings, "inputs": inputs.fingerprint(), "listing": inputs.text(),
                "output_root": str(self.output_root),
                "parser": self._parser_fingerprint(), "failed": "1" if site.errors else "0",
                "errors": json.dumps([str(error) for error in site.errors][:100]),   # for `ssg deploy`
                "next_change": site.next_change.isoformat() if site.next_change else "",
                "warnings": json.dumps([w for w in site.warnings if w not in self._once]), "strays": json.dumps(self._strays),
                "sections": json.dumps(list(site.sections)),
                "skipped": json.dumps(site.skipped)}     # in order: a narrow rebuild's partial site has them all
        self.token = self.state.commit(meta=meta, sources=files.updated,     # the parse cache's are staged
                          dropped_sources=set(sources) - cache.seen - files.used,
                          outputs=outputs, dropped_outputs=dropped - set(outputs),
                          deps=changed_deps, dropped_deps=dropped_deps, folders=self._folders_committed, reset=reset,
                          output_root=str(self.output_root))
        self._committed = outputs


def assign_key_ids(new: dict[str, tuple[OutputRecord, dict]], dep_rows: dict[int, tuple[str, str]],
                   evaluate: Evaluator, ids: dict[str, int] | None = None,
                   ) -> tuple[dict[int, tuple[str, str]], dict[str, OutputRecord]]:
    """Give every key the rendered outputs read an id (new keys the next free
    ones) and its fingerprint, each key once however many outputs read it.
    Updates ``dep_rows`` (and ``ids``, key text -> id, when the caller keeps
    one); returns the rows that changed and the output records with their
    ``deps`` set."""
    from ssg.deps import text_key

    fps: dict[str, str] = {}              # every key read (as text) -> its fingerprint
    for _record, keys in new.values():
        fps.update(keys)
    if ids is None:
        ids = {key: dep_id for dep_id, (key, _fp) in dep_rows.items()}
    next_id = max(dep_rows, default=0) + 1
    changed_deps: dict[int, tuple[str, str]] = {}
    for text, fp in fps.items():
        if not fp:
            fp = fps[text] = evaluate(text_key(text))
        dep_id = ids.get(text)
        if dep_id is None:
            dep_id = ids[text] = next_id
            next_id += 1
        old = dep_rows.get(dep_id)
        if old is None or old[1] != fp:
            changed_deps[dep_id] = dep_rows[dep_id] = (text, fp)
    outputs: dict[str, OutputRecord] = {}
    for path, (record, keys) in new.items():
        record.deps = tuple(sorted(map(ids.__getitem__, keys)))
        outputs[path] = record
    return changed_deps, outputs


def _site_relative(path: str, root: Path) -> str:
    """``path`` relative to the site folder when it lies inside it (a theme's may not)."""
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel


def _asked_output(asked: str, paths: Collection[str]) -> str | None:
    """The output path an --explain argument names: 'posts/a/' is posts/a/index.html."""
    rel = asked.strip("/")
    return next((c for c in (rel, f"{rel}/index.html" if rel else "index.html") if c in paths), None)
