"""The stages of every build, in order, each run once.

::

    site source ─► dirty check ─► render ─► verify ─► write ─► prune ─► commit ─► finish
    ┌───────────────────────┐
    │ unchanged             │  nothing changed: no page is loaded (ssg/build/sources/unchanged.py)
    │ kept model            │  ssg serve's model of its last build, edited in place (ssg/build/sources/kept.py)
    │ partial site          │  the edited pages in a site made from the state (ssg/build/sources/partial.py)
    │ full load             │  every page, from the parse cache when unchanged (ssg/build/sources/full.py)
    └───────────────────────┘

What varies between builds is where the site comes from. A *site source*
prepares what the stages work on (``Prepared``): the site, the Jinja
environment, the planned outputs with their render contexts and plan
fingerprints, the records the last build left for them, the evaluator of
dependency keys and, for a partial site only, a check of what its renders
read. The sources are tried in order; one that cannot serve the build
raises ``Decline`` (before anything is written) and the next one is tried.
The last, a full load, serves every build: a clean build is a full load
from an empty state.

Then, whatever the source:

- **dirty check**: the source's ``dirty``, which evaluates the dependency
  keys it prepared and names the outputs to render, each with its reason;
- **render** in worker processes (writing as they go, unless the source
  verifies first);
- **verify**: a partial site checks that every key its renders read
  fingerprints as the site's did (else it declines, nothing written);
- **write** what the render did not;
- **prune**: delete the files ssg wrote that the site no longer produces
  (a full load only: the other sources plan every output the last build did);
- **commit** what the build learnt (``ssg.graph.state.Learnt``) in one transaction;
- **finish**: the result, and ``ssg_build_finished``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ssg import __version__
from ssg.build.dirty import Decision
from ssg.build.options import BuildOptions, BuildResult
from ssg.build.prune import Pruned, prune_outputs
from ssg.config.themes import theme_dir
from ssg.errors import SsgError
from ssg.graph.fingerprint import digest
from ssg.graph.state import JOURNAL, BuildState, Learnt, OutputRecord
from ssg.model import Output, Site
from ssg.runtime import crashpoint
from ssg.runtime.parallel import default_workers

if TYPE_CHECKING:
    from ssg.build.render import Rendered
    from ssg.build.templatecache import CompiledTemplates
    from ssg.config.site import SiteConfig
    from ssg.graph.deps import Evaluator
    from ssg.plugins.manager import Plugins

log = logging.getLogger("ssg.build.pipeline")

# An output's new record, with the dependency keys its render read (key text -> fingerprint).
NewRecords = dict[str, tuple[OutputRecord, dict[str, str]]]


class Decline(Exception):
    """A site source cannot serve this build (the message says why); the next one is tried."""


@dataclass
class Prepared:
    """What a site source hands the stages."""

    site: Site
    planned: Collection[str]                  # every output path of the site (what --explain may ask about)
    env: Any = None
    outputs: list[Output] = field(default_factory=list)
    contexts: list[dict[str, Any] | None] = field(default_factory=list)
    plans: list[str] = field(default_factory=list)
    records: dict[str, OutputRecord] = field(default_factory=dict)   # the last build's, by output path
    evaluate: Evaluator | None = None
    verify: Callable[[list[Rendered]], None] | None = None   # a partial site's check of its renders' reads
    prunes: bool = False                      # outputs the last build made may be gone (a full load)
    folders: dict[str, int] = field(default_factory=dict)    # the last build's output folder mtimes the prune trusts
    warnings: list[str] | None = None         # the build's warnings, when the site does not hold them all


class SiteSource(Protocol):
    """Where a build's site comes from (see the module's docstring)."""

    name: str

    def prepare(self, build: Build) -> Prepared:
        """The site and its planned outputs; raise Decline when this source cannot serve the build."""

    def dirty(self, build: Build, prepared: Prepared) -> Decision:
        """The outputs to render (indexes into ``prepared.outputs``), each with its reason."""

    def learnt(self, build: Build, prepared: Prepared, new: NewRecords, pruned: Pruned | None) -> Learnt | None:
        """What to commit, from the outputs rendered (``new``) and pruned; None: nothing."""

    def committed(self, build: Build, prepared: Prepared, token: str) -> None:
        """Told the state's new token after a commit (a kept model follows it)."""


class Build:
    """One build: the site's configuration and plugins, the options, the state
    under its lock, the result being made; and the tools the stages share."""

    def __init__(self, root: Path, config: SiteConfig, plugins: Plugins, options: BuildOptions,
                 state: BuildState, output_root: Path, started: float):
        self.root, self.config, self.plugins, self.options = root, config, plugins, options
        self.state, self.output_root, self.started = state, output_root, started
        self.workers = options.workers or default_workers()
        self.theme = theme_dir(root, config.theme, config.path)
        self.result = BuildResult(output_root=output_root)
        self.failed: set[str] = set()     # outputs that failed: their old file stays, rebuilt next time
        # Told the outputs written, once they all are and nothing failed, before prune and commit (ssg serve
        # reloads the pages showing them: the files are final, the rest of the build changes none of them).
        self.announce: Callable[[list[str]], None] | None = None
        self._clock = started
        self._settings: str | None = None

    def lap(self, stage: str) -> None:
        """Seconds spent since the last lap, reported in --json as ``timings`` (added up
        when a stage comes round again)."""
        now = time.perf_counter()
        timings = self.result.timings
        timings[stage] = round(timings.get(stage, 0) + now - self._clock, 3)
        self._clock = now
        crashpoint.reached("stage", stage)

    @cached_property
    def compiled_templates(self) -> CompiledTemplates:
        """Where the templates this build compiles are kept for the next (ssg/build/templatecache.py)."""
        from ssg.build.templatecache import FOLDER, CompiledTemplates

        return CompiledTemplates(self.state.folder / FOLDER, self.settings_fingerprint())

    def settings_fingerprint(self) -> str:
        """What makes every output dirty when it changes: ssg.toml, the build
        options, and the code (every module of ssg, Python, every loaded plugin)."""
        if self._settings is None:
            self._settings = self._settings_fingerprint()
        return self._settings

    def _settings_fingerprint(self) -> str:
        plugins = [_file_digest(Path(path)) for path in sorted(self.plugins.code_files())]
        config = self.config.path.read_bytes() if self.config.path else b""
        options = (self.options.drafts, self.options.future, self.options.expired, self.options.base_url,
                   str(self.theme))
        return digest("\n".join([self.code_fingerprint, *plugins]) + repr(options) + digest(config))

    @cached_property
    def code_fingerprint(self) -> str:
        """Python, every module of ssg (by its bytes: a fresh checkout or
        install gives every file a new stat; 1 ms), and every distribution
        installed where ssg's libraries are (an upgraded Pygments highlights
        differently, a new cmark-gfm may make other HTML)."""
        return digest("\n".join([sys.version, __version__, *installed_distributions(),
                                  *map(_file_digest, ssg_modules())]))

    def parser_fingerprint(self) -> str:
        """What a cached parse depends on besides the file's bytes: the code
        and the libraries that parse (``code_fingerprint``), the cache's format
        and the [markdown] options."""
        from ssg.sources.pagecache import FORMAT

        return digest(repr((self.code_fingerprint, FORMAT, sorted(self.config.markdown.items()))))

    @cached_property
    def parse_options(self) -> dict[str, Any]:
        """What a content file is parsed with: the [markdown] options and the
        site's shortcode templates (``ShortcodeLibrary``)."""
        from ssg.sources.shortcode_library import ShortcodeLibrary
        from ssg.sources.shortcodes import LIBRARY

        config = self.config
        library = ShortcodeLibrary((str(self.root / "templates"), str(self.theme / "templates")),
                                   str(self.root / "content"),
                                   {"title": config.title, "base_url": config.base_url, "language": config.language,
                                    "description": config.description, "author": config.author,
                                    "params": dict(config.params)})
        return {**config.markdown, LIBRARY: library}

    def folder_stamps(self, paths: set[str], seen: dict[str, int] | None = None) -> dict[str, int]:
        """mtime of every folder holding one of the output ``paths`` (a file
        added or removed by hand changes its folder's mtime); ``seen``: those
        just read, with nothing written since."""
        folders = {""}
        for rel in paths:
            while "/" in rel:
                rel = rel.rpartition("/")[0]
                if rel in folders:
                    break
                folders.add(rel)
        seen = seen or {}
        stamps = {}
        for rel in folders:
            if rel in seen:
                stamps[rel] = seen[rel]
                continue
            try:
                stamps[rel] = os.stat(os.path.join(self.output_root, rel)).st_mtime_ns
            except OSError:
                continue
        return stamps


def ssg_modules() -> list[Path]:
    """Every module of ssg, in every subpackage, and its built-in shortcode
    templates: their code is an input of every output."""
    package = Path(__file__).parents[1]     # the ssg package (this is ssg/build/pipeline.py)
    return sorted([*package.rglob("*.py"), *package.rglob("shortcode_templates/**/*.html")])


def _file_digest(path: Path) -> str:
    return f"{path} {hashlib.sha256(path.read_bytes()).hexdigest()}"


def installed_distributions() -> list[str]:
    """The name and version of every distribution in the site-packages
    folders on ``sys.path`` (their metadata folders' names: one listing a
    folder, under a millisecond)."""
    names: list[str] = []
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            try:
                with os.scandir(entry) as entries:
                    names += (item.name for item in entries if item.name.endswith((".dist-info", ".egg-info")))
            except OSError:
                continue
    return sorted(names)


def run(build: Build, sources: Iterable[SiteSource]) -> BuildResult | None:
    """The stages over the first of ``sources`` that serves the build; None
    when every one declined (nothing written, nothing committed)."""
    for source in sources:
        try:
            prepared = source.prepare(build)
            decision = source.dirty(build, prepared)
            build.result.reasons = decision.reasons
            _explain(build, decision, prepared.planned)
            rendered = _render(build, prepared, decision.dirty, write=prepared.verify is None)
            if prepared.verify is not None:
                prepared.verify(rendered)
        except Decline as why:
            log.debug("%s declined: %s", source.name, why)
            build.lap(f"{source.name} declined")
            continue
        build.result.source = source.name
        _write(build, prepared, rendered)
        new = _collect(build, prepared, rendered)
        if rendered:
            build.lap("render")
        if build.announce is not None and build.result.written and not prepared.site.errors:
            build.announce(sorted(build.result.written))
        pruned = _prune(build, prepared) if prepared.prunes else None
        learnt = source.learnt(build, prepared, new, pruned)
        if learnt is not None:
            crashpoint.reached("stage", "before commit")
            build.options.progress.stage("commit")
            token = build.state.commit(learnt)
            source.committed(build, prepared, token)
            build.lap("commit")
        return _finish(build, prepared, decision)
    return None


# -- the stages' details -------------------------------------------------------

def _explain(build: Build, decision: Decision, planned: Collection[str]) -> None:
    for asked in build.options.explain:
        path = asked_output(asked, planned)
        if path is None:
            build.result.explained[asked] = "not an output of this build"
        else:
            build.result.explained[asked] = (f"rebuilt: {decision.reasons[path]}" if path in decision.reasons
                                             else "not rebuilt: nothing it depends on changed")


def asked_output(asked: str, paths: Collection[str]) -> str | None:
    """The output path an --explain argument names: 'posts/a/' is posts/a/index.html."""
    rel = asked.strip("/")
    return next((c for c in (rel, f"{rel}/index.html" if rel else "index.html") if c in paths), None)


def _render(build: Build, prepared: Prepared, dirty: list[int], *, write: bool) -> list[Rendered]:
    """Render the ``dirty`` outputs in worker processes, under the page limits
    of the options (or of ssg.toml), journaling new files (or, without
    ``write``, handing back the bytes)."""
    if not dirty:
        return []
    from ssg.build.render import RenderJob, render_all

    options, limits = build.options, build.config.build
    memory = options.page_memory if options.page_memory is not None else limits["page_memory"]
    return render_all(RenderJob(prepared.outputs, prepared.contexts, dirty, prepared.env, prepared.site,
                                prepared.records, build.state.folder / JOURNAL, options.page_seconds(build.config),
                                memory, prepared.evaluate, write=write, progress=options.progress), build.workers)


def _write(build: Build, prepared: Prepared, rendered: list[Rendered]) -> None:
    """Write the renders that were verified before writing (a render in a
    worker writes its own), each file noted in the journal first."""
    pending = [item for item in rendered if item.written is None and item.error is None]
    if not pending:
        return
    from ssg.build.render import journaled_writer
    from ssg.graph.journal import begin_journal

    begin_journal(build.state.folder / JOURNAL, str(build.output_root))
    writer, journal = journaled_writer(build.output_root, build.state.folder / JOURNAL)
    try:
        for item in pending:
            path = prepared.outputs[item.index].path
            record = prepared.records.get(path)
            try:
                item.written = writer.write(path, item.data, (record.sha, record.size, record.mtime_ns)
                                            if record is not None else None)
            except SsgError as error:
                item.error = error
    finally:
        os.close(journal)


def _collect(build: Build, prepared: Prepared, rendered: list[Rendered]) -> NewRecords:
    """Outcomes of the render into state records (dependency keys still as keys, with fingerprints)."""
    result, outputs, new = build.result, prepared.outputs, {}
    for item in rendered:
        output = outputs[item.index]
        if item.error is not None:
            prepared.site.errors.append(item.error)
            build.failed.add(output.path)
            continue
        written = item.written
        assert written is not None
        new[output.path] = (OutputRecord(prepared.plans[item.index], written.sha, written.size, written.mtime_ns),
                            item.keys)
        (result.written if written.changed else result.unchanged).append(output.path)
        if output.templates:
            result.rendered += 1
    for path in build.failed:      # the old file stays; the output is rebuilt next time
        old = prepared.records.get(path)
        if old is not None:
            new[path] = (OutputRecord("", old.sha, old.size, old.mtime_ns), {})
    return new


def _prune(build: Build, prepared: Prepared) -> Pruned:
    build.options.progress.stage("prune")
    pruned = prune_outputs(build.output_root, prepared.records, set(prepared.planned), build.failed,
                           build.state.meta_json("strays", list), prepared.folders, prepared.site.warn)
    build.result.deleted.extend(pruned.deleted)
    build.lap("prune")
    return pruned


def _finish(build: Build, prepared: Prepared, decision: Decision) -> BuildResult:
    result, site = build.result, prepared.site
    result.written.sort()
    result.unchanged = sorted(result.unchanged + [path for path in prepared.planned if path not in decision.reasons])
    result.errors = list(site.errors)
    result.warnings = list(site.warnings) if prepared.warnings is None else list(prepared.warnings)
    result.seconds = time.perf_counter() - build.started
    build.plugins.hook.ssg_build_finished(site=site, result=result)
    return result


def assign_key_ids(new: NewRecords, dep_rows: dict[int, tuple[str, str]], evaluate: Evaluator,
                   ids: dict[str, int] | None = None) -> tuple[dict[int, tuple[str, str]], dict[str, OutputRecord]]:
    """Give every key the rendered outputs read an id (new keys the next free
    ones) and its fingerprint. Updates ``dep_rows`` (and ``ids``, key text ->
    id, when the caller keeps one); returns the rows that changed and the
    output records with their ``deps`` set. Each output's keys are let go as
    its ids are set: at 100,000 pages they are 30 MB the commit need not hold."""
    from ssg.graph.deps import text_key

    if ids is None:
        ids = {key: dep_id for dep_id, (key, _fp) in dep_rows.items()}
    next_id = max(dep_rows, default=0) + 1
    changed_deps: dict[int, tuple[str, str]] = {}
    evaluated: dict[str, str] = {}        # keys no render fingerprinted, each evaluated once
    outputs: dict[str, OutputRecord] = {}
    for path, (record, keys) in new.items():
        read = []
        for text, fp in keys.items():
            if not fp:
                fp = evaluated.get(text)
                if fp is None:
                    fp = evaluated[text] = evaluate(text_key(text))
            dep_id = ids.get(text)
            if dep_id is None:
                dep_id = ids[text] = next_id
                next_id += 1
            old = dep_rows.get(dep_id)
            if old is None or old[1] != fp:
                changed_deps[dep_id] = dep_rows[dep_id] = (text, fp)
            read.append(dep_id)
        keys.clear()
        read.sort()
        record.deps = tuple(read)
        outputs[path] = record
    return changed_deps, outputs
