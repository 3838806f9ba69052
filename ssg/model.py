"""The site model handed to templates and plugins: pages, sections, outputs."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from ssg.config.site import SiteConfig
    from ssg.errors import SsgError


class TocEntry(NamedTuple):
    """One heading of a page's table of contents."""

    level: int
    id: str
    title: str


class _KeepableText:
    """A page field whose text the page may hold kept elsewhere: as an object
    whose ``text()`` reads it back (a full load keeps each page's markdown
    source out of memory, ssg/sources/textstore.py). Reading the field gives
    the text either way; ``held`` gives the very object the page holds."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, page: Any, owner: type | None = None) -> str:
        if page is None:
            return ""     # the field's default
        value = page.__dict__.get(self.name, "")
        return value if isinstance(value, str) else value.text()

    def __set__(self, page: Any, value: Any) -> None:
        page.__dict__[self.name] = value


def held(page: Page, name: str) -> Any:
    """The object ``page`` holds for its field ``name``: the text, or for a
    kept text what reads it back. What a page's KnownText compares by identity."""
    return page.__dict__.get(name, "")


@dataclass(eq=False)
class Page:
    """One content file (or a section's ``_index.md``) after parsing."""

    source: str                    # site-relative posix path, e.g. "content/posts/hello.md"
    section: str                   # first folder under content/, "" for top-level pages
    slug: str
    title: str
    date: datetime | None
    updated: datetime | None = None
    draft: bool = False
    summary: str = ""              # HTML
    weight: int = 0
    aliases: tuple[str, ...] = ()
    template: str | None = None
    url: str = ""                  # path as served, including the base path: "/blog/posts/hello/"
    permalink: str = ""            # absolute URL
    output_path: str = ""          # relative to the output folder: "posts/hello/index.html"
    content: str = ""              # HTML rendered from the markdown body
    toc: tuple[TocEntry, ...] = ()
    taxonomies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)   # the whole front matter
    body: str = _KeepableText()    # type: ignore[assignment]  # the markdown source, never evaluated as a template
    bundle_files: tuple[str, ...] = ()   # site-relative paths copied beside the page
    kind: str = "page"             # "page", "section" (an _index.md) or "home"
    line_offset: int = 0           # line of the body's first line in the source file
    link_title: str = ""           # the title in navigation (front matter link_title or linkTitle; else the title)
    description: str = ""          # what the page is about, for its meta description (front matter description)
    keywords: tuple[str, ...] = ()
    publish_date: datetime | None = None   # not published before (publish_date or publishDate; else the date)
    expiry_date: datetime | None = None    # not published from then on (expiry_date or expiryDate)
    render: str = "always"         # its own file: "always", "never" or "link" (a URL, no file; front matter build)
    listed: str = "always"         # in lists: "always", "never", or "local" (its section's only)
    publish_resources: bool = True   # its bundle's files are copied (headless: none of the three)
    menus: dict[str, dict[str, Any]] = field(default_factory=dict)   # menu -> its entry's settings (menus plugin)
    made_with: tuple[tuple[str, str], ...] = ()   # besides its file, what its content was made with, and the digest
    # of each: shortcode templates, included files, the site's values (ssg/sources/shortcodes.py)
    notes: tuple[str, ...] = ()    # warnings parsing gave: unknown shortcodes, malformed calls (given when placed)

    @property
    def tags(self) -> tuple[str, ...]:
        return self.taxonomies.get("tags", ())

    def __repr__(self) -> str:
        return f"<Page {self.source}>"


_SOURCE = operator.attrgetter("source")
PAGE_FIELDS = tuple(f.name for f in fields(Page))


def listing_repr(value: Any) -> str:
    """``repr(value)``, made without a Python call per page when ``value`` is
    a list of pages: fingerprints show every list of a big site (the term
    pages of 10,000 posts hold 30,000 entries)."""
    if type(value) is list and value and set(map(type, value)) == {Page}:
        return "[<Page " + ">, <Page ".join(map(_SOURCE, value)) + ">]"
    return repr(value)


# A page's text: what parsing its markdown body made. Long; what lists show of
# a page is its other fields (and the summary).
TEXT_FIELDS = ("content", "summary", "body", "toc")
# The page fields ssg itself reads only when rendering, where every read is
# recorded (never while loading, linking or planning the site).
RENDER_ONLY_FIELDS = (*TEXT_FIELDS, "params", "line_offset", "updated", "description", "keywords", "made_with",
                      "notes")
# The fields ssg's own planning reads of a regular page only for the page's own
# outputs (``title``: its Output's title) and for its place in the lists that
# hold it (``weight``, ``date``, ``link_title``: every list ssg makes is a
# subsequence of ``site.pages``, in its order, ``sources.sections.sort_key``, or a
# section's pages in the order its _index.md asks for, ``sources.sections.SORTS``).
PLACE_FIELDS = ("date", "weight", "link_title")
OWN_PLAN_FIELDS = ("title",)
# What an edit of a regular page may change and still be rebuilt without
# loading the whole site again (ssg/build/sources/kept.py, partial.py), when
# no plugin's site-level hook reads it (``ssg_page_fields_read``) and the page
# keeps its place in ``site.pages``: the other outputs' plans are then the same.
EDITABLE_FIELDS = (*RENDER_ONLY_FIELDS, *OWN_PLAN_FIELDS, *PLACE_FIELDS)
# What makes a page the page it is: where it comes from, and where and while
# it is published. ``ssg serve`` plans the site again, from the pages it keeps, after
# an edit of any other field (a tag, a date that moves it); an edit of one of
# these is a full load (other pages' links may lead elsewhere).
IDENTITY_FIELDS = ("source", "section", "slug", "url", "permalink", "output_path", "kind", "draft", "bundle_files",
                   "publish_date", "expiry_date", "render", "listed", "publish_resources")


@dataclass(eq=False)
class Section:
    """A folder under content/, at any depth: its pages (newest first), its
    optional ``_index.md``, the section it is in and those in it. ``name``
    is its path under content/ ('docs/guides')."""

    name: str
    title: str
    url: str
    output_path: str
    index: Page | None = None
    pages: list[Page] = field(default_factory=list)
    parent: Section | None = None
    children: list[Section] = field(default_factory=list)   # by their _index.md's weight, then name

    @property
    def ancestors(self) -> list[Section]:
        """The sections this one is in, outermost first (for breadcrumbs)."""
        found = []
        section = self.parent
        while section is not None:
            found.append(section)
            section = section.parent
        return found[::-1]

    @property
    def link_title(self) -> str:
        """Its name in navigation and breadcrumbs: its _index.md's link title, else its title.
        A template's read of it reads that field of the _index.md page too."""
        from ssg.graph.reads import page_fields

        if self.index is not None and page_fields(self.index, "link_title")[0]:
            return self.index.link_title
        return self.title

    @property
    def shown(self) -> bool:
        """Whether it has a list page and is in lists: not when its _index.md
        is ``headless`` or has ``build: {render: never}`` or ``{list: never}``
        (a folder of snippets). Its parent's ``children`` leave such a section out."""
        from ssg.graph.reads import page_fields

        if self.index is None:
            return True
        render, listed = page_fields(self.index, "render", "listed")
        return render == "always" and listed == "always"

    def __repr__(self) -> str:
        return f"<Section {self.name}>"


@dataclass(eq=False)
class Paginator:
    """One page of a paginated list. ``items`` are this page's entries; ``urls``
    holds the URL of every page of the list (``urls[0]`` is the first page)."""

    items: Sequence[Any]
    number: int = 1
    urls: tuple[str, ...] = ()
    per_page: int = 0
    total_items: int = 0

    @property
    def total_pages(self) -> int:
        return max(1, len(self.urls))

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.total_pages

    @property
    def prev_url(self) -> str | None:
        return self.urls[self.number - 2] if self.has_prev else None

    @property
    def next_url(self) -> str | None:
        return self.urls[self.number] if self.has_next else None

    @property
    def first_url(self) -> str:
        return self.urls[0] if self.urls else ""

    @property
    def last_url(self) -> str:
        return self.urls[-1] if self.urls else ""

    def __repr__(self) -> str:   # every field, as the dataclass repr, without its recursion guard (fingerprints)
        return (f"Paginator({listing_repr(self.items)}, {self.number!r}, {self.urls!r}, {self.per_page!r}, "
                f"{self.total_items!r})")


@dataclass(eq=False)
class Output:
    """One file to produce in the output folder.

    Exactly one of: ``templates`` (render the first that exists with ``context``),
    ``make`` (bytes a plugin makes when the output is rendered: its reads of
    page fields are recorded, as a template's are; ``basis`` is everything
    else the bytes are made of, the output's plan), ``data`` (literal bytes,
    part of the plan) or ``copy_from`` (copy a file). ``url`` is the
    served URL path of the output; ``origin`` names the plugin (or "core") that
    planned it; ``page`` is the page it renders, if any. A list output carries
    its entries in ``items``; pagination splits such outputs. ``sitemap=False``
    keeps an HTML output out of sitemap.xml (redirects, the 404 page)."""

    path: str
    url: str = ""
    templates: tuple[str, ...] = ()
    context: dict[str, Any] = field(default_factory=dict)
    data: bytes | None = None
    copy_from: Path | None = None
    page: Page | None = None
    origin: str = "core"
    items: list[Any] | None = None
    title: str = ""
    sitemap: bool = True
    make: Callable[[], bytes] | None = None
    basis: Any = None

    @property
    def source(self) -> str:
        if self.page is not None:
            return self.page.source
        if self.copy_from is not None:
            return str(self.copy_from)
        return f"{self.planner} (output for {self.url or self.path})"

    @property
    def planner(self) -> str:
        """Who planned this output, for messages: 'ssg' or "plugin 'feeds'"."""
        return "ssg" if self.origin == "core" else f"plugin {self.origin!r}"

    def describe(self) -> str:
        """For messages: 'posts/a/index.html (content/posts/a.md)', or the
        plugin that planned it."""
        if self.page is not None or self.copy_from is not None:
            return f"{self.path} ({self.source})"
        return f"{self.path} (from {self.planner})"

    def __repr__(self) -> str:
        return f"<Output {self.path} from {self.origin}>"


@dataclass(eq=False)
class Site:
    """Everything a build knows about the site. Passed explicitly to every stage
    and hook; there is no global state."""

    root: Path
    config: SiteConfig
    output_root: Path
    pages: list[Page] = field(default_factory=list)          # regular pages in lists, in the site's order
    unlisted: list[Page] = field(default_factory=list)       # regular pages in no list, or their section's only
    sections: dict[str, Section] = field(default_factory=dict)
    home: Page | None = None                                # content/_index.md, if any
    data: dict[str, Any] = field(default_factory=dict)
    static_files: list[tuple[str, Path]] = field(default_factory=list)   # (output path, source)
    taxonomies: dict[str, Any] = field(default_factory=dict)             # filled by the taxonomies plugin
    menus: dict[str, Any] = field(default_factory=dict)                  # filled by the menus plugin
    state: dict[str, Any] = field(default_factory=dict)     # per-build scratch space, keyed by plugin name
    errors: list[SsgError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    include_drafts: bool = False
    include_future: bool = False
    include_expired: bool = False
    build_time: datetime | None = None
    next_change: datetime | None = None                     # set with changes_at()
    skipped: dict[str, int] = field(default_factory=dict)   # pages left out, by reason ('draft', 'future', 'expired')
    offline: bool = False                                   # --offline: no network; use cached remote data
    elsewhere: Callable[[str], Page | None] | None = field(default=None, repr=False)   # pages not loaded here
    _by_source: dict[str, Page] = field(default_factory=dict, repr=False)

    @property
    def main_pages(self) -> list[Page]:
        """Pages of the main sections (config ``main_sections``; default: every
        section), newest first: what the home page and site feed list."""
        wanted = self.config.main_sections
        return [p for p in self.pages if p.section and (wanted is None or p.section.partition("/")[0] in wanted)]

    def page_by_source(self, source: str) -> Page | None:
        """The page built from ``source`` ('posts/a.md' or 'content/posts/a.md')."""
        key = source if source.startswith("content/") else f"content/{source.lstrip('/')}"
        if key not in self._by_source:   # built on first use; rebuilt if pages were added since
            self._by_source = {page.source: page for page in self.every_page()}
        from ssg.graph.reads import record

        record(("field", key, "source"))   # a template that looked it up depends on whether it exists
        found = self._by_source.get(key)
        if found is None and self.elsewhere is not None:   # a partial site (ssg/build/sources/partial.py)
            found = self.elsewhere(key)
        return found

    def replace_pages(self, pages: list[Page]) -> None:
        """The site's regular pages are now ``pages`` (a partial site's, ssg/build/sources/partial.py)."""
        self.pages, self._by_source = pages, {}

    def all_pages(self) -> Iterable[Page]:
        """Regular pages (those in lists, then the others), then section index pages, then the home page."""
        from ssg.graph.reads import record

        for name in ("pages", "unlisted", "sections", "home"):
            record(("site", name))
        return self.every_page()

    def every_page(self) -> Iterable[Page]:
        """``all_pages`` without recording a read (for ssg's own lookups)."""
        yield from self.pages
        yield from self.unlisted
        for section in self.sections.values():
            if section.index is not None:
                yield section.index
        if self.home is not None:
            yield self.home

    def changes_at(self, when: datetime) -> None:
        """Say that the site's output may change at ``when`` without any file of
        the site changing: a future-dated page is due then, or (``when`` =
        ``build_time``) the plugin's inputs live outside the site, such as remote
        data. A build after that moment loads and checks everything instead of
        concluding that nothing changed."""
        self.next_change = min(self.next_change or when, when)

    @property
    def state_dir(self) -> Path:
        """The site's ``.ssg/`` folder: build state and plugin caches (never published)."""
        return self.root / ".ssg"

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def __repr__(self) -> str:   # identity only: fingerprints record what is read from the site
        return "<Site>"
