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


@given(st.lists(PAGES, min_size=1, max_size=4), st.lists(st.text(max_size=8), min_size=2, max_size=5, unique=True),
       st.data())
def test_a_paginator_fingerprints_by_every_url_of_its_list(pages, urls, data):
    """Every page of a list holds one tuple of the list's URLs, fingerprinted
    once for all of them: a paginator still fingerprints apart when any URL,
    its number or its counts differ, and alike when they are equal."""
    urls = tuple(urls)
    number = data.draw(st.integers(1, len(urls)))
    def paginator(**change):
        fields = dict(items=pages, number=number, urls=urls, per_page=len(pages), total_items=len(pages) * len(urls))
        return Paginator(**{**fields, **change})
    fingerprint = Fingerprinter()
    first = fingerprint(paginator())
    assert fingerprint(paginator()) == Fingerprinter()(paginator(urls=tuple(list(urls)))) == first
    moved = data.draw(st.integers(0, len(urls) - 1))
    other_urls = urls[:moved] + (urls[moved] + "/x",) + urls[moved + 1:]
    assert fingerprint(paginator(urls=other_urls)) != first
    assert fingerprint(paginator(number=number % len(urls) + 1)) != first
    assert fingerprint(paginator(per_page=len(pages) + 1)) != first
    assert fingerprint(paginator(total_items=0)) != first
