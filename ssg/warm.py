"""Warm rebuilds: what a long-running process (``ssg serve``) keeps between
builds, so that an edit of one page's text costs milliseconds, not a reload
of the whole site model.

After each full build (ssg/build.py) the process keeps the model that build
made: the site with its pages, the Jinja environment, the planned outputs
with their contexts and plans, and what the build committed to the state.
When the next changes are all edits of page text, ``rebuild`` updates that
model in place and renders only the outputs that read what changed.

A warm rebuild applies when all of these hold; otherwise the build is a full
incremental build, which keeps a new model:

- the last build of this process was a full build without errors, with the
  same options, and the build state is still the one it committed (no other
  process built the site since: the state's ``token`` says so);
- every changed file is the markdown file of a published page of that model;
- each such page, parsed again, placed and passed through ``ssg_page_parsed``
  (whose contract is to depend on the page and the configuration only),
  differs from its last version only in fields ssg reads when rendering alone
  (``RENDER_ONLY_FIELDS``: its text and params), and only in those no
  plugin's site-level hook reads (``page_fields_read``, see docs/plugins.md):
  the site hooks, the output plan and every other page are then the same as
  a full build would make them;
- neither the page's old nor its new version gave a warning, and no future
  page's time has come.

The page objects stay the same objects; the fields that changed are replaced
and their links resolved again. The dependency keys of the changed pages are
evaluated (the other pages did not change, so neither did their keys), the
outputs that read a changed key are rendered, and the state is committed as
a full build would leave it: a ``ssg build`` that follows writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssg.errors import SsgError
from ssg.fingerprint import KnownText
from ssg.links import resolve_page_links
from ssg.model import RENDER_ONLY_FIELDS, TEXT_FIELDS, Output, Page, Site
from ssg.state import BuildState, OutputRecord, SourceRecord

if TYPE_CHECKING:
    from ssg.build import BuildOptions, BuildResult
    from ssg.inputs import Inputs
    from ssg.pagecache import ParseJob
    from ssg.pluginmanager import Plugins
    from ssg.templates import SiteEnvironment


@dataclass
class Model:
    """The model of the last full build, and the state it committed."""

    root: Path
    output_root: Path
    options: BuildOptions
    config: Any
    plugins: Plugins
    site: Site
    env: SiteEnvironment
    parser: str                             # the parser fingerprint (a page's KnownText digest starts from it)
    jobs: dict[str, ParseJob]               # source -> how its file is parsed
    shas: dict[str, str]                    # source -> sha256 of the file as parsed
    parsed: dict[str, dict[str, Any]]       # source -> the page's fields after ssg_page_parsed, before links
    known: dict[str, KnownText]             # source -> the page's text as links made it, with its digest
    outputs: list[Output]
    contexts: list[dict[str, Any] | None]
    plans: list[str]
    records: dict[str, OutputRecord]        # as committed, for every planned output
    deps: dict[int, tuple[str, str]]        # as committed: id -> (key text, fingerprint)
    inputs: Inputs
    folders: dict[str, int]                 # output folder mtimes, as committed
    token: str                              # the state's token as committed
    free: frozenset[str]                    # render-only fields no site-level hook reads
    pages: dict[str, Page] = field(default_factory=dict)   # source -> the live page (the evaluator's lookup)
    _index: _Index | None = field(default=None, repr=False)

    @property
    def index(self) -> _Index:
        """Who read what, made on first use (a warm rebuild looks up, not scans)."""
        if self._index is None:
            self._index = _Index(self)
        return self._index


class _Index:
    """Lookups over a model's keys and outputs, kept up to date by warm commits."""

    def __init__(self, model: Model):
        self.ids = {text: dep_id for dep_id, (text, _fp) in model.deps.items()}   # key text -> id
        self.of_page: dict[str, list[int]] = {}       # source -> ids of its page and field keys
        for text, dep_id in self.ids.items():
            self._note(text, dep_id)
        self.position = {output.path: at for at, output in enumerate(model.outputs)}
        self.readers: dict[int, set[int]] = {}        # key id -> indexes of the outputs that read it
        for output in model.outputs:
            self.read(output.path, (), model.records[output.path].deps)

    def _note(self, text: str, dep_id: int) -> None:
        if text.startswith(("page\x1f", "field\x1f")):
            self.of_page.setdefault(text.split("\x1f", 2)[1], []).append(dep_id)

    def added(self, text: str, dep_id: int) -> None:
        self.ids[text] = dep_id
        self._note(text, dep_id)

    def read(self, path: str, before: tuple[int, ...], after: tuple[int, ...]) -> None:
        """The output at ``path`` read ``after`` where it had read ``before``."""
        at = self.position[path]
        for dep_id in before:
            self.readers[dep_id].discard(at)
        for dep_id in after:
            self.readers.setdefault(dep_id, set()).add(at)


@dataclass
class Warm:
    """Held by a long-running process across builds; ``model`` is None until a
    full build made one, and after any build that could not keep it."""

    model: Model | None = None
    load: bool = True    # a build where nothing changed loads the model too (False: it may skip, as ssg build does)

    def prepare(self) -> None:
        """Make the model's lookups and compile its templates now, while the
        process waits for changes, not in each warm rebuild: a full build
        compiled them in its render workers only, and a render worker's
        compiled templates die with it (15 ms a render at 10,000 pages; the
        lookups take 0.2 s once). One page is parsed, for the same reason."""
        model = self.model
        if model is None:
            return
        model.index  # noqa: B018 (made on first use)
        model.inputs.listed("")
        if model.parsed:       # the first parse in this process imports the parser's parts (0.1 s)
            from ssg.pagecache import parse_file

            parse_file((model.jobs[next(iter(model.parsed))], dict(model.config.markdown), None), seconds=0)
        for name in model.env.list_templates(filter_func=lambda name: name.endswith((".html", ".xml", ".txt"))):
            try:
                model.env.get_template(name)
            except Exception:  # noqa: BLE001,S112 (a broken template fails the render that uses it, which says so)
                continue

    def changed_outputs(self, paths: frozenset[str] | None) -> frozenset[str]:
        """Of the files ``paths`` in the output folder (absolute; None: any),
        those of the model's outputs that are not as its last build left them:
        edited or deleted by hand. Without a model, none: the next build is a
        full build, which looks at every output file."""
        model = self.model
        if model is None or paths is not None and not paths:
            return frozenset()
        return frozenset(f"{model.output_root}/{rel}" for rel in hand_edits(model, paths))


def _output_rel(model: Model, path: str) -> str | None:
    """``path`` relative to the output folder ('' for the folder itself), or
    None when it is not in it."""
    root = str(model.output_root)
    if path == root:
        return ""
    return path[len(root) + 1:] if path.startswith(root) and path[len(root):len(root) + 1] == "/" else None


def hand_edits(model: Model, paths: Collection[str] | None) -> dict[str, str]:
    """Output path -> why it must be built again, for the model's outputs at or
    under the files and folders ``paths`` (absolute; None: all of them) whose
    file is not as the last build left it."""
    from ssg.planner import hand_edit

    rels: set[str] = set()
    folders: set[str] = set()      # folders of outputs, moved or deleted as one
    for path in () if paths is None else paths:
        rel = _output_rel(model, path)
        if rel in model.records:
            rels.add(rel)
        elif rel == "" or rel in model.folders:
            folders.add(rel)
    if paths is None or "" in folders:
        rels = set(model.records)
    elif folders:
        rels.update(rel for rel in model.records if _under(rel, folders))
    return {rel: reason for rel in rels if (reason := hand_edit(f"{model.output_root}/{rel}", model.records[rel]))}


def _under(rel: str, folders: set[str]) -> bool:
    """Whether the output ``rel`` lies in one of ``folders`` (at any depth)."""
    while "/" in rel:
        rel = rel.rpartition("/")[0]
        if rel in folders:
            return True
    return False


def rebuild(model: Model, paths: frozenset[str], options: BuildOptions, state: BuildState,
            started: float) -> BuildResult | None:
    """Rebuild the edits of ``paths`` (inputs, and files in the output folder)
    on ``model``, or None when a warm rebuild does not apply (the model is then
    untouched, and a full build must run)."""
    if options != model.options or state.meta("token") != model.token or state.journal_path.exists():
        return None
    now = datetime.now(UTC)
    next_change = state.meta_time("next_change")
    if next_change is not None and now >= next_change:
        return None
    outputs = {path for path in paths if _output_rel(model, path) is not None}
    edits = _edits(model, paths - outputs)
    if edits is None:
        return None
    return _Rebuild(model, options, state, started).run(edits, hand_edits(model, outputs))


@dataclass
class _Edit:
    source: str
    stamp: tuple[int, ...]
    sha: str
    blob: bytes | None = None           # the parsed page as stored; None: the file's bytes did not change
    page: Page | None = None            # the new version: placed, hooks run, links resolved
    parsed: dict[str, Any] = field(default_factory=dict)   # its fields before links (the next edit compares)
    known: KnownText | None = None      # its text after links, with the digest of what made it


def _edits(model: Model, paths: frozenset[str]) -> list[_Edit] | None:
    """The changed files as pages parsed again, placed, passed through
    ``ssg_page_parsed`` and their links resolved, without touching the model;
    None when any of them is not a text edit of a page."""
    from ssg.pagecache import decode, parse_file, parsed_text

    content = f"{model.root}/content/"
    seconds = model.options.page_seconds(model.config)
    edits = []
    for path in sorted(paths):
        source = "content/" + path[len(content):] if path.startswith(content) else None
        job = model.jobs.get(source) if source is not None else None
        if job is None or source not in model.parsed or any(source in w for w in model.site.warnings):
            return None
        stamp, sha, blob = parse_file((job, dict(model.config.markdown), model.shas[source]), seconds=seconds)
        if stamp is None or isinstance(blob, SsgError):
            return None      # gone, unreadable or broken: a full build says so
        edit = _Edit(source, stamp, sha, blob)
        if blob is not None:
            page = edit.page = decode(blob)
            parsed = parsed_text(page, job, sha, model.parser)
            if not _placed_like_before(model, page, job):
                return None
            edit.parsed = dict(vars(page))
            quiet, edit.known = _quietly(model.site, resolve_page_links, model.site, page, parsed, seconds)
            if not quiet:
                return None      # a link that matches no page: a full build reports it
        edits.append(edit)
    return edits


def _quietly(site: Site, action: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """``action(*args)``, and whether it ran without a warning or an SsgError
    (its warnings are taken back: a full build will give them)."""
    warnings = len(site.warnings)
    try:
        value = action(*args)
    except SsgError:
        return False, None
    finally:
        quiet = len(site.warnings) == warnings
        del site.warnings[warnings:]
    return quiet, value


def _placed_like_before(model: Model, page: Page, job: ParseJob) -> bool:
    """Place the new page and run ``ssg_page_parsed`` on it; True when it then
    differs from its last version only in render-only fields no site hook
    reads, and gave no warning."""
    from ssg.loader import place

    site, before = model.site, model.parsed[job.source]

    def run() -> None:
        if not place(site, page, job):
            raise SsgError("not published")
        page.bundle_files = before["bundle_files"]
        model.plugins.hook.ssg_page_parsed(page=page, site=site)

    return _quietly(site, run)[0] and differs_only_in(before, vars(page), model.free)


def differs_only_in(before: dict[str, Any], after: dict[str, Any], free: frozenset[str]) -> bool:
    """Whether a page's fields ``after`` differ from ``before`` only in the
    ``free`` ones (render-only fields no site-level hook reads)."""
    return after.keys() == before.keys() and all(
        after[name] is value or after[name] == value for name, value in before.items() if name not in free)


def free_fields(plugins: Plugins, config: Any) -> frozenset[str]:
    """The render-only fields no plugin's site-level hook reads: an edit of
    them alone leaves the site hooks' work as it was."""
    return frozenset(RENDER_ONLY_FIELDS) - plugins.page_fields_read(config)


class _Rebuild:
    """One warm rebuild: the stages of ``Build.run`` that an edit of
    render-only fields needs, on the kept model."""

    def __init__(self, model: Model, options: BuildOptions, state: BuildState, started: float):
        from ssg.build import Build

        self.model, self.state = model, state
        self.build = Build(model.root, model.config, model.plugins, options, state, model.output_root, started)

    def run(self, edits: list[_Edit], by_hand: dict[str, str]) -> BuildResult | None:
        from ssg.deps import Evaluator
        from ssg.inputs import FileDigests
        from ssg.planner import Decision, dirty_reason

        model, site, build = self.model, self.model.site, self.build
        if not all(model.inputs.listed(edit.source) for edit in edits):
            return None
        # Only now is the model changed: the live pages take the new text (every list holding them still does).
        for edit in edits:
            model.inputs.update(edit.source, edit.stamp)
            if edit.page is None:
                continue
            page = model.pages[edit.source]
            for name in {*TEXT_FIELDS, *model.free}:   # the text always: its KnownText holds those very objects
                value = getattr(edit.page, name)
                if name in TEXT_FIELDS or value is not getattr(page, name) and value != getattr(page, name):
                    setattr(page, name, value)
            if edit.known is not None:
                model.known[edit.source] = edit.known
            else:
                model.known.pop(edit.source, None)
            model.parsed[edit.source] = edit.parsed
            model.shas[edit.source] = edit.sha
        build._lap("load")

        # Which recorded keys of the edited pages fingerprint differently now, and who read them.
        index = model.index
        ids = [dep_id for edit in edits if edit.page is not None for dep_id in index.of_page.get(edit.source, ())]
        previous = dict(model.deps[dep_id] for dep_id in ids)
        evaluate = Evaluator(site, model.env, FileDigests({}), previous, model.known, pages=model.pages)
        changed = {dep_id for dep_id in ids if evaluate.changed(*model.deps[dep_id])}
        decision = Decision()
        decision.dirty = sorted(set().union(*(index.readers.get(dep_id, ()) for dep_id in changed),
                                            (index.position[path] for path in by_hand)))
        for at in decision.dirty:
            path = model.outputs[at].path
            decision.reasons[path] = by_hand.get(path) or dirty_reason(model.records[path].deps, model.deps, changed,
                                                                       evaluate)
        build.result.reasons = decision.reasons
        build._lap("dirty check")
        build._explain(decision, set(model.records))

        rendered = build._render(model.outputs, model.contexts, decision.dirty, model.env, site, model.records,
                                 evaluate)
        new = build._collect(rendered, model.outputs, model.plans, model.records, site)
        build._lap("render")
        self._commit(edits, new, evaluate, site)
        build._lap("commit")
        result = build.result
        result.warm = True
        result.written.sort()
        rendered_paths = set(decision.reasons)
        result.unchanged = sorted(result.unchanged + [p for p in model.records if p not in rendered_paths])
        result.errors, result.warnings = list(site.errors), list(site.warnings)
        result.seconds = time.perf_counter() - build.started
        model.plugins.hook.ssg_build_finished(site=site, result=result)
        return result

    def _commit(self, edits: list[_Edit], new: dict[str, tuple[OutputRecord, dict]], evaluate: Any,
                site: Site) -> None:
        from ssg.build import assign_key_ids

        model, index = self.model, self.model.index
        before = max(model.deps, default=0)
        changed_deps, records = assign_key_ids(new, model.deps, evaluate, index.ids)
        for dep_id, (text, _fp) in changed_deps.items():
            if dep_id > before:
                index.added(text, dep_id)
        for path, record in records.items():
            index.read(path, model.records[path].deps, record.deps)
        model.records.update(records)
        folders = self.build._folder_stamps(set(self.build.result.written))   # a write changes its folder's mtime
        model.folders.update(folders)
        meta = {"inputs": model.inputs.fingerprint(), "listing": model.inputs.text(), "failed": "1" if site.errors else "0"}
        sources = {edit.source: SourceRecord(edit.stamp, edit.sha, edit.blob if edit.blob is not None
                                             else self.state.parsed_page(edit.source)) for edit in edits}
        model.token = self.state.commit(meta=meta, sources=sources, dropped_sources=set(), outputs=records,
                                        dropped_outputs=set(), deps=changed_deps, dropped_deps=set(), folders=folders,
                                        all_folders=False)
