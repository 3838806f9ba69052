"""`ssg new`: a page from an archetype inside a site, a site outside one, and
never a site inside a site's content folder (issue 22); the scaffold a new
site starts from: commented ssg.toml, About in the menu, dates for people."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timedelta

import pytest
from messages import says


@pytest.fixture
def site(tmp_path, cli, monkeypatch):
    """A new site, the current folder."""
    root = tmp_path / "blog"
    assert cli("new", "site", str(root), "--title", "Blog").exit_code == 0
    monkeypatch.chdir(root)
    return root


def front_matter(text: str) -> dict[str, str]:
    head = text.split("---\n")[1]
    return dict(line.split(": ", 1) for line in head.splitlines())


def test_new_page_inside_a_site_is_made_from_the_themes_archetype(site, cli):
    before = datetime.now().astimezone().replace(microsecond=0)
    result = cli("new", "content/posts/my-first-post.md")
    assert result.exit_code == 0, result.output
    assert says(result.stdout, "created content/posts/my-first-post.md from the theme's archetypes/default.md")
    assert "draft" in result.stdout and "--drafts" in result.stdout     # how to see it, how to publish it
    fields = front_matter((site / "content/posts/my-first-post.md").read_text())
    assert fields["title"] == '"My first post"'
    stamped = datetime.fromisoformat(fields["date"])
    assert stamped.utcoffset() is not None                              # a moment, not a wall-clock time
    assert before <= stamped <= datetime.now().astimezone() + timedelta(seconds=1)
    assert fields["draft"] == "true"
    assert not (site / "content/posts/my-first-post.md/ssg.toml").exists()
    assert sorted(p.name for p in site.iterdir() if (p / "ssg.toml").exists()) == []    # no site inside


def test_the_new_page_builds_as_a_draft_and_with_drafts(site, cli):
    assert cli("new", "content/posts/second-thoughts.md").exit_code == 0
    assert cli("build", "-q").exit_code == 0
    assert not (site / "public/posts/second-thoughts/index.html").exists()
    assert cli("build", "-q", "--drafts").exit_code == 0
    page = (site / "public/posts/second-thoughts/index.html").read_text()
    assert "<h1>Second thoughts</h1>" in page or ">Second thoughts<" in page


def test_the_sites_section_archetype_comes_before_its_default_and_the_themes(site, cli):
    (site / "archetypes/default.md").write_text("---\ntitle: {{ title|tojson }}\n---\ndefault\n")
    (site / "archetypes/notes.md").write_text("+++\ntitle = {{ title|tojson }}\ndate = {{ date }}\n"
                                              "section = \"{{ section }}\"\n+++\nA note: {{ slug }}\n")
    assert cli("new", "notes/a_b-c.md").exit_code == 0            # relative to content/, as hugo new takes it
    note = (site / "content/notes/a_b-c.md").read_text()
    assert note.startswith('+++\ntitle = "A b c"\ndate = ') and 'section = "notes"' in note
    assert note.endswith("A note: a_b-c\n")
    assert cli("new", "content", "posts/other.md").exit_code == 0   # hugo new content posts/other.md
    assert (site / "content/posts/other.md").read_text() == '---\ntitle: "Other"\n---\ndefault\n'
    assert cli("build", "-q").exit_code == 0


def test_new_page_from_inside_the_content_folder_and_with_site_option(site, cli, monkeypatch, tmp_path):
    monkeypatch.chdir(site / "content/posts")
    assert cli("new", "here.md").exit_code == 0
    assert (site / "content/posts/here.md").is_file()
    monkeypatch.chdir(tmp_path)
    assert cli("new", "-s", str(site), "content/posts/there.md").exit_code == 0
    assert (site / "content/posts/there.md").is_file()
    bundle = cli("new", "-s", str(site), "content/posts/my-trip/index.md")
    assert bundle.exit_code == 0
    assert 'title: "My trip"' in (site / "content/posts/my-trip/index.md").read_text()


def test_an_existing_page_is_never_overwritten(site, cli):
    page = site / "content/posts/hello-world.md"
    before = page.read_bytes()
    result = cli("new", "content/posts/hello-world.md")
    assert result.exit_code == 1
    assert says(result.stderr, "…hello-world.md' already exists; it was left as it was")
    assert page.read_bytes() == before


@pytest.mark.parametrize("args", [("content/posts/x",), ("site", "content/posts/x"), ("site", "static/y")])
def test_no_site_is_created_inside_a_site(site, cli, args):
    before = sorted(p.relative_to(site) for p in site.rglob("*"))
    result = cli("new", *args)
    assert result.exit_code == 2
    assert "ssg new content/SECTION/NAME.md" in result.stderr and "ssg new site DIR" in result.stderr
    assert sorted(p.relative_to(site) for p in site.rglob("*")) == before      # nothing written


def test_a_page_outside_the_content_folder_or_not_markdown_is_refused(site, cli):
    outside = cli("new", "../elsewhere.md")
    assert outside.exit_code == 2 and says(outside.stderr, "is not inside the site's content folder")
    assert not (site.parent / "elsewhere.md").exists()


def test_a_page_outside_any_site_says_where_to_run_it(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("new", "content/posts/x.md")
    assert result.exit_code == 2
    assert says(result.stderr, "'content/posts/x.md' is a page, and there is no site here")
    assert list(tmp_path.iterdir()) == []


def test_a_broken_archetype_is_named_with_its_line(site, cli):
    (site / "archetypes/posts.md").write_text("---\ntitle: {{ title }}\nauthor: {{ who }}\n---\n")
    result = cli("new", "content/posts/x.md")
    assert result.exit_code == 1
    assert says(result.stderr, "archetypes/posts.md:3: archetype failed: …")
    assert not (site / "content/posts/x.md").exists()


def test_new_dir_outside_a_site_and_new_site_dir_both_create_a_site(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli("new", "one").exit_code == 0
    assert cli("new", "site", "two").exit_code == 0
    assert (tmp_path / "one/ssg.toml").is_file() and (tmp_path / "two/ssg.toml").is_file()


# --- the scaffold -------------------------------------------------------------------------------------

def test_scaffold_config_is_commented_and_points_to_the_docs(site):
    text = (site / "ssg.toml").read_text()
    tomllib.loads(text)
    assert "docs/configuration.md" in text
    for line in text.splitlines():
        key = re.match(r"(\w+) = ", line)
        if key:
            assert "#" in line, f"key without a comment in the scaffold's ssg.toml: {line}"
    for table in re.findall(r"^\[(\w+)\]", text, re.MULTILINE):
        comment = text[:text.index(f"[{table}]")].rstrip().rsplit("\n\n", 1)[-1]
        assert "Docs: " in comment, f"[{table}] has no pointer to the docs above it"
    assert (site / ".gitignore").read_text() == "public/\n.ssg/\n"


def test_scaffold_site_has_about_in_the_menu_and_dates_for_people(site, cli):
    assert cli("build", "-q").exit_code == 0
    home = (site / "public/index.html").read_text()
    nav = home[home.index('class="site-nav"'):home.index("</nav>")]
    assert 'href="/about/"' in nav and ">About<" in nav
    post = (site / "public/posts/hello-world/index.html").read_text()
    today = datetime.now().date()
    shown = re.search(r"<time datetime=\"[^\"]+\">([^<]+)</time>", post).group(1)
    assert shown == f"{today.day} {today.strftime('%B')} {today.year}"
