"""The section tree, the order of pages, and what sections hand down.

Every folder under content/ is a section (a bundle's folder is a page):
``build_sections`` makes the tree and fills each section with its pages, in
the site's order (``sort_key``, Hugo's) or the one its _index.md asks for
(``sort_by``, ``SORTS``). ``cascade`` in a section's or the home page's
front matter hands values down to the pages and sections below it
(``inherited``, applied when a page is placed, ssg/sources/load.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ssg.model import PLACE_FIELDS, Page, Section, Site
from ssg.sources.content import FieldReader, front_matter_fields, shown
from ssg.sources.urls import join_base, name_words

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def sort_key(page: Page) -> tuple:
    """The site's order, as Hugo's: by weight (a page without one, weight 0,
    after those with one), then newest first (undated pages last), then by
    link title, then by source path."""
    stamp = (page.date or _EPOCH).timestamp()
    return (page.weight == 0, page.weight, page.date is None, -stamp, page.link_title.casefold(), page.source)


def _by_date(page: Page) -> tuple:
    stamp = (page.date or _EPOCH).timestamp()
    return (page.date is None, -stamp, page.link_title.casefold(), page.source)


def _by_title(page: Page) -> tuple:
    return (page.link_title.casefold(), page.source)


# The entries of a section's or the home page's front matter that planning reads (its pages' order).
PLAN_PARAMS = ("sort_by", "cascade")
# The orders a section's _index.md may ask for (``sort_by``), and the page fields each reads.
SORTS = {"weight": (sort_key, PLACE_FIELDS), "date": (_by_date, ("date", "link_title")),
         "title": (_by_title, ("link_title",))}


def section_order(section: Section, site: Site | None = None) -> str:
    """The order of a section's pages: its _index.md's ``sort_by``
    (``SORTS``), else the site's. A value ssg does not know is an error
    (added to ``site.errors`` when given) and the site's order is used."""
    index = section.index
    order = index.params.get("sort_by", "weight") if index is not None else "weight"
    if order in SORTS:
        return order
    if site is not None:
        site.errors.append(FieldReader.for_page(index, site.root).fail(
            "sort_by", f"must be one of {', '.join(SORTS)}, got {shown(order)}", "write sort_by: title"))
    return "weight"


def order_fields(site: Site, page: Page) -> frozenset[str]:
    """The fields of ``page`` its section's order reads, when that is not the
    site's order (a page can keep its place in one and move in the other)."""
    section = site.sections.get(page.section)
    order = section_order(section) if section is not None else "weight"
    return frozenset() if order == "weight" else frozenset(SORTS[order][1])


def new_section(site: Site, name: str) -> Section:
    url = join_base(site.config.base_path, f"/{name}/")
    last = name.rpartition("/")[2]
    return Section(name=name, title=name_words(last).title(), url=url,
                   output_path=f"{name}/index.html")


def build_sections(site: Site, names: Iterable[str]) -> None:
    """The section tree: a section for each of ``names`` (the folders that
    hold pages) and for every folder they are in, besides those ``site``
    has already (for their _index.md); each with its parent, its children
    (by their _index.md's weight, then name) and its pages (in the site's
    order), titled by its _index.md. ``site.sections`` is then ordered by
    name: a parent before its children."""
    sections = site.sections
    for name in [*names, *sections]:
        while name:
            if name not in sections:
                sections[name] = new_section(site, name)
            name = name.rpartition("/")[0]
    site.sections = {name: sections[name] for name in sorted(sections)}
    for section in site.sections.values():
        section.children = []
        if section.index is not None and section.index.title:
            section.title = section.index.title
    for section in site.sections.values():
        parent = section.parent = site.sections.get(section.name.rpartition("/")[0])
        if parent is not None:
            if section.shown:
                parent.children.append(section)
    for section in site.sections.values():
        section.children.sort(key=_child_order)
    fill_sections(site, check=True)


def _child_order(section: Section) -> tuple:
    """Sections in their parent's order, as pages: by weight (none, 0, last), then name."""
    weight = section.index.weight if section.index is not None else 0
    return (weight == 0, weight, section.name)


def fill_sections(site: Site, *, check: bool = False) -> None:
    """Each section's pages, in the order its _index.md asks for (else the
    site's). ``check``: an order ssg does not know is an error."""
    for section in site.sections.values():
        section.pages = []
    for page in site.pages:
        if page.section:
            site.sections[page.section].pages.append(page)
    local = [page for page in site.unlisted if page.listed == "local" and page.section]
    for page in local:
        site.sections[page.section].pages.append(page)
    for section in site.sections.values():
        order = section_order(section, site if check else None)
        if order != "weight" or local:
            section.pages.sort(key=SORTS[order][0])


def check_cascade(page: Page, text: Any) -> None:
    """A section's or the home page's front matter ``cascade`` must be a
    table of front matter values (or a list of them), each value one a page
    could hold: else a ContentError at its line (``text`` reads the file),
    raised when the page is placed, so a placed page's cascade is good.
    Hugo's ``_target`` filters are not supported: such an entry is an error
    saying so."""
    value = page.params.get("cascade")
    if value is None:
        return
    fields = FieldReader({}, text, page.source)
    for entry in value if isinstance(value, list) else [value]:
        if not isinstance(entry, dict):
            raise fields.fail("cascade", f"must be a table of front matter values, got {shown(entry)}",
                              "write cascade: {build: {list: never}}")
        if "_target" in entry or "target" in entry:
            raise fields.fail("cascade", "has a target: ssg cascades to every page below the section",
                              "move those pages into a section of their own and give it the cascade")
    front_matter_fields(FieldReader(cascade_of(page), text, page.source), source=page.source, slug=page.slug,
                        kind="page")


def cascade_of(page: Page) -> dict[str, Any]:
    """What a placed section's or home page's ``cascade`` hands down to the
    pages below it (``check_cascade`` passed on it), its entries merged."""
    value = page.params.get("cascade")
    merged: dict[str, Any] = {}
    for entry in (value if isinstance(value, list) else [value]) if value is not None else ():
        merged.update(entry)
    return merged


def inherited(site: Site, page: Page) -> dict[str, Any]:
    """What the home page and the sections ``page`` is in cascade down to it, the nearest winning."""
    holders = [site.home] if page.kind != "home" and site.home is not None else []
    parts = page.section.split("/") if page.section else []
    for depth in range(1, len(parts) + (0 if page.kind == "section" else 1)):   # not a section's own _index.md
        section = site.sections.get("/".join(parts[:depth]))
        if section is not None and section.index is not None:
            holders.append(section.index)
    merged: dict[str, Any] = {}
    for holder in holders:
        merged.update(cascade_of(holder))
    return merged
