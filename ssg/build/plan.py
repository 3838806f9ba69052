"""Planning outputs: what files a build produces, before anything renders."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Any

from ssg.errors import PathError, SsgError
from ssg.model import Output, Site

if TYPE_CHECKING:
    from ssg.plugins.manager import Plugins


def plan_core_outputs(site: Site) -> list[Output]:
    """One output per page (plus its bundle files), per section and the home page,
    and one per static file."""
    outputs: list[Output] = []
    outputs.append(Output(path="index.html", url=site.config.base_path, templates=("index.html",),
                          page=site.home, items=site.main_pages, title=site.config.title))
    for section in site.sections.values():
        if section.index is not None and section.index.render != "always":
            continue
        outputs.append(Output(path=section.output_path, url=section.url, page=section.index,
                              templates=(*_by_section(section.name, "list.html"), "section.html", "list.html"),
                              context={"section": section}, items=section.pages, title=section.title))
    by_section: dict[str, tuple[str, ...]] = {}     # the candidates of a section's pages, made once a section
    for page in (*site.pages, *site.unlisted):
        if page.render != "always":     # headless, or rendered elsewhere ("link")
            continue
        if page.template:   # chosen explicitly: a typo must be an error, not a silent fallback
            candidates: tuple[str, ...] = (page.template,)
        else:
            candidates = by_section.get(page.section) or by_section.setdefault(
                page.section, (*_by_section(page.section, "page.html"), "page.html"))
        outputs.append(Output(path=page.output_path, url=page.url, page=page, templates=candidates,
                              context={"section": site.sections.get(page.section)}, title=page.title))
        folder = page.output_path.rsplit("/", 1)[0] if "/" in page.output_path else ""
        bundle_root = page.source.rsplit("/", 1)[0]
        for resource in page.bundle_files:
            rel = resource[len(bundle_root) + 1:]
            outputs.append(Output(path=f"{folder}/{rel}" if folder else rel, copy_from=site.root / resource,
                                  page=page))
    for rel, path in site.static_files:
        outputs.append(Output(path=rel, copy_from=path))
    return outputs


def _by_section(section: str, name: str) -> tuple[str, ...]:
    """A section's own template ``name``, then that of each section it is in:
    'docs/guides/list.html', 'docs/list.html'."""
    found = []
    while section:
        found.append(f"{section}/{name}")
        section = section.rpartition("/")[0]
    return tuple(found)


def drop_collisions(outputs: list[Output], site: Site) -> list[Output]:
    """Two outputs for one path (or paths equal but for case or Unicode
    normalisation, which collide on macOS and Windows) is an error naming both
    sources; the first one is kept, except that a generated output (a page, a
    feed, the sitemap...) is kept over a file of static/: a stray
    static/atom.xml must not replace the site's feed."""
    seen: dict[str, int] = {}
    kept: list[Output] = []
    for output in outputs:
        key = unicodedata.normalize("NFC", output.path).casefold()
        at = seen.get(key)
        if at is None:
            seen[key] = len(kept)
            kept.append(output)
            continue
        first = kept[at]
        if _static(first) and not _static(output):
            kept[at], first, output = output, output, first
        same = ("the same output" if first.path == output.path
                else "outputs that differ only in case or Unicode normalisation")
        where = output.page.source if output.page else _site_relative(output, site) if _static(output) else None
        site.errors.append(PathError(
            f"{output.source} and {first.source} both produce {same} '{output.path}'",
            where=where, hint="rename or remove the static file; the generated file is kept" if _static(output)
            else "give one of them another slug or url"))
    return kept


def _static(output: Output) -> bool:
    """A file copied from static/ (or a theme's), not made by the build."""
    return output.copy_from is not None and output.page is None


def _site_relative(output: Output, site: Site) -> str:
    path = str(output.copy_from)
    root = f"{site.root}/"
    return path[len(root):] if path.startswith(root) else path


def plan_site(plugins: Plugins, site: Site, failed: set[str]) -> tuple[list[Output], list[dict[str, Any] | None]]:
    """Every output of the site, with its render context (``ssg_template_context``
    runs here); an output that collides, or whose context fails, is reported
    and not built (its old file stays): its path is added to ``failed``."""
    from ssg.build.culprit import call_sparing_pages
    from ssg.build.render import render_context

    outputs = plan_core_outputs(site)
    for extra in call_sparing_pages(plugins, plugins.hook.ssg_generate_outputs, site):
        outputs.extend(extra)
    call_sparing_pages(plugins, plugins.hook.ssg_plan_outputs, site, outputs=outputs)
    kept = drop_collisions(outputs, site)
    failed |= {o.path for o in outputs} - {o.path for o in kept}
    planned, contexts = [], []
    for output in kept:
        try:
            contexts.append(render_context(output, site, plugins))
        except SsgError as error:
            site.errors.append(error)
            failed.add(output.path)
            continue
        planned.append(output)
    return planned, contexts
