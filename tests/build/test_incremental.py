"""Incremental builds on a fixed site with the default theme: exactly the files
whose bytes change are written, files no longer produced are deleted (only
ssg's own), hand edits in the output are repaired, and each answer matches a
clean build."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from ssg.build.entry import BuildOptions, build


def post(title: str, date: str, tags: str, summary: str, body: str) -> str:
    return f"---\ntitle: {title}\ndate: {date}\ntags: [{tags}]\nsummary: {summary}\n---\n{body}\n"


SITE = {
    "content/posts/a.md": post("Alpha", "2024-01-01", "x", "About alpha.", "Alpha body."),
    "content/posts/b.md": post("Beta", "2024-01-02", "x, y", "About beta.", "Beta body.\n\n## Part\n\nMore."),
    "content/posts/c.md": post("Gamma", "2024-01-03", "z", "About gamma.", "Gamma body."),
    "content/about.md": "---\ntitle: About\n---\nWho we are.\n",
    "static/robots-extra.txt": "hello\n",
}


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def differing(before: dict[str, bytes], after: dict[str, bytes]) -> set[str]:
    return {rel for rel, data in after.items() if before.get(rel) != data}


@pytest.fixture
def site(make_site):
    root = make_site(SITE)
    first = build(root)
    assert first.ok, first.errors
    return root


def rebuild(root: Path, **options):
    """Build, and check the oracle: what was written is exactly what changed,
    what was deleted is exactly what disappeared, and the tree equals a clean
    build of the same sources in a fresh folder."""
    before = tree(root / "public")
    result = build(root, BuildOptions(**options))
    assert result.ok, [str(e) for e in result.errors]
    after = tree(root / "public")
    assert set(result.written) == differing(before, after)
    assert set(result.deleted) == set(before) - set(after)
    fresh = root.parent / f"{root.name}-fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns("public", ".ssg"))
    assert build(fresh, BuildOptions(**options)).ok
    assert tree(fresh / "public") == after, "incremental output differs from a clean build"
    return result


def edit(root: Path, rel: str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_no_op_build_writes_nothing_and_keeps_mtimes(site):
    stamps = {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*") if p.is_file()}
    result = rebuild(site)
    assert result.written == [] and result.rendered == 0 and result.deleted == []
    assert {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*") if p.is_file()} == stamps


def test_touching_a_file_renders_nothing(site):
    os.utime(site / "content/posts/b.md")
    result = rebuild(site)
    assert result.written == [] and result.rendered == 0


def test_body_edit_writes_only_that_page(site):
    edit(site, "content/posts/b.md", "More.", "More, and then some.")
    result = rebuild(site)
    assert result.written == ["posts/b/index.html"]
    assert result.rendered == 1


def test_title_edit_writes_the_page_and_every_list_showing_the_title(site):
    edit(site, "content/posts/b.md", "title: Beta", "title: Beta, renamed")
    result = rebuild(site)
    written = set(result.written)
    assert {"posts/b/index.html", "index.html", "posts/index.html", "tags/x/index.html",
            "tags/y/index.html", "index.xml", "atom.xml"} <= written
    assert not written & {"posts/a/index.html", "posts/c/index.html", "about/index.html", "tags/z/index.html"}


def test_body_edit_with_the_default_theme_is_rebuilt_without_loading_the_site(site):
    """The default theme's navigation reads the sections and the taxonomies;
    their reads are recorded one by one, so a partial site can vouch for them."""
    edit(site, "content/posts/b.md", "More.", "More, and then some.")
    result = rebuild(site)
    assert result.narrow and result.written == ["posts/b/index.html"] and "load" not in result.timings


def test_a_tag_added_to_one_post_renders_only_what_shows_that_post_or_the_tag(site):
    """Pages read their own terms' URLs and the taxonomy's title, not every
    term's page list: the other posts' pages are not even rendered."""
    edit(site, "content/posts/a.md", "tags: [x]", "tags: [x, w]")
    result = rebuild(site)
    assert {"posts/a/index.html", "tags/w/index.html", "tags/index.html", "tags/x/index.html"} <= set(result.written)
    assert not {"posts/b/index.html", "posts/c/index.html", "about/index.html", "tags/z/index.html"} & \
        set(result.reasons), result.reasons


def test_a_template_reading_a_term_count_follows_it(site):
    """A read through a taxonomy (a method, then an attribute) is a dependency too."""
    (site / "templates").mkdir()
    (site / "templates/page.html").write_text(
        '{% extends "theme/page.html" %}{% block page_kicker %}'
        '<p>x: {{ site.taxonomies.tags.term("x").count }}</p>{% endblock %}')
    rebuild(site)
    assert "<p>x: 2</p>" in (site / "public/posts/c/index.html").read_text()
    edit(site, "content/posts/c.md", "tags: [z]", "tags: [z, x]")
    result = rebuild(site)
    assert "posts/a/index.html" in result.written and "about/index.html" in result.written
    assert "<p>x: 3</p>" in (site / "public/posts/a/index.html").read_text()


def test_new_post_writes_its_page_and_the_lists_it_appears_in(site):
    (site / "content/posts/d.md").write_text(post("Delta", "2024-01-04", "z", "About delta.", "Delta body."))
    result = rebuild(site)
    written = set(result.written)
    assert {"posts/d/index.html", "index.html", "posts/index.html", "tags/z/index.html", "sitemap.xml"} <= written
    assert not written & {"posts/a/index.html", "tags/x/index.html", "tags/y/index.html", "about/index.html"}


def test_deleted_post_is_pruned_with_its_empty_folders(site):
    (site / "content/posts/c.md").unlink()
    result = rebuild(site)
    assert "posts/c/index.html" in result.deleted
    assert "tags/z/index.html" in result.deleted          # the tag only c had
    assert not (site / "public/posts/c").exists() and not (site / "public/tags/z").exists()


def test_renamed_post_moves(site):
    (site / "content/posts/c.md").rename(site / "content/posts/gamma.md")
    result = rebuild(site)
    assert "posts/c/index.html" in result.deleted and "posts/gamma/index.html" in result.written


def test_template_edit_rebuilds_only_outputs_that_use_it(site):
    (site / "templates").mkdir()
    (site / "templates/page.html").write_text('{% extends "theme/page.html" %}{% block page_kicker %}K{% endblock %}')
    result = rebuild(site)
    assert set(result.written) == {"posts/a/index.html", "posts/b/index.html", "posts/c/index.html",
                                   "about/index.html"}
    edit(site, "templates/page.html", "%}K{%", "%}Kicker{%")
    result = rebuild(site)
    assert len(result.written) == 4 and result.rendered == 4


def test_included_partial_edit_is_tracked(site):
    (site / "templates/partials").mkdir(parents=True)
    theme = Path(__file__).parents[2] / "themes/default/templates/partials/post_list.html"
    (site / "templates/partials/post_list.html").write_text(theme.read_text() + "<!-- list -->\n")
    result = rebuild(site)
    assert "index.html" in result.written and "tags/x/index.html" in result.written
    assert "posts/a/index.html" not in result.written        # post pages do not include the list


def test_data_file_edit_rebuilds_only_its_readers(site):
    (site / "data").mkdir()
    (site / "data/team.yaml").write_text("lead: Ada\n")
    (site / "data/other.yaml").write_text("x: 1\n")
    (site / "templates").mkdir()
    (site / "templates/page.html").write_text(
        '{% extends "theme/page.html" %}{% block page_kicker %}{{ data.team.lead }}{% endblock %}')
    rebuild(site)
    edit(site, "data/other.yaml", "x: 1", "x: 2")
    assert rebuild(site).rendered == 0
    edit(site, "data/team.yaml", "Ada", "Grace")
    result = rebuild(site)
    assert set(result.written) == {"posts/a/index.html", "posts/b/index.html", "posts/c/index.html",
                                   "about/index.html"}


def test_static_files_added_changed_removed(site):
    (site / "static/new.txt").write_text("new\n")
    assert rebuild(site).written == ["new.txt"]
    (site / "static/new.txt").write_text("newer\n")
    assert rebuild(site).written == ["new.txt"]
    (site / "static/new.txt").unlink()
    assert rebuild(site).deleted == ["new.txt"]


def test_config_change_rerenders_everything_but_writes_only_differences(site):
    edit(site, "ssg.toml", 'title = "Test site"', 'title = "Renamed site"')
    result = rebuild(site)
    assert result.rendered > 5
    assert "posts/a/index.html" in result.written and "css/style.css" not in result.written


@pytest.mark.parametrize("with_content_edit", [False, True])
def test_output_edited_or_deleted_by_hand_is_repaired(site, with_content_edit):
    page = site / "public/posts/a/index.html"
    good = page.read_bytes()
    page.write_text("vandalised")
    (site / "public/posts/b/index.html").unlink()
    if with_content_edit:     # the build is not a no-op: it still finds the hand edits
        edit(site, "content/posts/c.md", "Gamma body.", "Gamma body, edited.")
    result = rebuild(site)
    assert set(result.written) == {"posts/a/index.html", "posts/b/index.html"} | (
        {"posts/c/index.html"} if with_content_edit else set())
    assert page.read_bytes() == good


@pytest.mark.parametrize("workers", [1, 2])
def test_any_one_output_edited_by_hand_is_repaired_when_nothing_else_changed(site, workers):
    """The check that nothing changed splits the output files between two
    processes (workers > 1): an edit of any one of them, wherever it falls,
    keeping its size, is found and repaired."""
    public = site / "public"
    for path in sorted(p for p in public.rglob("*") if p.is_file()):
        good = path.read_bytes()
        path.write_bytes(good[:-1] + (b"#" if good[-1:] != b"#" else b"%") if good else b"x")
        result = build(site, BuildOptions(workers=workers))
        assert result.ok and result.written == [path.relative_to(public).as_posix()]
        assert path.read_bytes() == good


def test_files_ssg_did_not_write_are_left_alone_and_reported_once(site):
    (site / "public/verify-google.html").write_text("mine")
    first = build(site)
    assert any("public/verify-google.html was not written by ssg; left alone" in w for w in first.warnings)
    (site / "content/posts/a.md").write_text(post("Alpha", "2024-01-01", "x", "About alpha.", "Changed."))
    second = build(site)
    assert second.written == ["posts/a/index.html"]
    assert not any("verify-google" in w for w in second.warnings)
    assert (site / "public/verify-google.html").read_text() == "mine"


def test_a_pruned_output_edited_by_hand_is_kept(site):
    (site / "public/posts/c/index.html").write_text("my notes")
    (site / "content/posts/c.md").unlink()
    result = build(site)
    assert "posts/c/index.html" not in result.deleted
    assert any("changed since ssg wrote it; left in place" in w for w in result.warnings)
    assert (site / "public/posts/c/index.html").read_text() == "my notes"


def test_a_failed_page_keeps_its_old_output_and_is_retried(site):
    good = (site / "public/posts/a/index.html").read_bytes()
    edit(site, "content/posts/a.md", "title: Alpha", "title: Alpha\ntemplate: missing.html")
    failed = build(site)
    assert not failed.ok and (site / "public/posts/a/index.html").read_bytes() == good
    again = build(site)                       # nothing changed, but the error is reported again
    assert not again.ok
    edit(site, "content/posts/a.md", "\ntemplate: missing.html", "")
    assert rebuild(site).ok


def test_explain_says_why(site):
    edit(site, "content/posts/b.md", "title: Beta", "title: Beta 2")
    result = build(site, BuildOptions(explain=("posts/b/", "tags/x/", "posts/a/", "nowhere/")))
    assert result.explained["posts/b/"] in ("rebuilt: content/posts/b.md (the page itself) changed",
                                            "rebuilt: its plan changed (templates, page, listed pages or context)")
    assert result.explained["tags/x/"] == "rebuilt: the title of content/posts/b.md changed"
    assert result.explained["posts/a/"] == "not rebuilt: nothing it depends on changed"
    assert result.explained["nowhere/"] == "not an output of this build"


def test_explain_names_each_field_of_a_listed_page_that_changed(site):
    """A list records the fields it shows of each page as one key per page:
    --explain still names only the fields that changed."""
    edit(site, "content/posts/b.md", "title: Beta\ndate: 2024-01-02", "title: Beta 2\ndate: 2024-01-05")
    result = build(site, BuildOptions(explain=("tags/x/",)))
    assert result.explained["tags/x/"] == "rebuilt: the date and title of content/posts/b.md changed"


def test_a_field_a_list_reads_that_no_page_has_does_not_hide_one_it_has(make_site):
    """A list reading a field pages lack (``p.subtitle``) beside their title:
    a title edit still rebuilds the list."""
    root = make_site({**SITE, "templates/term.html":
                      "{% for p in pages %}{{ p.subtitle }}|{{ p.title }};{% endfor %}"})
    assert build(root).ok
    edit(root, "content/posts/b.md", "title: Beta", "title: Beta 3")
    result = rebuild(root)
    assert "tags/x/index.html" in result.written
    assert "Beta 3" in (root / "public/tags/x/index.html").read_text()


LIST_OF_SUMMARIES = "{% for p in pages %}{{ p.title }}: {{ p.params.summary }}{{ p.params.mood }};{% endfor %}"


def test_a_list_showing_one_front_matter_entry_is_not_rendered_for_an_edit_of_another(make_site):
    """``p.params.summary`` reads that one entry of each page's front matter:
    a tag edit of a listed page (another entry) does not even render the list;
    an edit of the summary, or a new entry it reads, writes it."""
    root = make_site({**SITE, "templates/term.html": LIST_OF_SUMMARIES})
    assert build(root).ok
    edit(root, "content/posts/b.md", "tags: [x, y]", "tags: [x, y, w]")
    result = rebuild(root)
    assert "tags/w/index.html" in result.written
    assert not {"tags/x/index.html", "tags/y/index.html"} & set(result.reasons), result.reasons

    edit(root, "content/posts/b.md", "summary: About beta.", "summary: About beta, again.")
    result = rebuild(root)
    assert {"tags/x/index.html", "tags/y/index.html", "tags/w/index.html"} <= set(result.written)
    assert "Beta: About beta, again.;" in (root / "public/tags/x/index.html").read_text()
    assert "the params.summary of content/posts/b.md" in result.reasons["tags/x/index.html"]

    edit(root, "content/posts/b.md", "summary:", "mood: calm\nsummary:")
    result = rebuild(root)
    assert {"tags/x/index.html", "tags/y/index.html", "tags/w/index.html"} <= set(result.written)
    assert "Beta: About beta, again.calm;" in (root / "public/tags/x/index.html").read_text()


@pytest.mark.parametrize("reads", ["{{ p.params.items() | list | length }}", "{{ p.params | length }}",
                                   "{% set f = p.params %}{{ f.summary }}", "{{ p.params['summary'] }}"])
def test_a_list_using_the_front_matter_otherwise_reads_all_of_it(make_site, reads):
    """Anything but ``.params.NAME`` (a method, the mapping itself, an
    item) reads the whole front matter: a tag edit renders the list again."""
    root = make_site({**SITE, "templates/term.html": "{% for p in pages %}" + reads + ";{% endfor %}"})
    assert build(root).ok
    edit(root, "content/posts/b.md", "tags: [x, y]", "tags: [x, y, w]")
    result = rebuild(root)
    assert "tags/x/index.html" in result.reasons, result.reasons
    assert result.reasons["tags/x/index.html"].startswith("the params")


def test_cli_json_reports_counts(site, cli):
    edit(site, "content/posts/b.md", "More.", "Less.")
    result = cli("build", "-s", str(site), "--json")
    import json

    summary = json.loads(result.stdout)
    assert summary["files_written"] == 1 and summary["pages_rendered"] == 1 and summary["files_parsed"] == 1
    assert summary["files_deleted"] == 0 and summary["files_unchanged"] > 10


def test_warnings_are_repeated_when_nothing_changed_but_strays_are_not(site):
    (site / "content/posts/a.md").write_text(post("Alpha", "2024-01-01", "x", "About alpha.", "See [gone](gone.md)."))
    (site / "public/mine.txt").write_text("mine")
    first = build(site)
    assert any("matches no page" in w for w in first.warnings)
    assert any("mine.txt was not written by ssg" in w for w in first.warnings)
    again = build(site)                 # nothing changed: nothing loaded, the same warnings
    assert again.rendered == 0
    assert any("matches no page" in w for w in again.warnings)
    assert not any("mine.txt" in w for w in again.warnings)


def test_asset_urls_carry_the_file_hash_and_follow_its_edits(site):
    page = site / "public/posts/a/index.html"
    first = re.search(r'href="(/css/style\.css\?v=[0-9a-f]{10})"', page.read_text()).group(1)
    (site / "static/css").mkdir(parents=True)
    theme_css = Path(__file__).parents[2] / "themes/default/static/css/style.css"
    (site / "static/css/style.css").write_text(theme_css.read_text() + "\nbody { margin: 0 }\n")
    result = rebuild(site)
    assert "css/style.css" in result.written and "posts/a/index.html" in result.written
    second = re.search(r'href="(/css/style\.css\?v=[0-9a-f]{10})"', page.read_text()).group(1)
    assert second != first
    (site / "content/posts/a.md").write_text(post("Alpha", "2024-01-01", "x", "About alpha.", "New body."))
    assert rebuild(site).written == ["posts/a/index.html"]


def test_a_future_post_is_published_once_due_without_any_file_changing(site):
    import time
    from datetime import UTC, datetime, timedelta

    due = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    (site / "content/posts/soon.md").write_text(f"---\ntitle: Soon\ndate: {due}\n---\nNot yet.\n")
    assert "posts/soon/index.html" not in build(site).written
    assert build(site).rendered == 0                     # not due: nothing to do
    time.sleep(3)
    result = build(site)
    assert "posts/soon/index.html" in result.written and "index.html" in result.written


def test_a_page_linking_to_a_post_is_rebuilt_when_that_post_moves(site):
    """A page's text is fingerprinted by what made it, including the URL of each
    page it links to: when only the target's URL changes, the linking page's
    own file is not changed, yet its output must be rebuilt with the new link."""
    (site / "content/about.md").write_text("---\ntitle: About\n---\nSee [alpha](posts/a.md).\n")
    rebuild(site)
    assert 'href="/posts/a/"' in (site / "public/about/index.html").read_text()
    (site / "content/posts/a.md").write_text("---\ntitle: Alpha\ndate: 2024-01-01\ntags: [x]\nslug: first\n"
                                             "summary: About alpha.\n---\nAlpha body.\n")
    result = rebuild(site)
    assert "about/index.html" in result.written
    assert 'href="/posts/first/"' in (site / "public/about/index.html").read_text()


def test_a_page_whose_text_a_hook_replaced_is_fingerprinted_by_that_text(make_site, tmp_path):
    """The digest standing in for a page's text holds only while the page holds
    the text as parsed. A hook that rewrites it from an input outside the site
    (here a file it reads, with changes_at saying so) gets the page rebuilt
    when that input changes, though no site file did."""
    outside = tmp_path / "banner.txt"
    outside.write_text("first banner")
    plugin = ("from markupsafe import Markup\nfrom ssg.api import hookimpl\n\n\n@hookimpl\n"
              "def ssg_page_parsed(page, site):\n    site.changes_at(site.build_time)\n"
              f"    page.content = Markup(page.content + open({str(outside)!r}).read())\n")
    root = make_site({**SITE, "plugins/banner.py": plugin})
    assert build(root).ok
    assert "first banner" in (root / "public/posts/a/index.html").read_text()
    outside.write_text("second banner")
    result = rebuild(root)
    assert "posts/a/index.html" in result.written
    assert "second banner" in (root / "public/posts/a/index.html").read_text()


# --- a damaged build state -----------------------------------------------------------------------

def _damage_table(database: Path, table: str) -> None:
    """Overwrite the root page of one table with garbage, as a torn write after a power cut might."""
    import sqlite3

    db = sqlite3.connect(database)
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    root_page = db.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    db.close()
    with open(database, "r+b") as file:
        file.seek((root_page - 1) * page_size)
        file.write(b"\xa5" * page_size)


@pytest.mark.parametrize("damage", ["not a database", "outputs table torn"])
def test_a_damaged_state_is_set_aside_and_the_build_starts_over(site, damage):
    state = site / ".ssg/state.db"
    assert not (site / ".ssg/state.db-wal").exists()     # the last build checkpointed everything into state.db
    if damage == "not a database":
        state.write_bytes(b"this is not an SQLite database, whatever happened to it" * 100)
    else:
        _damage_table(state, "outputs")
    edit(site, "content/posts/a.md", "Alpha body.", "Alpha body, edited.")

    result = rebuild(site)      # equals a clean build; writes exactly what changed
    assert result.written == ["posts/a/index.html"]
    assert result.warnings[0].startswith(f"{state} was damaged (")
    assert "set aside as state.db.damaged and started over" in result.warnings[0]
    assert (site / ".ssg/state.db.damaged").is_file()

    again = build(site)
    assert again.ok and again.written == [] and again.rendered == 0
    assert not any("damaged" in warning for warning in again.warnings)


def test_a_damaged_state_is_reported_by_the_cli_with_exit_0(site, cli):
    (site / ".ssg/state.db").write_bytes(b"\0garbage" * 512)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert "state.db was damaged" in result.output and "state.db.damaged" in result.output


def test_after_a_damaged_state_files_it_knew_are_reported_not_deleted(site):
    # Which files ssg wrote was in the lost state: a page no longer produced is left alone and reported.
    (site / ".ssg/state.db").write_bytes(b"\0garbage" * 512)
    (site / "content/posts/c.md").unlink()
    result = build(site)
    assert result.ok and result.deleted == []
    assert (site / "public/posts/c/index.html").is_file()
    assert "public/posts/c/index.html was not written by ssg; left alone" in result.warnings
