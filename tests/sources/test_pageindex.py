"""The page index (ssg/sources/pageindex.py): a page's row gives back every
field but its long text, each the same value of the same type (a page's
fingerprint shows types: ``Markup('x')`` is not ``'x'``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from markupsafe import Markup

from ssg.graph.fingerprint import page_state
from ssg.model import Page
from ssg.sources.pageindex import INDEX_FIELDS, LONG_TEXT, index_row, indexed_page


def page(**fields) -> Page:
    base = dict(source="content/posts/a.md", section="posts", slug="a", title="A <b>",
                date=datetime(2024, 3, 5, 10, 20, tzinfo=timezone(timedelta(hours=-5))),
                summary=Markup("<p>About &amp; more.</p>"), url="/posts/a/",
                content="<p>long</p>", body="long", params={"summary": "About", "note": Markup("<i>n</i>")})
    page = Page(**{**base, **fields})
    page.taxonomies = {"tags": ("x", "y")}
    return page


@pytest.mark.parametrize("summary", [Markup("<p>About &amp; more.</p>"), "plain text", Markup(""), ""],
                         ids=["markup", "str", "empty-markup", "empty-str"])
def test_a_row_gives_back_every_indexed_field_as_it_was(summary):
    original = page(summary=summary, updated=datetime(2024, 4, 1, tzinfo=UTC))
    again = indexed_page(index_row(original))
    for name in INDEX_FIELDS:
        value = getattr(original, name)
        assert getattr(again, name) == value and type(getattr(again, name)) is type(value), name
    assert type(again.params["note"]) is Markup
    assert again.date.utcoffset() == timedelta(hours=-5)
    fresh = Page(source="x", section="", slug="x", title="", date=None)
    for name in LONG_TEXT:     # not held: the field's default
        assert getattr(again, name) == getattr(fresh, name), name
    # all but the long text fingerprints alike
    assert page_state(again) == page_state(page(summary=summary, updated=datetime(2024, 4, 1, tzinfo=UTC),
                                                content="", body="", toc=()))


def test_a_row_is_the_same_bytes_for_the_same_page():
    """The partial site compares rows to tell a page is as the last build made it."""
    assert index_row(page()) == index_row(page())
    assert index_row(page()) != index_row(page(summary="<p>About &amp; more.</p>"))
