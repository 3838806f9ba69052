"""Front matter written for other generators keeps its meaning (issue 21):
Hugo's linkTitle, lastmod, publishDate and expiryDate, Jekyll's
last_modified_at and ``published: false``, descriptions and keywords, and
the date a file's name starts with. Expired pages are left out and counted
like drafts; the default theme shows the description, the keywords and a
section's link title."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warm_helpers import assert_like_a_clean_build, assert_state_is_exact

from ssg.build.entry import BuildOptions, build

FIELDS = ("title={{ page.title }}|link={{ page.link_title }}|date={{ page.date.date() if page.date else '' }}|"
          "updated={{ page.updated.date() if page.updated else '' }}|"
          "publish={{ page.publish_date.date() if page.publish_date else '' }}|"
          "expiry={{ page.expiry_date.date() if page.expiry_date else '' }}|"
          "description={{ page.description }}|keywords={{ page.keywords|join(',') }}|url={{ page.url }}\n")


def shown(site: Path, rel: str) -> dict[str, str]:
    text = (site / "public" / rel).read_text().strip()
    return dict(part.split("=", 1) for part in text.split("|"))


def ssg(site: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site), *args],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == code, run.stderr + run.stdout
    return run


def test_hugo_names_in_yaml_and_toml_are_read_as_ssg_fields(make_site):
    site = make_site({
        "templates/page.html": FIELDS,
        "content/posts/hugo.md": "---\ntitle: A long title for a short link\nlinkTitle: Short\n"
                                 "description: What this page is about.\nkeywords: [static, sites]\n"
                                 "lastmod: 2024-06-02\npublishDate: 2024-05-01\nexpiryDate: 2999-01-01\n---\nBody.\n",
        "content/posts/toml.md": '+++\ntitle = "Toml"\nlinktitle = "T"\nlastMod = 2024-07-01\n'
                                 'publishdate = 2024-03-01\nexpirydate = 2999-02-01\n+++\nBody.\n',
        "content/posts/jekyll.md": "---\ntitle: Jekyll\ndate: 2024-01-01\nlast_modified_at: 2024-01-05\n"
                                   "keywords: one, two words\n---\nBody.\n",
        "content/posts/own.md": "---\ntitle: Own\ndate: 2024-01-01\nupdated: 2024-02-01\nlastmod: 2024-09-09\n"
                                "link_title: Mine\nlinkTitle: Theirs\n---\nBody.\n",
    })
    assert build(site).ok
    assert shown(site, "posts/hugo/index.html") == {
        "title": "A long title for a short link", "link": "Short", "date": "2024-05-01", "updated": "2024-06-02",
        "publish": "2024-05-01", "expiry": "2999-01-01", "description": "What this page is about.",
        "keywords": "static,sites", "url": "/posts/hugo/"}
    toml = shown(site, "posts/toml/index.html")
    assert (toml["link"], toml["date"], toml["updated"], toml["expiry"]) == ("T", "2024-03-01", "2024-07-01",
                                                                          "2999-02-01")
    jekyll = shown(site, "posts/jekyll/index.html")
    assert (jekyll["link"], jekyll["updated"], jekyll["keywords"]) == ("Jekyll", "2024-01-05", "one,two words")
    own = shown(site, "posts/own/index.html")     # ssg's own name wins over another generator's
    assert (own["link"], own["updated"]) == ("Mine", "2024-02-01")


def test_a_date_in_the_file_name_dates_the_page_and_leaves_the_slug(make_site):
    site = make_site({
        "templates/page.html": FIELDS,
        "content/posts/2024-05-01-my-first-post.md": "---\ntags: [x]\n---\nNo title, no date.\n",
        "content/posts/2023-01-02-dated-twice.md": "---\ntitle: Twice\ndate: 2023-06-07\n---\nx\n",
        "content/posts/2022-03-04-trip/index.md": "---\ntitle: Trip\n---\nA bundle.\n",
        "content/posts/2024-13-45-not-a-date.md": "---\ntitle: Odd\n---\nx\n",
        "content/posts/2014-3-3-Hello-World.md": "---\ntitle: Hello\n---\njekyll-now's first post\n",
    })
    assert build(site).ok
    first = shown(site, "posts/my-first-post/index.html")
    assert (first["title"], first["date"], first["url"]) == ("My first post", "2024-05-01", "/posts/my-first-post/")
    assert shown(site, "posts/dated-twice/index.html")["date"] == "2023-06-07"     # the front matter wins
    assert shown(site, "posts/trip/index.html")["date"] == "2022-03-04"
    odd = shown(site, "posts/2024-13-45-not-a-date/index.html")
    assert odd["date"] == ""
    assert not (site / "public/posts/2024-05-01-my-first-post").exists()
    assert shown(site, "posts/hello-world/index.html")["date"] == "2014-03-03"    # one digit, as Jekyll reads it


SKIPS = {
    "content/posts/live.md": "---\ntitle: Live\ndate: 2024-01-01\nexpiryDate: 2999-01-01\n---\nStill here.\n",
    "content/posts/gone.md": "---\ntitle: Gone\ndate: 2024-01-01\nexpiryDate: 2024-02-01\n---\nOld news.\n",
    "content/posts/unpublished.md": "---\ntitle: Unpublished\npublished: false\n---\nA Jekyll draft.\n",
    "content/posts/embargo.md": "---\ntitle: Embargo\ndate: 2024-01-01\npublishDate: 2999-01-01\n---\nLater.\n",
}


def test_expired_pages_are_left_out_and_counted_and_the_flag_brings_them_back(make_site):
    site = make_site(SKIPS)
    run = ssg(site)
    assert ("1 draft page not built (--drafts includes it); 1 expired page not built (--expired includes it); "
            "1 future-dated page not built (--future includes it)") in run.stdout.splitlines()
    assert (site / "public/posts/live/index.html").is_file()
    for gone in ("gone", "unpublished", "embargo"):
        assert not (site / f"public/posts/{gone}").exists()
        assert f"/posts/{gone}/" not in (site / "public/posts/index.html").read_text()
    assert json.loads(ssg(site, "--json").stdout)["pages_skipped"] == {"draft": 1, "expired": 1, "future": 1}

    everything = json.loads(ssg(site, "--json", "--expired", "--drafts", "--future").stdout)
    assert everything["pages_skipped"] == {}
    for name in ("gone", "unpublished", "embargo"):
        assert (site / f"public/posts/{name}/index.html").is_file()
    back = json.loads(ssg(site, "--json").stdout)       # without the flags again: their files are deleted
    assert sorted(back["pages_skipped"].items()) == [("draft", 1), ("expired", 1), ("future", 1)]
    assert not (site / "public/posts/gone").exists()


def test_a_page_leaves_the_site_once_it_expires_without_any_file_changing(make_site, tmp_path):
    soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    site = make_site({**SKIPS, "content/posts/soon.md": f"---\ntitle: Soon gone\ndate: 2024-01-02\n"
                                                         f"expiryDate: {soon}\n---\nFor now.\n"})
    assert "posts/soon/index.html" in build(site).written
    assert build(site).rendered == 0                 # not expired yet: nothing to do
    time.sleep(3)
    result = build(site)
    assert result.ok and "posts/soon/index.html" in result.deleted
    assert "Soon gone" not in (site / "public/posts/index.html").read_text()
    assert result.skipped == {"draft": 1, "expired": 2, "future": 1}
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


@pytest.mark.parametrize(("field", "value"), [("expiryDate", "soon"), ("lastmod", "[1]"), ("keywords", "7"),
                                           ("linkTitle", "[a, b]"), ("publishDate", "\"next week\"")])
def test_a_bad_value_under_another_generators_name_is_an_error_naming_it(make_site, field, value):
    site = make_site({"content/a.md": f"---\ntitle: A\nx: 1\n{field}: {value}\n---\nx\n"})
    run = ssg(site, code=1)
    assert "content/a.md:4" in run.stderr and f"'{field}'" in run.stderr
    assert not (site / "public/a").exists()


def test_the_default_theme_shows_the_description_keywords_and_link_title(make_site):
    site = make_site({
        "content/posts/_index.md": "---\ntitle: Everything we wrote\nlinkTitle: Blog\n---\nThe posts.\n",
        "content/posts/a.md": "---\ntitle: A\ndate: 2024-01-01\ndescription: About A, in short.\n"
                              "keywords: [alpha, letters]\n---\nThe first paragraph of A.\n",
        "content/posts/b.md": "---\ntitle: B\ndate: 2024-01-02\n---\nThe first paragraph of B.\n",
    })
    assert build(site).ok
    a = (site / "public/posts/a/index.html").read_text()
    assert '<meta name="description" content="About A, in short.">' in a
    assert '<meta name="keywords" content="alpha, letters">' in a
    b = (site / "public/posts/b/index.html").read_text()
    assert '<meta name="description" content="The first paragraph of B.">' in b and 'name="keywords"' not in b
    for page in (a, b, (site / "public/index.html").read_text()):
        assert '<li><a href="/posts/" aria-current="true">Blog</a></li>' in page or \
            '<li><a href="/posts/">Blog</a></li>' in page
    assert "<h1>Everything we wrote</h1>" in (site / "public/posts/index.html").read_text()


def test_edits_of_the_new_fields_rebuild_exactly_what_shows_them(make_site, tmp_path):
    site = make_site({
        "content/posts/_index.md": "---\ntitle: Everything we wrote\nlinkTitle: Blog\n---\nThe posts.\n",
        "content/posts/a.md": "---\ntitle: A\ndate: 2024-01-01\ndescription: About A.\n---\nText of A.\n",
        "content/posts/b.md": "---\ntitle: B\ndate: 2024-01-02\n---\nText of B.\n",
        "content/about.md": "---\ntitle: About\n---\nUs.\n",
    })
    assert build(site).ok
    a = site / "content/posts/a.md"
    a.write_text(a.read_text().replace("About A.", "All about A."))
    result = build(site, BuildOptions())
    assert result.written == ["posts/a/index.html"] and result.narrow
    assert_like_a_clean_build(site, tmp_path)

    index = site / "content/posts/_index.md"
    index.write_text(index.read_text().replace("linkTitle: Blog", "linkTitle: Journal"))
    result = build(site)
    html = sorted(path for path in result.written if path.endswith(".html"))
    every_page = sorted(str(p.relative_to(site / "public")) for p in (site / "public").rglob("*.html"))
    assert html == every_page          # the navigation of every page names the section
    assert_like_a_clean_build(site, tmp_path)

    a.write_text(a.read_text().replace("date: 2024-01-01\n", "date: 2024-01-01\nexpiryDate: 2024-01-05\n"))
    result = build(site)
    assert "posts/a/index.html" in result.deleted and result.skipped == {"expired": 1}
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)
