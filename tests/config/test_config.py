"""ssg.toml as a user meets it: every mistake is exit code 2 with the key, the
file:line and the fix; --base-url overrides what the file says."""

from __future__ import annotations

import pytest
from messages import says

POST = {"content/posts/a.md": "---\ntitle: A\ndate: 2024-05-01\n---\nBody.\n"}
HEAD = 'title = "T"\nbase_url = "https://example.org/"\n'


def config_error(cli, site, *args) -> str:
    """Build ``site``; assert the user-facing shape of a config error and return stderr."""
    result = cli("build", "-s", str(site), *args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ")
    assert not (site / "public").exists(), "nothing is built when the config is invalid"
    return result.stderr


# --- unknown keys ---------------------------------------------------------------------------

def test_unknown_top_level_key_names_key_line_and_closest_key(make_site, cli):
    site = make_site(POST, config=HEAD + 'titel = "Typo"\n')
    err = config_error(cli, site)
    assert f"{site / 'ssg.toml'}:3: unknown key 'titel'" in err
    assert "did you mean 'title'?" in err


def test_unknown_key_inside_a_core_table(make_site, cli):
    site = make_site(POST, config=HEAD + "\n[markdown]\nunsafe_html = true\nhightlight = false\n")
    err = config_error(cli, site)
    assert "ssg.toml:6: unknown key 'markdown.hightlight'" in err
    assert "did you mean 'highlight'?" in err


def test_unknown_key_inside_a_plugin_table(make_site, cli):
    site = make_site(POST, config=HEAD + "[pagination]\nper_pag = 5\n")
    err = config_error(cli, site)
    assert "ssg.toml:4: unknown key 'pagination.per_pag'" in err
    assert "did you mean 'per_page'?" in err


def test_unknown_key_without_a_close_match_lists_the_valid_keys(make_site, cli):
    site = make_site(POST, config=HEAD + "[markdown]\nzzzz = 1\n")
    err = config_error(cli, site)
    assert "unknown key 'markdown.zzzz'" in err
    assert ("valid keys: admonitions, alerts, definition_lists, hard_breaks, heading_attributes, highlight, math, "
            "mermaid, shortcodes, smart_punctuation, task_lists, toc_levels, unsafe_html") in err


def test_unknown_key_in_a_dotted_table_header(make_site, cli):
    site = make_site(POST, config=HEAD + "[markdown.extra]\nx = 1\n")
    err = config_error(cli, site)
    assert "ssg.toml:3: unknown key 'markdown.extra'" in err


def test_free_form_params_accept_any_key(make_site, cli):
    site = make_site({**POST, "templates/page.html": "{{ site.config.params.mood }}|{{ site.config.params.deep.x }}"},
                     config=HEAD + '[params]\nmood = "sunny"\n[params.deep]\nx = 3\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/posts/a/index.html").read_text() == "sunny|3"


# --- wrong types and values -----------------------------------------------------------------

@pytest.mark.parametrize("config, line, message", [
    ('title = 3\nbase_url = "https://example.org/"\n', 1, "'title' must be a string, got 3"),
    (HEAD + "[pagination]\nper_page = \"x\"\n", 4, "'pagination.per_page' must be an integer, got 'x'"),
    (HEAD + "[pagination]\nper_page = -1\n", 4, "'pagination.per_page': must be 0 or more"),
    (HEAD + "[markdown]\nunsafe_html = \"yes\"\n", 4, "'markdown.unsafe_html' must be true or false, got 'yes'"),
    (HEAD + "[markdown]\ntoc_levels = [\"h2\"]\n", 4,
     "every item of 'markdown.toc_levels' must be an integer, got 'h2'"),
    (HEAD + "markdown = 3\n", 3, "'markdown' must be a table, got int"),
    (HEAD + "main_sections = \"posts\"\n", 3, "'main_sections' must be a list, got 'posts'"),
    (HEAD + "[plugins]\ndisable = \"feeds\"\n", 4, "'plugins.disable' must be a list"),
    (HEAD + "[permalinks]\nposts = \"posts/:slug/\"\n", 4, "'permalinks.posts': must start with '/'"),
    (HEAD + "[permalinks]\nposts = \"/../:slug/\"\n", 4, "'permalinks.posts': must not contain '..'"),
    (HEAD + "theme = \"\"\n", 3, "'theme' must not be empty"),
])
def test_wrong_type_or_value_names_key_and_line(make_site, cli, config, line, message):
    site = make_site(POST, config=config)
    err = config_error(cli, site)
    assert f"ssg.toml:{line}: {message}" in err


@pytest.mark.parametrize("base_url", [
    "example.org", "ftp://example.org/", "https://", "/blog/", "https://example.org/?preview=1",
    "https://example.org/#top",
])
def test_bad_base_url_is_refused_with_an_example(make_site, cli, base_url):
    site = make_site(POST, config=f'title = "T"\nbase_url = "{base_url}"\n')
    err = config_error(cli, site)
    assert "ssg.toml:2: 'base_url': must" in err


def test_invalid_toml_reports_the_line(make_site, cli):
    site = make_site(POST, config=HEAD + '\n[markdown\nhighlight = true\n')
    err = config_error(cli, site)
    assert f"{site / 'ssg.toml'}:4: invalid TOML" in err


def test_unterminated_string_reports_its_line(make_site, cli):
    site = make_site(POST, config='title = "T"\nauthor = "Ann\nbase_url = "https://example.org/"\n')
    err = config_error(cli, site)
    assert says(err, "ssg.toml:2: invalid TOML: … (fix the syntax")     # "…": tomllib's explanation


def test_toml_cut_short_at_the_end_reports_the_last_line(make_site, cli):
    site = make_site(POST, config=HEAD + "author =\n")
    err = config_error(cli, site)
    assert says(err, "ssg.toml:3: invalid TOML: … (fix the syntax")


def test_invalid_utf8_in_config_is_a_config_error(make_site, cli):
    site = make_site(POST, config="")
    (site / "ssg.toml").write_bytes(b'title = "caf\xe9"\n')
    err = config_error(cli, site)
    assert "ssg.toml: not valid UTF-8" in err and "save the file as UTF-8" in err


def test_config_with_bom_and_crlf_is_read(make_site, cli):
    site = make_site({**POST, "templates/page.html": "{{ site.config.title }}"}, config="")
    (site / "ssg.toml").write_bytes(b'\xef\xbb\xbftitle = "Bom site"\r\nbase_url = "https://example.org/"\r\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/posts/a/index.html").read_text() == "Bom site"


def test_unknown_theme_names_the_packaged_themes(make_site, cli):
    site = make_site(POST, config=HEAD + 'theme = "fancy"\n')
    err = config_error(cli, site)
    assert "theme 'fancy' not found" in err and "packaged themes: default" in err


# --- missing config ---------------------------------------------------------------------------

def test_missing_ssg_toml_is_exit_2_with_a_hint(tmp_path, cli):
    (tmp_path / "content").mkdir()
    result = cli("build", "-s", str(tmp_path))
    assert result.exit_code == 2
    assert f"no ssg.toml in '{tmp_path}'" in result.stderr
    assert "ssg new DIR" in result.stderr
    assert "Traceback" not in result.output


def test_missing_site_folder_is_exit_2(tmp_path, cli):
    result = cli("build", "-s", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr and "ssg new DIR" in result.stderr


# --- overrides ----------------------------------------------------------------------------------

def test_base_url_flag_overrides_permalinks_and_feeds(make_site, cli):
    site = make_site({**POST, "templates/page.html": "{{ page.permalink }} {{ page.url }} {{ '/x/'|abs_url }}"},
                     config=HEAD)
    result = cli("build", "-s", str(site), "--base-url", "https://preview.example.net/pr-7")
    assert result.exit_code == 0, result.output
    assert (site / "public/posts/a/index.html").read_text() == (
        "https://preview.example.net/pr-7/posts/a/ /pr-7/posts/a/ https://preview.example.net/pr-7/x/")
    feed = (site / "public/index.xml").read_text()
    assert "<link>https://preview.example.net/pr-7/posts/a/</link>" in feed
    assert "example.org" not in feed
    assert "https://preview.example.net/pr-7/posts/a/" in (site / "public/sitemap.xml").read_text()


def test_bad_base_url_flag_is_blamed_on_the_flag_not_the_file(make_site, cli):
    site = make_site(POST, config=HEAD)
    err = config_error(cli, site, "--base-url", "preview.example.net")
    assert err.startswith("error: --base-url: 'base_url': must be an absolute http(s) URL")
    assert "ssg.toml" not in err


# --- plugins.disable ------------------------------------------------------------------------------

def test_disabling_an_unknown_plugin_is_a_clear_error(make_site, cli):
    site = make_site(POST, config=HEAD + '[plugins]\ndisable = ["feed"]\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "ssg.toml:" in result.stderr
    assert "plugins.disable names 'feed', which is not a known plugin" in result.stderr
    assert "did you mean 'feeds'?" in result.stderr
    assert not (site / "public").exists()


def test_disabling_a_plugin_drops_its_config_table(make_site, cli):
    """A disabled plugin's table is unknown: the key is reported, not silently ignored."""
    site = make_site(POST, config=HEAD + '[plugins]\ndisable = ["pagination"]\n[pagination]\nper_page = 2\n')
    err = config_error(cli, site)
    assert "ssg.toml:5: unknown key 'pagination'" in err


# --- values that work ---------------------------------------------------------------------------------

def test_permalink_pattern_places_pages(make_site, cli):
    site = make_site({**POST, "content/posts/b.md": "---\ntitle: B\ndate: 2023-11-09\n---\nB\n"},
                     config=HEAD + '[permalinks]\nposts = "/:year/:month/:day/:slug/"\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/2024/05/01/a/index.html").is_file()
    assert (site / "public/2023/11/09/b/index.html").is_file()
    assert not (site / "public/posts/a").exists()


def test_output_dir_is_relative_to_the_site(make_site, cli):
    site = make_site(POST, config=HEAD + 'output_dir = "dist"\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "dist/posts/a/index.html").is_file()
    assert not (site / "public").exists()


def test_main_sections_choose_what_the_home_page_lists(make_site, cli):
    site = make_site({**POST, "content/notes/n.md": "---\ntitle: Note N\ndate: 2024-05-02\n---\nN\n",
                      "templates/index.html": "{% for p in pages %}{{ p.title }};{% endfor %}"},
                     config=HEAD + 'main_sections = ["notes"]\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/index.html").read_text() == "Note N;"
