"""Narrow rebuilds (ssg/build/sources/partial.py): ``ssg build`` after an edit of page text
renders the outputs that read it in a partial site, without loading the
site, when every read checks out against the last build's. Each test checks
what a user would: the files written (exactly those whose bytes changed),
the output against a clean build, that the next build finds nothing to do,
and that a full build runs (and is right) whenever the partial site could
differ from the site."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ssg.build.entry import BuildResult, build


def post(title: str, body: str, *, summary: str = "Fixed summary.", tags: str = "x", day: int = 1) -> str:
    return f"---\ntitle: {title}\ndate: 2024-03-{day:02d}\ntags: [{tags}]\nsummary: {summary}\n---\n{body}\n"


# A page template that reads its page, the config and its section (as the
# benchmark's does), and one of the default theme's lists, which read site-wide
# values: the lists are not rendered by a body edit that keeps the summary.
PAGE = ('<title>{{ page.title }} | {{ site.config.title }}</title><h1>{{ page.title }}</h1>'
        '<p>in {{ section.title if section else "" }}</p>{{ page.content }}'
        '{% for t in page.tags %}<a href="/tags/{{ t }}/">{{ t }}</a>{% endfor %}\n')
SITE = {
    "content/posts/_index.md": "---\ntitle: The Posts\n---\nAll of them.\n",
    "content/posts/a.md": post("Alpha", "Alpha body.", day=1),
    "content/posts/b.md": post("Beta", "Beta body.\n\n## Part\n\nMore.", tags="x, y", day=2),
    "content/posts/c.md": post("Gamma", "Gamma body, linking [Alpha](a.md).", day=3),
    "content/about.md": "---\ntitle: About\n---\nWho we are.\n",
    "templates/page.html": PAGE,
}


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class Site:
    """A site built once; ``edit`` changes files and builds as ``ssg build`` does,
    checking the files written are exactly those whose bytes changed."""

    def __init__(self, root: Path):
        self.root = root
        assert build(root).ok

    def edit(self, files: dict[str, str | None]) -> BuildResult:
        for rel, text in files.items():
            path = self.root / rel
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        before = tree(self.root / "public")
        result = build(self.root)
        after = tree(self.root / "public")
        assert result.ok, result.errors
        assert set(result.written) == {rel for rel, data in after.items() if before.get(rel) != data}
        assert set(result.deleted) == set(before) - set(after)
        return result

    def assert_like_a_clean_build(self, tmp_path: Path) -> None:
        fresh = tmp_path / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(self.root, fresh, ignore=shutil.ignore_patterns("public", ".ssg"))
        assert build(fresh).ok
        assert tree(fresh / "public") == tree(self.root / "public")

    def assert_state_is_exact(self) -> None:
        """The next build takes the nothing-changed path: nothing loaded, nothing written."""
        again = build(self.root)
        assert (again.written, again.deleted, again.errors) == ([], [], [])
        assert "load" not in again.timings and not again.narrow and not again.restamped, \
            "the committed state does not match the files"


@pytest.fixture
def site(make_site) -> Site:
    return Site(make_site(SITE))


def test_a_body_edit_writes_only_its_page_without_loading_the_site(site, tmp_path):
    result = site.edit({"content/posts/a.md": post("Alpha", "A new body.\n\n```python\nprint(1)\n```", day=1)})
    assert result.narrow and result.written == ["posts/a/index.html"]
    assert result.source == "partial site", "a body edit needs no page index: only the edited page is loaded"
    assert result.parsed == 1 and "load" not in result.timings
    page = (site.root / "public/posts/a/index.html").read_text()
    assert "A new body." in page and "in The Posts" in page and '<a href="/tags/x/">x</a>' in page
    site.assert_like_a_clean_build(tmp_path)
    site.assert_state_is_exact()


def test_edits_in_a_row_then_a_full_build_agree(site, tmp_path):
    for n in range(3):
        result = site.edit({"content/posts/b.md": post("Beta", f"Edit {n}, see [Gamma](c.md).", tags="x, y", day=2)})
        assert result.narrow and result.written == ["posts/b/index.html"]
    assert '<a href="/posts/c/">Gamma</a>' in (site.root / "public/posts/b/index.html").read_text(), \
        "a link to a page the partial site did not hold resolves to its URL"
    site.assert_like_a_clean_build(tmp_path)
    result = site.edit({"content/posts/a.md": post("Alpha renamed", "Alpha body.", day=1)})
    assert result.narrow and "posts/a/index.html" in result.written
    site.assert_like_a_clean_build(tmp_path)


def test_two_pages_at_once_and_a_touched_file(site, tmp_path):
    result = site.edit({"content/posts/a.md": post("Alpha", "New A, linking [Beta](b.md).", day=1),
                        "content/posts/b.md": post("Beta", "New B, linking [Alpha](a.md).", tags="x, y", day=2)})
    assert result.narrow and result.written == ["posts/a/index.html", "posts/b/index.html"]
    site.assert_like_a_clean_build(tmp_path)
    (site.root / "content/posts/c.md").touch()
    result = site.edit({})        # a new time, the same bytes: the state takes the new time (ssg/build/restamp.py)
    assert result.restamped == 1 and result.written == [] and result.parsed == 0 and "load" not in result.timings
    site.assert_state_is_exact()


def test_an_edit_back_to_the_same_bytes_writes_nothing(site):
    text = (site.root / "content/posts/a.md").read_text()
    site.edit({"content/posts/a.md": post("Alpha", "Changed.", day=1)})
    result = site.edit({"content/posts/a.md": text})
    assert result.narrow and result.written == ["posts/a/index.html"]
    result = site.edit({"content/posts/a.md": text + "\n"})   # the same HTML
    assert result.narrow and result.written == [] and result.unchanged.count("posts/a/index.html") == 1


A_TITLE = '{{ page.content }}<p>first: {{ site.page_by_source("posts/a.md").title }}</p>\n'
SITE_PAGES = '{{ page.content }}<p>{{ site.pages|length }} posts</p>\n'
TERM_COUNT = '{{ page.content }}<p>{{ site.taxonomies.tags.terms.x.count }} tagged x</p>\n'
NEXT_PLUGIN = """
from ssg.api import hookimpl

page_fields_read = ()

@hookimpl
def ssg_site_loaded(site):
    for page, newer in zip(site.pages[1:], site.pages):
        page.params["newer"] = newer.url
"""
NEXT_TEMPLATE = '{{ page.content }}<a href="{{ page.params.newer }}">newer</a>\n'
COUNT_PLUGIN = """
from ssg.api import hookimpl

page_fields_read = ()

@hookimpl
def ssg_template_context(output, context, site):
    context["count"] = len(site.pages)
"""
COUNT_TEMPLATE = '{{ page.content }}<p>{{ count }} pages</p>\n'


@pytest.mark.parametrize("files, edit", [
    pytest.param({"templates/page.html": TERM_COUNT}, {}, id="the template reads a term's page count"),
    pytest.param({"templates/page.html": SITE_PAGES}, {}, id="the template reads the page list"),
    pytest.param({"plugins/count.py": COUNT_PLUGIN, "templates/page.html": COUNT_TEMPLATE}, {},
                 id="a plugin puts a site-wide value in the render context"),
    pytest.param({}, {"content/posts/a.md": post("Alpha", "New body.", summary="A new summary.", day=1)},
                 id="the summary the lists show changed"),
    pytest.param({}, {"content/posts/a.md": post("Alpha again", "New body.", day=1)}, id="the title changed"),
    # every page shows Alpha's title: the pages from the index render with their own text
    pytest.param({"templates/page.html": A_TITLE}, {"content/posts/a.md": post("Alpha again", "New body.", day=1)},
                 id="every page shows the edited title"),
    pytest.param({}, {"content/posts/a.md": post("Alpha", "New body.", day=1).replace("2024-03-01", "2024-02-01")},
                 id="a date that keeps the post's place"),
])
def test_the_partial_site_holds_every_page_of_the_index(make_site, tmp_path, files, edit):
    """Every page of the site is in the partial site (from the page index):
    what a template or a plugin reads of the others, or of the lists, terms and
    sections, is the site's; a title, summary or date edit renders the lists
    and feeds that show it."""
    site = Site(make_site({rel: text for rel, text in {**SITE, **files}.items() if text is not None}))
    result = site.edit({"content/posts/a.md": post("Alpha", "Edited body.", day=1), **edit})
    assert result.narrow and "load" not in result.timings, result.timings
    assert result.source == "partial site (every page)"
    assert "posts/a/index.html" in result.written
    site.assert_like_a_clean_build(tmp_path)
    site.assert_state_is_exact()


@pytest.mark.parametrize("edit, gone", [
    pytest.param({"content/posts/a.md": post("Alpha", "New body.", tags="x, z", day=1)}, [], id="a new tag"),
    pytest.param({"content/posts/b.md": post("Beta", "Beta body.", tags="x", day=2)}, ["tags/y/index.html"],
                 id="a term emptied"),
    pytest.param({"content/posts/a.md": post("Alpha", "New body.", day=9)}, [], id="a date that moves the post"),
])
def test_tag_and_order_edits_plan_every_page_of_the_index_again(site, tmp_path, edit, gone):
    """The partial site of every page plans the site again, as a full load
    would: new term pages are rendered, emptied ones pruned, lists reordered."""
    result = site.edit(edit)
    assert result.narrow and "load" not in result.timings, result.timings
    assert result.source == "partial site (every page)"
    assert [rel for rel in result.deleted if rel.endswith(".html")] == gone
    site.assert_like_a_clean_build(tmp_path)
    site.assert_state_is_exact()
    again = site.edit({rel: text.replace("body.", "body, again.") for rel, text in edit.items()})
    assert again.narrow
    site.assert_like_a_clean_build(tmp_path)


@pytest.mark.parametrize("files, edit", [
    pytest.param({"plugins/newer.py": NEXT_PLUGIN, "templates/page.html": NEXT_TEMPLATE}, {},
                 id="a site hook changes the page"),
    pytest.param({}, {"content/posts/a.md": post("Alpha", "New body.", day=1).replace("title: Alpha",
                                                                                     "title: Alpha\nslug: alpha-2")},
                 id="where the page is published"),
    pytest.param({}, {"content/posts/d.md": post("Delta", "New post.", day=4)}, id="a new page"),
    pytest.param({}, {"content/posts/c.md": None}, id="a deleted page"),
    pytest.param({}, {"templates/page.html": PAGE + "<footer>f</footer>"}, id="a template edit"),
    pytest.param({}, {"content/posts/_index.md": "---\ntitle: Posts!\n---\nAll of them.\n"},
                 id="a section index page"),
])
def test_whatever_the_partial_site_cannot_vouch_for_is_a_full_build(make_site, tmp_path, files, edit):
    site = Site(make_site({rel: text for rel, text in {**SITE, **files}.items() if text is not None}))
    result = site.edit({"content/posts/a.md": post("Alpha", "Edited body.", day=1), **edit})
    assert not result.narrow and "load" in result.timings
    assert any(rel.startswith("posts/a") for rel in result.written) or "content/posts/a.md" not in edit
    site.assert_like_a_clean_build(tmp_path)
    site.assert_state_is_exact()


def test_the_default_theme_reads_nothing_a_partial_site_cannot_vouch_for(make_site, tmp_path):
    """Its navigation lists every section and taxonomy, and its pages link their
    terms: all of it reads the same in a partial site."""
    site = Site(make_site({**{rel: text for rel, text in SITE.items() if rel != "templates/page.html"},
                           "content/docs/intro.md": "---\ntitle: Intro\n---\nRead me.\n"}))
    result = site.edit({"content/posts/b.md": post("Beta", "Beta, edited.", tags="x, y", day=2)})
    assert result.narrow and result.written == ["posts/b/index.html"]
    page = (site.root / "public/posts/b/index.html").read_text()
    assert 'href="/tags/y/">y</a>' in page and ">The Posts</a>" in page and ">Docs</a>" in page
    site.assert_like_a_clean_build(tmp_path)
    site.assert_state_is_exact()


def test_the_page_list_template_is_rendered_right_after_the_attempt(make_site, tmp_path):
    """The partial site renders the page (one post) before the check finds it
    read the page list: nothing of that render is written, the full build writes
    the right count."""
    site = Site(make_site({**SITE, "templates/page.html": SITE_PAGES}))
    site.edit({"content/posts/a.md": post("Alpha", "Edited body.", day=1)})
    assert "<p>4 posts</p>" in (site.root / "public/posts/a/index.html").read_text()


def test_other_pages_and_data_a_template_reads_come_from_the_cache(make_site, tmp_path):
    """``url_for`` and ``site.page_by_source`` find pages the partial site
    does not hold (from the parse cache), and data files are loaded: their
    values read alike, so the edit is narrow and the page right."""
    template = ('{{ page.content }}<a href="{{ url_for("posts/c.md") }}">'
                '{{ site.page_by_source("posts/b.md").title }}</a><p>{{ data.site.motto }}</p>\n')
    site = Site(make_site({**SITE, "templates/page.html": template, "data/site.yaml": "motto: Ship it.\n"}))
    result = site.edit({"content/posts/a.md": post("Alpha", "Edited body.", day=1)})
    assert result.narrow and result.written == ["posts/a/index.html"]
    assert '<a href="/posts/c/">Beta</a><p>Ship it.</p>' in (site.root / "public/posts/a/index.html").read_text()
    site.assert_like_a_clean_build(tmp_path)
    result = site.edit({"content/posts/b.md": post("Beta renamed", "Beta body.", tags="x, y", day=2)})
    assert result.narrow and "posts/a/index.html" in result.written, "the title it shows changed"
    assert "Edited body." in (site.root / "public/posts/a/index.html").read_text(), "a page from the index has its text"
    site.assert_like_a_clean_build(tmp_path)


def test_a_warning_about_the_edited_page_makes_it_full(make_site, tmp_path):
    site = Site(make_site({**SITE, "content/posts/a.md": post("Alpha", "See [x](missing.md).", day=1)}))
    result = site.edit({"content/posts/a.md": post("Alpha", "Fixed the link.", day=1)})
    assert not result.narrow and result.warnings == [], "the fixed warning goes away"
    result = site.edit({"content/posts/b.md": post("Beta", "Now [broken](nowhere.md).", tags="x, y", day=2)})
    assert not result.narrow and any("nowhere.md" in w for w in result.warnings)
    site.assert_like_a_clean_build(tmp_path)


def test_old_warnings_about_other_files_are_still_reported(make_site):
    site = Site(make_site({**SITE, "content/posts/d.md": post("Delta", "See [x](missing.md).", day=4)}))
    result = site.edit({"content/posts/a.md": post("Alpha", "Edited.", day=1)})
    assert result.narrow and any("missing.md" in w for w in result.warnings)


def test_the_cli_explains_a_narrow_rebuild(site, cli):
    (site.root / "content/posts/a.md").write_text(post("Alpha", "Explained.", day=1))
    out = cli("build", "-s", str(site.root), "--json", "--explain", "posts/a/", "--explain", "posts/b/")
    report = json.loads(out.stdout)
    assert report["files_written"] == 1 and report["files_parsed"] == 1
    assert report["explain"] == {"posts/a/": "rebuilt: content/posts/a.md (the page itself) changed",
                                 "posts/b/": "not rebuilt: nothing it depends on changed"}


OTHER_TEXT = '{{ page.content }}{% for p in site.pages %}<div>{{ p.content }}</div>{% endfor %}\n'


def test_a_render_that_reads_another_page_s_text_is_a_full_build(make_site, tmp_path):
    """The page index holds pages without their long text: a template that
    shows another page's content cannot be rendered from it."""
    site = Site(make_site({**SITE, "templates/page.html": OTHER_TEXT}))
    result = site.edit({"content/posts/a.md": post("Alpha", "Edited body.", day=1)})
    assert not result.narrow and "load" in result.timings
    assert "<div><p>Gamma body, linking" in (site.root / "public/posts/a/index.html").read_text()
    site.assert_like_a_clean_build(tmp_path)


def test_a_page_missing_from_the_index_is_a_full_build(site, tmp_path):
    import sqlite3

    with sqlite3.connect(site.root / ".ssg/state.db") as db:
        db.execute("DELETE FROM pages WHERE source = 'content/posts/c.md'")
    result = site.edit({"content/posts/a.md": post("Alpha renamed", "Edited body.", day=1)})
    assert not result.narrow and "load" in result.timings
    assert "Gamma" in (site.root / "public/posts/index.html").read_text()
    site.assert_like_a_clean_build(tmp_path)
    result = site.edit({"content/posts/a.md": post("Alpha renamed twice", "Edited body.", day=1)})
    assert result.narrow, "the full build wrote the index again"
    site.assert_like_a_clean_build(tmp_path)


RICH_BODY = ("Intro with a note[^1].\n\n<!--more-->\n\n## Code\n\n```python\ndef f(x):\n    return x + 1\n```\n\n"
             "### Deeper\n\n```rust\nfn main() {}\n```\n\n[^1]: The note.\n")
SHOWS_TEXT = ('<h1>{{ page.title }}</h1><div class="s">{{ page.summary }}</div>'
              '{% for e in page.toc %}<a href="#{{ e.id }}">{{ e.title }}</a>{% endfor %}{{ page.content }}\n')


def rich(front: str) -> str:
    return f"---\n{front}date: 2024-03-01\n---\n{RICH_BODY}"


@pytest.mark.parametrize("before, after", [
    pytest.param("title: Rich\n", "title: Rich, retitled\n", id="the title"),
    pytest.param("title: Rich\n", "title: Rich\nsummary: Given by hand.\n", id="a summary given"),
    pytest.param("title: Rich\nsummary: Given by hand.\n", "title: Rich\n", id="the summary made from the body again"),
])
def test_a_front_matter_edit_keeps_the_body_as_rendered(make_site, tmp_path, before, after):
    """An edit of the front matter alone renders the page's body as a clean
    build does (its highlighted code, heading ids, table of contents and the
    summary made from the body), though the partial site takes that body's
    rendering from the last build's parse instead of making it again."""
    site = Site(make_site({**SITE, "templates/page.html": SHOWS_TEXT, "content/posts/r.md": rich(before)}))
    result = site.edit({"content/posts/r.md": rich(after)})
    assert result.narrow and "load" not in result.timings and result.parsed == 1, result.timings
    page = (site.root / "public/posts/r/index.html").read_text()
    assert '<span class="k">def</span>' in page and '<h3 id="deeper">' in page and '<a href="#code">Code</a>' in page
    site.assert_like_a_clean_build(tmp_path)
    site.assert_state_is_exact()
