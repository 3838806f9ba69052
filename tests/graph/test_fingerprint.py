"""Fingerprints are digests of ``repr``s; lists of pages are shown without a
Python call per page (``model.listing_repr``). The text must be exactly the
``repr``, or an output's plan would change meaning: a list holding other
pages, or the same pages in another order, must fingerprint differently."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ssg.graph.fingerprint import Fingerprinter
from ssg.model import Page, Paginator, listing_repr

SOURCES = st.text(min_size=1, max_size=20)
PAGES = st.builds(lambda source: Page(source=source, section="", slug="s", title="t", date=None), SOURCES)
ITEMS = st.lists(st.one_of(PAGES, SOURCES, st.none(), st.integers()), max_size=6)


@given(st.one_of(st.lists(PAGES, max_size=6), ITEMS, st.tuples(PAGES, PAGES)))
def test_listing_repr_is_repr(value):
    assert listing_repr(value) == repr(value)


@given(st.lists(PAGES, min_size=2, max_size=6, unique_by=lambda page: page.source))
def test_a_paginator_fingerprints_by_its_pages_and_their_order(pages):
    fingerprint = Fingerprinter()
    one = Paginator(items=pages, number=1, urls=("/a/",), per_page=len(pages), total_items=len(pages))
    other = Paginator(items=pages[::-1], number=1, urls=("/a/",), per_page=len(pages), total_items=len(pages))
    assert fingerprint(one) != fingerprint(other)
    assert fingerprint(pages) == Fingerprinter()(list(pages)) != fingerprint(pages[1:])
