"""Pages outside the lists and values cascaded down the section tree (issue
21): ``headless: true`` and Hugo's ``build`` table (``render``: always,
never, link; ``list``: always, never, local; ``publishResources``), and
``cascade`` in a section's or the home page's _index.md, inherited by every
page below it unless the page sets the value itself, the nearest section
winning. Snippets and glossary entries stay out of the site's lists and
files; every incremental build equals a clean one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from warm_helpers import Serving, assert_like_a_clean_build, assert_state_is_exact

from ssg.build.entry import build

LIST = "{% for p in pages %}{{ p.slug }} {% endfor %}"
SITE = {
    "ssg.toml": 'title = "T"\nbase_url = "https://example.org/"\n',
    "templates/list.html": LIST,
    "templates/index.html": LIST,
    "templates/term.html": LIST,
    "content/docs/_index.md": "---\ntitle: Docs\ncascade:\n  params:\n    product: ssg\n---\n",
    "content/docs/install.md": "---\ntitle: Install\ndate: 2024-01-03\ntags: [x]\n---\nSee [the note](snippets/note.md).\n",
    "content/docs/local.md": "---\ntitle: Local\ndate: 2024-01-02\ntags: [x]\nbuild: {list: local}\n---\nx\n",
    "content/docs/quiet.md": "---\ntitle: Quiet\ndate: 2024-01-01\ntags: [x]\nbuild:\n  list: never\n---\nx\n",
    "content/docs/snippets/_index.md": "---\ntitle: Snippets\ncascade:\n  build: {render: never, list: never}\n---\n",
    "content/docs/snippets/note.md": "---\ntitle: Note\ntags: [x]\n---\nReusable text.\n",
    "content/docs/snippets/shown.md": "---\ntitle: Shown\nbuild: {render: always, list: always}\n---\nx\n",
    "content/glossary/term/index.md": "---\ntitle: Term\nheadless: true\n---\nA term.\n",
    "content/glossary/term/figure.png": b"\x89PNG\r\n\x1a\n",
    "content/glossary/linked.md": "---\ntitle: Linked\nbuild: {render: link}\n---\nx\n",
    "content/about.md": "---\ntitle: About\n---\nSee [linked](glossary/linked.md).\n",
}


def ssg(site: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site), *args],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == code, run.stderr + run.stdout
    return run


def listed(site: Path, rel: str) -> list[str]:
    return (site / "public" / rel).read_text().split()


def test_headless_and_build_options_keep_pages_out_of_files_and_lists(make_site):
    site = make_site(SITE)
    run = ssg(site)
    files = {str(p.relative_to(site / "public")) for p in (site / "public").rglob("*") if p.is_file()}
    assert {"docs/install/index.html", "docs/local/index.html", "docs/quiet/index.html",
            "docs/snippets/shown/index.html", "about/index.html"} <= files
    for gone in ("docs/snippets/note/", "glossary/term/", "glossary/linked/"):
        assert not any(name.startswith(gone) for name in files), gone
    assert listed(site, "index.html") == ["install", "linked", "shown"]     # "link": listed, with its URL
    assert listed(site, "docs/index.html") == ["install", "local"]
    assert listed(site, "tags/x/index.html") == ["install"]
    assert listed(site, "docs/snippets/index.html") == ["shown"]
    sitemap = (site / "public/sitemap.xml").read_text()
    assert "snippets/note" not in sitemap and "glossary/term" not in sitemap
    # a link to a page with no file of its own is a warning; one rendered elsewhere ("link") keeps its URL
    assert "content/docs/install.md:6: link to 'snippets/note.md' matches no page" in run.stderr
    assert "glossary/linked.md" not in run.stderr
    assert 'href="/glossary/linked/"' in (site / "public/about/index.html").read_text()


def test_the_nearest_cascade_wins_and_a_page_keeps_its_own_values(make_site):
    site = make_site({
        "content/_index.md": "---\ntitle: Home\ncascade:\n  product: site\n  tier: all\n---\n",
        "content/docs/_index.md": "---\ntitle: Docs\ncascade: {product: docs, template: doc.html}\n---\n",
        "content/docs/deep/er/page.md": "---\ntitle: Deep\n---\nx\n",
        "content/docs/own.md": "---\ntitle: Own\ntemplate: own.html\nproduct: own\n---\nx\n",
        "content/blog/post.md": "---\ntitle: Post\n---\nx\n",
        "templates/doc.html": "doc {{ page.params.product }} {{ page.params.tier }}",
        "templates/own.html": "own {{ page.params.product }} {{ page.params.tier }}",
        "templates/page.html": "page {{ page.params.product }} {{ page.params.tier }}",
    })
    assert build(site).ok
    assert (site / "public/docs/deep/er/page/index.html").read_text() == "doc docs all"
    assert (site / "public/docs/own/index.html").read_text() == "own own all"
    assert (site / "public/blog/post/index.html").read_text() == "page site all"


@pytest.mark.parametrize(("files", "where", "words"), [
    ({"content/a.md": "---\ntitle: A\nbuild: {render: sometimes}\n---\nx\n"}, "content/a.md:3", "'render'"),
    ({"content/a.md": "---\ntitle: A\nbuild: never\n---\nx\n"}, "content/a.md:3", "'build'"),
    ({"content/d/_index.md": "---\ntitle: D\ncascade:\n  build: {list: nowhere}\n---\n",
      "content/d/p.md": "x"}, "content/d/_index.md:4", "'list'"),
    ({"content/d/_index.md": "---\ntitle: D\ncascade:\n  - _target: {path: /d/**}\n    draft: true\n---\n",
      "content/d/p.md": "x"}, "content/d/_index.md:3", "target"),
])
def test_a_bad_build_table_or_cascade_is_an_error_at_its_line(make_site, files, where, words):
    site = make_site(files)
    run = ssg(site, code=1)
    assert where in run.stderr and words in run.stderr


def test_edits_of_cascades_and_build_tables_equal_a_clean_build(make_site, tmp_path):
    site = make_site(SITE)
    assert build(site).ok
    snippets = site / "content/docs/snippets/_index.md"
    snippets.write_text("---\ntitle: Snippets\n---\n")          # the cascade goes: the snippets are pages again
    result = build(site)
    assert "docs/snippets/note/index.html" in result.written
    assert listed(site, "docs/snippets/index.html") == ["note", "shown"]
    assert_like_a_clean_build(site, tmp_path)
    quiet = site / "content/docs/quiet.md"
    quiet.write_text(quiet.read_text().replace("build:\n  list: never\n", ""))
    result = build(site)
    assert listed(site, "docs/index.html") == ["install", "local", "quiet"]
    assert_like_a_clean_build(site, tmp_path)
    install = site / "content/docs/install.md"
    install.write_text(install.read_text() + "\nMore.\n")
    result = build(site)
    assert result.ok and "docs/install/index.html" in result.written
    assert result.narrow, result.timings    # pages outside the lists, with no file or only a link: a partial site
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)
    assert json.loads(ssg(site, "--json").stdout)["files_written"] == 0


def test_ssg_serve_rebuilds_pages_below_a_cascade_as_a_clean_build_would(make_site, tmp_path):
    site = make_site(SITE)
    serving = Serving(site)
    result = serving.edit("content/docs/snippets/note.md", "---\ntitle: Note, edited\ntags: [x]\n---\nNew text.\n")
    assert result.ok and not any("note" in path for path in result.written)     # still headless
    result = serving.edit("content/docs/install.md",
                          "---\ntitle: Install, edited\ndate: 2024-01-03\ntags: [x]\n---\nNew.\n")
    assert result.ok and "docs/install/index.html" in result.written
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)
