"""What ssg's code and its libraries make is an input of every output: after
an upgrade of a library that renders (a new Pygments highlights otherwise),
the next build parses and renders the site again, and its output is what a
clean build with the new library makes. An unchanged installation keeps the
nothing-changed path."""

from __future__ import annotations

import sys

from warm_helpers import assert_like_a_clean_build, assert_state_is_exact

from ssg.build.entry import build
from ssg.sources import markdown

PAGE = "---\ntitle: Code\n---\nSome code:\n\n```python\nprint(1)\n```\n"


def test_an_upgraded_highlighter_renders_every_page_again(make_site, tmp_path, monkeypatch):
    site_packages = tmp_path / "venv" / "site-packages"
    (site_packages / "pygments_like-1.0.dist-info").mkdir(parents=True)
    monkeypatch.setattr(sys, "path", [*sys.path, str(site_packages)])
    site = make_site({"content/a.md": PAGE, "content/b.md": PAGE.replace("Code", "More code"),
                      "templates/page.html": "{{ page.content }}\n"})
    assert build(site).ok
    assert '<span class="nb">print</span>' in (site / "public/a/index.html").read_text()
    again = build(site)
    assert (again.written, again.parsed) == ([], 0)

    # The upgrade: a new version installed, and it highlights otherwise.
    (site_packages / "pygments_like-1.0.dist-info").rename(site_packages / "pygments_like-2.0.dist-info")
    highlight = markdown.highlight_code
    monkeypatch.setattr(markdown, "highlight_code", lambda code, language: f"<!-- v2 -->{highlight(code, language)}")
    result = build(site)
    assert result.ok and result.parsed == 2
    assert sorted(result.written) == ["a/index.html", "b/index.html"]
    assert (site / "public/a/index.html").read_text().startswith("<p>Some code:</p>\n<!-- v2 -->")
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)
