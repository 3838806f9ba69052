"""Narrow rebuilds: ``ssg build`` after edits of page text, without loading the site.

A full incremental build loads every page (from the parse cache), plans every
output and checks every dependency key: at 10,000 pages that is 3 s however
small the edit. When the only files that changed since the last build are
content pages whose edit is one a warm rebuild takes (ssg/warm.py: the
fields that changed are render-only ones no site hook reads), the outputs to
render are found from the build state alone, and rendered in a *partial*
site: the edited pages; every section, in the site's order (the state keeps
their names), with its index page from the parse cache; the home page; the
data and static files; and every site hook run over that small site. Pages
a link or a template looks up are loaded from the parse cache when asked
for.

A partial site is not the site, so nothing it makes is trusted until checked
against what the last build recorded:

- each edited page's *previous* version, placed, hooked and linked in the
  partial site, must fingerprint exactly as the last build recorded its page
  (so no site hook changes that page, and its links lead where they led);
- every output to render must be planned in the partial site with the plan
  the last build recorded (its templates, page, listed pages, context);
- every dependency key the new render read, except the edited pages' own
  changed keys, must fingerprint as recorded: a template that read the page
  list, a section, a taxonomy or another page's field that the partial site
  does not hold as the site does gets a different fingerprint.

What a template reads decides what it shows, so a render whose every read
matches the site's reads what a full build's render of it would, and makes
the same bytes. If any check fails, nothing has been written and the build
goes on as a full build. The bytes are written, and the state committed, as
a full build would leave them (a following build finds nothing to do).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ssg.errors import SsgError
from ssg.fingerprint import KnownText, page_state
from ssg.model import Page, Site
from ssg.state import JOURNAL, STATE_DB, BuildState, OutputRecord, SourceRecord, read_source
from ssg.warm import differs_only_in, free_fields

if TYPE_CHECKING:
    from ssg.build import Build, BuildResult
    from ssg.inputs import Inputs
    from ssg.pagecache import ParseJob

log = logging.getLogger("ssg.narrow")


class _Decline(Exception):
    """A narrow rebuild does not apply; a full build must run (the message says why)."""


def rebuild(build: Build, inputs: Inputs, paths: list[str], now: datetime) -> BuildResult | None:
    """Rebuild the text edits since the last build narrowly, or None (nothing
    written, nothing committed) when a full build must run. The caller has
    checked that the settings are the same, the last build succeeded and
    left every output as it is now, and no page's time has come."""
    narrow = _Narrow(build, inputs, now)
    try:
        return narrow.run(paths)
    except _Decline as why:
        log.debug("a full build: %s", why)
        build._lap("narrow attempt")
        return None
    finally:
        narrow.close()


@dataclass
class _Edit:
    source: str
    stamp: tuple[int, ...]
    sha: str
    blob: bytes
    new: Page
    known: KnownText | None     # the new page's text after links, with its digest


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

    def __init__(self, narrow: _Narrow, site: Site, names: set[str]):
        self.narrow, self.site = narrow, site
        self.names = names                   # every content file of the listing
        self.bundles = {name.rpartition("/")[0] for name in names
                        if name.endswith("/index.md") and name.count("/") > 1}
        self.loaded: dict[str, Page | None] = {}
        self._db: tuple[int, sqlite3.Connection] | None = None

    def _row(self, source: str) -> SourceRecord | None:
        """The parse cache's row, read through a connection of this process
        (a render worker asks too, and a connection does not survive a fork)."""
        if self._db is None or self._db[0] != os.getpid():
            database = (self.narrow.state.folder / STATE_DB).resolve().as_uri()
            self._db = (os.getpid(), sqlite3.connect(f"{database}?mode=ro", uri=True))
        return read_source(self._db[1], source)

    def close(self) -> None:
        if self._db is not None and self._db[0] == os.getpid():
            self._db[1].close()
        self._db = None

    def job(self, source: str) -> ParseJob | None:
        """The parse job of a content file that is a page (not a bundle's resource)."""
        from ssg.loader import page_job

        if source not in self.names or not source.endswith(".md"):
            return None
        folder = source.rpartition("/")[0]
        while folder.count("/") >= 1:
            if folder in self.bundles and source != f"{folder}/index.md":
                return None
            folder = folder.rpartition("/")[0]
        return page_job(self.site, source)

    def page(self, source: str) -> Page | None:
        if source not in self.loaded:
            self.loaded[source] = None
            job = self.job(source)
            record = self._row(source) if job is not None else None
            if record is not None and record.parsed is not None:
                self.loaded[source] = self.narrow.settle(record.parsed, job, record.sha)[0]
        return self.loaded[source]


class _Narrow:
    def __init__(self, build: Build, inputs: Inputs, now: datetime):
        self.build, self.inputs, self.now = build, inputs, now
        self.state, self.config, self.plugins = build.state, build.config, build.plugins
        self.parser = build._parser_fingerprint()
        self.cached: _Cached | None = None

    def close(self) -> None:
        if self.cached is not None:
            self.cached.close()

    def run(self, paths: list[str]) -> BuildResult:
        from ssg.pagecache import parse_file

        build, state = self.build, self.state
        listing = state.meta("listing")
        changed = self.inputs.changed_since(listing) if listing else None
        if changed is None:
            raise _Decline("files were added or removed, or there is no listing of the last build's inputs")
        if not all(name.startswith("content/") and name.endswith(".md") for name in changed):
            raise _Decline("a file other than a content page changed")
        if state.meta("parser") != self.parser:
            raise _Decline("the parser changed")
        warnings = state.meta_json("warnings", list)
        if any(source in warning for warning in warnings for source in changed):
            raise _Decline("the last build warned about an edited page")
        options = build.options
        site = self.site = Site(root=build.root, config=self.config, output_root=build.output_root,
                                include_drafts=options.drafts, include_future=options.future,
                                build_time=self.now, offline=options.offline)
        cached = self.cached = _Cached(self, site, {line.rpartition(" (")[0] for line in self.inputs.lines
                                                    if line.startswith("content/")})
        site.elsewhere = cached.page
        free = free_fields(self.plugins, self.config)

        # Each edited page: its old version as the last build made it, its new version, and what differs.
        edits, touched, rows = [], {}, {}
        for source in sorted(changed):
            job, record = cached.job(source), state.source(source)
            if job is None or job.kind != "page" or record is None or record.parsed is None:
                raise _Decline(f"{source} is not a page of the last build")
            stamp, sha, blob = parse_file((job, dict(self.config.markdown), record.sha),
                                          seconds=options.page_seconds(self.config))
            if stamp is None or isinstance(blob, SsgError):
                raise _Decline(f"{source} cannot be read or parsed")
            if blob is None:      # touched, not changed
                touched[source] = SourceRecord(stamp, sha, record.parsed)
                continue
            old, old_known = self.settle(record.parsed, job, record.sha)
            new, new_known = self.settle(blob, job, sha)
            if old is None or new is None or old.bundle_files:
                raise _Decline(f"{source} is not published, or is a bundle")
            if not differs_only_in(vars(old), vars(new), free):
                raise _Decline(f"{source}: fields beyond its text changed")
            rows.update(state.page_deps(source))
            whole = next((fp for text, fp in rows.values() if text == f"page\x1f{source}"), None)
            site.pages, site._by_source = [old], {}
            old_known = self.linked(old, old_known)
            if whole is None or page_state(old, old_known) != whole:
                raise _Decline(f"{source}: the partial site does not make its last version as the site did")
            site.pages, site._by_source = [new], {}
            edits.append(_Edit(source, stamp, sha, blob, new, self.linked(new, new_known)))
        build._lap("check edits")

        # The partial site: the new pages, their sections, the home page, data and static files; site hooks.
        self._fill(site, [edit.new for edit in edits])
        env = self._environment(site)
        outputs = {output.path: output for output in self._plan(site)}
        build._lap("partial site")

        # Which outputs read a key of an edited page that fingerprints differently now.
        from ssg.deps import Evaluator, text_key
        from ssg.inputs import FileDigests
        from ssg.planner import Decision, dirty_reason

        files = FileDigests(_SourceRows(state))
        known = {edit.source: edit.known for edit in edits if edit.known is not None}
        evaluate = Evaluator(site, env, files, {text: fp for text, fp in rows.values()}, known)
        changed_ids = {dep_id for dep_id, (text, fp) in rows.items() if evaluate.changed(text, fp)}
        records = state.outputs_reading(changed_ids)
        decision = Decision()
        dirty_paths = sorted(records)
        build._lap("dirty check")

        # Each of them as the partial site plans it, with the plan the site had.
        from ssg.fingerprint import Fingerprinter
        from ssg.planner import plan_fingerprint
        from ssg.render import render_context

        fingerprint = Fingerprinter()
        chosen, contexts, plans = [], [], []
        for path in dirty_paths:
            output, record = outputs.get(path), records[path]
            if output is None or not output.templates:
                raise _Decline(f"{path} is not planned alike in the partial site")
            try:
                context = render_context(output, site, self.plugins)
            except SsgError as error:
                raise _Decline(f"{path}: {error}") from None
            plan = plan_fingerprint(output, context, fingerprint)
            if plan != record.plan:
                raise _Decline(f"{path} is not planned alike in the partial site")
            chosen.append(output)
            contexts.append(context)
            plans.append(plan)
        recorded = state.deps_of(set().union(*(records[path].deps for path in dirty_paths)) | set(rows))
        for path in dirty_paths:
            decision.reasons[path] = dirty_reason(records[path].deps, recorded, changed_ids, evaluate)
        build.result.reasons = decision.reasons
        build._explain(decision, set(paths))

        # Render without writing; check every read; then write.
        rendered = build._render(chosen, contexts, list(range(len(chosen))), env, site, records, evaluate, write=False)
        changed_texts = {recorded[dep_id][0] for dep_id in changed_ids}
        fps = {text: fp for text, fp in recorded.values()}
        for item in rendered:
            if item.error is not None:
                raise _Decline(f"{chosen[item.index].path} failed to render")
            for text, fp in item.keys.items():
                fp = fp or evaluate(text_key(text))
                if text not in changed_texts and fps.get(text) != fp:
                    raise _Decline(f"{chosen[item.index].path} read {text!r}, which the partial site does not "
                                   "hold as the site does")
                item.keys[text] = fp
        self._write(rendered, chosen, records)
        new = build._collect(rendered, chosen, plans, records, site)
        build._lap("render")
        self._commit(edits, touched, new, recorded, evaluate, site)
        build._lap("commit")

        result = build.result
        result.narrow = True
        result.written.sort()
        rendered_paths = set(decision.reasons)
        result.unchanged = sorted(result.unchanged + [path for path in paths if path not in rendered_paths])
        result.errors, result.warnings = list(site.errors), warnings
        result.parsed = len(edits)
        self.plugins.hook.ssg_build_finished(site=site, result=result)
        return result

    # -- the steps' details ----------------------------------------------------

    def settle(self, blob: bytes, job: ParseJob, sha: str) -> tuple[Page | None, KnownText | None]:
        """A page from its parse as loading makes it: placed and passed through
        ``ssg_page_parsed``; None when not published. Its text as parsed comes
        with it. A warning or an error means a full build, which reports it."""
        from ssg.loader import place
        from ssg.pagecache import decode, parsed_text

        page = decode(blob)
        parsed = parsed_text(page, job, sha, self.parser)
        site = self.site

        def settle() -> bool:
            if not place(site, page, job):
                return False
            self.plugins.hook.ssg_page_parsed(page=page, site=site)
            return True

        placed = self._quietly(settle)
        return (page, parsed) if placed else (None, None)

    def linked(self, page: Page, parsed: KnownText | None) -> KnownText | None:
        from ssg.links import resolve_page_links

        return self._quietly(resolve_page_links, self.site, page, parsed,
                             self.build.options.page_seconds(self.config))

    def _quietly(self, action: Any, *args: Any) -> Any:
        site = self.site
        warnings, errors = len(site.warnings), len(site.errors)
        try:
            value = action(*args)
        except SsgError as error:
            raise _Decline(str(error)) from None
        if len(site.warnings) != warnings or len(site.errors) != errors:
            raise _Decline("a warning or an error")
        return value

    def _fill(self, site: Site, pages: list[Page]) -> None:
        from ssg.loader import find_static_files, load_data, new_section, sort_key

        cached = self.cached
        site.pages, site._by_source = sorted(pages, key=sort_key), {}
        for name in self.state.meta_json("sections", list):     # every section, in the site's order
            section = site.sections[name] = new_section(site, name)
            section.index = cached.page(f"content/{name}/_index.md")
            if section.index is not None and section.index.title:
                section.title = section.index.title
        for page in site.pages:
            if page.section:
                if page.section not in site.sections:
                    raise _Decline(f"{page.source}: its section is not one of the last build's")
                site.sections[page.section].pages.append(page)
        site.home = cached.page("content/_index.md")
        site.data = load_data(site.root / "data", site)
        site.static_files = find_static_files(site)
        if site.errors or site.warnings:
            raise _Decline("a warning or an error while loading the partial site")

    def _environment(self, site: Site) -> Any:
        from ssg.templates import make_environment

        def make() -> Any:
            self.plugins.hook.ssg_site_loaded(site=site)
            env = make_environment(site, self.build.theme)
            self.plugins.hook.ssg_jinja_environment(env=env, site=site)
            return env

        return self._guarded(make)

    def _plan(self, site: Site) -> list:
        from ssg.outputs import plan_core_outputs

        def plan() -> list:
            outputs = plan_core_outputs(site)
            for extra in self.plugins.hook.ssg_generate_outputs(site=site):
                outputs.extend(extra)
            self.plugins.hook.ssg_plan_outputs(site=site, outputs=outputs)
            return outputs

        return self._guarded(plan)

    @staticmethod
    def _guarded(action: Any) -> Any:
        """Site hooks over the partial site: an error there says nothing about
        the site (a full build runs them over the real one)."""
        try:
            return action()
        except SsgError as error:
            raise _Decline(f"a site hook failed on the partial site: {error}") from None

    def _write(self, rendered: list, outputs: list, records: dict[str, OutputRecord]) -> None:
        from ssg.journal import begin_journal
        from ssg.render import journaled_writer

        begin_journal(self.state.folder / JOURNAL, str(self.build.output_root))
        writer, journal = journaled_writer(self.build.output_root, self.state.folder / JOURNAL)
        try:
            for item in rendered:
                path = outputs[item.index].path
                record = records[path]
                try:
                    item.written = writer.write(path, item.data, (record.sha, record.size, record.mtime_ns))
                except SsgError as error:
                    item.error = error
        finally:
            os.close(journal)

    def _commit(self, edits: list[_Edit], touched: dict[str, SourceRecord], new: dict,
                recorded: dict[int, tuple[str, str]], evaluate: Any, site: Site) -> None:
        from ssg.build import assign_key_ids

        build = self.build
        changed_deps, records = assign_key_ids(new, dict(recorded), evaluate)
        sources = {**touched, **{edit.source: SourceRecord(edit.stamp, edit.sha, edit.blob) for edit in edits}}
        meta = {"inputs": self.inputs.fingerprint(), "listing": self.inputs.text(),
                "failed": "1" if site.errors else "0"}
        build.token = self.state.commit(
            meta=meta, sources=sources, dropped_sources=set(), outputs=records, dropped_outputs=set(),
            deps=changed_deps, dropped_deps=set(), folders=build._folder_stamps(set(build.result.written)),
            all_folders=False)
