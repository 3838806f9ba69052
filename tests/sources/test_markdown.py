"""Markdown as authors write it, checked in the HTML that lands on disk:
CommonMark and GFM, heading ids and the table of contents, highlighting,
summaries, raw HTML, and bodies that are never evaluated as templates."""

from __future__ import annotations

import re

import pytest

HEAD = 'title = "T"\nbase_url = "https://example.org/"\n'


@pytest.fixture
def render(make_site, cli):
    """render(body, markdown="...", template="...") -> the page's HTML on disk."""

    def run(body: str, *, markdown: str = "", template: str = "{{ page.content }}", front: str = "") -> str:
        config = HEAD + (f"[markdown]\n{markdown}\n" if markdown else "")
        site = make_site({"content/a.md": f"---\ntitle: A\n{front}---\n{body}".encode(),
                          "templates/page.html": template}, config=config)
        result = cli("build", "-s", str(site))
        assert result.exit_code == 0, result.output
        return (site / "public/a/index.html").read_text(encoding="utf-8")

    return run


# --- CommonMark and GFM ----------------------------------------------------------------------------

def test_commonmark_basics(render):
    html = render("# Title\n\nSome *em*, **strong**, `code` and [a link](https://example.net/).\n\n"
                  "> quoted\n\n- one\n- two\n\n1. first\n\n***\n\n    indented code\n")
    assert html == ('<h1 id="title">Title</h1>\n'
                    '<p>Some <em>em</em>, <strong>strong</strong>, <code>code</code> and '
                    '<a href="https://example.net/">a link</a>.</p>\n'
                    "<blockquote>\n<p>quoted</p>\n</blockquote>\n"
                    "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
                    "<ol>\n<li>first</li>\n</ol>\n"
                    "<hr />\n"
                    "<pre><code>indented code\n</code></pre>\n")


def test_special_characters_are_escaped(render):
    assert render("a < b & c > d\n") == "<p>a &lt; b &amp; c &gt; d</p>\n"


def test_gfm_table(render):
    html = render("| Name | Qty |\n|:-----|----:|\n| Pear | 3 |\n")
    assert html == ('<table>\n<thead>\n<tr>\n<th align="left">Name</th>\n<th align="right">Qty</th>\n</tr>\n'
                    '</thead>\n<tbody>\n<tr>\n<td align="left">Pear</td>\n<td align="right">3</td>\n</tr>\n'
                    "</tbody>\n</table>\n")


def test_gfm_strikethrough_autolinks_and_task_lists(render):
    html = render("~~gone~~ see www.example.com and https://example.net/x\n\n- [x] done\n- [ ] todo\n")
    assert "<del>gone</del>" in html
    assert '<a href="http://www.example.com">www.example.com</a>' in html
    assert '<a href="https://example.net/x">https://example.net/x</a>' in html
    assert '<input type="checkbox" checked="" disabled="" /> done' in html
    assert '<input type="checkbox" disabled="" /> todo' in html


def test_footnotes(render):
    html = render("Claim.[^src]\n\n[^src]: The source.\n")
    assert '<sup class="footnote-ref"><a href="#fn-src" id="fnref-src" data-footnote-ref>1</a></sup>' in html
    assert '<section class="footnotes" data-footnotes>' in html and '<li id="fn-src">' in html


def test_smart_punctuation_and_hard_breaks_options(render):
    plain = render('"Quoted" -- dash\nnext line\n')
    assert plain == '<p>&quot;Quoted&quot; -- dash\nnext line</p>\n'
    fancy = render('"Quoted" -- dash\nnext line\n', markdown="smart_punctuation = true\nhard_breaks = true")
    assert fancy == "<p>“Quoted” – dash<br />\nnext line</p>\n"


MARKDOWN_SAMPLES = [
    "# T\n\nPara *em* **strong** `code` [link](/a/) ![img](b.png)\n\n> quote\n\n1. one\n2. two\n",
    "| a | b |\n|:--|--:|\n| 1 | 2 |\n| x \\| y | z |\n",
    "~~gone~~ www.example.org https://x.y/z?q=1 <mail@example.org>\n\n- [ ] todo\n- [x] done\n",
    "Text[^1] and[^n].\n\n[^1]: One.\n[^n]: Two\n    continued.\n",
    "```python\nx = 1 < 2\n```\n\n<div class=\"raw\"><script>alert(1)</script></div>\n\n<!--more-->\n",
    "Ünïcödé “quotes” -- dashes... \u2028 \x00 nul\n\n    indented code\n",
    "",
]


@pytest.mark.parametrize("options", [{}, {"unsafe_html": False}, {"smart_punctuation": True, "hard_breaks": True}])
def test_html_is_cmark_gfms_own(options):
    """ssg.speedups.cmark calls cmark-gfm's library itself (to free what it
    allocates): the HTML must be what cmarkgfm's own function returns."""
    import cmarkgfm

    from ssg.sources.markdown import _EXTENSIONS, cmark_options
    from ssg.speedups.cmark import to_html

    flags = cmark_options(options)
    for text in MARKDOWN_SAMPLES:
        assert to_html(text, flags, _EXTENSIONS) == cmarkgfm.markdown_to_html_with_extensions(
            text, options=flags, extensions=list(_EXTENSIONS)), text


def test_rendering_many_pages_does_not_grow_memory():
    """cmarkgfm's own function leaks each page's tree and HTML (21 KB a page:
    2 GB over a 100,000-page build). 5,000 renders in a fresh process, with
    the speed-ups as a user has them (on; ssg/speedups/cmark.py frees both), must
    leave its peak memory where 500 left it."""
    import os
    import subprocess
    import sys

    from ssg.speedups import switch as speedups

    code = """
import resource
from ssg.sources.markdown import render_markdown
body = ("## Heading\\n\\n" + "Some *text* with [a link](../b/). " * 40
        + "\\n\\n- a\\n- b\\n\\n| x | y |\\n|---|---|\\n| 1 | 2 |\\n")
def peak(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(500): render_markdown(body, {"highlight": False})
before = peak()
for _ in range(5000): render_markdown(body, {"highlight": False})
print(peak() - before)
"""
    env = {k: v for k, v in os.environ.items() if k != speedups.ENV}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    grown_kib = int(run.stdout)
    assert grown_kib < 8 * 1024, f"peak memory grew by {grown_kib} KiB over 5,000 pages"


# --- headings and table of contents --------------------------------------------------------------

def test_heading_ids_are_githubs_and_hugos_and_unique(render):
    """Anchors written for GitHub or a Hugo site keep working: each space or
    '-' is a '-' (none merged), '_' stays, other punctuation goes."""
    html = render("## Hello, World!\n\n## Hello, World!\n\n### `code` & *more*\n\n## Ünïcode Straße\n\n## !!!\n\n"
                  "## Example -- headless page\n\n## Index pages: `_index.md`\n\n## İstanbul\n")
    ids = re.findall(r'<h[1-6] id="([^"]+)"', html)
    assert ids == ["hello-world", "hello-world-1", "code--more", "ünïcode-straße", "section",
                   "example----headless-page", "index-pages-_indexmd", "istanbul"]


def test_page_toc_lists_levels_2_and_3_by_default(render):
    template = "{% for e in page.toc %}{{ e.level }} #{{ e.id }} {{ e.title }}\n{% endfor %}"
    toc = render("# Top\n\n## Intro\n\n### Detail <b>x</b>\n\n#### Deep\n\n## Intro\n", template=template)
    assert toc == "2 #intro Intro\n3 #detail-x Detail x\n2 #intro-1 Intro\n"


def test_toc_levels_option(render):
    template = "{% for e in page.toc %}{{ e.id }} {% endfor %}"
    assert render("## A\n\n### B\n\n#### C\n", markdown="toc_levels = [3, 4]", template=template) == "b c "


# --- code --------------------------------------------------------------------------------------------

def test_fenced_code_is_highlighted_with_css_classes(render):
    html = render("```python\ndef f(x):\n    return x < 1\n```\n")
    assert html.startswith('<div class="highlight"><pre>')
    assert '<span class="k">def</span>' in html and '<span class="nf">f</span>' in html
    assert "&lt;" in html and "style=" not in html, "classes only, no inline styles"


def test_unknown_language_falls_back_to_plain_code(render):
    html = render("```nosuchlang\nif a < b: pass\n```\n")
    assert html == '<pre><code class="language-nosuchlang">if a &lt; b: pass\n</code></pre>\n'


def test_code_without_language_is_plain(render):
    assert render("```\n<b>x</b>\n```\n") == "<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n"


def test_highlight_off_keeps_the_language_class(render):
    html = render("```python\nx = 1\n```\n", markdown="highlight = false")
    assert html == '<pre><code class="language-python">x = 1\n</code></pre>\n'


def test_language_names_are_case_insensitive(render):
    assert '<span class="k">def</span>' in render("```Python\ndef f(): pass\n```\n")


# --- summaries ----------------------------------------------------------------------------------------

def test_summary_is_the_first_paragraph(render):
    html = render("## Heading\n\nFirst *para*.\n\nSecond para.\n", template="[{{ page.summary }}]")
    assert html == "[First <em>para</em>.]"


@pytest.mark.parametrize("marker", ["<!--more-->", "<!-- more -->", "<!--More-->"])
def test_summary_is_everything_before_the_more_marker(render, marker):
    """Hugo's marker, and MkDocs' blog plugin's and Hexo's, with spaces."""
    html = render(f"One.\n\nTwo.\n\n{marker}\n\nThree.\n", template="[{{ page.summary }}]")
    assert html == "[<p>One.</p>\n<p>Two.</p>]"


def test_single_paragraph_summary_before_the_marker_is_inline_like_the_default(render):
    """Templates wrap the summary in their own <p>; a <p> inside it would nest."""
    html = render("Just *this*.\n\n<!--more-->\n\nRest.\n", template="[{{ page.summary }}]")
    assert html == "[Just <em>this</em>.]"


def test_more_marker_works_with_raw_html_off(render):
    html = render("Intro.\n\n<!--more-->\n\nRest.\n", markdown="unsafe_html = false", template="[{{ page.summary }}]")
    assert html == "[Intro.]"


@pytest.mark.parametrize("body", [
    "A claim.[^1] More.\n\nRest.\n\n[^1]: Source.\n",
    "A claim.[^1] More.\n\n<!--more-->\n\nRest.\n\n[^1]: Source.\n",
], ids=["first-paragraph", "more-marker"])
def test_summary_drops_footnote_references(render, body):
    """On a list page a reference would link nowhere and repeat the page's ids."""
    html = render(body, template="[{{ page.summary }}]|{{ page.content }}")
    summary, content = html.split("|", 1)
    assert summary == "[A claim. More.]"
    assert 'href="#fn-1"' in content, "the page itself keeps its footnote"


def test_front_matter_summary_wins_and_is_escaped(render):
    html = render("Body.\n", front="summary: Use <b> & enjoy\n", template="[{{ page.summary }}]")
    assert html == "[Use &lt;b&gt; &amp; enjoy]"


# --- the body is data, never a template ------------------------------------------------------------

def test_template_syntax_in_a_body_is_rendered_literally(render):
    html = render("Hello {{ site.config.title }} {% if true %}yes{% endif %} {# c #}\n\n"
                  "```\n{{ 7 * 7 }}\n```\n", template="{{ page.content }}|{{ page.summary }}")
    assert html == ("<p>Hello {{ site.config.title }} {% if true %}yes{% endif %} {# c #}</p>\n"
                    "<pre><code>{{ 7 * 7 }}\n</code></pre>\n"
                    "|Hello {{ site.config.title }} {% if true %}yes{% endif %} {# c #}")
    assert "49" not in html


def test_template_syntax_in_front_matter_is_not_evaluated(render):
    html = render("x\n", front='summary: "{{ 7 * 7 }}"\n', template="{{ page.title }}|{{ page.summary }}")
    assert html == "A|{{ 7 * 7 }}"


# --- raw HTML --------------------------------------------------------------------------------------

RAW = ('<div class="note">Raw <b>HTML</b></div>\n\n<iframe src="https://video.example/embed/1"></iframe>\n\n'
       "<script>track()</script>\n\nText with <span>inline</span> tag.\n")


def test_raw_html_passes_through_by_default(render):
    html = render(RAW)
    assert '<div class="note">Raw <b>HTML</b></div>' in html
    assert '<iframe src="https://video.example/embed/1"></iframe>' in html, "embeds work for trusted authors"
    assert "<script>track()</script>" in html
    assert "<p>Text with <span>inline</span> tag.</p>" in html
    assert "&lt;" not in html


def test_raw_html_is_omitted_when_unsafe_html_is_false(render):
    html = render(RAW, markdown="unsafe_html = false")
    assert "<div" not in html and "<iframe" not in html and "<script" not in html and "<span>" not in html
    assert "<!-- raw HTML omitted -->" in html
    assert "<p>Text with <!-- raw HTML omitted -->inline<!-- raw HTML omitted --> tag.</p>" in html


def test_unsafe_links_are_dropped_when_unsafe_html_is_false(render):
    html = render("[x](javascript:alert(1))\n", markdown="unsafe_html = false")
    assert "javascript:" not in html
