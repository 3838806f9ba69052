"""The page index: each published regular page of the last build (in the
lists or not: ``site.pages`` and ``site.unlisted``) as the site
held it (placed, passed through ``ssg_page_parsed``, links resolved), without
its long text (``content``, ``body``, ``toc``). The state keeps one row per
page (ssg/graph/state.py), written when the page's own output is rendered;
a partial site (ssg/build/sources/partial.py) holds every page of the site
from it without parsing, placing or linking one: its lists, sections and
terms are the site's."""

from __future__ import annotations

import pickle

from ssg.model import PAGE_FIELDS, Page

# What a row holds: every field but the page's long text. The summary stays: lists show it.
INDEX_FIELDS = tuple(name for name in PAGE_FIELDS if name not in ("content", "body", "toc"))
LONG_TEXT = frozenset(PAGE_FIELDS) - set(INDEX_FIELDS)


def index_row(page: Page) -> bytes:
    """``page`` as its row stores it."""
    return pickle.dumps(tuple(getattr(page, name) for name in INDEX_FIELDS), protocol=pickle.HIGHEST_PROTOCOL)


def indexed_page(row: bytes) -> Page:
    """The page a row stores. Its long text is not there: it reads as the
    field's default, and a render that reads it is told apart by its keys
    (``LONG_TEXT``)."""
    page = Page.__new__(Page)
    page.__dict__.update(zip(INDEX_FIELDS, pickle.loads(row), strict=True))   # noqa: S301 (ssg's own state)
    return page
