"""Shortcodes in whole builds (issue 21): warnings at file:line (errors with
--strict), a missing ref target failing the page with its last good output
kept, and the dependencies on shortcode templates and included files: an
edit of either writes exactly the pages whose bytes change and renders
nothing else; an edit of a call's arguments stays on the cheap path; every
incremental build, by the CLI or by ssg serve, equals a clean one."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from warm_helpers import Serving, assert_like_a_clean_build, assert_state_is_exact

from ssg.build.entry import build

SITE = {
    "ssg.toml": 'title = "T"\nbase_url = "https://example.org/"\n[params]\nbrand = "Acme"\n',
    "templates/page.html": "<h1>{{ page.title }}</h1>{{ page.content }}",
    "templates/list.html": "{% for p in pages %}{{ p.slug }}: {{ p.summary }}\n{% endfor %}",
    "templates/index.html": "{% for p in pages %}{{ p.slug }}\n{% endfor %}",
    "templates/shortcodes/note.html": '<aside class="{{ kwargs.kind | default("info") }}">{{ inner }}</aside>',
    "templates/shortcodes/brand.html": "<b>{{ site.params.brand }}</b>",
    "content/docs/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nUses {{< brand >}}.\n\n"
                         '{{% note kind="tip" %}}\nA *tip*.\n{{% /note %}}\n',
    "content/docs/b.md": '---\ntitle: B\ndate: 2024-01-02\n---\nIncludes:\n\n{{< include "/snippets/s.md" >}}\n',
    "content/docs/c.md": "---\ntitle: C\ndate: 2024-01-03\n---\nNo calls; [to A]({{< relref \"a.md\" >}}).\n",
    "content/docs/d.md": "---\ntitle: D\ndate: 2024-01-04\n---\nPlain.\n",
    "content/snippets/s.md": "---\nheadless: true\n---\nSnippet with {{< brand >}}.\n",
}


FEEDS = ["atom.xml", "docs/atom.xml", "docs/index.xml", "index.xml"]     # they hold each page's summary


def ssg(site: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site), *args],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == code, run.stderr + run.stdout
    return run


def page(site: Path, rel: str) -> str:
    return (site / "public" / rel).read_text()


def test_a_site_with_shortcodes_builds_them(make_site):
    site = make_site(SITE)
    run = ssg(site)
    assert "warning" not in run.stderr
    assert page(site, "docs/a/index.html") == ('<h1>A</h1><p>Uses <b>Acme</b>.</p>\n'
                                               '<aside class="tip"><p>A <em>tip</em>.</p>\n</aside>\n')
    assert "<p>Snippet with <b>Acme</b>.</p>" in page(site, "docs/b/index.html")
    assert '<a href="/docs/a/">to A</a>' in page(site, "docs/c/index.html")
    assert not (site / "public/snippets/s").exists()


def test_unknown_and_malformed_calls_are_warnings_at_their_line_and_errors_with_strict(make_site):
    site = make_site({**SITE, "content/docs/d.md": "---\ntitle: D\n---\nPlain.\n\n{{< nosuch x >}}\n\n"
                                                   "{{< note >}}never closed\n"})
    run = ssg(site)
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, run.stderr
    assert "content/docs/d.md:6: unknown shortcode 'nosuch'" in warnings[0]
    assert "content/docs/d.md:8: shortcode 'note' is never closed" in warnings[1]
    assert "{{&lt; nosuch x &gt;}}" in page(site, "docs/d/index.html")       # shown as written
    strict = ssg(site, "--strict", code=1)
    assert "content/docs/d.md:6" in strict.stderr and "content/docs/d.md:8" in strict.stderr


def test_a_warning_in_an_included_file_is_given_once(make_site):
    site = make_site({**SITE, "content/snippets/s.md": "---\nheadless: true\n---\nSnippet {{< nosuch >}}.\n",
                      "content/docs/d.md": '---\ntitle: D\n---\n{{< include "/snippets/s.md" >}}\n'})
    run = ssg(site)
    warnings = [line for line in run.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [warnings[0]] and "content/snippets/s.md:4: unknown shortcode 'nosuch'" in warnings[0], warnings


def test_a_ref_to_no_page_is_an_error_and_the_last_good_page_stays(make_site):
    site = make_site(SITE)
    ssg(site)
    good = page(site, "docs/c/index.html")
    c = site / "content/docs/c.md"
    c.write_text(c.read_text().replace('"a.md"', '"gone.md"'))
    run = ssg(site, code=1)
    assert "content/docs/c.md:5" in run.stderr and "'gone.md'" in run.stderr
    assert page(site, "docs/c/index.html") == good


def test_a_template_edit_writes_exactly_the_pages_whose_bytes_change(make_site, tmp_path):
    site = make_site(SITE)
    assert build(site).ok
    brand = site / "templates/shortcodes/brand.html"
    brand.write_text("<b>{{ site.params.brand }}</b>")             # same bytes: nothing at all
    result = build(site)
    assert (result.written, result.rendered) == ([], 0)
    brand.write_text("<i>{{ site.params.brand }}</i>")
    result = build(site)
    # a.md calls it, b.md through its include (and the snippet itself); the docs list shows a's summary,
    # the feeds the pages' content
    assert sorted(result.written) == sorted([*FEEDS, "docs/a/index.html", "docs/b/index.html", "docs/index.html"])
    assert result.rendered == 3 and result.parsed == 3
    assert_like_a_clean_build(site, tmp_path)
    note = site / "templates/shortcodes/note.html"
    note.write_text(note.read_text().replace("aside", "section"))
    result = build(site)
    assert result.written == ["docs/a/index.html"] and result.rendered == 1     # not in its summary
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


def test_a_site_value_a_shortcode_shows_is_rebuilt_when_it_changes(make_site, tmp_path):
    site = make_site(SITE)
    assert build(site).ok
    config = site / "ssg.toml"
    config.write_text(config.read_text().replace('"Acme"', '"Acme Corp"'))
    result = build(site)
    assert "<b>Acme Corp</b>" in page(site, "docs/a/index.html") and "<b>Acme Corp</b>" in page(site, "docs/b/index.html")
    assert result.parsed == 4      # the pages that call a shortcode (a, b, c and the snippet), not d
    assert_like_a_clean_build(site, tmp_path)


def test_an_edit_of_a_template_a_shortcode_includes_rebuilds_its_callers(make_site, tmp_path):
    site = make_site({**SITE, "templates/shortcodes/boxed.html": '{% include "partials/box.html" %}',
                      "templates/partials/box.html": "<div>{{ args[0] }}</div>",
                      "content/docs/d.md": '---\ntitle: D\ndate: 2024-01-04\n---\n{{< boxed "in a box" >}}\n'})
    assert build(site).ok
    (site / "templates/partials/box.html").write_text("<section>{{ args[0] }}</section>")
    result = build(site)
    assert result.written == ["docs/d/index.html"] and result.parsed == 1
    assert page(site, "docs/d/index.html") == "<h1>D</h1><section>in a box</section>\n"
    assert_like_a_clean_build(site, tmp_path)


def test_a_shortcode_sees_what_the_sections_cascade_and_follows_its_edits(make_site, tmp_path):
    site = make_site({**SITE, "templates/shortcodes/product.html": "{{ page.params.product }} {{ page.params.tier }}",
                      "content/docs/_index.md": "---\ntitle: Docs\ncascade:\n  product: Tide\n  tier: free\n---\n",
                      "content/docs/d.md": "---\ntitle: D\ndate: 2024-01-04\ntier: own\n---\n{{< product >}}\n"})
    assert build(site).ok
    assert page(site, "docs/d/index.html") == "<h1>D</h1>Tide own\n"       # the page's own value wins
    (site / "content/docs/_index.md").write_text("---\ntitle: Docs\ncascade:\n  product: Ebb\n---\n")
    result = build(site)
    assert "docs/d/index.html" in result.written and page(site, "docs/d/index.html") == "<h1>D</h1>Ebb own\n"
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


def test_a_new_template_for_an_unknown_call_renders_it(make_site, tmp_path):
    site = make_site({**SITE, "content/docs/d.md": "---\ntitle: D\n---\n{{< later >}}\n"})
    first = build(site)
    assert any("unknown shortcode 'later'" in w for w in first.warnings)
    (site / "templates/shortcodes/later.html").write_text("now known")
    result = build(site)
    assert result.warnings == [] and result.written == ["docs/d/index.html"]
    assert page(site, "docs/d/index.html") == "<h1>D</h1>now known\n"
    assert_like_a_clean_build(site, tmp_path)


def test_an_included_file_edit_rebuilds_its_includers(make_site, tmp_path):
    site = make_site(SITE)
    assert build(site).ok
    (site / "content/snippets/s.md").write_text("---\nheadless: true\n---\nNew snippet text.\n")
    result = build(site)
    assert result.written == ["docs/b/index.html"]
    assert "New snippet text." in page(site, "docs/b/index.html")
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


def test_an_edit_of_arguments_stays_on_the_cheap_path(make_site, tmp_path):
    site = make_site(SITE)      # (with its headless snippet: a partial site holds pages outside the lists)
    assert build(site).ok
    a = site / "content/docs/a.md"
    a.write_text(a.read_text().replace('kind="tip"', 'kind="warning"'))
    result = build(site)
    assert result.narrow and "load" not in result.timings and result.parsed == 1, result.timings
    assert result.written == ["docs/a/index.html"]
    assert '<aside class="warning">' in page(site, "docs/a/index.html")
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)
    assert json.loads(ssg(site, "--json").stdout)["files_written"] == 0


def test_ssg_serve_rebuilds_shortcode_edits_as_a_clean_build_would(make_site, tmp_path):
    site = make_site(SITE)
    serving = Serving(site)
    result = serving.edit("content/docs/a.md", SITE["content/docs/a.md"].replace('kind="tip"', 'kind="x"'))
    assert result.ok and result.warm and result.written == ["docs/a/index.html"]
    result = serving.edit("content/snippets/s.md", "---\nheadless: true\n---\nServed snippet, {{< brand >}}.\n")
    assert result.ok and result.written == ["docs/b/index.html"]
    result = serving.edit("templates/shortcodes/brand.html", "<u>{{ site.params.brand }}</u>")
    assert result.ok and sorted(result.written) == sorted([*FEEDS, "docs/a/index.html", "docs/b/index.html",
                                                           "docs/index.html"])
    result = serving.edit("content/docs/d.md", "---\ntitle: D\ndate: 2024-01-04\n---\nNow {{< brand >}}.\n")
    assert result.ok and "docs/d/index.html" in result.written
    assert "<u>Acme</u>" in page(site, "docs/d/index.html")
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


def test_ref_and_relref_give_the_pages_url_in_text_too_and_follow_it(make_site, tmp_path):
    """Hugo's: ``ref`` an absolute URL, ``relref`` the URL path, in a link or
    in text (both printed the file's path, /docs/a.md, outside a link); a
    shortcode template's ``page.url`` and ``page.permalink`` likewise. A slug
    edit of the page referred to moves both, as a clean build would."""
    site = make_site({**SITE, "ssg.toml": 'title = "T"\nbase_url = "https://example.org/blog/"\n[params]\nbrand = "A"\n',
                      "templates/shortcodes/here.html": "{{ page.url }}pic.png {{ page.permalink }}",
                      "content/docs/e.md": '---\ntitle: E\n---\nAt {{< ref "a.md" >}} and {{< relref "/docs/a.md#x" >}}; '
                                           '<a href="{{< ref "a.md" >}}">a</a>. Here: {{< here >}}\n'})
    ssg(site)
    assert ('<p>At https://example.org/blog/docs/a/ and /blog/docs/a/#x; <a href="https://example.org/blog/docs/a/">a'
            "</a>. Here: /blog/docs/e/pic.png https://example.org/blog/docs/e/</p>") in page(site, "docs/e/index.html")
    assert '<a href="/blog/docs/a/">to A</a>' in page(site, "docs/c/index.html")
    a = site / "content/docs/a.md"
    a.write_text(a.read_text().replace("title: A\n", "title: A\nslug: moved\n"))
    run = build(site)
    assert run.ok and "docs/e/index.html" in run.written and "docs/c/index.html" in run.written
    assert "<p>At https://example.org/blog/docs/moved/ and /blog/docs/moved/#x;" in page(site, "docs/e/index.html")
    assert_like_a_clean_build(site, tmp_path)
