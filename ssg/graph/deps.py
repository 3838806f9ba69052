"""Dependencies recorded while rendering, and their evaluation in a later build.

While an output renders, a ``Recorder`` is active and collects *keys*: what
the output read. The Jinja environment reports every attribute read on a
model entity and every template it loaded (ssg/build/templates.py); core helpers
and ``Site`` lookups report what they read in Python. A key is a tuple of
strings that can be evaluated against any later build's model:

    ("page", source)              everything about one page (an output's own page)
    ("field", source, names)      fields of a page, e.g. the title and date a list shows: one
                                  name, or the names an output read of that page, sorted and
                                  joined by FIELDS (one key per listed page, not per field read);
                                  'params.NAME' is one entry of the page's front matter
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
any of its keys now fingerprints differently (see ssg/build/dirty.py). A key of
several fields fingerprints as the fingerprints of its fields joined by
``FIELDS``, so --explain can say which of them changed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING

from ssg.graph.fingerprint import MISSING, Fingerprinter, KnownText, digest, page_state
from ssg.graph.reads import FIELDS, Key

if TYPE_CHECKING:
    from ssg.build.templates import SiteEnvironment
    from ssg.model import Page, Site

BY_BUILD = ("file", "asset")   # fingerprinted by hashing files: the build keeps those hashes, so it takes these


class Evaluator:
    """Fingerprints keys against one build's model; each key once per build."""

    def __init__(self, site: Site, env: SiteEnvironment, file_digest, previous: Mapping[str, str] | None = None,
                 known: Mapping[str, KnownText] | None = None, pages: Mapping[str, Page] | None = None,
                 changed_pages: Collection[str] | None = None, deferred: Callable[[Key], bool] | None = None,
                 entries: dict[Key, tuple[str, str]] | None = None):
        self.site = site
        self.known = known or {}            # source -> a page's long fields with their digest (see page_state)
        self.env = env
        self.file_digest = file_digest      # site-relative path -> content digest (stat-cached)
        self.previous = previous or {}      # key text -> fingerprint as of the last build
        self.fingerprint = Fingerprinter()
        self.pages = pages if pages is not None else {page.source: page for page in site.every_page()}
        self.static = dict(site.static_files)
        self._done: dict[Key, str] = {}
        # key -> (its text, its fingerprint or '') as stored; ``entries``: those the caller knows already (the
        # fields of pages that did not change, as committed: ``stored`` makes no entry for the ten thousand a list read)
        self._stored: dict[Key, tuple[str, str]] = {} if entries is None else entries
        self._page_changed: dict[str, bool] = {}
        # known to the caller: every other page is the last build's, untouched
        self._changed_pages = None if changed_pages is None else frozenset(changed_pages)
        self.deferred = deferred           # keys ``stored`` leaves to the build, as those of files

    def __call__(self, key: Key) -> str:
        value = self._done.get(key)
        if value is None:
            value = self._done[key] = self._evaluate(key)
        return value

    def stored(self, keys: Iterable[Key]) -> dict[str, str]:
        """``keys`` as the state stores them: key text -> fingerprint, ''
        for the keys of files (``BY_BUILD``) and the ``deferred`` ones. Each key's entry is made once
        and shared: the dict of a list that read thousands of keys is built
        in C, and a batch of results pickles each text once."""
        entries, deferred, previous, pages = self._stored, self.deferred, self.previous, self.pages
        for key in [key for key in keys if key not in entries]:
            text = key_text(key)
            if key[0] in BY_BUILD or deferred is not None and deferred(key):
                fp = ""
            elif key[0] == "field" and key[1] in pages and not self.page_changed(key[1]):
                # the fields of a page that did not change at all: as recorded (a list reads thousands)
                fp = previous.get(text) or self(key)
            else:
                fp = self(key)
            entries[key] = (text, fp)
        return dict(map(entries.__getitem__, keys))

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
        if self._changed_pages is not None:
            return source in self._changed_pages
        found = self._page_changed.get(source)
        if found is None:
            before = self.previous.get(f"page\x1f{source}")
            found = self._page_changed[source] = before is None or self(("page", source)) != before
        return found

    def _page(self, source: str) -> Page | None:
        """The page built from ``source``: one of the model's, or (in a partial
        site, ssg/build/sources/partial.py) one the site finds elsewhere."""
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
                    if known is not None:    # the page did not change at all: neither did these fields
                        return known
                if FIELDS not in key[2]:
                    return self.fingerprint(field_value(page, key[2]))
                return FIELDS.join(self._field(page, name) for name in key[2].split(FIELDS))
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
            if kind == "file":      # a path from the state: only a regular file is read (not a FIFO, a device)
                return self.file_digest(key[1]) if _regular_file(key[1]) else MISSING
            if kind == "asset":
                source = self.static.get(key[1])
                return digest(f"{source}\0{self.file_digest(str(source))}") if source is not None else MISSING
        except (AttributeError, KeyError, TypeError):
            return MISSING
        return MISSING      # a key this version does not know: treat as changed

    def _field(self, page: Page, name: str) -> str:
        try:
            return self.fingerprint(field_value(page, name))
        except (AttributeError, KeyError, TypeError):
            return MISSING

    def _template(self, name: str) -> str:
        import jinja2

        try:
            source, filename, _ = self.env.loader.get_source(self.env, name)
        except jinja2.TemplateNotFound:
            return MISSING
        return digest(f"{filename}\0{source}")


def field_value(page: Page, name: str) -> object:
    """The field ``name`` of ``page``; 'params.NAME' is one entry of its
    front matter (a KeyError when there is none)."""
    head, dot, entry = name.partition(".")
    value = getattr(page, head)
    return value[entry] if dot else value


def _regular_file(path: str) -> bool:
    import os
    import stat

    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def key_text(key: Key) -> str:
    """The form stored in the state database (and shown by --explain)."""
    return "\x1f".join(key)


def text_key(text: str) -> Key:
    return tuple(text.split("\x1f"))


def describe(key: Key, before: str | None = None, now: str | None = None) -> str:
    """For --explain: 'the title of content/posts/a.md'. For a key of several
    fields, given its fingerprints ``before`` and ``now``, only the fields
    whose fingerprints differ are named."""
    kind = key[0]
    return {
        "page": lambda: f"{key[1]} (the page itself)",
        "field": lambda: f"the {_names(key[2], before, now)} of {key[1]}",
        "section": lambda: f"the {key[2]} of section '{key[1]}'",
        "site": lambda: "site." + ".".join(key[1:]),
        "config": lambda: f"config value '{key[1]}'",
        "data": lambda: f"data.{key[1]}",
        "template": lambda: f"template '{key[1]}'",
        "file": lambda: f"file {key[1]}",
        "asset": lambda: f"static file '{key[1]}'",
    }.get(kind, lambda: " ".join(key))()


def _names(names: str, before: str | None, now: str | None) -> str:
    """'title', 'title and date', 'date, title and url': the fields of a key
    whose fingerprints differ (all of them when that cannot be told)."""
    listed = names.split(FIELDS)
    if before is not None and now is not None:
        old, new = before.split(FIELDS), now.split(FIELDS)
        if len(old) == len(new) == len(listed):
            listed = [name for name, a, b in zip(listed, old, new, strict=True) if a != b] or listed
    return listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} and {listed[-1]}"
