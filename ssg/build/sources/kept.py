"""Warm rebuilds: what a long-running process (``ssg serve``) keeps between
builds, so that an edit of one page's text costs milliseconds, not a reload
of the whole site model.

After each full load (ssg/build/sources/full.py) the process keeps the model that build
made: the site with its pages, the Jinja environment, the planned outputs
with their contexts and plans, and what the build committed to the state.
When the next changes are all edits of page text, the ``KeptModel`` source updates that
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

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssg.build.dirty import Decision, dirty_reason
from ssg.build.options import BuildOptions
from ssg.build.pipeline import Build, Decline, NewRecords, Prepared, assign_key_ids
from ssg.build.prune import Pruned
from ssg.build.sources.edits import Edit, check_alone, linked, plans_again, quietly, settle
from ssg.errors import SsgError
from ssg.graph.fingerprint import KnownText
from ssg.graph.state import Learnt, OutputRecord, SourceRecord
from ssg.model import IDENTITY_FIELDS, TEXT_FIELDS, Output, Page, Site

if TYPE_CHECKING:
    from ssg.build.templates import SiteEnvironment
    from ssg.graph.reads import Key
    from ssg.plugins.manager import Plugins
    from ssg.sources.inputs import Inputs
    from ssg.sources.pagecache import ParseJob


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
    parse_options: dict[str, Any]           # what files are parsed with (Build.parse_options)
    included: frozenset[str]                # content files pages include: an edit of one is a full load
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
        from ssg.graph.deps import text_key

        self.ids = {text: dep_id for dep_id, (text, _fp) in model.deps.items()}   # key text -> id
        self.fps = {text: fp for text, fp in model.deps.values()}    # key text -> fingerprint, as committed
        # the field keys as ``Evaluator.stored`` makes them, as committed (split once, not in every warm render)
        self.fields = {text_key(text): (text, fp) for text, fp in self.fps.items() if text.startswith("field\x1f")}
        self.of_page: dict[str, list[int]] = {}       # source -> ids of its page and field keys
        for text, dep_id in self.ids.items():
            self._note(text, dep_id)
        self.position = {output.path: at for at, output in enumerate(model.outputs)}
        self.of_source: dict[str, list[int]] = {}    # page source -> indexes of the templated outputs of that page
        for at, output in enumerate(model.outputs):
            if output.page is not None and output.templates:
                self.of_source.setdefault(output.page.source, []).append(at)
        self.readers: dict[int, set[int]] = {}        # key id -> indexes of the outputs that read it
        for output in model.outputs:
            self.read(output.path, (), model.records[output.path].deps)

    def _note(self, text: str, dep_id: int) -> None:
        if text.startswith(("page\x1f", "field\x1f")):
            self.of_page.setdefault(text.split("\x1f", 2)[1], []).append(dep_id)

    def committed(self, text: str, fp: str) -> None:
        from ssg.graph.deps import text_key

        self.fps[text] = fp
        if text.startswith("field\x1f"):
            self.fields[text_key(text)] = (text, fp)

    def entries(self, deps: dict[int, tuple[str, str]], edited: Collection[str]) -> dict[Key, tuple[str, str]]:
        """The field keys of the pages not ``edited``, for ``Evaluator.stored``."""
        from ssg.graph.deps import text_key

        entries = dict(self.fields)
        for source in edited:
            for dep_id in self.of_page.get(source, ()):
                entries.pop(text_key(deps[dep_id][0]), None)
        return entries

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
    announce: Callable[[list[str]], None] | None = None    # told the outputs a build wrote, before it ends (Build)

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
            from ssg.sources.pagecache import parse_file

            parse_file((model.jobs[next(iter(model.parsed))], model.parse_options, None), seconds=0)
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
    from ssg.build.dirty import hand_edit

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


class KeptModel:
    """The site source of a warm rebuild: the model ``ssg serve`` kept, with the
    ``paths`` edited since (inputs, and files in the output folder) applied in place."""

    name = "kept model"

    def __init__(self, model: Model, paths: frozenset[str]):
        self.model, self.paths = model, paths

    def prepare(self, build: Build) -> Prepared:
        from ssg.graph.deps import Evaluator
        from ssg.sources.inputs import FileDigests

        model, state, options = self.model, build.state, build.options
        if options != model.options or state.meta("token") != model.token or state.journal_path.exists():
            raise Decline("the options changed, another process built the site, or a build was interrupted")
        next_change = state.meta_time("next_change")
        if next_change is not None and datetime.now(UTC) >= next_change:
            raise Decline("a page's time has come")
        outputs = {path for path in self.paths if _output_rel(model, path) is not None}
        self.edits = edits = _edits(model, self.paths - outputs)
        self.by_hand = hand_edits(model, outputs)
        if not all(model.inputs.listed(edit.source) for edit in edits):
            raise Decline("a file was added or removed")
        self.replan = replan = any(edit.replan for edit in edits)
        if replan and model.site.warnings:
            raise Decline("the site has warnings: a full load says them again")
        # Only now is the model changed: the live pages take the new fields (every list holding them still
        # does, in the same order, unless the site is planned again), and the outputs of a page whose title
        # changed are planned again.
        self.replanned: list[int] = []
        for edit in edits:
            model.inputs.update(edit.source, edit.stamp)
            if edit.page is None:
                continue
            page = model.pages[edit.source]
            retitled = edit.page.title != page.title
            # the text always: its KnownText holds those very objects
            names = {*TEXT_FIELDS, *model.free} if not replan else set(vars(edit.page)) - set(IDENTITY_FIELDS)
            for name in names:
                value = getattr(edit.page, name)
                if name in TEXT_FIELDS or value is not getattr(page, name) and value != getattr(page, name):
                    setattr(page, name, value)
            if retitled and not replan:
                self.replanned += self._replan(build, model.index.of_source.get(edit.source, ()))
            if edit.known is not None:
                model.known[edit.source] = edit.known
            else:
                model.known.pop(edit.source, None)
            model.parsed[edit.source] = edit.parsed
            model.shas[edit.source] = edit.sha
        build.lap("load")
        # The keys of the edited pages: the other pages did not change, so neither did theirs.
        self.ids = [dep_id for edit in edits if edit.page is not None
                    for dep_id in model.index.of_page.get(edit.source, ())]
        # What every key fingerprinted as when committed (the edited pages' as before the edit): a list that
        # read ten thousand other pages takes their fingerprints from there, not from the pages again.
        edited = {edit.source for edit in edits if edit.page is not None}
        if replan:
            return self._plan_again(build, edited)
        evaluate = Evaluator(model.site, model.env, FileDigests({}), model.index.fps, model.known,
                             pages=model.pages, changed_pages=edited, entries=model.index.entries(model.deps, edited))
        return Prepared(model.site, planned=model.records.keys(), env=model.env, outputs=model.outputs,
                        contexts=model.contexts, plans=model.plans, records=model.records, evaluate=evaluate)

    def _plan_again(self, build: Build, edited: set[str]) -> Prepared:
        """The site assembled anew from the pages the model keeps (edited in
        place), its site hooks run and every output planned, as a full load
        would, without loading a page: after an edit of a field the plan reads
        (a tag, a date that moves the page). The outputs to render are those
        whose plan changed, the new ones, and those that read a key that
        changed; those no longer planned are pruned."""
        from ssg.build.plan import plan_site
        from ssg.build.replan import changed_keys, compare_plans
        from ssg.build.templates import make_environment
        from ssg.graph.deps import Evaluator
        from ssg.sources.inputs import FileDigests
        from ssg.sources.sections import build_sections, new_section, sort_key

        model, old, plugins = self.model, self.model.site, self.model.plugins
        site = Site(root=old.root, config=old.config, output_root=old.output_root,
                    include_drafts=old.include_drafts, include_future=old.include_future,
                    include_expired=old.include_expired, build_time=old.build_time, offline=old.offline)
        site.pages, site.unlisted = sorted(old.pages, key=sort_key), old.unlisted
        for name, section in old.sections.items():
            site.sections[name] = new_section(site, name)
            site.sections[name].index = section.index
        build_sections(site, ())
        site.home, site.data, site.static_files = old.home, old.data, old.static_files
        site.skipped, site.next_change = old.skipped, old.next_change

        def hooks() -> Any:
            plugins.hook.ssg_site_loaded(site=site)
            env = make_environment(site, build.theme, build.compiled_templates)
            plugins.hook.ssg_jinja_environment(env=env, site=site)
            failed: set[str] = set()
            outputs, contexts = plan_site(plugins, site, failed)
            if failed:
                raise Decline("an output collides or its context fails: a full load says so")
            return env, outputs, contexts

        env, outputs, contexts = quietly(site, hooks)
        evaluate = Evaluator(site, env, FileDigests({}), model.index.fps, model.known, pages=model.pages,
                             changed_pages=edited, entries=model.index.entries(model.deps, edited))
        edited_ids = [dep_id for source in edited for dep_id in model.index.of_page.get(source, ())]
        changed = changed_keys(model.deps, edited_ids, evaluate)
        plans, self.decision = compare_plans(outputs, contexts, model.records, model.deps, changed, evaluate,
                                             self.by_hand)
        build.lap("plan")
        self.planned = (site, env, outputs, contexts, plans)
        return Prepared(site, planned=[output.path for output in outputs], env=env, outputs=outputs,
                        contexts=contexts, plans=plans,
                        records=model.records, evaluate=evaluate, prunes=True, folders=model.folders)

    def _replan(self, build: Build, indexes: Collection[int]) -> list[int]:
        """Plan the outputs at ``indexes`` (the outputs of a page, whose title
        changed) again: those whose plan changed."""
        from ssg.build.dirty import plan_fingerprint
        from ssg.build.render import render_context
        from ssg.graph.fingerprint import Fingerprinter

        model, changed = self.model, []
        for at in indexes:
            output = model.outputs[at]
            output.title = output.page.title if output.page is not None else output.title
            try:
                context = render_context(output, model.site, model.plugins)
            except SsgError as error:
                raise Decline(f"{output.path}: {error}") from None
            plan = plan_fingerprint(output, context, Fingerprinter())
            if plan != model.plans[at]:
                model.contexts[at], model.plans[at] = context, plan
                changed.append(at)
        return changed

    def dirty(self, build: Build, prepared: Prepared) -> Decision:
        """The outputs that read a key of an edited page that fingerprints differently now."""
        if self.replan:
            build.lap("dirty check")
            return self.decision
        model, index, evaluate = self.model, self.model.index, prepared.evaluate
        assert evaluate is not None
        changed = {dep_id for dep_id in self.ids if evaluate.changed(*model.deps[dep_id])}
        decision = Decision()
        decision.dirty = sorted(set().union(*(index.readers.get(dep_id, ()) for dep_id in changed),
                                            (index.position[path] for path in self.by_hand), self.replanned))
        replanned = set(self.replanned)
        for at in decision.dirty:
            path = model.outputs[at].path
            decision.reasons[path] = self.by_hand.get(path) or (
                "its plan changed (templates, page, listed pages or context)" if at in replanned else
                dirty_reason(model.records[path].deps, model.deps, changed, evaluate))
        build.lap("dirty check")
        return decision

    def learnt(self, build: Build, prepared: Prepared, new: NewRecords, pruned: Pruned | None) -> Learnt:
        model, index, site = self.model, self.model.index, prepared.site
        assert prepared.evaluate is not None
        before = max(model.deps, default=0)
        changed_deps, records = assign_key_ids(new, model.deps, prepared.evaluate, index.ids)
        gone = pruned.gone - set(records) if pruned is not None else set()
        if self.replan:     # the model is the new site's; its lookups are made again when next asked for
            model.site, model.env, model.outputs, model.contexts, model.plans = self.planned
            for path in gone:
                del model.records[path]
            model.records.update(records)
            model._index = None
        else:
            for dep_id, (text, fp) in changed_deps.items():
                index.committed(text, fp)
                if dep_id > before:
                    index.added(text, dep_id)
            for path, record in records.items():
                index.read(path, model.records[path].deps, record.deps)
            model.records.update(records)
        if pruned is not None:     # every folder, as a full load records them (a prune may remove some)
            folders = model.folders = build.folder_stamps(set(prepared.planned), pruned.folders)
        else:
            folders = build.folder_stamps(set(build.result.written))   # a write changes its folder's mtime
            model.folders.update(folders)
        meta = {"inputs": model.inputs.fingerprint(), "listing": model.inputs.text(),
                "failed": "1" if site.errors else "0"}
        sources = {edit.source: SourceRecord(edit.stamp, edit.sha, edit.blob if edit.blob is not None
                                             else build.state.parsed_page(edit.source)) for edit in self.edits}
        from ssg.sources.pageindex import index_row

        pages = {edit.source: index_row(model.pages[edit.source]) for edit in self.edits
                 if edit.page is not None and edit.page.kind == "page"}
        if pruned is not None:
            meta["strays"] = json.dumps(pruned.strays)
        return Learnt(meta=meta, sources=sources, outputs=records, dropped_outputs=gone, deps=changed_deps,
                      folders=folders, all_folders=pruned is not None, pages=pages.items())

    def committed(self, build: Build, prepared: Prepared, token: str) -> None:
        self.model.token = token


def _edits(model: Model, paths: frozenset[str]) -> list[Edit]:
    """The changed files as pages parsed again, placed, passed through
    ``ssg_page_parsed`` and their links resolved, without touching the model;
    Decline when any of them is not a text edit of a page."""
    from ssg.sources.pagecache import decode, parse_file, parsed_text

    content = f"{model.root}/content/"
    seconds = model.options.page_seconds(model.config)
    edits = []
    for path in sorted(paths):
        source = "content/" + path[len(content):] if path.startswith(content) else None
        job = model.jobs.get(source) if source is not None else None
        if job is None or source not in model.parsed or any(source in w for w in model.site.warnings):
            raise Decline(f"{path} is not a page of the model without a warning")
        if source in model.included:
            raise Decline(f"{source} is included by another page")
        stamp, sha, blob = parse_file((job, model.parse_options, model.shas[source]), seconds=seconds)
        if stamp is None or isinstance(blob, SsgError):
            raise Decline(f"{source} is gone, unreadable or broken")     # a full load says so
        edit = Edit(source, stamp, sha, blob)
        if blob is not None:
            page = edit.page = decode(blob)
            parsed = parsed_text(page, job, sha, model.parser)
            before = model.parsed[job.source]
            if not settle(model.site, model.plugins, page, job, before["bundle_files"]):
                raise Decline(f"{source} is not published")
            check_alone(source, before, page)
            pages = model.site.pages
            edit.replan = plans_again(source, before, page, model.free, model.site,
                                      pages.index(model.pages[source]) if page.kind == "page" else None)
            edit.parsed = dict(vars(page))
            edit.known = linked(model.site, page, parsed, seconds)
        edits.append(edit)
    return edits
