"""The partial-site source: ``ssg build`` after edits of pages, without loading the site.

A full load parses or decodes every page, places it, runs the page hooks,
resolves its links, plans every output and checks every dependency key: at
10,000 pages that is 2 s however small the edit. When the only files that
changed since the last build are regular pages whose edit is one a warm
rebuild takes (ssg/build/sources/kept.py: the fields that changed are text,
params, title, date or weight, no site hook reads them, and the page keeps its
place among the others), the site is made from the build state instead: every
page from the page index (ssg/sources/pageindex.py: each page as the last
build held it, without its long text), the edited pages parsed again; every
section, in the site's order, with its index page from the parse cache; the
home page; the data and static files; and every site hook run over it. The
outputs to render are those that read a changed key of an edited page (the
state says which).

Nothing the partial site makes is trusted until checked against what the
last build recorded:

- each edited page's *previous* version, placed, hooked and linked in the
  partial site, must fingerprint exactly as the last build recorded its page,
  and make the row the index holds for it;
- every output to render, but the edited pages' own (whose title may have
  changed), must be planned with the plan the last build recorded (its
  templates, page, listed pages and their order, context);
- every dependency key the new render read, except the edited pages' own
  changed keys, must fingerprint as recorded, and no render may read the
  long text of a page the index holds without it.

What a template reads decides what it shows, so a render whose every read
matches the site's reads what a full build's render of it would, and makes
the same bytes. If any check fails, nothing has been written and the source
declines: the build goes on as a full load. The bytes are written, and the
state committed, as a full build would leave them (a following build finds
nothing to do).
"""

from __future__ import annotations

import json
import os
import sqlite3
from typing import TYPE_CHECKING, Any

from ssg.build.dirty import Decision
from ssg.build.pipeline import Build, Decline, NewRecords, Prepared, assign_key_ids
from ssg.build.prune import Pruned
from ssg.build.sources.edits import Edit, check_alone, free_fields, linked, plans_again, settle
from ssg.build.survey import Survey
from ssg.errors import SsgError
from ssg.graph.fingerprint import KnownText, page_state
from ssg.graph.reads import FIELDS
from ssg.graph.state import STATE_DB, BuildState, Learnt, SourceRecord, read_source
from ssg.model import RENDER_ONLY_FIELDS, TEXT_FIELDS, Output, Page, Site
from ssg.sources.pageindex import LONG_TEXT, index_row, indexed_page

if TYPE_CHECKING:
    from ssg.build.render import Rendered
    from ssg.graph.deps import Evaluator
    from ssg.sources.pagecache import ParseJob


class _SourceRows:
    """The state's source rows, each read when asked for (a file or asset
    key's digest), not the ten thousand of them."""

    def __init__(self, state: BuildState):
        self.state = state

    def get(self, path: str) -> SourceRecord | None:
        return self.state.source(path)


class _Cached:
    """Pages of the last build from the parse cache: decoded, placed and
    passed through ``ssg_page_parsed`` as loading makes them (links are not
    resolved: a field read of their text then differs, and is caught)."""

    def __init__(self, partial: PartialSite, site: Site, names: set[str]):
        from ssg.sources.load import Folders

        self.partial, self.site = partial, site
        self.names = names                   # every content file of the listing
        self.folders = Folders.of(name[len("content/"):] for name in names if name.startswith("content/"))
        self.bundles = {f"content/{folder}" for folder in self.folders.bundles}
        self.loaded: dict[str, Page | None] = {}
        self._db: tuple[int, sqlite3.Connection] | None = None

    def row(self, source: str) -> SourceRecord | None:
        """The parse cache's row, read through a connection of this process
        (a render worker asks too, and a connection does not survive a fork)."""
        if self._db is None or self._db[0] != os.getpid():
            database = (self.partial.state.folder / STATE_DB).resolve().as_uri()
            self._db = (os.getpid(), sqlite3.connect(f"{database}?mode=ro", uri=True))
        return read_source(self._db[1], source)

    def close(self) -> None:
        if self._db is not None and self._db[0] == os.getpid():
            self._db[1].close()
        self._db = None

    def job(self, source: str) -> ParseJob | None:
        """The parse job of a content file that is a page (not a bundle's resource)."""
        from ssg.sources.load import page_job

        if source not in self.names or not source.endswith(".md"):
            return None
        folder = source.rpartition("/")[0]
        while folder.count("/") >= 1:
            if folder in self.bundles and source != f"{folder}/index.md":
                return None
            folder = folder.rpartition("/")[0]
        return page_job(self.site, source, self.folders)

    def page(self, source: str) -> Page | None:
        if source not in self.loaded:
            self.loaded[source] = None
            job = self.job(source)
            record = self.row(source) if job is not None else None
            if record is not None and record.parsed is not None:
                self.loaded[source] = self.partial.settle(record.parsed, job, record.sha)[0]
        return self.loaded[source]


class PartialSite:
    """The site source of a narrow rebuild (see the module's docstring)."""

    name = "partial site"

    def __init__(self, survey: Survey, *, complete: bool = False, parses: dict[str, Any] | None = None):
        self.survey = survey
        self.complete = complete        # every page, from the page index; else only the edited pages
        self.parses = {} if parses is None else parses    # source -> parse_file's answer, shared by both kinds
        self.cached: _Cached | None = None
        if complete:
            self.name = "partial site (every page)"

    def close(self) -> None:
        if self.cached is not None:
            self.cached.close()

    def prepare(self, build: Build) -> Prepared:
        from ssg.sources.pagecache import parse_file
        from ssg.sources.sections import fill_sections, sort_key

        if not self.survey.on_disk:
            raise Decline("an output is not as the last build left it")
        self.build, self.state = build, build.state
        self.plugins, self.config, self.parser = build.plugins, build.config, build.parser_fingerprint()
        state, inputs = self.state, self.survey.inputs
        listing = state.meta("listing")
        changed = inputs.changed_since(listing) if listing else None
        if changed is None:
            raise Decline("files were added or removed, or there is no listing of the last build's inputs")
        if not all(name.startswith("content/") and name.endswith(".md") for name in changed):
            raise Decline("a file other than a content page changed")
        if state.meta("parser") != self.parser:
            raise Decline("the parser changed")
        if not changed.isdisjoint(state.meta_json("included", list)):
            raise Decline("another page includes an edited page: a full load parses it again")
        warnings = state.meta_json("warnings", list)
        if state.meta("failed") != "0":
            raise Decline("the last build failed: a full load says what failed")
        if any(source in warning for warning in warnings for source in changed):
            raise Decline("the last build warned about an edited page")
        options = build.options
        site = self.site = Site(root=build.root, config=self.config, output_root=build.output_root,
                                build_time=self.survey.now, **options.site_flags())
        cached = self.cached = _Cached(self, site, {line.rpartition(" (")[0] for line in inputs.lines
                                                    if line.startswith("content/")})
        site.elsewhere = cached.page
        free = free_fields(self.plugins, self.config)
        if not self.complete:        # only render-only fields may change: no list or plan can move
            free &= frozenset(RENDER_ONLY_FIELDS)
        self._fill(site)
        position = {page.source: at for at, page in enumerate(site.pages)}

        # Each edited page: its old version as the last build made it, its new version, and what differs.
        edits, self.touched, rows = [], {}, {}
        self.replan = False
        for source in sorted(changed):
            job, record = cached.job(source), state.source(source)
            if job is None or job.kind != "page" or record is None or record.parsed is None or (
                    self.complete and source not in position):
                raise Decline(f"{source} is not a published page of the last build")
            if source not in self.parses:
                self.parses[source] = parse_file((job, build.parse_options, record.sha),
                                                 seconds=options.page_seconds(self.config), before=record.parsed)
            stamp, sha, blob = self.parses[source]
            if stamp is None or isinstance(blob, SsgError):
                raise Decline(f"{source} cannot be read or parsed")
            if blob is None:      # touched, not changed
                self.touched[source] = SourceRecord(stamp, sha, record.parsed)
                continue
            old, old_known = self.settle(record.parsed, job, record.sha)
            new, new_known = self.settle(blob, job, sha)
            if old is None or new is None or old.bundle_files:
                raise Decline(f"{source} is not published, or is a bundle")
            check_alone(source, vars(old), new)
            at = position.get(source)
            if plans_again(source, vars(old), new, free, site, at):
                if not self.complete:
                    raise Decline(f"{source}: fields a site-level hook or the plan reads changed")
                self.replan = True      # a tag, a date that moves it: every output is planned again
            rows.update(state.page_deps(source))
            whole = next((fp for text, fp in rows.values() if text == f"page\x1f{source}"), None)
            if at is None:
                site.replace_pages([old])
            else:
                site.pages[at] = old
            old_known = self.linked(old, old_known)
            if whole is None or page_state(old, old_known) != whole or (
                    at is not None and index_row(old) != self.index_rows[source]):
                raise Decline(f"{source}: the partial site does not make its last version as the site did")
            if at is None:
                site.replace_pages([new])
            else:
                site.pages[at] = new
            edits.append(Edit(source, stamp, sha, blob, new, known=self.linked(new, new_known)))
        self.edits = edits
        self.edited = {edit.source for edit in edits}
        if not self.complete:
            site.replace_pages(sorted((edit.page for edit in edits if edit.page is not None), key=sort_key))
            if any(page.section and page.section not in site.sections for page in site.pages):
                raise Decline("an edited page's section is not one of the last build's")
        if self.replan:
            site.pages.sort(key=sort_key)
        site.replace_pages(site.pages)      # forget the lookups made with the old versions
        fill_sections(site)
        build.result.parsed = len(edits)
        build.lap("check edits")

        self.known.update({edit.source: edit.known for edit in edits if edit.known is not None})

        # The site hooks, over every page.
        env = self._environment(site)
        if self.replan:
            return self._plan_again(build, site, env, rows, warnings)
        planned = {output.path: output for output in self._plan(site)}
        build.lap("partial site")

        from ssg.graph.deps import Evaluator
        from ssg.sources.inputs import FileDigests

        files = FileDigests(_SourceRows(state))
        known = self.known
        edited = self.edited
        # Every other page of a complete partial site is the last build's (the index): its fields are as recorded.
        # Those a small one finds elsewhere (the parse cache, links not resolved) are evaluated, and checked.
        evaluate = Evaluator(site, env, files, {text: fp for text, fp in rows.values()}, known,
                             changed_pages=edited if self.complete else None,
                             deferred=(lambda key: key[0] == "field" and key[1] not in edited) if self.complete
                             else None)
        self.rows, self.planned = rows, planned
        self.prepared = Prepared(site, planned=[row[0] for row in self.survey.stamps], env=env, evaluate=evaluate,
                                 verify=self.verify, warnings=warnings)
        return self.prepared

    def _plan_again(self, build: Build, site: Site, env: Any, rows: dict[int, tuple[str, str]],
                    warnings: list[str]) -> Prepared:
        """Every output planned in the complete partial site, as a full load
        plans them (its pages are the site's): after an edit of a field the
        plan or a site hook reads. The outputs to render are those whose plan
        changed, the new ones and the readers of a key that changed (the
        edited pages', the site's, sections', what plugins track); those no
        longer planned are pruned."""
        from ssg.build.plan import plan_site
        from ssg.build.replan import changed_keys, compare_plans
        from ssg.graph.deps import Evaluator
        from ssg.sources.inputs import FileDigests

        state, edited = self.state, self.edited
        failed: set[str] = set()
        outputs, contexts = _guarded(lambda: plan_site(self.plugins, site, failed))
        if failed or site.errors or len(site.warnings) > 0:
            raise Decline("an output collides, or the site hooks warned: a full load says so")
        build.lap("partial site")
        self.all_deps = deps = state.deps()
        evaluate = Evaluator(site, env, FileDigests(_SourceRows(state)), {text: fp for text, fp in deps.values()},
                             self.known, changed_pages=edited)
        records = state.outputs()
        plans, decision = compare_plans(outputs, contexts, records, deps, changed_keys(deps, rows, evaluate), evaluate)
        self.decision = decision
        self._give_text([outputs[at] for at in decision.dirty], evaluate)
        build.lap("dirty check")
        self.prepared = Prepared(site, planned=[output.path for output in outputs], env=env, outputs=outputs,
                                 contexts=contexts, plans=plans, records=records, evaluate=evaluate,
                                 verify=self.verify, prunes=True, folders=state.folders(), warnings=warnings)
        return self.prepared

    def _give_text(self, outputs: list[Output], evaluate: Evaluator) -> None:
        """The long text of the index pages whose own outputs are to render
        (a page shows its content), from the parse cache, placed, hooked and
        linked as loading makes it: the index holds pages without it."""
        cached = self.cached
        assert cached is not None
        for output in outputs:
            page = output.page
            if page is None or page.source in self.edited or page.source not in self.index_rows or \
                    page.source in evaluate.known:
                continue
            job, record = cached.job(page.source), cached.row(page.source)
            if job is None or record is None or record.parsed is None:
                raise Decline(f"{page.source} is not in the parse cache")
            full, known = self.settle(record.parsed, job, record.sha)
            if full is None:
                raise Decline(f"{page.source} is no longer published")
            linked_text = self.linked(full, known)
            for name in TEXT_FIELDS:     # the very objects its KnownText holds
                setattr(page, name, getattr(full, name))
            if linked_text is not None:
                evaluate.known[page.source] = linked_text

    def dirty(self, build: Build, prepared: Prepared) -> Decision:
        """The outputs that read a key of an edited page that fingerprints
        differently now, each as the partial site plans it, with the plan the
        site had."""
        if self.replan:
            return self.decision
        from ssg.build.dirty import dirty_reason, plan_fingerprint
        from ssg.build.render import render_context
        from ssg.graph.fingerprint import Fingerprinter

        state, rows, evaluate = self.state, self.rows, prepared.evaluate
        assert evaluate is not None
        self.changed_ids = {dep_id for dep_id, (text, fp) in rows.items() if evaluate.changed(text, fp)}
        records = state.outputs_reading(self.changed_ids)
        paths = sorted(records)
        build.lap("dirty check")
        fingerprint = Fingerprinter()
        for path in paths:
            output, record = self.planned.get(path), records[path]
            if output is None or not (output.templates or output.make):
                raise Decline(f"{path} is not planned alike in the partial site")
            try:
                context = render_context(output, prepared.site, self.plugins)
            except SsgError as error:
                raise Decline(f"{path}: {error}") from None
            plan = plan_fingerprint(output, context, fingerprint)
            # an edited page's own outputs in a complete partial site: planned as the site plans them (a new title)
            own = self.complete and output.page is not None and output.page.source in self.edited
            if plan != record.plan and not own:
                raise Decline(f"{path} is not planned alike in the partial site")
            prepared.outputs.append(output)
            prepared.contexts.append(context)
            prepared.plans.append(plan)
        prepared.records = records
        self._give_text(prepared.outputs, evaluate)
        self.recorded = state.deps_of(set().union(*(records[path].deps for path in paths)) | set(rows))
        decision = Decision(dirty=list(range(len(paths))))
        for path in paths:
            decision.reasons[path] = dirty_reason(records[path].deps, self.recorded, self.changed_ids, evaluate)
        return decision

    def verify(self, rendered: list[Rendered]) -> None:
        """Every key a render read, but the edited pages' own changed keys,
        must fingerprint as the site's did: else the partial site declines
        (nothing has been written)."""
        from ssg.graph.deps import text_key

        outputs, evaluate = self.prepared.outputs, self.prepared.evaluate
        assert evaluate is not None
        for item in rendered:
            if item.error is not None:
                raise Decline(f"{outputs[item.index].path} failed to render")
            for text in item.keys:
                source = self._other_page_read(text)
                if source is not None and not LONG_TEXT.isdisjoint(text.rpartition("\x1f")[2].split(FIELDS)):
                    raise Decline(f"{outputs[item.index].path} read the text of {source}, which the page index "
                                  "does not hold")
        if self.replan:     # the site is the site (every page from the index): only the long text is missing
            return
        changed_texts = {self.recorded[dep_id][0] for dep_id in self.changed_ids}
        fps = {text: fp for text, fp in self.recorded.values()}
        for item in rendered:
            for text, fp in item.keys.items():
                if self.complete and self._other_page_read(text) is not None:
                    fp = fp or fps.get(text, "")    # the index is the last build's pages: their fields are as recorded
                fp = fp or evaluate(text_key(text))
                if text not in changed_texts and fps.get(text) != fp:
                    raise Decline(f"{outputs[item.index].path} read {text!r}, which the partial site does not "
                                  "hold as the site does")
                item.keys[text] = fp

    def _other_page_read(self, text: str) -> str | None:
        """The source of the page whose fields the key ``text`` (as stored) is
        of, when it is a field key of a page other than the edited ones."""
        if not text.startswith("field\x1f"):
            return None
        source = text[6:text.index("\x1f", 6)]
        return None if source in self.edited else source

    def learnt(self, build: Build, prepared: Prepared, new: NewRecords, pruned: Pruned | None) -> Learnt:
        assert prepared.evaluate is not None
        changed_deps, records = assign_key_ids(new, self.all_deps if self.replan else dict(self.recorded),
                                               prepared.evaluate)
        sources = {**self.touched, **{edit.source: SourceRecord(edit.stamp, edit.sha, edit.blob)
                                      for edit in self.edits}}
        meta = {"inputs": self.survey.inputs.fingerprint(), "listing": self.survey.inputs.text(),
                "failed": "1" if prepared.site.errors else "0"}
        pages = {edit.source: index_row(edit.page) for edit in self.edits if edit.page is not None}
        if pruned is not None:      # planned again: every folder, and what the prune found, as a full load records
            meta["strays"] = json.dumps(pruned.strays)
            return Learnt(meta=meta, sources=sources, outputs=records, dropped_outputs=pruned.gone - set(records),
                          deps=changed_deps, folders=build.folder_stamps(set(prepared.planned), pruned.folders),
                          pages=pages.items())
        return Learnt(meta=meta, sources=sources, outputs=records, deps=changed_deps,
                      folders=build.folder_stamps(set(build.result.written)), all_folders=False, pages=pages.items())

    def committed(self, build: Build, prepared: Prepared, token: str) -> None:
        pass

    # -- the partial site ------------------------------------------------------

    def settle(self, blob: bytes, job: ParseJob, sha: str) -> tuple[Page | None, KnownText | None]:
        """A page from its parse as loading makes it: placed and passed through
        ``ssg_page_parsed``; None when not published. Its text as parsed comes
        with it. A warning or an error declines (a full load reports it)."""
        from ssg.sources.pagecache import decode, parsed_text

        page = decode(blob)
        parsed = parsed_text(page, job, sha, self.parser)
        return (page, parsed) if settle(self.site, self.plugins, page, job) else (None, None)

    def linked(self, page: Page, parsed: KnownText | None) -> KnownText | None:
        return linked(self.site, page, parsed, self.build.options.page_seconds(self.config))

    def _fill(self, site: Site) -> None:
        """Every page of the page index (when ``complete``), sorted as the site sorts them, in its
        sections (the state keeps their names, in the site's order) with their
        index pages; the home page; the data and static files."""
        from ssg.sources.load import find_static_files, load_data
        from ssg.sources.sections import build_sections, new_section, sort_key

        cached, state = self.cached, self.state
        assert cached is not None
        self.known: dict[str, KnownText] = {}       # the index pages' text as linked, with its digest
        self.index_rows = dict(state.page_index()) if self.complete else {}
        if self.complete and state.meta("published") != str(len(self.index_rows)):
            raise Decline("the page index does not hold every page of the last build")
        pages = sorted(map(indexed_page, self.index_rows.values()), key=sort_key)
        site.replace_pages([page for page in pages if page.listed == "always"])
        site.unlisted = [page for page in pages if page.listed != "always"]     # as loading splits them
        for name in state.meta_json("sections", list):     # every section of the last build
            site.sections[name] = new_section(site, name)
        for page in pages:
            if page.section and page.section not in site.sections:
                raise Decline(f"{page.source}: its section is not one of the last build's")
        site.data = load_data(site.root / "data", site)
        site.static_files = find_static_files(site)
        site.home = self._index_page("content/_index.md")
        for section in site.sections.values():
            section.index = self._index_page(f"content/{section.name}/_index.md")
        build_sections(site, ())
        if site.errors or site.warnings:
            raise Decline("a warning or an error while loading the partial site")

    def _index_page(self, source: str) -> Page | None:
        """A section's or the home page's ``_index.md`` from the parse cache, as loading makes it, links resolved."""
        cached = self.cached
        assert cached is not None
        job = cached.job(source)
        record = cached.row(source) if job is not None else None
        if job is None or record is None or record.parsed is None:
            return None
        page, known = self.settle(record.parsed, job, record.sha)
        if page is not None:
            linked_text = self.linked(page, known)
            if linked_text is not None:
                self.known[source] = linked_text
        return page

    def _environment(self, site: Site) -> Any:
        from ssg.build.templates import make_environment

        def make() -> Any:
            self.plugins.hook.ssg_site_loaded(site=site)
            env = make_environment(site, self.build.theme, self.build.compiled_templates)
            self.plugins.hook.ssg_jinja_environment(env=env, site=site)
            return env

        return _guarded(make)

    def _plan(self, site: Site) -> list:
        from ssg.build.plan import plan_core_outputs

        def plan() -> list:
            outputs = plan_core_outputs(site)
            for extra in self.plugins.hook.ssg_generate_outputs(site=site):
                outputs.extend(extra)
            self.plugins.hook.ssg_plan_outputs(site=site, outputs=outputs)
            return outputs

        return _guarded(plan)


def _guarded(action: Any) -> Any:
    """Site hooks over the partial site: an error there says nothing about
    the site (a full load runs them over the real one)."""
    try:
        return action()
    except SsgError as error:
        raise Decline(f"a site hook failed on the partial site: {error}") from None
