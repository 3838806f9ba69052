"""Menus (issue 21): defined in ssg.toml and in front matter, nested,
ordered by weight; templates get the active and ancestor flags for the page
being rendered; the default theme's navigation is the main menu when there
is one, and `ssg new` puts its About page in it. Every incremental build
equals a clean one and writes only the files whose bytes change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from warm_helpers import Serving, assert_like_a_clean_build, assert_state_is_exact

from ssg.build.entry import build

CONFIG = '''title = "T"
base_url = "https://example.org/blog/"

[menus]
main = [{ name = "Home", url = "/", weight = 1 },
        { name = "Docs", page = "docs/_index.md", weight = 20 },
        { name = "Changelog", url = "/changes/", weight = 40, parent = "Docs" }]
footer = [{ name = "Imprint", url = "/imprint/" }]
'''
ITEMS = ('{% macro show(items) %}{% for i in items %}[{{ i.name }} {{ i.url }}{{ " *" if i.active }}'
         '{{ " ^" if i.ancestor }}{% if i.children %} {{ show(i.children) }}{% endif %}]{% endfor %}{% endmacro %}'
         '{{ show(menu("main")) }}|{{ show(menu("footer")) }}|{{ show(menu("none")) }}\n')
SITE = {
    "content/docs/_index.md": "---\ntitle: Documentation\nlinkTitle: Docs index\n---\n",
    "content/docs/install.md": "---\ntitle: Installing ssg\nlinkTitle: Install\nmenu:\n  main: {parent: Docs, weight: 5}\n---\n",
    "content/docs/faq.md": "---\ntitle: FAQ\nmenu:\n  main: {parent: Docs, weight: 5}\n---\nx\n",
    "content/about.md": "---\ntitle: About us\nmenu: [main, footer]\nweight: 30\n---\nx\n",
    "content/other.md": "---\ntitle: Other\n---\nx\n",
    "templates/page.html": ITEMS,
    "templates/list.html": ITEMS,
    "templates/index.html": ITEMS,
}


def shown(site: Path, rel: str) -> str:
    return (site / "public" / rel).read_text().strip()


def test_menus_from_config_and_front_matter_nest_and_flag_the_current_page(make_site):
    site = make_site(SITE, config=CONFIG)
    assert build(site).ok
    # Docs' children by weight, then name (FAQ before Install, both weight 5); a page entry is named by its link title
    assert shown(site, "docs/install/index.html") == (
        "[Home /blog/][Docs /blog/docs/ ^ [FAQ /blog/docs/faq/][Install /blog/docs/install/ *]"
        "[Changelog /blog/changes/]][About us /blog/about/]"
        "|[About us /blog/about/][Imprint /blog/imprint/]|")
    other = shown(site, "other/index.html")
    assert " *" not in other and " ^" not in other
    assert "[Home /blog/ *]" in shown(site, "index.html") and "[Docs /blog/docs/ *" in shown(site, "docs/index.html")


@pytest.mark.parametrize(("files", "config", "where", "words"), [
    ({"content/a.md": "---\ntitle: A\nmenu: 5\n---\nx\n"}, None, "content/a.md:3", "'menu'"),
    ({"content/a.md": "---\ntitle: A\nmenu:\n  main: {url: /x/}\n---\nx\n"}, None, "content/a.md:3", "'url'"),
    ({}, 'title = "T"\nbase_url = "https://example.org/"\n[menus]\nmain = [{ name = "X" }]\n', "ssg.toml:4",
     "url or a page"),
    ({"content/a.md": "x"}, 'title = "T"\nbase_url = "https://example.org/"\n[menus]\n'
                            'main = [{ name = "X", page = "nope.md" }]\n', "ssg.toml", "nope.md"),
])
def test_a_bad_menu_is_an_error_saying_where(make_site, files, config, where, words):
    site = make_site(files, config=config)
    run = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode != 0 and where in run.stderr and words in run.stderr, run.stderr


def test_the_default_theme_navigation_is_the_main_menu(make_site):
    site = make_site({key: value for key, value in SITE.items() if not key.startswith("templates/")}, config=CONFIG)
    assert build(site).ok
    nav = shown(site, "docs/faq/index.html").split('<nav class="site-nav" aria-label="Main">', 1)[1].split("</nav>")[0]
    assert '<li><a href="/blog/docs/" aria-current="true">Docs</a>' in nav
    assert '<li><a href="/blog/docs/faq/" aria-current="page">FAQ</a></li>' in nav
    assert "/blog/tags/" not in nav       # the menu replaces the sections and taxonomies
    assert '<a href="/blog/docs/" aria-current="true">Docs</a>' not in shown(site, "about/index.html")


def test_ssg_new_puts_its_about_page_in_the_main_menu(tmp_path):
    subprocess.run([sys.executable, "-m", "ssg", "new", "site", str(tmp_path / "s")], check=True, capture_output=True)
    assert build(tmp_path / "s").ok
    about = shown(tmp_path / "s", "about/index.html")
    nav = about.split('aria-label="Main">', 1)[1].split("</nav>")[0]
    assert [line.strip() for line in nav.strip().splitlines()[1:-1]] == [
        '<li><a href="/posts/">Posts</a></li>', '<li><a href="/tags/">Tags</a></li>',
        '<li><a href="/about/" aria-current="page">About</a></li>']


def test_edits_rebuild_what_shows_the_menu_and_equal_a_clean_build(make_site, tmp_path):
    site = make_site(SITE, config=CONFIG)
    assert build(site).ok
    every = sorted(str(p.relative_to(site / "public")) for p in (site / "public").rglob("*.html"))   # all show it
    other = site / "content/other.md"
    other.write_text(other.read_text().replace("x\n", "changed\n"))
    result = build(site)
    assert result.written == []      # its template shows only menus: no byte changed
    faq = site / "content/docs/faq.md"
    faq.write_text(faq.read_text().replace("title: FAQ", "title: Questions"))     # its name in the menu
    result = build(site)
    assert sorted(path for path in result.written if path.endswith(".html")) == every
    assert "[Questions /blog/docs/faq/]" in shown(site, "other/index.html")
    assert_like_a_clean_build(site, tmp_path)
    faq.write_text(faq.read_text().replace("weight: 5", "weight: 50"))          # it moves after Changelog
    result = build(site)
    assert "[Changelog /blog/changes/][Questions /blog/docs/faq/]" in shown(site, "other/index.html")
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


def test_ssg_serve_follows_menu_edits(make_site, tmp_path):
    site = make_site(SITE, config=CONFIG)
    serving = Serving(site)
    result = serving.edit("content/docs/faq.md", "---\ntitle: FAQ\nmenu:\n  main: {parent: Docs, weight: 1, "
                                                 "name: Questions}\n---\nx\n")
    assert result.ok and "[Questions /blog/docs/faq/][Install" in shown(site, "other/index.html")
    assert_like_a_clean_build(site, tmp_path)
    result = serving.edit("content/other.md", "---\ntitle: Other\nmenu: footer\n---\nx\n")
    assert result.ok and "|[About us /blog/about/][Imprint /blog/imprint/][Other /blog/other/]|" in \
        shown(site, "docs/index.html")
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)
