"""A documentation site as authors bring it from Hugo (tests/fixtures/docs-site):
sections four deep with title, linkTitle and weight in their _index.md, a
cascade from docs/_index.md and a snippets section cascading
``build: {render: never, list: never}``, a snippet included by two pages,
menus from ssg.toml and front matter, a page past its expiryDate, a
Jekyll-dated file, every built-in shortcode and a site one, every Markdown
extension, and exactly three deliberate problems: an unknown shortcode, a
malformed call and a link to a missing page. It builds with exactly those
warnings, each shortcode and extension gives its HTML, and an edit of the
site's shortcode template or of the snippet writes exactly the pages that
use it, as a clean build would.

The last tests hold what the site showed was wrong once: a self-closed call
warned as never closed, a call shown in code rewritten by the link pass, a
section that has no page linked."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from warm_helpers import assert_like_a_clean_build, assert_state_is_exact

from ssg.build.entry import build

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "docs-site"

# In build order (pages are placed section by section, shallower first; the link pass comes last).
# Lines counted in the fixture's files: troubleshooting.md and s3.md have 7 lines of front matter, the
# calls are on line 14; the link is on line 81 of markdown.md.
EXPECTED_WARNINGS = [
    "warning: content/docs/guides/troubleshooting.md:14: shortcode 'callout': positional arguments come before "
    'named ones (arguments are "quoted text", numbers, true or false, each alone or as name=value; the call is '
    "shown as written)",
    "warning: content/docs/guides/deploy/providers/s3.md:14: unknown shortcode 'youtube' (add "
    "templates/shortcodes/youtube.html, or write {{</* youtube */>}} to show the call as text; it is shown as "
    "written)",
    "warning: content/docs/reference/markdown.md:87: link to 'nowhere.md' matches no page "
    "(content/docs/reference/nowhere.md does not exist, is a draft or future page, or is headless)",
]
FILES = [
    "404.html", "about/index.html", "atom.xml", "changelog/index.html", "css/pygments.css", "css/style.css",
    "docs/guides/atom.xml", "docs/guides/configuration/index.html", "docs/guides/deploy/index.html",
    "docs/guides/deploy/providers/atom.xml", "docs/guides/deploy/providers/index.html",
    "docs/guides/deploy/providers/index.xml", "docs/guides/deploy/providers/netlify/diagram.png",
    "docs/guides/deploy/providers/netlify/index.html", "docs/guides/deploy/providers/s3/index.html",
    "docs/guides/index.html", "docs/guides/index.xml", "docs/guides/quickstart/index.html",
    "docs/guides/troubleshooting/index.html", "docs/index.html", "docs/reference/atom.xml",
    "docs/reference/index.html", "docs/reference/index.xml", "docs/reference/markdown/index.html", "index.html",
    "index.xml", "robots.txt", "sitemap.xml", "tags/index.html",
]
USES_CALLOUT = ["docs/guides/deploy/providers/netlify/index.html", "docs/guides/deploy/providers/s3/index.html",
                "docs/guides/quickstart/index.html"]     # s3 through the snippet it includes
INCLUDES_SNIPPET = ["docs/guides/deploy/providers/s3/index.html", "docs/guides/quickstart/index.html"]


def copy_fixture(folder: Path) -> Path:
    site = folder / "docs-site"
    shutil.copytree(FIXTURE, site, ignore=shutil.ignore_patterns("public", ".ssg"))
    return site


def ssg(site: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site), *args],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == code, run.stderr + run.stdout
    return run


def warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    site = copy_fixture(tmp_path_factory.mktemp("built"))
    return site, ssg(site)


def html(site: Path, rel: str) -> str:
    return (site / "public" / rel).read_text()


def content(site: Path, rel: str) -> str:
    """The page's rendered Markdown: the default theme's div.content."""
    return html(site, rel).split('<div class="content">\n', 1)[1].split("\n  </div>\n", 1)[0]


def links(text: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]*)"[^>]*>([^<]*)</a>', text)


def between(text: str, start: str, end: str) -> str:
    return text.split(start, 1)[1].split(end, 1)[0]


def test_it_builds_with_exactly_the_expected_warnings(built):
    site, run = built
    assert warnings(run.stderr) == EXPECTED_WARNINGS
    assert "1 expired page not built (--expired includes it)" in run.stdout + run.stderr
    assert not [line for line in run.stderr.splitlines() if line.startswith("error")]


def test_with_strict_each_warning_is_an_error(tmp_path):
    site = copy_fixture(tmp_path)
    run = ssg(site, "--strict", code=1)
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    for warning in EXPECTED_WARNINGS:
        assert f"error: {warning.removeprefix('warning: ')} (a warning, fatal with --strict)" in errors, run.stderr
    assert len(errors) == 3, run.stderr


def test_json_counts_the_expired_page(tmp_path):
    site = copy_fixture(tmp_path)
    summary = json.loads(ssg(site, "--json").stdout)
    assert summary["pages_skipped"] == {"expired": 1}
    assert summary["errors"] == []
    assert [f"warning: {w}" for w in summary["warnings"]] == EXPECTED_WARNINGS
    assert summary["files_written"] == len(FILES)


def test_the_files_made_and_the_pages_left_out(built):
    site, _ = built
    public = site / "public"
    assert sorted(str(p.relative_to(public)) for p in public.rglob("*") if p.is_file()) == FILES
    # no snippets (the section, its page), no expired page; the bundle's picture is copied as is
    assert not (public / "docs/snippets").exists() and not (public / "docs/reference/legacy-api").exists()
    assert (public / "docs/guides/deploy/providers/netlify/diagram.png").read_bytes() == \
        (FIXTURE / "content/docs/guides/deploy/providers/netlify/diagram.png").read_bytes()
    sitemap = html(site, "sitemap.xml")
    assert "snippets" not in sitemap and "legacy-api" not in sitemap and "install-note" not in sitemap
    for rel in ("index.html", "docs/index.html", "docs/reference/index.html", "index.xml", "atom.xml"):
        assert "legacy" not in html(site, rel).lower() and "install-note" not in html(site, rel)
    # the Jekyll-dated file is /changelog/, dated by its name
    changelog = html(site, "changelog/index.html")
    assert '<time datetime="2024-05-01T00:00:00+00:00">2024-05-01</time>' in changelog
    assert '<h2 id="v2-1-0">2.1.0</h2>' in changelog


def test_front_matter_written_for_hugo(built):
    site, _ = built
    quickstart = html(site, "docs/guides/quickstart/index.html")
    assert '<meta name="description" content="Install Acme and deploy a first site.">' in quickstart
    assert ('<p class="meta"><time datetime="2024-02-01T00:00:00+00:00">2024-02-01</time> · updated '
            '<time datetime="2024-04-15T00:00:00+00:00">2024-04-15</time></p>') in quickstart      # lastmod
    assert "<title>Quickstart: deploy in five minutes | Acme Docs</title>" in quickstart


def test_the_cascaded_value_reaches_the_deepest_pages_unless_they_set_their_own(built):
    site, _ = built
    cascaded = '<meta name="keywords" content="acme, documentation">'
    for rel in ("docs/guides/deploy/providers/netlify/index.html", "docs/guides/deploy/providers/s3/index.html",
                "docs/guides/deploy/providers/index.html", "docs/guides/index.html", "docs/reference/index.html"):
        assert cascaded in html(site, rel), rel
    assert '<meta name="keywords" content="quickstart, install">' in html(site, "docs/guides/quickstart/index.html")
    assert '<meta name="keywords" content="markdown, syntax">' in html(site, "docs/reference/markdown/index.html")
    for rel in ("docs/index.html", "index.html", "about/index.html"):       # not on the cascading page, nor above
        assert 'name="keywords"' not in html(site, rel), rel


def test_breadcrumbs_of_the_page_four_sections_deep(built):
    site, _ = built
    for rel in ("docs/guides/deploy/providers/netlify/index.html", "docs/guides/deploy/providers/s3/index.html"):
        crumbs = between(html(site, rel), '<nav class="breadcrumbs" aria-label="Breadcrumb">', "</nav>")
        assert links(crumbs) == [("/acme/docs/", "Docs"), ("/acme/docs/guides/", "Guides"),
                                 ("/acme/docs/guides/deploy/", "Deploy"),
                                 ("/acme/docs/guides/deploy/providers/", "Providers")], rel
    crumbs = between(html(site, "docs/guides/deploy/providers/index.html"), 'aria-label="Breadcrumb">', "</nav>")
    assert [name for _, name in links(crumbs)] == ["Docs", "Guides", "Deploy"]     # the section itself is the h1


def post_titles(text: str) -> list[str]:
    return re.findall(r'class="post-card-title"><a href="[^"]*">([^<]*)</a>', text)


def test_lists_are_ordered_by_weight(built):
    site, _ = built
    guides = html(site, "docs/guides/index.html")
    # weights 1, 2, 3: neither the names' order nor the dates' (configuration is the newest)
    assert post_titles(guides) == ["Quickstart: deploy in five minutes", "Troubleshooting deploys", "Configuring Acme"]
    assert links(between(guides, '<ul class="section-list">', "</ul>")) == [("/acme/docs/guides/deploy/", "Deploy")]
    assert post_titles(html(site, "docs/guides/deploy/providers/index.html")) == [
        "Deploying to Amazon S3", "Deploying to Netlify"]
    # the home page: by weight, then newest first
    assert post_titles(html(site, "index.html")) == [
        "Deploying to Amazon S3", "Quickstart: deploy in five minutes", "Writing documentation pages",
        "Deploying to Netlify", "Troubleshooting deploys", "Configuring Acme"]
    children = links(between(html(site, "docs/index.html"), '<ul class="section-list">', "</ul>"))
    shown = [child for child in children if child[0] != "/acme/docs/snippets/"]    # see test_no_link_to_..._snippets
    assert shown == [("/acme/docs/guides/", "Guides"), ("/acme/docs/reference/", "Reference")]


def test_the_snippet_is_in_both_pages_that_include_it(built):
    site, _ = built
    snippet = ('<p>Install Acme with <code>pipx install acme</code>, then read the\n'
               '<a href="/acme/docs/guides/configuration/">configuration guide</a>.</p>\n'     # its link from content/
               '<aside class="callout callout-note">\n<p>Acme needs <strong>Python 3.11</strong> or newer.</p>\n\n'
               '</aside>\n')
    for rel in INCLUDES_SNIPPET:
        assert content(site, rel).count(snippet) == 1, rel


def nav(site: Path, rel: str) -> str:
    return between(html(site, rel), '<nav class="site-nav" aria-label="Main">', "</nav>")


def test_the_main_menu_marks_the_page_and_its_ancestor(built):
    site, _ = built
    quickstart = nav(site, "docs/guides/quickstart/index.html")
    assert links(quickstart) == [("/acme/", "Home"), ("/acme/docs/", "Docs"),
                                 ("/acme/docs/guides/quickstart/", "Quickstart"),   # its linkTitle, under Docs
                                 ("/acme/changelog/", "Changelog"), ("/acme/about/", "About")]
    assert '<li><a href="/acme/docs/guides/quickstart/" aria-current="page">Quickstart</a></li>' in quickstart
    assert '<a href="/acme/docs/" aria-current="true">Docs</a>' in quickstart
    assert quickstart.count("aria-current") == 2
    deep = nav(site, "docs/guides/deploy/providers/netlify/index.html")
    assert '<a href="/acme/docs/" aria-current="true">Docs</a>' in deep and deep.count("aria-current") == 1
    assert '<a href="/acme/about/" aria-current="page">About</a>' in nav(site, "about/index.html")
    assert '<a href="/acme/changelog/" aria-current="page">Changelog</a>' in nav(site, "changelog/index.html")
    assert '<a href="/acme/" aria-current="page">Home</a>' in nav(site, "index.html")


def test_each_shortcode_gives_its_html(built):
    site, _ = built
    netlify = content(site, "docs/guides/deploy/providers/netlify/index.html")
    assert ('<figure>\n<img src="/acme/docs/guides/deploy/providers/netlify/diagram.png" alt="Acme uploads to '
            'Netlify" width="8" height="4">\n<figcaption>\n<p>How a deploy <em>flows</em></p>\n</figcaption>\n'
            '</figure>\n') in netlify
    quickstart = content(site, "docs/guides/quickstart/index.html")
    # the site's shortcode, called alone with arguments and as a {{% %}} pair; a relref inside the pair
    assert '<aside class="callout callout-warning">\n<p class="callout-title">Before you deploy</p>\n</aside>\n' \
        in quickstart
    assert ('<aside class="callout callout-tip">\n<p>Next, deploy to <strong>Netlify</strong>: see '
            '<a href="/acme/docs/guides/deploy/providers/netlify/">the Netlify guide</a>.</p>\n\n</aside>\n') \
        in quickstart
    assert '<aside class="callout callout-tip">\n<p>Netlify\'s free plan is enough' in netlify
    # details holding a highlight: a table of line numbers and line 2 marked
    details = between(quickstart, "<details>\n", "</details>")
    assert details.startswith("<summary>Show a <strong>complete</strong> config</summary>\n"
                              '<div class="highlight"><table class="highlighttable"><tr><td class="linenos">')
    assert re.findall(r'<span class="normal">(\d+)</span>', details) == ["1", "2", "3"]
    assert '<span class="hll"><span class="n">url</span>' in details and details.count('class="hll"') == 1
    troubleshooting = content(site, "docs/guides/troubleshooting/index.html")
    assert ('<details open>\n<summary>The lock is held</summary>\n<p>Run <code>acme deploy --status</code> to see '
            'who holds it.</p>\n</details>\n') in troubleshooting
    configuration = content(site, "docs/guides/configuration/index.html")
    assert '<a href="https://acme.github.io/acme/changelog/">changelog</a>' in configuration   # ref: absolute
    assert re.findall(r'<span class="linenos">(\d+)</span>', configuration) == ["10", "11", "12"]   # inline, from 10
    assert '<span class="hll"><span class="linenos">11</span><span class="n">site</span>' in configuration


def test_each_markdown_extension_gives_its_html(built):
    site, _ = built
    page = content(site, "docs/reference/markdown/index.html")
    assert '<h2 id="alerts" class="reference">Alerts</h2>' in page
    for kind, title, text in (("note", "Note", "Useful information."), ("tip", "Tip", "A helpful hint."),
                              ("important", "Important", "Key information."),
                              ("warning", "Warning", "Needs your attention."), ("caution", "Caution", "May lose data.")):
        assert f'<div class="alert alert-{kind}">\n<p class="alert-title">{title}</p>\n<p>{text}</p>\n</div>' in page
    assert ('<div class="admonition note">\n<p class="admonition-title">Before you start</p>\n'
            "<p>Read the quickstart first.</p>\n</div>") in page
    assert '<details class="admonition tip">\n<summary>Tip</summary>\n<p>Folded until opened.</p>\n</details>' in page
    assert ("<dl>\n<dt>Provider</dt>\n<dd>Where a site is published.</dd>\n<dt>Target</dt>\n"
            "<dd><p>One <code>[deploy.NAME]</code> table.</p>\n<p>Its keys, as Hugo's docs write them:</p>\n"
            '<div class="highlight"><pre>') in page
    block = page.split("<p>Its keys, as Hugo's docs write them:</p>\n", 1)[1].split("</dd>\n</dl>", 1)[0]
    assert '<span class="n">url</span>' in block and block.endswith("</pre></div>\n")
    assert ('<li><input type="checkbox" checked="" disabled="" /> Install Acme</li>\n'
            '<li><input type="checkbox" disabled="" /> Deploy a site</li>') in page
    assert '<span class="math inline">$E = mc^2$</span>' in page
    assert '<div class="math display">$$\n\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n$$</div>' in page
    assert '<pre class="mermaid">graph LR\n  A[Build] --&gt; B[Deploy]\n</pre>' in page
    code = between(page, '<div class="code-block">\n', "</code></pre></div>\n</div>")
    assert code.startswith('<div class="code-title">deploy.py</div>\n<div class="highlight">')
    assert re.findall(r'<span class="linenos">(\d+)</span>', code) == ["1", "2"]
    assert '<span class="hll"><span class="linenos">2</span><span class="n">acme</span>' in code


def test_calls_shown_as_text(built):
    site, _ = built
    page = content(site, "docs/reference/markdown/index.html")
    assert "<p>Write {{&lt; figure src=&#34;x&#34; &gt;}} to show a call without running it." in page     # escaped
    fenced = between(page, "a call stays as written:</p>\n", "</code></pre></div>")
    # not expanded (Pygments 2.17 writes the quotes as &quot;, newer ones as they are)
    assert unescape(fenced).startswith('<div class="highlight"><pre><span></span><code>{{< figure src="')
    assert page.count("<figure") == 0 and page.count("<img") == 0
    assert "{{&lt; youtube abc &gt;}}" in content(site, "docs/guides/deploy/providers/s3/index.html")   # unknown
    assert "{{&lt; callout type=&#34;danger&#34; &#34;Never break a live lock&#34; /&gt;}}" in content(  # malformed
        site, "docs/guides/troubleshooting/index.html")
    assert '<a href="nowhere.md">old upload page</a>' in page      # the missing page's link is left as written


def test_an_edit_of_the_shortcode_or_the_snippet_writes_exactly_the_pages_using_it(tmp_path):
    site = copy_fixture(tmp_path)
    ssg(site)
    before = {rel: html(site, rel) for rel in FILES if rel.endswith(".html")}
    template = site / "templates/shortcodes/callout.html"
    template.write_text(template.read_text().replace("<aside class=", '<aside role="note" class='))
    result = build(site)
    assert result.ok and sorted(result.written) == USES_CALLOUT      # not troubleshooting: its call is malformed
    assert (result.rendered, result.parsed) == (3, 4)                # and the snippet, parsed again
    assert all('<aside role="note" class="callout' in html(site, rel) for rel in USES_CALLOUT)
    assert all(html(site, rel) == text for rel, text in before.items() if rel not in USES_CALLOUT)
    assert_like_a_clean_build(site, tmp_path)
    snippet = site / "content/docs/snippets/install-note.md"
    snippet.write_text(snippet.read_text().replace("pipx install acme", "pipx install acme-cli"))
    result = build(site)
    assert result.ok and sorted(result.written) == INCLUDES_SNIPPET
    assert all("<code>pipx install acme-cli</code>" in html(site, rel) for rel in INCLUDES_SNIPPET)
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


# --- what this site showed was wrong once ----------------------------------------------------------------


def test_a_self_closed_call_is_not_a_warning(built):
    site, run = built
    assert "quickstart.md:20" not in run.stderr and "never closed" not in run.stderr


def test_a_call_in_fenced_code_is_left_as_written(built):
    site, _ = built
    page = content(site, "docs/reference/markdown/index.html")
    assert '<code>{{< figure src="photo.png" >}}\n</code>' in unescape(page)     # the link pass left it alone


def test_no_link_to_the_snippets_section_that_has_no_page(built):
    site, _ = built
    assert "/acme/docs/snippets/" not in html(site, "docs/index.html")
    assert "/acme/docs/snippets/" not in html(site, "404.html")
