"""bench/serve_bench.py's edit kinds: each changes only its field of a
generated post, and the page then shows what the benchmark waits for."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import pytest

from ssg.sources.content import split_front_matter

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))
from gen_corpus import generate  # noqa: E402
from serve_bench import EDITS  # noqa: E402

MARKER = "servebench007xdeadbeef"


@pytest.fixture(scope="module")
def post(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("corpus")
    generate(folder, 3, "posts")
    return (folder / "posts/post-00002.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["body", "title", "tag", "date"])
def test_an_edit_changes_only_its_field(post, kind):
    before, body, _line = split_front_matter(post, "post-00002.md")
    edited, shows = EDITS[kind](post, 7, MARKER)
    after, new_body, _line = split_front_matter(edited, "post-00002.md")
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed == {"body": set(), "title": {"title"}, "tag": {"tags"}, "date": {"date"}}[kind]
    assert (new_body != body) == (kind == "body")
    if kind == "body":
        assert MARKER in new_body and shows == MARKER
    elif kind == "title":
        assert after["title"] == f"{before['title']} {MARKER}" and shows == MARKER
    elif kind == "tag":
        assert after["tags"] == [*before["tags"][:-1], MARKER] and shows == MARKER
    else:
        assert after["date"].replace(tzinfo=None) == datetime(1990, 1, 8) and shows == "1990-01-08"


def test_an_edit_of_a_post_without_the_field_says_so():
    from serve_bench import BenchError

    with pytest.raises(BenchError, match="tags"):
        EDITS["tag"]('---\ntitle: "A note"\n---\n\nText.\n', 1, MARKER)
