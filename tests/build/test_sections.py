"""Sections are a tree (issue 21): folders nest to any depth, each with its
own list page (from its _index.md or made), paginated; templates reach a
section's parent, ancestors, children and pages; template lookup and
permalink patterns fall back to the sections a section is in; the default
theme shows breadcrumbs and child sections. Every incremental build equals
a clean one."""

from __future__ import annotations

from pathlib import Path

from warm_helpers import assert_like_a_clean_build, assert_state_is_exact

from ssg.build.entry import build


def page(title: str, *, weight: int = 0, day: int = 0, extra: str = "") -> str:
    lines = [f"title: {title}"] + ([f"weight: {weight}"] if weight else []) + \
        ([f"date: 2024-01-{day:02d}"] if day else []) + ([extra] if extra else [])
    return "---\n" + "\n".join(lines) + f"\n---\nText of {title}.\n"


DOCS = {
    "content/docs/_index.md": page("Documentation", extra="linkTitle: Docs"),
    "content/docs/start.md": page("Start here", weight=1),
    "content/docs/guides/_index.md": page("Guides", weight=2),
    "content/docs/guides/install.md": page("Install", weight=1),
    "content/docs/guides/configure.md": page("Configure", weight=2),
    "content/docs/guides/advanced/_index.md": page("Advanced topics", extra="linkTitle: Advanced"),
    "content/docs/guides/advanced/tuning/deep.md": page("Deep tuning"),    # four deep, no _index.md above it
    "content/docs/reference/_index.md": page("Reference", weight=1),
    "content/docs/reference/cli.md": page("CLI"),
    "content/posts/hello.md": page("Hello", day=1),
}

TREE = ("{{ section.name }}|parent={{ section.parent.name if section.parent else '' }}|"
        "ancestors={{ section.ancestors|map(attribute='name')|join(',') }}|"
        "children={{ section.children|map(attribute='name')|join(',') }}|"
        "pages={{ section.pages|map(attribute='slug')|join(',') }}\n")


def shown(site: Path, rel: str) -> str:
    return (site / "public" / rel).read_text().strip()


def test_every_folder_is_a_section_with_its_list_page_parent_and_children(make_site):
    site = make_site({**DOCS, "templates/list.html": TREE, "templates/page.html": TREE,
                      # no weight: after the weighted ones, as pages; no list page: not a child
                      "content/docs/faq/_index.md": page("FAQ"), "content/docs/faq/why.md": page("Why"),
                      "content/docs/snippets/_index.md": page("Snippets", extra="build: {render: never, list: never}"),
                      })
    assert build(site).ok
    assert shown(site, "docs/index.html") == \
        "docs|parent=|ancestors=|children=docs/reference,docs/guides,docs/faq|pages=start"
    assert not (site / "public/docs/snippets").exists()
    assert shown(site, "docs/guides/index.html") == \
        "docs/guides|parent=docs|ancestors=docs|children=docs/guides/advanced|pages=install,configure"
    assert shown(site, "docs/guides/advanced/tuning/index.html") == ("docs/guides/advanced/tuning|"
        "parent=docs/guides/advanced|ancestors=docs,docs/guides,docs/guides/advanced|children=|pages=deep")
    # a page's section is its folder's: its siblings are that section's pages
    assert shown(site, "docs/guides/install/index.html") == shown(site, "docs/guides/index.html")
    assert shown(site, "docs/guides/advanced/tuning/deep/index.html").startswith("docs/guides/advanced/tuning|")


def test_templates_and_permalinks_fall_back_to_the_sections_a_section_is_in(make_site):
    config = ('title = "T"\nbase_url = "https://example.org/"\n[permalinks]\ndocs = "/manual/:path/:slug/"\n'
              '"docs/reference" = "/:section/ref/:slug/"\n')
    site = make_site({**DOCS, "templates/docs/list.html": "docs list {{ section.name }}",
                      "templates/docs/guides/page.html": "guides page {{ page.title }}"}, config=config)
    assert build(site).ok
    assert shown(site, "docs/guides/advanced/index.html") == "docs list docs/guides/advanced"
    assert shown(site, "manual/docs/guides/advanced/tuning/deep/index.html") == "guides page Deep tuning"
    assert shown(site, "docs/ref/cli/index.html").startswith("<!doctype html>")     # :section is the top one
    assert not (site / "public/docs/guides/install").exists()


def test_the_default_theme_shows_breadcrumbs_child_sections_and_top_level_navigation(make_site):
    site = make_site(DOCS)
    assert build(site).ok
    deep = shown(site, "docs/guides/advanced/tuning/deep/index.html")
    trail = deep.split('<nav class="breadcrumbs" aria-label="Breadcrumb">', 1)[1].split("</nav>", 1)[0]
    assert [line.strip() for line in trail.strip().splitlines()[1:-1]] == [
        '<li><a href="/docs/">Docs</a></li>', '<li><a href="/docs/guides/">Guides</a></li>',
        '<li><a href="/docs/guides/advanced/">Advanced</a></li>',
        '<li><a href="/docs/guides/advanced/tuning/">Tuning</a></li>']
    nav = deep.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/docs/" aria-current="true">Docs</a>' in nav and "/docs/guides/" not in nav
    docs = shown(site, "docs/index.html")
    assert ('<li><a href="/docs/reference/">Reference</a></li>\n  <li><a href="/docs/guides/">Guides</a></li>'
            in docs)
    assert 'class="breadcrumbs"' not in docs and 'class="breadcrumbs"' not in shown(site, "posts/hello/index.html")
    guides = shown(site, "docs/guides/index.html")
    assert '<li><a href="/docs/">Docs</a></li>' in guides.split("</nav>", 2)[1] and "<h1>Guides</h1>" in guides


def test_a_nested_section_is_paginated(make_site):
    config = 'title = "T"\nbase_url = "https://example.org/"\n[pagination]\nper_page = 2\n'
    site = make_site({**DOCS, **{f"content/docs/guides/advanced/p{n}.md": page(f"P{n}", day=n) for n in range(1, 6)}},
                     config=config)
    assert build(site).ok
    assert (site / "public/docs/guides/advanced/page/3/index.html").is_file()
    assert not (site / "public/docs/guides/advanced/page/4").exists()


def test_adding_and_removing_nested_folders_equals_a_clean_build(make_site, tmp_path):
    site = make_site(DOCS)
    assert build(site).ok
    new = site / "content/docs/guides/advanced/more/even/new.md"
    new.parent.mkdir(parents=True)
    new.write_text(page("New and deep"))
    result = build(site)
    assert {"docs/guides/advanced/more/index.html", "docs/guides/advanced/more/even/index.html",
            "docs/guides/advanced/more/even/new/index.html"} <= set(result.written)
    assert_like_a_clean_build(site, tmp_path)

    body = site / "content/docs/guides/install.md"
    body.write_text(body.read_text() + "\nA second paragraph, below the summary.\n")
    result = build(site)
    assert result.written == ["docs/guides/install/index.html"] and result.narrow
    assert_like_a_clean_build(site, tmp_path)

    index = site / "content/docs/guides/_index.md"
    index.write_text(index.read_text().replace("title: Guides", "title: Guides\nlinkTitle: How-to"))
    result = build(site)
    assert "docs/guides/advanced/tuning/deep/index.html" in result.written    # its breadcrumbs
    assert "posts/hello/index.html" not in result.written
    assert "How-to</a>" in shown(site, "docs/guides/advanced/tuning/deep/index.html")
    assert_like_a_clean_build(site, tmp_path)

    new.unlink()
    result = build(site)
    assert "docs/guides/advanced/more/even/index.html" in result.deleted
    assert not (site / "public/docs/guides/advanced/more").exists()
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


def test_ssg_serve_rebuilds_a_nested_site_as_a_clean_build_would(make_site, tmp_path):
    from warm_helpers import Serving

    site = make_site(DOCS)
    serving = Serving(site)
    result = serving.edit("content/docs/guides/advanced/tuning/deep.md",
                          page("Deep tuning, retitled") + "\nA second paragraph.\n")
    assert result.ok and result.warm and "docs/guides/advanced/tuning/deep/index.html" in result.written
    assert_like_a_clean_build(site, tmp_path)
    result = serving.edit("content/docs/guides/advanced/_index.md", page("Advanced topics", extra="linkTitle: Expert"))
    assert result.ok and "docs/guides/advanced/tuning/deep/index.html" in result.written
    assert "Expert</a>" in shown(site, "docs/guides/advanced/tuning/deep/index.html")
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


def test_ssg_serve_follows_an_edit_of_a_sections_order(make_site, tmp_path):
    from warm_helpers import Serving

    site = make_site({"content/docs/_index.md": "---\ntitle: Docs\nsort_by: title\n---\n",
                      "content/docs/b.md": page("B", day=2), "content/docs/a.md": page("A", day=1),
                      "templates/list.html": "{% for p in pages %}{{ p.slug }} {% endfor %}"})
    serving = Serving(site)
    assert shown(site, "docs/index.html") == "a b"
    result = serving.edit("content/docs/_index.md", "---\ntitle: Docs\nsort_by: date\n---\n")
    assert result.ok and sorted(result.written) == ["docs/atom.xml", "docs/index.html", "docs/index.xml"]   # and its feeds
    assert shown(site, "docs/index.html") == "b a"
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


def test_without_generated_sections_a_folder_needs_an_index_to_be_one(make_site):
    config = 'title = "T"\nbase_url = "https://example.org/"\n[build]\ngenerated_sections = false\n'
    site = make_site({**DOCS, "templates/list.html": TREE, "templates/page.html": TREE}, config=config)
    assert build(site).ok
    # tuning/ has no _index.md: its page belongs to docs/guides/advanced, at the URL its file gives it
    assert shown(site, "docs/guides/advanced/tuning/deep/index.html") == ("docs/guides/advanced|"
        "parent=docs/guides|ancestors=docs,docs/guides|children=|pages=deep")
    assert not (site / "public/docs/guides/advanced/tuning/index.html").exists()
    assert shown(site, "docs/index.html") == "docs|parent=|ancestors=|children=docs/reference,docs/guides|pages=start"
