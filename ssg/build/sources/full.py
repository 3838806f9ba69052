"""The site source that serves every build: every page loaded (an unchanged
content file from the parse cache), the site hooks run, every output
planned, and every dependency key the last build recorded checked. A clean
build is a full load from an empty state."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ssg.build.dirty import Decision
from ssg.build.pipeline import Build, NewRecords, Prepared, assign_key_ids
from ssg.build.plan import plan_site
from ssg.build.prune import Pruned
from ssg.build.survey import Survey
from ssg.errors import ConfigError
from ssg.graph.state import Learnt, OutputRecord
from ssg.model import Site
from ssg.sources.files import HINT as IRREGULAR_HINT
from ssg.sources.inputs import input_path, storable

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ssg.build.sources.kept import Warm


class FullLoad:
    name = "full load"

    def __init__(self, survey: Survey, warm: Warm | None = None):
        self.survey = survey
        self.warm = warm                   # keep this build's model there for the next (ssg/build/sources/kept.py)

    def prepare(self, build: Build) -> Prepared:
        # Imported here: a build where nothing changed never needs them (startup time).
        from ssg.build.templates import make_environment
        from ssg.graph.deps import Evaluator
        from ssg.sources.inputs import FileDigests
        from ssg.sources.links import resolve_links
        from ssg.sources.load import load_site
        from ssg.sources.pagecache import PageCache
        from ssg.sources.textstore import TextStore

        survey, state, options, config = self.survey, build.state, build.options, build.config
        # Another folder was built last: this one's records were kept aside (its files are still known as ssg's).
        records = state.outputs() if survey.same_root else state.other_root(str(build.output_root))
        build.lap("check")

        # Load: unchanged content files come from the parse cache.
        options.progress.stage("load")
        site = Site(root=build.root, config=config, output_root=build.output_root, build_time=survey.now,
                    **options.site_flags())
        self.sources = sources = state.sources(parsed=True)
        for path, kind in survey.inputs.irregular:    # a published page that became one fails instead (ssg/sources/load.py)
            rel = _site_relative(path, build.root)
            if getattr(sources.get(rel), "parsed", None) is None:
                site.warn(f"{rel}: is {kind}, not a regular file; skipped ({IRREGULAR_HINT})")
        _check_content(build, sources)
        self.parser = parser = build.parser_fingerprint()
        seconds = options.page_seconds(config)
        self.cache = cache = PageCache(sources, state.meta("parser") == parser, build.workers, parser, seconds)
        cache.progress = options.progress
        self.dep_rows = state.deps() if survey.same_settings else {}
        cache.keep = state.stage_sources()     # written while this thread loads and plans
        cache.store = TextStore()   # the pages' markdown sources, out of memory
        cache.options = build.parse_options
        load_site(site, build.plugins, cache)
        if not cache.seen:
            _check_content(build, sources, empty=True)
        build.result.parsed = cache.parsed
        build.result.skipped = site.skipped
        self.parsed = {page.source: dict(vars(page)) for page in site.all_pages()} if self.warm is not None else {}
        build.lap("load")
        options.progress.stage("links, site hooks")
        self.known = known = resolve_links(site, cache.known, seconds)
        cache.known.clear()       # what is left of the text as parsed (resolve_links took each page's)
        build.plugins.hook.ssg_site_loaded(site=site)
        env = make_environment(site, build.theme, build.compiled_templates)
        build.plugins.hook.ssg_jinja_environment(env=env, site=site)
        build.lap("links, site hooks")

        options.progress.stage("plan")
        outputs, contexts = plan_site(build.plugins, site, build.failed)
        build.lap("plan")
        for rel in survey.unfinished:     # replaced or created by the killed build: ssg's, whatever bytes it holds now
            records[rel] = OutputRecord("", "", -1, -1)
        self.files = FileDigests(sources)
        evaluate = Evaluator(site, env, self.files, {key: fp for key, fp in self.dep_rows.values()}, known)
        return Prepared(site, planned={o.path for o in outputs}, env=env, outputs=outputs, contexts=contexts,
                        records=records, evaluate=evaluate, prunes=True,
                        folders=state.folders() if records and survey.same_root else {})

    def dirty(self, build: Build, prepared: Prepared) -> Decision:
        """Every output's plan against its record, and every key the last build recorded."""
        from ssg.build.dirty import decide, plan_fingerprint
        from ssg.graph.fingerprint import Fingerprinter

        build.options.progress.stage("dirty check")
        fingerprint = Fingerprinter()
        prepared.plans = [plan_fingerprint(o, c, fingerprint)
                          for o, c in zip(prepared.outputs, prepared.contexts, strict=True)]
        assert prepared.evaluate is not None
        self.decision = decide(prepared.outputs, prepared.plans, prepared.records, self.dep_rows, prepared.evaluate,
                               build.output_root, checked=self.survey.on_disk,
                               everything=None if self.survey.same_settings
                               else "the configuration, options or code changed")
        build.lap("dirty check")
        return self.decision

    def learnt(self, build: Build, prepared: Prepared, new: NewRecords, pruned: Pruned | None) -> Learnt:
        assert pruned is not None and prepared.evaluate is not None
        site, cache, files, dep_rows, survey = prepared.site, self.cache, self.files, self.dep_rows, self.survey
        changed_deps, outputs = assign_key_ids(new, dep_rows, prepared.evaluate)
        clean = self.decision.clean
        referenced = set().union(*(r.deps for r in outputs.values()), *(r.deps for r in clean.values()))
        dropped_deps = set(dep_rows) - referenced
        for dep_id in dropped_deps:
            del dep_rows[dep_id]
        self.folders = build.folder_stamps({*outputs, *clean}, pruned.folders)
        self.included = included_in(site)     # (the meta row, and a kept model)
        for name in survey.inputs.names():     # every input's hash is known: a fresh checkout compares them
            if name not in cache.seen and storable(name) == name:    # (a name that is not UTF-8 fails the build)
                files(input_path(name, build.root, build.theme))
        meta = {"settings": survey.settings, "inputs": survey.inputs.fingerprint(), "listing": survey.inputs.text(),
                "output_root": str(build.output_root), "parser": self.parser, "failed": "1" if site.errors else "0",
                "errors": json.dumps([str(error) for error in site.errors][:100]),   # for `ssg deploy`
                "next_change": site.next_change.isoformat() if site.next_change else "",
                "warnings": json.dumps([w for w in site.warnings if w not in pruned.told]),
                "strays": json.dumps(pruned.strays),
                "sections": json.dumps(list(site.sections)),
                "skipped": json.dumps(site.skipped),
                # the page index holds that many rows (a partial site checks)
                "published": str(len(site.pages) + len(site.unlisted)),
                # files other pages include: an edit of one is a full load (the includers are parsed again)
                "included": json.dumps(sorted(self.included))}
        self.committed_records = outputs
        indexed, unindexed = _index_rows(build, prepared, outputs)
        return Learnt(meta=meta, sources=files.updated,     # the parse cache's are staged
                      dropped_sources=set(self.sources) - cache.seen - files.used,
                      outputs=outputs, dropped_outputs=pruned.gone - set(outputs),
                      deps=changed_deps, dropped_deps=dropped_deps, folders=self.folders,
                      pages=indexed, dropped_pages=unindexed,
                      reset=not survey.same_settings, output_root=str(build.output_root))

    def committed(self, build: Build, prepared: Prepared, token: str) -> None:
        """Keep this build's model for a warm rebuild, when it had no failure."""
        if self.warm is None:
            return
        from ssg.build.sources.edits import free_fields
        from ssg.build.sources.kept import Model

        site = prepared.site
        self.warm.model = None if site.errors or build.failed else Model(
            root=build.root, output_root=build.output_root, options=build.options, config=build.config,
            plugins=build.plugins, site=site, env=prepared.env, parser=self.parser, jobs=self.cache.jobs,
            shas=self.cache.shas, parsed=self.parsed, known=self.known, outputs=prepared.outputs,
            contexts=prepared.contexts, plans=prepared.plans, records={**self.decision.clean, **self.committed_records},
            deps=self.dep_rows, inputs=self.survey.inputs, folders=self.folders, token=token,
            free=free_fields(build.plugins, build.config), pages=prepared.evaluate.pages,
            parse_options=build.parse_options, included=frozenset(self.included))


def included_in(site: Site) -> set[str]:
    """The content files the site's pages include (``{{< include >}}``)."""
    from ssg.sources.shortcodes import included_files

    return {name for page in site.every_page() for name in included_files(page.made_with)}


def _index_rows(build: Build, prepared: Prepared, rendered: dict[str, OutputRecord]
                ) -> tuple[Iterator[tuple[str, bytes]], set[str]]:
    """The page index rows to write: those of the pages whose own output was
    rendered (a page whose fields changed is, its record reading the whole
    page), of pages without a file of their own, and of pages the index
    lacks, made as the commit writes them (at
    100,000 pages, 57 MB never held at once); and those to drop: of pages no
    longer published, or whose output failed (the next partial site finds
    one missing, and declines)."""
    from ssg.sources.pageindex import index_row

    indexed = build.state.indexed_sources()
    pages, failed = [], set()
    for output in prepared.outputs:
        page = output.page
        if page is not None and page.kind == "page" and output.path == page.output_path:
            if output.path in build.failed:
                failed.add(page.source)
            elif output.path in rendered or page.source not in indexed:    # (an index made before, or damaged)
                pages.append(page)
    site = prepared.site
    # a page without a file of its own (headless, render: never or link) has no render to say it changed:
    # its row is written by every full load (such pages are few: snippets, glossary entries)
    pages += [page for page in (*site.pages, *site.unlisted) if page.render != "always"]
    published = {page.source for page in (*site.pages, *site.unlisted)}
    return ((page.source, index_row(page)) for page in pages), (indexed - published) | failed


def _check_content(build: Build, sources: dict, *, empty: bool = False) -> None:
    """A missing content/ folder, or one without a page when the last
    build had pages, is an error that stops the build before anything is
    written or deleted: a folder lost in a checkout or a bad mount must
    not unpublish the site. ``[build] empty_site = true`` says it is meant."""
    if build.config.build["empty_site"]:
        return
    hint = ("restore it; if the site is meant to have no pages, set empty_site = true "
            "in the [build] table of ssg.toml")
    content = build.root / "content"
    if not content.is_dir():
        raise ConfigError("the content/ folder is missing (nothing was built, nothing deleted)",
                          where=str(content), hint=hint)
    if empty and any(path.startswith("content/") and row.parsed is not None for path, row in sources.items()):
        raise ConfigError("the content/ folder holds no page, but the last build published pages "
                          "(nothing was built, nothing deleted)", where=str(content),
                          hint="restore the pages; if the site is meant to have none now, set empty_site = true "
                               "in the [build] table of ssg.toml")


def _site_relative(path: str, root: Path) -> str:
    """``path`` relative to the site folder when it lies inside it (a theme's may not)."""
    rel = os.path.relpath(path, root)
    return path if rel.startswith("..") else rel
