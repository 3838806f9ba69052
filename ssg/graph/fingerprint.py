"""Stable fingerprints of model values, for the dependency graph.

A fingerprint is a short digest of a value's ``repr``. Model reprs are chosen
for this: a page shows as ``<Page content/posts/a.md>`` and a section as
``<Section posts>`` (identity only), so a list of pages fingerprints by which
pages it holds and in what order. What a template reads *from* a page is
recorded as its own dependency (ssg/graph/deps.py): a list page depends on the
titles it shows, not on the bodies of the pages it lists.

A value whose repr is not stable between runs (an object shown with its
memory address, a set of strings) fingerprints differently every build: the
outputs that read it are always rebuilt. That errs on the safe side.
"""

from __future__ import annotations

import dataclasses
import hashlib
import operator
from typing import Any

from ssg.model import TEXT_FIELDS, Page, Paginator, held, listing_repr

MISSING = "<missing>"
_PLAIN = (str, int, float, bool, type(None))


def digest(text: str | bytes) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text,
                           digest_size=16).hexdigest()


class Fingerprinter:
    """Fingerprints values of one build, memoised by identity for containers
    and objects (a taxonomy shared by 40 term pages is walked once). The model
    does not change once planning is done."""

    def __init__(self) -> None:
        self._memo: dict[int, str] = {}
        self._keep: list[Any] = []     # memoised objects stay alive, so their ids stay theirs

    def __call__(self, value: Any) -> str:
        kind = type(value)
        if kind in _PLAIN:
            return digest(repr(value))
        if kind is Paginator:    # each page of a list holds the list's URLs, one tuple: walked once, not once a page
            return digest(f"Paginator({listing_repr(value.items)}, {value.number!r}, {self(value.urls)}, "
                          f"{value.per_page!r}, {value.total_items!r})")
        key = id(value)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = digest(listing_repr(value))
            self._keep.append(value)
        return found


_REST = operator.attrgetter(*(f.name for f in dataclasses.fields(Page) if f.name not in TEXT_FIELDS))
_FIELD_COUNT = len(dataclasses.fields(Page))


@dataclasses.dataclass(frozen=True)
class KnownText:
    """A page's long fields as parsing (and link resolution) made them, with a
    digest of what determined them: the file's bytes, the parser, the links'
    targets. While the page still holds these very objects, ``page_state`` uses
    the digest instead of hashing megabytes of HTML again."""

    content: str
    summary: str
    body: Any        # as the page holds it (``model.held``): the text, or a kept text
    toc: tuple
    digest: str

    def holds(self, page: Page) -> bool:
        return (page.content is self.content and page.summary is self.summary and held(page, "body") is self.body
                and page.toc is self.toc)


def page_state(page: Page, known: KnownText | None = None) -> str:
    """Everything about one page: what its own output depends on as a whole.
    The long text fields are hashed as they are (``repr`` of Markup is slow), or
    stand in by ``known.digest`` while the page still holds them; attributes a
    plugin set on the page beyond its fields count too."""
    fields = vars(page)
    extra = repr(sorted(fields.items())) if len(fields) > _FIELD_COUNT else ""
    if known is not None and known.holds(page):
        big = known.digest
    else:
        big = f"{page.content}\x1f{page.summary}\x1f{page.body}\x1f{page.toc!r}"
    return digest(f"{big}\x1f{_REST(page)!r}\x1f{extra}")
