"""Property: whatever a page's url or slug says, every output lands inside the
output folder, and a refusal is a PathError with a message (never a crash)."""

from __future__ import annotations

import os
import posixpath
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssg.build.entry import BuildOptions, build
from ssg.errors import PathError
from ssg.sources.urls import output_path

SEGMENTS = st.sampled_from(["..", ".", "", "a", "b.html", "%2e%2e", "..\\..", "\\", "\x00", "con", "CON.txt",
                            "~", "é", "ＡＢ", "\u202e", " ", "a b", "...", "/", "//", "?q", "#f", "C:", "\n"])
PATHISH = st.lists(st.one_of(SEGMENTS, st.text(max_size=6)), max_size=6).map("/".join)
URLS = st.one_of(PATHISH, PATHISH.map(lambda p: "/" + p), st.text(max_size=30))


def _inside(rel: str) -> bool:
    joined = posixpath.normpath(posixpath.join("/out", rel))
    return joined.startswith("/out/") and "\x00" not in rel and "\\" not in rel


@given(URLS)
@settings(max_examples=600, deadline=None)
def test_output_path_stays_inside_or_refuses(url):
    try:
        rel = output_path(url, what="url")
    except PathError as error:
        assert error.message
        return
    assert _inside(rel), rel
    assert ".." not in rel.split("/")


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@given(url=st.one_of(st.none(), URLS), slug=st.one_of(st.none(), PATHISH))
@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_built_site_never_writes_outside_its_output_folder(tmp_path_factory, url, slug):
    workspace = tmp_path_factory.mktemp("contain")
    site = workspace / "site"
    (site / "content/posts").mkdir(parents=True)
    (site / "ssg.toml").write_text('title = "T"\nbase_url = "https://example.org/"\n')
    meta = {"title": "Evil", "date": "2024-01-01"}
    if url is not None:
        meta["url"] = url
    if slug is not None:
        meta["slug"] = slug
    (site / "content/posts/evil.md").write_text("---\n" + yaml.safe_dump(meta) + "---\nbody\n")
    (site / "content/posts/good.md").write_text("---\ntitle: Good\n---\nbody\n")
    before = _files(workspace)
    result = build(site, BuildOptions())
    after = _files(workspace)
    new = after - before
    inside = (os.path.join("site", "public"), os.path.join("site", ".ssg"))   # output, and the build state
    assert all(p.startswith(inside) for p in new), sorted(new)
    assert (site / "public/posts/good/index.html").is_file()
    for error in result.errors:
        assert isinstance(error, PathError) or error.where is not None, error
        assert str(error)
