"""Content files as authors write them: YAML and TOML front matter, every field,
encodings and line endings, drafts and future posts, bundles, sections, static
files and data files. Broken input is covered in test_bad_input.py."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

FIELDS_TEMPLATE = (
    "title={{ page.title }}\n"
    "date={{ page.date.isoformat() if page.date else '' }}\n"
    "updated={{ page.updated.isoformat() if page.updated else '' }}\n"
    "draft={{ page.draft }}\n"
    "tags={{ page.tags|join(',') }}\n"
    "summary={{ page.summary }}\n"
    "slug={{ page.slug }}\n"
    "url={{ page.url }}\n"
    "weight={{ page.weight }}\n"
    "aliases={{ page.aliases|join(',') }}\n"
    "custom={{ page.params.custom }}\n"
    "content={{ page.content }}"
)

EXPECTED_FIELDS = (
    "title=All the fields\n"
    "date=2024-05-01T09:30:00+02:00\n"
    "updated=2024-06-02T00:00:00+00:00\n"
    "draft=False\n"
    "tags=one,two words\n"
    "summary=A &lt;short&gt; summary\n"
    "slug=every-field\n"
    "url=/posts/every-field/\n"
    "weight=3\n"
    "aliases=/old/path/,/older/\n"
    "custom=kept\n"
    "content=<p>Body text.</p>\n"
)

YAML_PAGE = """\
---
title: All the fields
date: 2024-05-01T09:30:00+02:00
updated: 2024-06-02
draft: false
tags: [one, two words]
summary: A <short> summary
slug: every-field
template: fields.html
weight: 3
aliases: [/old/path/, /older/]
custom: kept
---
Body text.
"""

TOML_PAGE = """\
+++
title = "All the fields"
date = 2024-05-01T09:30:00+02:00
updated = 2024-06-02
draft = false
tags = ["one", "two words"]
summary = "A <short> summary"
slug = "every-field"
template = "fields.html"
weight = 3
aliases = ["/old/path/", "/older/"]
custom = "kept"
+++
Body text.
"""


def build(cli, site, *args):
    result = cli("build", "-s", str(site), *args)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("text", [YAML_PAGE, TOML_PAGE], ids=["yaml", "toml"])
def test_every_front_matter_field(make_site, cli, text):
    site = make_site({"content/posts/x.md": text.encode(), "templates/fields.html": FIELDS_TEMPLATE})
    build(cli, site)
    assert (site / "public/posts/every-field/index.html").read_text() == EXPECTED_FIELDS
    assert not (site / "public/posts/x").exists(), "slug replaces the file name in the URL"
    for alias in ("old/path/index.html", "older/index.html"):
        redirect = (site / "public" / alias).read_text()
        assert "https://example.org/posts/every-field/" in redirect
    assert (site / "public/tags/two-words/index.html").is_file()


@pytest.mark.parametrize("speedups", ["on", "off"])
def test_front_matter_keys_that_are_not_text_are_kept(make_site, cli, monkeypatch, speedups):
    """YAML keys may be numbers, dates or null (``? `` alone): the page builds,
    a full build after a cached one too, and templates reach the entries."""
    monkeypatch.setenv("SSG_SPEEDUPS", speedups)
    site = make_site({"content/posts/x.md": "---\ntitle: Keys\n2024: a year\n? \n1.5: half\n---\nBody.\n",
                      "templates/page.html": "{{ page.params[2024] }}|{{ page.params[None] }}|{{ page.params[1.5] }}"})
    build(cli, site)
    assert (site / "public/posts/x/index.html").read_text() == "a year|None|half"
    (site / "templates/page.html").write_text("{{ page.params[2024] }}!")    # every page from the parse cache
    build(cli, site)
    assert (site / "public/posts/x/index.html").read_text() == "a year!"


def test_url_field_overrides_the_permalink(make_site, cli):
    site = make_site({"content/posts/x.md": "---\ntitle: X\nurl: /about/me\n---\nx\n",
                      "content/feed.md": "---\nurl: /feeds/custom.json\ntemplate: raw.html\n---\nx\n",
                      "templates/raw.html": '{"ok": true}'})
    build(cli, site)
    assert (site / "public/about/me/index.html").is_file()
    assert not (site / "public/posts/x").exists()
    assert json.loads((site / "public/feeds/custom.json").read_text()) == {"ok": True}


def test_template_field_chooses_the_template(make_site, cli):
    site = make_site({"content/a.md": "---\ntemplate: special.html\n---\nx\n", "content/b.md": "x\n",
                      "templates/special.html": "SPECIAL {{ page.title }}",
                      "templates/page.html": "PAGE {{ page.title }}"})
    build(cli, site)
    assert (site / "public/a/index.html").read_text() == "SPECIAL A"
    assert (site / "public/b/index.html").read_text() == "PAGE B"


def test_title_defaults_to_the_file_name(make_site, cli):
    site = make_site({"content/my-first_post.md": "No front matter at all.\n",
                      "templates/page.html": "{{ page.title }}"})
    build(cli, site)
    assert (site / "public/my-first-post/index.html").read_text() == "My first post"


def test_file_name_is_slugified_for_the_url(make_site, cli):
    site = make_site({"content/posts/Hello World, Again!.md": "x\n"})
    build(cli, site)
    assert (site / "public/posts/hello-world-again/index.html").is_file()


def test_pages_are_listed_by_weight_then_newest_first_then_by_title(make_site, cli):
    """Hugo's order: a page with a weight before those without one (weight 0),
    lighter first; then newest first, undated last; then by link title."""
    site = make_site({
        "content/posts/old.md": "---\ndate: 2023-01-01\n---\nx",
        "content/posts/new.md": "---\ndate: 2024-01-01\n---\nx",
        "content/posts/heavy.md": "---\ndate: 2025-06-01\nweight: 5\n---\nx",
        "content/posts/light.md": "---\ndate: 2022-06-01\nweight: 1\n---\nx",
        "content/posts/undated.md": "x",
        "content/posts/twin-b.md": "---\ntitle: apple\ndate: 2023-03-03\n---\nx",
        "content/posts/twin-a.md": "---\ntitle: Banana\nlinkTitle: cherry\ndate: 2023-03-03\n---\nx",
        "templates/list.html": "{% for p in pages %}{{ p.slug }} {% endfor %}",
    })
    build(cli, site)
    assert (site / "public/posts/index.html").read_text() == "light heavy new twin-b twin-a old undated "


def test_a_section_asks_for_its_own_order(make_site, cli, tmp_path):
    from warm_helpers import assert_like_a_clean_build

    site = make_site({
        "content/docs/_index.md": "---\ntitle: Docs\nsort_by: title\n---\n",
        "content/docs/b.md": "---\ntitle: Beta\ndate: 2024-01-01\n---\nx",
        "content/docs/a.md": "---\ntitle: Alpha\ndate: 2023-01-01\nweight: 3\n---\nx",
        "content/docs/c.md": "---\ntitle: Gamma\ndate: 2025-01-01\n---\nx",
        "content/news/_index.md": "---\ntitle: News\nsort_by: date\n---\n",
        "content/news/x.md": "---\ntitle: X\ndate: 2023-01-01\nweight: 1\n---\nx",
        "content/news/y.md": "---\ntitle: Y\ndate: 2024-01-01\n---\nx",
        "templates/list.html": "{% for p in pages %}{{ p.slug }} {% endfor %}",
    })
    build(cli, site)
    assert (site / "public/docs/index.html").read_text() == "a b c "
    assert (site / "public/news/index.html").read_text() == "y x "
    # a title edit that moves a page in its section's order, and nowhere else: the list follows
    c = site / "content/docs/c.md"
    c.write_text(c.read_text().replace("Gamma", "Aardvark"))
    build(cli, site)
    assert (site / "public/docs/index.html").read_text() == "c a b "
    assert_like_a_clean_build(site, tmp_path)
    index = site / "content/docs/_index.md"
    index.write_text(index.read_text().replace("sort_by: title", "sort_by: newest"))
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1 and "content/docs/_index.md:3" in result.output and "'sort_by'" in result.output


# --- encodings and line endings -------------------------------------------------------------------

def test_utf8_bom_is_dropped(make_site, cli):
    site = make_site({"content/a.md": b"\xef\xbb\xbf---\ntitle: With BOM\n---\nBody\n",
                      "templates/page.html": "[{{ page.title }}]{{ page.content }}"})
    build(cli, site)
    assert (site / "public/a/index.html").read_text() == "[With BOM]<p>Body</p>\n"


def test_crlf_line_endings(make_site, cli):
    site = make_site({"content/a.md": b"---\r\ntitle: Windows\r\ntags:\r\n  - x\r\n---\r\n## Head\r\n\r\nLine\r\n",
                      "templates/page.html": "[{{ page.title }}|{{ page.tags|join }}]{{ page.content }}"})
    build(cli, site)
    assert (site / "public/a/index.html").read_bytes() == b'[Windows|x]<h2 id="head">Head</h2>\n<p>Line</p>\n'


def test_old_mac_cr_line_endings(make_site, cli):
    site = make_site({"content/a.md": b"---\rtitle: Classic\r---\rBody\r",
                      "templates/page.html": "[{{ page.title }}]{{ page.content }}"})
    build(cli, site)
    assert (site / "public/a/index.html").read_text() == "[Classic]<p>Body</p>\n"


def test_empty_file_builds_an_empty_page(make_site, cli):
    site = make_site({"content/empty.md": b"", "templates/page.html": "[{{ page.title }}|{{ page.content }}]"})
    build(cli, site)
    assert (site / "public/empty/index.html").read_text() == "[Empty|]"


def test_empty_front_matter(make_site, cli):
    site = make_site({"content/a.md": "---\n---\nBody\n",
                      "templates/page.html": "[{{ page.title }}]{{ page.content }}"})
    build(cli, site)
    assert (site / "public/a/index.html").read_text() == "[A]<p>Body</p>\n"


def test_non_ascii_text_and_file_names(make_site, cli):
    site = make_site({"content/posts/café.md": "---\ntitle: Crème brûlée 🍮\n---\nÇa marche.\n",
                      "templates/page.html": "{{ page.title }} {{ page.content }}"})
    build(cli, site)
    page = (site / "public/posts/café/index.html").read_text(encoding="utf-8")
    assert page == "Crème brûlée 🍮 <p>Ça marche.</p>\n"


def test_a_thematic_break_in_the_body_is_not_front_matter(make_site, cli):
    site = make_site({"content/a.md": "---\ntitle: T\n---\nAbove\n\n---\n\nBelow\n",
                      "templates/page.html": "{{ page.content }}"})
    build(cli, site)
    assert (site / "public/a/index.html").read_text() == "<p>Above</p>\n<hr />\n<p>Below</p>\n"


# --- drafts and future posts ------------------------------------------------------------------------

DRAFT_AND_FUTURE = {
    "content/posts/published.md": "---\ntitle: Published\ndate: 2024-01-01\n---\nx",
    "content/posts/draft.md": "---\ntitle: Draft\ndate: 2024-01-02\ndraft: true\n---\nx",
    "content/posts/future.md": "---\ntitle: Future\ndate: 2999-01-01\n---\nx",
}


def test_drafts_and_future_posts_are_left_out_by_default(make_site, cli):
    site = make_site(DRAFT_AND_FUTURE)
    build(cli, site)
    assert (site / "public/posts/published/index.html").is_file()
    assert not (site / "public/posts/draft").exists()
    assert not (site / "public/posts/future").exists()
    for listing in ("public/posts/index.html", "public/index.xml", "public/sitemap.xml"):
        text = (site / listing).read_text()
        assert "posts/published/" in text and "posts/draft/" not in text and "posts/future/" not in text


def test_drafts_flag_includes_drafts_only(make_site, cli):
    site = make_site(DRAFT_AND_FUTURE)
    build(cli, site, "--drafts")
    assert (site / "public/posts/draft/index.html").is_file()
    assert not (site / "public/posts/future").exists()


def test_future_flag_includes_future_posts_only(make_site, cli):
    site = make_site(DRAFT_AND_FUTURE)
    build(cli, site, "--future")
    assert (site / "public/posts/future/index.html").is_file()
    assert not (site / "public/posts/draft").exists()


# --- bundles, sections, static files ---------------------------------------------------------------

JPEG = b"\xff\xd8\xff\xe0fake jpeg bytes\x00\x01"


def test_page_bundle_copies_its_files_beside_the_page(make_site, cli):
    site = make_site({
        "content/posts/trip/index.md": "---\ntitle: Trip\n---\n![photo](photo.jpg)\n",
        "content/posts/trip/photo.jpg": JPEG,
        "content/posts/trip/maps/route.gpx": "<gpx/>",
        "templates/page.html": "{{ page.title }} {{ page.content }}",
    })
    build(cli, site)
    assert (site / "public/posts/trip/index.html").read_text() == 'Trip <p><img src="/posts/trip/photo.jpg" alt="photo" /></p>\n'
    assert (site / "public/posts/trip/photo.jpg").read_bytes() == JPEG
    assert (site / "public/posts/trip/maps/route.gpx").read_text() == "<gpx/>"
    assert not (site / "public/posts/trip/index.md").exists()


def test_bundle_with_a_slug_moves_its_files_too(make_site, cli):
    site = make_site({"content/posts/trip/index.md": "---\nslug: holiday\n---\nx\n",
                      "content/posts/trip/photo.jpg": JPEG})
    build(cli, site)
    assert (site / "public/posts/holiday/photo.jpg").read_bytes() == JPEG
    assert not (site / "public/posts/trip").exists()


def test_nested_bundles_keep_their_own_files(make_site, cli):
    site = make_site({"content/posts/trip/index.md": "x", "content/posts/trip/a.jpg": JPEG,
                      "content/posts/trip/day2/index.md": "---\ntitle: Day 2\ndraft: true\n---\nsecret draft\n",
                      "content/posts/trip/day2/b.jpg": JPEG})
    build(cli, site)
    assert (site / "public/posts/trip/a.jpg").read_bytes() == JPEG
    assert not (site / "public/posts/trip/day2").exists(), "a draft bundle is not published by its parent"
    assert not [p for p in (site / "public").rglob("*.md")], "no markdown source is published"
    build(cli, site, "--drafts")
    assert (site / "public/posts/trip/day2/b.jpg").read_bytes() == JPEG
    assert (site / "public/posts/trip/day2/index.html").is_file()


def test_markdown_that_is_not_built_is_not_published_and_is_warned(make_site, cli):
    """A .md file inside a page bundle (MkDocs' blog/index.md over its posts)
    and Markdown under another extension (Jekyll's .markdown) were copied to
    the output as they are: their source text, a draft's included."""
    site = make_site({"content/guide/index.md": "---\ntitle: Guide\n---\nx\n",
                      "content/guide/secret.md": "---\ntitle: Secret\ndraft: true\n---\nnot for readers\n",
                      "content/guide/photo.jpg": JPEG,
                      "content/posts/2014-05-06-hello.markdown": "---\ntitle: Hello\n---\nhi\n"})
    result = build(cli, site)
    assert not [p for p in (site / "public").rglob("*") if p.suffix in (".md", ".markdown")]
    assert (site / "public/guide/photo.jpg").read_bytes() == JPEG
    assert ("warning: content/guide/secret.md: not built and not published: it is inside the page bundle "
            "content/guide/ (a folder with an index.md); to make the folder a section of pages, rename that "
            "index.md to _index.md") in result.stderr
    assert ("warning: content/posts/2014-05-06-hello.markdown: not built and not published: ssg reads Markdown "
            "from .md files; rename it to 2014-05-06-hello.md") in result.stderr
    strict = cli("build", "-s", str(site), "--strict")
    assert strict.exit_code == 1


def test_index_md_at_the_top_of_content_does_not_swallow_the_site(make_site, cli):
    site = make_site({"content/index.md": "---\ntitle: Oops\n---\nx", "content/about.md": "x",
                      "content/posts/a.md": "---\ndraft: true\n---\nsecret"})
    result = build(cli, site)
    assert (site / "public/about/index.html").is_file()
    assert (site / "public/index/index.html").is_file()
    assert not [p for p in (site / "public").rglob("*.md")], "no markdown source (or draft) is published"
    assert "warning: content/index.md: builds the page /index/; the home page's content goes in content/_index.md" \
        in result.stderr


def test_section_and_home_index_files(make_site, cli):
    site = make_site({
        "content/_index.md": "---\ntitle: Welcome\n---\nHome intro.\n",
        "content/posts/_index.md": "---\ntitle: My Writing\n---\nSection intro.\n",
        "content/posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nx",
        "templates/list.html": "{{ section.title }}|{{ page.content }}|{% for p in pages %}{{ p.title }}{% endfor %}",
        "templates/index.html": "{{ page.title }}|{{ page.content }}",
    })
    build(cli, site)
    assert (site / "public/posts/index.html").read_text() == "My Writing|<p>Section intro.</p>\n|A"
    assert (site / "public/index.html").read_text() == "Welcome|<p>Home intro.</p>\n"
    assert not (site / "public/posts/_index").exists()


def test_section_without_index_gets_a_title_from_its_folder(make_site, cli):
    site = make_site({"content/release-notes/a.md": "x", "templates/list.html": "[{{ section.title }}]",
                      "content/_common/b.md": "x", "content/_common/--draft_notes--.md": "x",
                      "templates/page.html": "[{{ page.title }}]"})
    build(cli, site)
    assert (site / "public/release-notes/index.html").read_text() == "[Release Notes]"
    # Hugo's docs keep snippets in content/_common/: no leading space, no doubled one
    assert (site / "public/_common/index.html").read_text() == "[Common]"
    assert [p.read_text() for p in (site / "public/_common").glob("*draft*/index.html")] == ["[Draft notes]"]


def test_static_files_are_copied_byte_for_byte(make_site, cli):
    binary = bytes(range(256))
    site = make_site({"content/a.md": "x", "static/favicon.ico": binary, "static/css/style.css": "body{}",
                      "static/.well-known/security.txt": "Contact: x", "static/notes.md": "# not rendered"})
    build(cli, site)
    assert (site / "public/favicon.ico").read_bytes() == binary
    assert (site / "public/css/style.css").read_text() == "body{}", "the site's file wins over the theme's"
    assert (site / "public/notes.md").read_text() == "# not rendered"
    assert (site / "public/css/pygments.css").is_file(), "theme static files still come along"


def test_other_files_in_content_are_copied(make_site, cli):
    site = make_site({"content/a.md": "x", "content/files/report.pdf": b"%PDF-1.4 \x00"})
    build(cli, site)
    assert (site / "public/files/report.pdf").read_bytes() == b"%PDF-1.4 \x00"


def test_editor_backup_and_hidden_files_are_ignored(make_site, cli):
    site = make_site({"content/a.md": "x", "content/a.md~": "---\ntitle: [broken\n", "content/.a.md.swp": b"\x00",
                      "content/#a.md#": "x", "static/.DS_Store": b"\x00"})
    build(cli, site)
    public = sorted(p.name for p in (site / "public").rglob("*"))
    assert not [name for name in public if name.endswith(("~", ".swp", "#")) or name == ".DS_Store"]


# --- data files -------------------------------------------------------------------------------------

def test_data_files_are_available_to_templates(make_site, cli):
    site = make_site({
        "content/a.md": "x",
        "data/team.yaml": "- name: Ann\n- name: Bob\n",
        "data/links.yml": "home: https://example.net\n",
        "data/build.json": '{"version": 7}',
        "data/menu.toml": 'items = ["a", "b"]\n',
        "data/nested/deeper/colours.yaml": "primary: teal\n",
        "templates/page.html": ("{% for p in data.team %}{{ p.name }},{% endfor %}|{{ data.links.home }}|"
                                "{{ data.build.version }}|{{ data.menu['items']|join('+') }}|"
                                "{{ data.nested.deeper.colours.primary }}"),
    })
    build(cli, site)
    assert (site / "public/a/index.html").read_text() == "Ann,Bob,|https://example.net|7|a+b|teal"


# -- the YAML depth guard's shortcut ---------------------------------------------
# _check_yaml_depth skips reading events when the text has fewer indicator
# characters than the depth limit. That is only sound if every level of nesting
# costs at least one indicator, in block and flow style alike.

_nested = st.recursive(st.integers(0, 9) | st.text("ab", min_size=1, max_size=3),
                       lambda inner: st.lists(inner, min_size=1, max_size=3)
                       | st.dictionaries(st.text("kv", min_size=1, max_size=3), inner, min_size=1, max_size=3),
                       max_leaves=40)


def _depth(value) -> int:
    if isinstance(value, list):
        return 1 + max(map(_depth, value))
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()))
    return 0


@given(_nested, st.booleans())
def test_each_level_of_yaml_nesting_costs_an_indicator(value, flow):
    import yaml

    from ssg.sources.content import _INDICATORS

    text = yaml.safe_dump(value, default_flow_style=flow)
    assert sum(map(text.count, _INDICATORS[str])) >= _depth(value)


def test_a_document_nested_deeper_than_the_limit_is_refused_in_either_style():
    import yaml

    from ssg.sources.content import MAX_YAML_DEPTH, YamlLoader, YamlTooDeep

    for text in ("[" * (MAX_YAML_DEPTH + 1) + "]" * (MAX_YAML_DEPTH + 1),
                 "".join(f"{'  ' * i}k:\n" for i in range(MAX_YAML_DEPTH + 1)) + "  " * (MAX_YAML_DEPTH + 1) + "v\n",
                 "- " * (MAX_YAML_DEPTH + 1) + "x\n"):
        with pytest.raises(YamlTooDeep):
            yaml.load(text, Loader=YamlLoader)
    assert yaml.load("- " * 10 + "x\n", Loader=YamlLoader) == [[[[[[[[[["x"]]]]]]]]]]
