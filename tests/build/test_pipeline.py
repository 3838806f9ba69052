"""Whole-build behaviour around stages: failures stay per page, explicit choices
are honoured, and folders the user owns are never the output."""

from __future__ import annotations

POST = "---\ntitle: {title}\ndate: 2024-01-01\n---\nBody\n"


def test_a_plugin_failing_on_one_page_leaves_the_other_pages_built(make_site, cli):
    site = make_site({
        "content/posts/good.md": POST.format(title="Good"),
        "content/posts/bad.md": POST.format(title="Bad"),
        "plugins/picky.py": "def ssg_page_parsed(page):\n    if page.title == 'Bad':\n        raise ValueError('no')\n",
    })
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "plugin 'picky' failed in ssg_page_parsed while processing content/posts/bad.md" in result.stderr
    assert (site / "public/posts/good/index.html").is_file()


def test_a_missing_explicit_template_is_an_error_not_a_silent_fallback(make_site, cli):
    site = make_site({"content/about.md": "---\ntitle: About\ntemplate: abuot.html\n---\nHi\n",
                      "content/other.md": "---\ntitle: Other\n---\nHi\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "abuot.html" in result.stderr and "content/about.md" in result.stderr
    assert not (site / "public/about/index.html").exists()
    assert (site / "public/other/index.html").is_file()


def test_a_local_theme_folder_cannot_be_the_output_folder(make_site, cli):
    site = make_site({"mytheme/templates/page.html": "x", "content/a.md": "A"},
                     config='title = "T"\ntheme = "mytheme"\noutput_dir = "mytheme/out"\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert "mytheme/ folder" in result.stderr
    assert (site / "mytheme/templates/page.html").read_text() == "x"


def test_a_table_left_for_a_disabled_plugin_says_so(make_site, cli):
    site = make_site(config='title = "T"\n[plugins]\ndisable = ["feeds"]\n\n[feeds]\nlimit = 5\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert "ssg.toml:5" in result.stderr and "plugin 'feeds' is disabled" in result.stderr
