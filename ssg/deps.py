"""Dependencies recorded while rendering, and their evaluation in a later build.

While an output renders, a ``Recorder`` is active and collects *keys*: what
the output read. The Jinja environment reports every attribute read on a
model entity and every template it loaded (ssg/templates.py); core helpers
and ``Site`` lookups report what they read in Python. A key is a tuple of
strings that can be evaluated against any later build's model:

    ("page", source)              everything about one page (an output's own page)
    ("field", source, name)       one field of a page, e.g. the title a list shows
    ("section", name, attr)       one attribute of a section (its page list, title...)
    ("site", attr)                one attribute of the site (pages, sections, taxonomies...)
    ("site", attr, *path)         a value reached from it: ("site", "taxonomies", "tags", "url")
                                  (reads of a ``tracked`` object's attributes, such as a taxonomy's)
    ("config", attr)              one config value
    ("data", name)                one top-level entry of data/ (a data file)
    ("template", name)            which file a template name resolves to, and its bytes
    ("file", path)                the bytes of a site file (copied outputs)
    ("asset", path)               which static file a path resolves to, and its bytes (asset())

Each key's fingerprint is stored with the build state; an output is dirty when
any of its keys now fingerprints differently (see ssg/planner.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssg.fingerprint import MISSING, Fingerprinter, KnownText, digest, page_state

if TYPE_CHECKING:
    from ssg.model import Page, Site
    from ssg.templates import SiteEnvironment

Key = tuple[str, ...]


TRACKED: set[type] = set()    # classes whose attribute reads templates record (``tracked``)


def tracked(cls: type) -> type:
    """Class decorator for model objects a plugin adds to the site: a
    template's read of an attribute of an instance is recorded as the key
    ``(*instance.dependency_path, name)``, where ``dependency_path`` is how
    the instance is reached from the site, e.g. ("site", "taxonomies", "tags")
    (each step an attribute, or a key of a mapping). The instance can then
    show as its identity in fingerprints (``<Taxonomy tags>``): what an
    output read of it is a dependency of its own. Code of the class that
    templates call (a method) records what it reads with ``record``."""
    TRACKED.add(cls)
    return cls


class Recorder:
    """The keys one output read. Reads of ``own_page``'s fields are not noted
    one by one: the output depends on its own page as a whole."""

    def __init__(self, own_page: str | None = None) -> None:
        self.own_page = own_page
        self.keys: set[Key] = set() if own_page is None else {("page", own_page)}


_current: Recorder | None = None


def current() -> Recorder | None:
    return _current


def record(key: Key) -> None:
    """Note that the output being rendered read ``key`` (no-op outside a render)."""
    if _current is not None:
        _current.keys.add(key)


class recording:
    """``with recording(own_page) as recorder:`` collects the keys read inside the block."""

    def __init__(self, own_page: str | None = None) -> None:
        self.own_page = own_page

    def __enter__(self) -> Recorder:
        global _current
        self._outer = _current
        _current = Recorder(self.own_page)
        return _current

    def __exit__(self, *exc: object) -> None:
        global _current
        _current = self._outer


class DataView(Mapping):
    """``site.data`` as templates see it: reading ``data.team`` records
    ("data", "team"); listing the keys records every entry."""

    def __init__(self, data: Mapping[str, Any]):
        self._data = data

    def __getitem__(self, key: str) -> Any:
        record(("data", str(key)))
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        record(("site", "data"))
        return iter(self._data)

    def __len__(self) -> int:
        record(("site", "data"))
        return len(self._data)

    def __repr__(self) -> str:
        return f"DataView({self._data!r})"


class Evaluator:
    """Fingerprints keys against one build's model; each key once per build."""

    def __init__(self, site: Site, env: SiteEnvironment, file_digest, previous: Mapping[str, str] | None = None,
                 known: Mapping[str, KnownText] | None = None, pages: Mapping[str, Page] | None = None):
        self.site = site
        self.known = known or {}            # source -> a page's long fields with their digest (see page_state)
        self.env = env
        self.file_digest = file_digest      # site-relative path -> content digest (stat-cached)
        self.previous = previous or {}      # key text -> fingerprint as of the last build
        self.fingerprint = Fingerprinter()
        self.pages = pages if pages is not None else {page.source: page for page in site._every_page()}
        self.static = dict(site.static_files)
        self._done: dict[Key, str] = {}
        self._page_changed: dict[str, bool] = {}

    def __call__(self, key: Key) -> str:
        value = self._done.get(key)
        if value is None:
            value = self._done[key] = self._evaluate(key)
        return value

    def changed(self, text: str, fp: str) -> bool:
        """Whether a recorded key (as stored) fingerprints differently from
        ``fp`` now. A field of a page that did not change at all did not change:
        the common case, told without splitting the key."""
        if text.startswith("field\x1f") and not self.page_changed(text[6:text.index("\x1f", 6)]):
            return False
        return self(text_key(text)) != fp

    def page_changed(self, source: str) -> bool:
        """The page built from ``source`` differs in anything from the last
        build's (or is new, or gone)."""
        found = self._page_changed.get(source)
        if found is None:
            before = self.previous.get(f"page\x1f{source}")
            found = self._page_changed[source] = before is None or self(("page", source)) != before
        return found

    def _page(self, source: str) -> Page | None:
        """The page built from ``source``: one of the model's, or (in a partial
        site, ssg/narrow.py) one the site finds elsewhere."""
        page = self.pages.get(source)
        if page is None and self.site.elsewhere is not None:
            page = self.site.elsewhere(source)
        return page

    def _evaluate(self, key: Key) -> str:
        kind = key[0]
        site = self.site
        try:
            if kind == "page":
                page = self._page(key[1])
                return page_state(page, self.known.get(key[1])) if page is not None else MISSING
            if kind == "field":
                page = self._page(key[1])
                if page is None:
                    return MISSING
                if not self.page_changed(key[1]):
                    known = self.previous.get(key_text(key))
                    if known is not None:    # the page did not change at all: neither did this field
                        return known
                return self.fingerprint(getattr(page, key[2]))
            if kind == "section":
                section = site.sections.get(key[1])
                return self.fingerprint(getattr(section, key[2])) if section is not None else MISSING
            if kind == "site":
                value = getattr(site, key[1])
                for step in key[2:]:
                    value = value[step] if isinstance(value, Mapping) else getattr(value, step)
                return self.fingerprint(value)
            if kind == "config":
                return self.fingerprint(getattr(site.config, key[1]))
            if kind == "data":
                return self.fingerprint(site.data[key[1]]) if key[1] in site.data else MISSING
            if kind == "template":
                return self._template(key[1])
            if kind == "file":
                return self.file_digest(key[1])
            if kind == "asset":
                source = self.static.get(key[1])
                return digest(f"{source}\0{self.file_digest(str(source))}") if source is not None else MISSING
        except (AttributeError, KeyError, TypeError):
            return MISSING
        return MISSING      # a key this version does not know: treat as changed

    def _template(self, name: str) -> str:
        import jinja2

        try:
            source, filename, _ = self.env.loader.get_source(self.env, name)
        except jinja2.TemplateNotFound:
            return MISSING
        return digest(f"{filename}\0{source}")


def key_text(key: Key) -> str:
    """The form stored in the state database (and shown by --explain)."""
    return "\x1f".join(key)


def text_key(text: str) -> Key:
    return tuple(text.split("\x1f"))


def describe(key: Key, root: Path | None = None) -> str:
    """For --explain: 'the title of content/posts/a.md'."""
    kind = key[0]
    return {
        "page": lambda: f"{key[1]} (the page itself)",
        "field": lambda: f"the {key[2]} of {key[1]}",
        "section": lambda: f"the {key[2]} of section '{key[1]}'",
        "site": lambda: "site." + ".".join(key[1:]),
        "config": lambda: f"config value '{key[1]}'",
        "data": lambda: f"data.{key[1]}",
        "template": lambda: f"template '{key[1]}'",
        "file": lambda: f"file {key[1]}",
        "asset": lambda: f"static file '{key[1]}'",
    }.get(kind, lambda: " ".join(key))()
