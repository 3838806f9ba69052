"""URLs and output paths: every page gets one file inside the output folder and
nothing else. Collisions name both sources; a slug or url trying to leave the
folder is refused with its file:line and nothing is written outside public/.
Links respect a base_url with a path."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

GOOD = {"content/good.md": "---\ntitle: Good\n---\nfine\n"}


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` except under ``skip`` (the output folder) and the
    site's build state in .ssg/: path -> (size, mtime_ns); folders by name only
    (creating public/ touches its parent's mtime)."""
    found = {}
    state = skip.parent / ".ssg"
    for folder, dirs, files in os.walk(root):
        if any(Path(folder) == s or s in Path(folder).parents for s in (skip, state)):
            continue
        for name in dirs:
            if Path(folder, name) not in (skip, state):
                found[str(Path(folder, name).relative_to(root)) + "/"] = (0, 0)
        for name in files:
            stat = Path(folder, name).lstat()
            found[str(Path(folder, name).relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


# --- collisions ---------------------------------------------------------------------------------

def test_two_pages_with_one_output_path_name_both_sources(make_site, cli):
    site = make_site({"content/posts/a.md": "---\ntitle: First\n---\nx",
                      "content/b.md": "---\ntitle: Second\nurl: /posts/a/\n---\nx",
                      "templates/page.html": "{{ page.title }}"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    message = re.search(r"error: (\S+): (\S+) and (\S+) both produce the same output 'posts/a/index.html' "
                        r"\(give one of them another slug or url\)", result.stderr)
    assert message, result.stderr
    dropped, named = message.group(1), {message.group(2), message.group(3)}
    assert named == {"content/posts/a.md", "content/b.md"} and dropped in named
    kept = "First" if dropped == "content/b.md" else "Second"
    assert (site / "public/posts/a/index.html").read_text() == kept, "the other page keeps the path"


def test_slug_collision(make_site, cli):
    site = make_site({"content/hello.md": "x", "content/other.md": "---\nslug: hello\n---\nx"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "both produce the same output 'hello/index.html'" in result.stderr
    assert "content/other.md" in result.stderr and "content/hello.md" in result.stderr


def test_case_only_collision(make_site, cli):
    """Paths equal but for case overwrite each other on macOS and Windows."""
    site = make_site({"content/about.md": "x", "content/team.md": "---\nurl: /About/\n---\nx"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "differ only in case" in result.stderr
    assert "content/about.md" in result.stderr and "content/team.md" in result.stderr
    assert not (site / "public/About").exists()


def test_page_colliding_with_a_static_file(make_site, cli):
    site = make_site({"content/robots-page.md": "---\nurl: /notes.txt\n---\nx", "static/notes.txt": "static"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "both produce the same output 'notes.txt'" in result.stderr
    assert "content/robots-page.md" in result.stderr and "static/notes.txt" in result.stderr


# --- escaping the output folder -------------------------------------------------------------------

@pytest.mark.parametrize("field, value, message", [
    ("slug", "../../evil", "slug '../../evil' contains '/'"),
    ("slug", "..", "slug '..' contains an empty, '.' or '..' path segment"),
    ("slug", "/etc", "slug '/etc' contains '/'"),
    ("slug", "a\\0b", r"slug 'a\x00b' contains NUL"),
    ("slug", "a\\\\b", r"slug 'a\b' contains NUL, a backslash"),
    ("slug", "con", "uses the reserved file name 'con'"),
    ("url", "/../../evil/", "url '/../../evil/' contains an empty, '.' or '..' path segment"),
    ("url", "../evil.html", "url '../evil.html' contains an empty, '.' or '..' path segment"),
    ("url", "/x/../../../evil.html", "contains an empty, '.' or '..' path segment"),
    ("url", "//evil.example/x/", "must be a path such as '/posts/hello/', not a full URL"),
    ("url", "https://evil.example/", "not a full URL"),
    ("url", "file:///etc/passwd", "not a full URL"),
    ("url", "C:\\\\evil\\\\x.html", r"url 'C:\evil\x.html' contains NUL, a backslash"),
    ("url", "/a\\0b/", r"url '/a\x00b/' contains NUL"),
    ("url", "/x/?q=1", "not a full URL"),
    ("url", "/tab\\tname/", r"url '/tab\tname/' contains NUL, a backslash or a control character"),
])
def test_unsafe_slug_or_url_is_refused_and_nothing_escapes(make_site, cli, tmp_path, field, value, message):
    site = make_site({**GOOD, "content/posts/evil.md": f'---\ntitle: Evil\n{field}: "{value}"\n---\nx\n'})
    before = snapshot(tmp_path, site / "public")
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: content/posts/evil.md:3: ")
    assert message in result.stderr
    assert snapshot(tmp_path, site / "public") == before, "nothing written outside the output folder"
    assert (site / "public/good/index.html").is_file()
    written = [p for p in (site / "public").rglob("*") if "evil" in str(p).lower() or "\\" in p.name]
    assert written == []


def test_permalink_pattern_cannot_escape_through_a_date_less_page(make_site, cli):
    """:year of an undated page is empty; the doubled slash is collapsed, not an escape."""
    site = make_site({"content/posts/a.md": "x"}, config=(
        'title = "T"\nbase_url = "https://example.org/"\n[permalinks]\nposts = "/:year/:slug/"\n'))
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/a/index.html").is_file()


def test_symlinked_folder_in_the_output_is_not_written_through(make_site, cli, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    site = make_site({"content/posts/a.md": "x", **GOOD})
    (site / "public").mkdir()
    (site / "public/posts").symlink_to(outside, target_is_directory=True)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "output path 'posts/a/index.html' would be written outside the output folder" in result.stderr
    assert "symlink" in result.stderr
    assert list(outside.iterdir()) == []
    assert (site / "public/good/index.html").is_file()


def test_symlinked_output_file_is_replaced_not_written_through(make_site, cli, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("keep me")
    site = make_site({"content/a.md": "---\ntitle: A\n---\nx", "templates/page.html": "page"})
    (site / "public/a").mkdir(parents=True)
    (site / "public/a/index.html").symlink_to(secret)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert secret.read_text() == "keep me"
    assert not (site / "public/a/index.html").is_symlink()
    assert (site / "public/a/index.html").read_text() == "page"


# --- where the output folder may be ----------------------------------------------------------------

@pytest.mark.parametrize("output_dir, message", [
    (".", "must name a folder inside or beside the site, not the site itself"),
    ("./", "must name a folder inside or beside the site, not the site itself"),
    ("..", "is the site folder or contains it"),
    ("content", "would hold the site's content/ folder"),
    ("content/public", "lies inside the site's content/ folder"),
    ("static/out", "lies inside the site's static/ folder"),
    ("templates", "would hold the site's templates/ folder"),
])
def test_output_folder_overlapping_the_site_is_a_config_error(make_site, cli, output_dir, message):
    site = make_site(GOOD, config=f'title = "T"\nbase_url = "https://example.org/"\noutput_dir = "{output_dir}"\n')
    before = snapshot(site, site / "public")
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert message in result.stderr and "ssg.toml" in result.stderr
    assert snapshot(site, site / "public") == before
    clean = cli("clean", "-s", str(site))
    assert clean.exit_code == 2
    assert (site / "content/good.md").is_file() and (site / "ssg.toml").is_file()


@pytest.mark.parametrize("out", [".", "content"])
def test_out_flag_overlapping_the_site_is_refused(make_site, cli, out):
    site = make_site(GOOD)
    before = snapshot(site, site / "public")
    result = cli("build", "-s", str(site), "--out", str(site / out))
    assert result.exit_code == 2
    assert snapshot(site, site / "public") == before


def test_output_folder_beside_the_site_is_allowed(make_site, cli):
    site = make_site(GOOD, config='title = "T"\nbase_url = "https://example.org/"\noutput_dir = "../www"\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site.parent / "www/good/index.html").is_file()


# --- links under a base path ---------------------------------------------------------------------

LINKS = ("{{ page.url }}|{{ page.permalink }}|{{ '/tags/'|rel_url }}|{{ 'tags/'|rel_url }}|{{ '/'|rel_url }}|"
         "{{ '/tags/'|abs_url }}|{{ url_for('posts/a.md') }}|{{ url_for('content/posts/a.md') }}|"
         "{{ url_for('/about/') }}|{{ 'https://other.example/'|rel_url }}|{{ '#top'|rel_url }}")


def test_links_respect_a_base_url_with_a_path(make_site, cli):
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2024-03-05\n---\nx",
                      "content/b.md": "x", "templates/page.html": LINKS},
                     config='title = "T"\nbase_url = "https://example.org/blog/"\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/b/index.html").read_text() == (
        "/blog/b/|https://example.org/blog/b/|/blog/tags/|/blog/tags/|/blog/|https://example.org/blog/tags/|"
        "/blog/posts/a/|/blog/posts/a/|/blog/about/|https://other.example/|#top")
    assert (site / "public/posts/a/index.html").is_file(), "the base path is in URLs, not in the output tree"
    feed = (site / "public/index.xml").read_text()
    assert "<link>https://example.org/blog/posts/a/</link>" in feed
    assert 'href="https://example.org/blog/index.xml"' in feed
    assert "<loc>https://example.org/blog/posts/a/</loc>" in (site / "public/sitemap.xml").read_text()


def test_base_url_without_trailing_slash_is_a_folder(make_site, cli):
    site = make_site({"content/b.md": "x", "templates/page.html": "{{ page.permalink }}|{{ '/x/'|rel_url }}"},
                     config='title = "T"\nbase_url = "https://example.org/blog"\n')
    assert cli("build", "-s", str(site)).exit_code == 0
    assert (site / "public/b/index.html").read_text() == "https://example.org/blog/b/|/blog/x/"


def test_url_for_a_missing_page_names_it(make_site, cli):
    site = make_site({"content/b.md": "x", "templates/page.html": "{{ url_for('posts/nope.md') }}"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "url_for: no page for content file 'posts/nope.md'" in result.stderr
    assert "templates/page.html:1" in result.stderr
