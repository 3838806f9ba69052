"""Links written in markdown work on the page itself, on list pages and in feeds,
also when the site lives under a sub-path of its domain."""

from __future__ import annotations

import re
from html import unescape

from hypothesis import given, settings
from hypothesis import strategies as st

BLOG = 'title = "T"\nbase_url = "https://example.org/blog/"\n[feeds]\nfull_content = true\n'


def test_link_to_a_markdown_file_becomes_that_pages_url(make_site, cli):
    site = make_site({
        "content/posts/a.md": "---\ntitle: A\ndate: 2024-01-02\n---\nSee [b](b.md#details) and [about](../about.md).\n",
        "content/posts/b.md": "---\ntitle: B\ndate: 2024-01-01\nslug: bee\n---\n## Details\n",
        "content/about.md": "---\ntitle: About\n---\nHi\n",
    }, config=BLOG)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    html = (site / "public/posts/a/index.html").read_text()
    assert 'href="/blog/posts/bee/#details"' in html
    assert 'href="/blog/about/"' in html


def test_link_to_a_missing_markdown_file_is_a_warning_naming_both_files(make_site, cli):
    site = make_site({"content/posts/a.md": "---\ntitle: A\n---\nSee [gone](gone.md).\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0
    assert "content/posts/a.md:4: link to 'gone.md' matches no page (content/posts/gone.md" in result.stderr


def test_site_paths_get_the_base_path_once(make_site, cli):
    site = make_site({
        "content/posts/a.md": "---\ntitle: A\n---\n[about](/about/) [again](/blog/about/) "
                              "[ext](https://example.com/x) [top](#top) [mail](mailto:a@b.c)\n"
                              '<img src="/img/logo.png" alt="logo">\n',
    }, config=BLOG)
    assert cli("build", "-s", str(site)).exit_code == 0
    html = (site / "public/posts/a/index.html").read_text()
    assert 'href="/blog/about/"' in html and "/blog/blog/" not in html
    assert 'href="https://example.com/x"' in html and 'href="#top"' in html and 'href="mailto:a@b.c"' in html
    assert 'src="/blog/img/logo.png"' in html


def test_attributes_shown_in_code_are_left_as_written(make_site, cli):
    """A code block showing HTML or a shortcode call ('src="photo.png"') is text, not a link: highlighted or not."""
    site = make_site({
        "content/posts/a.md": '---\ntitle: A\n---\n```markdown\nA src="photo.png" and href="other.md" and href="/x/"\n'
                              '{{</* figure src="pic.png" */>}}\n```\n\n```\nplain src="p.png"\n```\n',
    }, config=BLOG)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0 and "warning" not in result.stderr, result.stderr
    html = (site / "public/posts/a/index.html").read_text()
    assert "/blog/" not in html.split('<div class="content">')[-1].split("</article>")[0]
    shown = unescape(html)     # (Pygments 2.17 writes the quotes as &quot;, newer ones as they are)
    assert 'src="photo.png"' in shown and 'href="other.md"' in shown and 'src="pic.png"' in shown


def test_a_bundle_image_in_the_summary_still_loads_on_list_pages_and_feeds(make_site, cli):
    """A page-relative src would resolve against the home page's URL there."""
    site = make_site({
        "content/posts/trip/index.md": "---\ntitle: Trip\ndate: 2024-01-01\n---\n![the view](view.png) Nice.\n",
        "content/posts/trip/view.png": b"\x89PNG\r\n\x1a\n",
    }, config=BLOG)
    assert cli("build", "-s", str(site)).exit_code == 0
    for listing in ("index.html", "posts/index.html"):
        assert 'src="/blog/posts/trip/view.png"' in (site / "public" / listing).read_text(), listing
    assert "/blog/posts/trip/view.png" in (site / "public/index.xml").read_text()
    assert (site / "public/posts/trip/view.png").is_file()


# -- rewrite_links finds exactly what this regular expression finds inside a tag ----
# (the documented definition of a link attribute; rewrite_links uses string
# searches instead because the expression costs 35 us a page)
_ORACLE = re.compile(r"""(\s(?:[hH][rR][eE][fF]|[sS][rR][cC])=)(["'])(.*?)\2""")
_HTMLISH = st.lists(st.sampled_from([" ", "\n", "\t", "\u00a0", "href=", "HREF=", "src=", "Src=", "xsrc=", '"', "'",
                                     "a", "/b", "#c", "ſrc=", "İ", "=", "<p>", ".md", "<a", "<img", ">", "</span>"]),
                    max_size=30).map("".join)


@given(_HTMLISH)
@settings(max_examples=400, deadline=None)
def test_rewrite_links_finds_what_the_definition_finds(text):
    text = "<a" + text
    from ssg.sources.links import rewrite_links

    def resolve(url: str) -> str | None:
        return None if url.startswith("#") else f"<{url}>"

    def in_tag(at: int) -> bool:
        return text.rfind("<", 0, at) > text.rfind(">", 0, at)

    expected = _ORACLE.sub(lambda m: m.group(0) if m.group(3).startswith("#") or not in_tag(m.start())
                           else f"{m.group(1)}{m.group(2)}<{m.group(3)}>{m.group(2)}", text)
    assert rewrite_links(text, resolve) == expected
