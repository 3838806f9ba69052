"""Warm rebuilds (ssg/build/sources/kept.py): ssg serve keeps the model of its last build and
rebuilds an edit of page text from it. Each test checks what a user would:
the files written, the output against a clean build, that a later ``ssg
build`` finds nothing to do, and when the warm path must not be taken."""

from __future__ import annotations

import html
import re
import shutil

import pytest
from warm_helpers import KICKER, SITE, Serving, assert_like_a_clean_build, assert_state_is_exact, post, tree

from ssg.build.entry import BuildOptions, build


@pytest.fixture
def serving(make_site):
    return Serving(make_site(SITE))


def test_a_body_edit_is_rebuilt_warm_writing_only_its_page(serving, tmp_path):
    before = tree(serving.root / "public")
    stamps = {rel: (serving.root / "public" / rel).stat().st_mtime_ns for rel in before}
    result = serving.edit("content/posts/b.md", post("Beta", "Beta body, rewritten.\n\n## Part\n\nMore.",
                                                     tags="x, y", day=2))
    assert result.ok and result.warm
    assert result.written == ["posts/b/index.html"]
    assert "Beta body, rewritten." in (serving.root / "public/posts/b/index.html").read_text()
    for rel, stamp in stamps.items():
        if rel != "posts/b/index.html":
            assert (serving.root / "public" / rel).stat().st_mtime_ns == stamp, f"{rel} was rewritten"
    assert_like_a_clean_build(serving.root, tmp_path)
    assert_state_is_exact(serving.root)


def test_many_warm_edits_in_a_row_then_a_full_build(serving, tmp_path):
    for n in range(4):
        result = serving.edit("content/posts/a.md", post("Alpha", f"Alpha body, version {n}.", day=1))
        assert result.warm and result.written == ["posts/a/index.html"]
    serving.root.joinpath("templates").mkdir()
    serving.root.joinpath("templates/page.html").write_text(
        '{% extends "theme/page.html" %}{% block page_kicker %}<p>kicker</p>{% endblock %}')
    full = build(serving.root, warm=serving.warm, changed=frozenset([str(serving.root / "templates/page.html")]))
    assert full.ok and not full.warm and "posts/a/index.html" in full.written
    again = serving.edit("content/posts/a.md", post("Alpha", "Alpha body, after the template.", day=1))
    assert again.warm and again.written == ["posts/a/index.html"]
    assert_like_a_clean_build(serving.root, tmp_path)
    assert_state_is_exact(serving.root)


def test_the_table_of_contents_and_markdown_source_follow_the_edit(make_site, tmp_path):
    root = make_site({**SITE, "templates/page.html":
                      '{% extends "theme/page.html" %}{% block page_kicker %}<pre>{{ page.body }}</pre>{% endblock %}'})
    serving = Serving(root)
    body = "Intro.\n\n## One\n\nx\n\n## Two\n\ny\n\n## Three\n\nz"
    result = serving.edit("content/posts/a.md", post("Alpha", body, day=1))
    assert result.warm
    html = (root / "public/posts/a/index.html").read_text()
    assert '<a href="#three">Three</a>' in html and "## Three" in html
    assert_like_a_clean_build(root, tmp_path)


def test_long_markdown_sources_kept_out_of_memory_show_as_written_after_warm_edits(make_site, tmp_path):
    """A full load keeps long bodies in a file (ssg/sources/textstore.py); the kept model's pages hold
    them so, an edited page holds its new text, and a list showing every body shows each as written."""
    long = "Lorem ipsum — ünïcode dolor sit amet. " * 12
    root = make_site({
        **{f"content/posts/{n}.md": post(n.title(), f"{n} {long}", day=d) for d, n in enumerate("abc", 1)},
        "templates/page.html": '{% extends "theme/page.html" %}{% block page_kicker %}<pre>{{ page.body }}</pre>'
                               '{% endblock %}',
        "templates/list.html": '{% extends "theme/list.html" %}{% block main %}{% for p in pages %}'
                               '<pre class="b">{{ p.body }}</pre>{% endfor %}{% endblock %}'})
    serving = Serving(root)
    assert serving.warm.model is not None
    assert all(type(vars(page)["body"]).__name__ == "KeptText" for page in serving.warm.model.site.pages)
    result = serving.edit("content/posts/b.md", post("Beta", f"b, edited. {long}", day=2))
    assert result.ok and result.warm and "posts/index.html" in result.written
    listed = (root / "public/posts/index.html").read_text()
    assert [html.unescape(b) for b in re.findall(r'<pre class="b">(.*?)</pre>', listed, re.S)] == [
        f"c {long}\n", f"b, edited. {long}\n", f"a {long}\n"]     # as the files hold them
    result = serving.edit("content/posts/c.md", post("Gamma, retitled", f"c {long}", day=3))
    assert result.ok and result.warm
    assert_like_a_clean_build(root, tmp_path)
    assert_state_is_exact(root)


@pytest.mark.parametrize("rel, text, url", [
    # the first paragraph (the summary, which the feeds show) stays
    pytest.param("content/_index.md", "---\ntitle: Home\n---\nWelcome.\n\nEdit {n}.\n", "index.html", id="home"),
    pytest.param("content/posts/_index.md", "---\ntitle: Posts\n---\nAll the posts.\n\nEdit {n}.\n",
                 "posts/index.html", id="section-index"),
    pytest.param("content/posts/bundle/index.md", post("Bundle", "Edit {n}, with ![a](photo.png).", day=5),
                 "posts/bundle/index.html", id="page-bundle"),
])
def test_home_section_and_bundle_pages_are_rebuilt_warm(make_site, tmp_path, rel, text, url):
    root = make_site({**SITE, rel: text.format(n=0), "content/posts/bundle/photo.png": b"\x89PNG"})
    serving = Serving(root)
    result = serving.edit(rel, text.format(n=1))
    assert result.warm and result.written == [url]
    assert "Edit 1" in (root / "public" / url).read_text()
    assert_like_a_clean_build(root, tmp_path)
    assert_state_is_exact(root)


def test_two_pages_edited_in_one_batch(serving, tmp_path):
    a, b = serving.root / "content/posts/a.md", serving.root / "content/posts/b.md"
    a.write_text(post("Alpha", "Alpha, batch edit.", day=1))
    b.write_text(post("Beta", "Beta, batch edit.", tags="x, y", day=2))
    result = build(serving.root, warm=serving.warm, changed=frozenset([str(a), str(b)]))
    assert result.warm and result.written == ["posts/a/index.html", "posts/b/index.html"]
    assert_like_a_clean_build(serving.root, tmp_path)
    assert_state_is_exact(serving.root)


def test_touching_a_file_writes_nothing(serving):
    path = serving.root / "content/posts/a.md"
    result = serving.edit("content/posts/a.md", path.read_text())
    assert result.warm and result.written == []
    assert_state_is_exact(serving.root)


def test_the_link_target_of_an_edited_page_is_resolved(serving, tmp_path):
    result = serving.edit("content/posts/a.md", post("Alpha", "Now linking [Beta](b.md).", day=1))
    assert result.warm
    assert '<a href="/posts/b/">Beta</a>' in (serving.root / "public/posts/a/index.html").read_text()
    assert_like_a_clean_build(serving.root, tmp_path)


def _written_exactly_what_changed(before: dict[str, bytes], root) -> list[str]:
    after = tree(root / "public")
    return sorted(rel for rel in after if before.get(rel) != after[rel])


@pytest.mark.parametrize("edit, shown", [
    # the title: the post's page, the lists and feeds that show it, the home page listing it
    pytest.param(post("Alpha renamed", "Alpha body.", day=1), "Alpha renamed", id="title"),
    # a date that keeps the post between its neighbours (Beta on the 2nd, none before it): lists keep their order
    pytest.param(post("Alpha", "Alpha body.", day=1).replace("2024-03-01", "2023-12-24"), "2023-12-24", id="date"),
    # the summary (front matter): the lists and feeds that show it
    pytest.param(post("Alpha", "Alpha body.", summary="A new summary.", day=1), "A new summary.", id="summary"),
])
def test_title_date_and_summary_edits_are_rebuilt_warm_writing_what_changed(serving, tmp_path, edit, shown):
    before = tree(serving.root / "public")
    result = serving.edit("content/posts/a.md", edit)
    assert result.ok and result.warm, result.errors
    assert result.written == _written_exactly_what_changed(before, serving.root)
    assert "posts/a/index.html" in result.written and len(result.written) > 1
    assert shown in (serving.root / "public/posts/a/index.html").read_text()
    assert_like_a_clean_build(serving.root, tmp_path)
    assert_state_is_exact(serving.root)


@pytest.mark.parametrize("edit, shown", [
    # a new term: its page, the terms list, the post and the lists that show its tags; term x loses a page
    pytest.param(post("Alpha", "Alpha body.", tags="z", day=1), 'href="/tags/z/"', id="tags"),
    # the newest now: every list holding it changes order
    pytest.param(post("Alpha", "Alpha body.", day=9), "2024-03-09", id="a-date-that-moves-it-past-others"),
    # the last post tagged y loses it: the term's page is pruned
    pytest.param(post("Beta", "Beta body.", tags="x", day=2), "Beta body.", id="a-term-emptied"),
])
def test_tag_and_order_edits_plan_the_kept_site_again(serving, tmp_path, edit, shown):
    rel = "content/posts/b.md" if "Beta" in edit else "content/posts/a.md"
    before = tree(serving.root / "public")
    result = serving.edit(rel, edit)
    assert result.ok and result.warm and "plan" in result.timings, result.errors
    assert result.written == _written_exactly_what_changed(before, serving.root)
    assert sorted(result.deleted) == sorted(set(before) - set(tree(serving.root / "public")))
    assert ("tags/y/index.html" in result.deleted) == ("Beta" in edit), "the emptied term's page is pruned"
    page = "posts/b/index.html" if "Beta" in edit else "posts/a/index.html"
    assert shown in (serving.root / "public" / page).read_text()
    assert_like_a_clean_build(serving.root, tmp_path)
    assert_state_is_exact(serving.root)
    again = serving.edit(rel, edit.replace("body.", "body, edited."))   # the model it keeps is the new site
    assert again.warm and again.written == [page]
    assert_like_a_clean_build(serving.root, tmp_path)


@pytest.mark.parametrize("edit", [
    pytest.param(post("Alpha", "Now linking [nothing](missing.md).", day=1), id="a-link-that-warns"),
    pytest.param("---\ntitle: [unclosed\n---\nx\n", id="a-parse-error"),
    pytest.param(post("Alpha", "Alpha body.", day=1).replace("tags:", "draft: true\ntags:"), id="now-a-draft"),
])
def test_edits_beyond_the_text_are_full_builds(serving, tmp_path, edit):
    result = serving.edit("content/posts/a.md", edit)
    assert not result.warm
    fresh = tmp_path / "fresh"
    shutil.copytree(serving.root, fresh, ignore=shutil.ignore_patterns("public", ".ssg"))
    clean = build(fresh)
    stale = "; until then its last good version stays published"
    errors = [str(e).replace(str(serving.root), "") for e in result.errors]
    if any(stale in error for error in errors):
        # a published page that fails keeps its last good version (docs/content.md); a clean build has none
        assert [str(e).replace(str(fresh), "") for e in clean.errors] == [e.replace(stale, "") for e in errors]
        assert "Alpha" in (serving.root / "public/posts/a/index.html").read_text()
        return
    assert [str(e).replace(str(fresh), "") for e in clean.errors] == errors
    assert clean.warnings == result.warnings
    assert tree(fresh / "public") == tree(serving.root / "public")


def test_new_deleted_and_other_files_are_full_builds(serving):
    root = serving.root
    new = root / "content/posts/d.md"
    new.write_text(post("Delta", "New.", day=4))
    assert not build(root, warm=serving.warm, changed=frozenset([str(new)])).warm
    new.unlink()
    result = build(root, warm=serving.warm, changed=frozenset([str(new)]))
    assert not result.warm and "posts/d/index.html" in result.deleted
    assert not build(root, warm=serving.warm, changed=None).warm, "unknown changes: a full build"


def test_a_build_by_another_process_in_between_makes_it_full(serving, tmp_path):
    serving.root.joinpath("content/posts/c.md").write_text(post("Gamma", "Changed behind the server's back.", day=3))
    assert build(serving.root).written     # ssg build in another terminal
    result = serving.edit("content/posts/a.md", post("Alpha", "Alpha body, edited.", day=1))
    assert not result.warm, "the state is not the one the kept model committed"
    assert result.ok
    assert_like_a_clean_build(serving.root, tmp_path)
    assert serving.edit("content/posts/a.md", post("Alpha", "And again.", day=1)).warm


def test_an_old_warning_about_the_page_makes_it_full(make_site, tmp_path):
    serving = Serving(make_site({**SITE, "content/posts/a.md": post("Alpha", "See [x](missing.md).", day=1)}))
    result = serving.edit("content/posts/a.md", post("Alpha", "Fixed the link.", day=1))
    assert not result.warm and result.warnings == [], "the fixed warning goes away"


PLUGIN = """
from ssg.api import hookimpl

{declaration}

@hookimpl
def ssg_site_loaded(site):
    site.state["longest"] = max(len(page.body) for page in site.pages)

@hookimpl
def ssg_template_context(output, context, site):
    context["longest"] = site.state["longest"]
"""


@pytest.mark.parametrize("declaration", [
    pytest.param("", id="undeclared: may read the body"),
    pytest.param('page_fields_read = ("body",)', id="declares reading the body"),
    pytest.param('page_fields_read = lambda config: ["body"]', id="declares it from the config"),
])
def test_site_hooks_that_read_what_an_edit_changed_run_again_over_the_kept_pages(make_site, tmp_path, declaration):
    """The site is planned again from the pages the model keeps: the site hooks
    see the new body, and every page shows the new figure."""
    root = make_site({**SITE, "plugins/longest.py": PLUGIN.format(declaration=declaration),
                      "templates/page.html": KICKER})
    serving = Serving(root)
    result = serving.edit("content/posts/a.md", post("Alpha", "A much longer body than any other post has.", day=1))
    assert result.warm and result.ok and "plan" in result.timings and "load" in result.timings
    assert "longest: 44" in (root / "public/posts/b/index.html").read_text(), "every page shows the new figure"
    assert_like_a_clean_build(root, tmp_path)


def test_a_plugin_that_declares_no_page_fields_read_keeps_it_warm(make_site):
    plugin = PLUGIN.format(declaration="page_fields_read = ()").replace("len(page.body)", "len(page.title)")
    serving = Serving(make_site({**SITE, "plugins/longest.py": plugin, "templates/page.html": KICKER}))
    result = serving.edit("content/posts/a.md", post("Alpha", "Another body.", day=1))
    assert result.warm and result.written == ["posts/a/index.html"]


WORDS_HOOK = "def ssg_page_parsed(page):\n    page.params['words'] = len(page.body.split())\n"
WORDS_TEMPLATE = '{% extends "theme/page.html" %}{% block page_kicker %}<p>{{ page.params.words }} words</p>{% endblock %}'


def test_params_a_page_hook_derives_from_the_body_are_rebuilt_warm(make_site, tmp_path):
    """A reading-time plugin: the page hook runs again on the edited page, and
    no site hook reads params."""
    root = make_site({**SITE, "plugins/words.py": WORDS_HOOK, "templates/page.html": WORDS_TEMPLATE})
    serving = Serving(root)
    result = serving.edit("content/posts/a.md", post("Alpha", "Three more words now.", day=1))
    assert result.warm and result.written == ["posts/a/index.html"]
    assert "<p>4 words</p>" in (root / "public/posts/a/index.html").read_text()
    assert_like_a_clean_build(root, tmp_path)
    assert_state_is_exact(root)


def test_a_front_matter_param_edit_is_rebuilt_warm(make_site, tmp_path):
    template = '{% extends "theme/page.html" %}{% block page_kicker %}<p>{{ page.params.mood }}</p>{% endblock %}'
    root = make_site({**SITE, "templates/page.html": template})
    serving = Serving(root)
    text = post("Alpha", "Alpha body.", day=1).replace("tags:", "mood: sunny\nextra: added line\ntags:")
    result = serving.edit("content/posts/a.md", text)
    assert result.warm and result.written == ["posts/a/index.html"]
    assert "<p>sunny</p>" in (root / "public/posts/a/index.html").read_text()
    assert_like_a_clean_build(root, tmp_path)


def test_a_tag_edit_does_not_render_a_list_showing_another_front_matter_entry(make_site, tmp_path):
    """The term lists show each post's ``params.summary``: a tag edit of a
    post renders its page, the new term's and the terms list, not the lists
    of the terms it keeps (their bytes do not change)."""
    root = make_site({**SITE, "templates/term.html": "{% for p in pages %}{{ p.title }}: {{ p.params.summary }};"
                                                       "{% endfor %}"})
    serving = Serving(root)
    before = tree(root / "public")
    result = serving.edit("content/posts/b.md", post("Beta", "Beta body.", tags="x, y, w", day=2))
    assert result.ok and result.warm and "plan" in result.timings, result.errors
    assert result.written == _written_exactly_what_changed(before, root)
    assert "tags/w/index.html" in result.written
    assert not {"tags/x/index.html", "tags/y/index.html"} & set(result.reasons), result.reasons
    assert_like_a_clean_build(root, tmp_path)
    assert_state_is_exact(root)
    result = serving.edit("content/posts/b.md", post("Beta", "Beta body.", summary="Now this.", tags="x, y, w", day=2))
    assert result.warm and {"tags/x/index.html", "tags/y/index.html", "tags/w/index.html"} <= set(result.written)
    assert "Beta: Now this.;" in (root / "public/tags/x/index.html").read_text()
    assert_like_a_clean_build(root, tmp_path)


def test_params_a_site_hook_reads_are_planned_again(make_site, tmp_path):
    plugin = ('page_fields_read = ("params",)\n\n'
              'def ssg_site_loaded(site):\n'
              '    site.state["words"] = sum(page.params.get("words", 0) for page in site.pages)\n\n'
              'def ssg_template_context(context, site):\n'
              '    context["total"] = site.state["words"]\n')
    template = WORDS_TEMPLATE.replace("words</p>", "words of {{ total }}</p>")
    root = make_site({**SITE, "plugins/words.py": WORDS_HOOK, "plugins/total.py": plugin,
                      "templates/page.html": template})
    serving = Serving(root)
    result = serving.edit("content/posts/a.md", post("Alpha", "Three more words now.", day=1))
    assert result.warm and result.ok and "plan" in result.timings
    assert "words of 16</p>" in (root / "public/posts/b/index.html").read_text(), "4 + 5 + 4 + 3 (about)"
    assert_like_a_clean_build(root, tmp_path)


def test_strict_warnings_do_not_accumulate_in_the_kept_model(make_site):
    root = make_site({**SITE, "content/posts/b.md": post("Beta", "See [x](missing.md).", day=2)})
    serving = Serving(root, BuildOptions(strict=False))
    strict = BuildOptions(strict=True)
    first = build(root, strict, warm=serving.warm, changed=frozenset([str(root / "content/posts/a.md")]))
    second = build(root, strict, warm=serving.warm, changed=frozenset([str(root / "content/posts/a.md")]))
    assert len(first.errors) == len(second.errors) == 1
