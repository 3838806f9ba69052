"""The command line as a user drives it: commands, output modes and exit codes
(0 built, 1 some pages failed, 2 usage or config error), no traceback for a
user error and a full one with --debug."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib

from ssg import __version__
from ssg.plugins.manager import DEFAULT_PLUGINS, builtin_name

POSTS = {
    "content/posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n",
    "content/about.md": "---\ntitle: About\n---\nAbout.\n",
}
BROKEN = {**POSTS, "content/posts/bad.md": "---\ntitle: Bad\ndate: soon\n---\n"}


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout == f"ssg {__version__}\n"


def test_python_dash_m_ssg(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ssg", "--version"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ssg {__version__}\n"


def listed_commands(help_text: str) -> set[str]:
    """The first word of each line of a help text (a box drawn around it or not):
    the command names, however click or typer lays the help out."""
    return {found.group(1) for line in help_text.splitlines() if (found := re.match(r"[\W_]*(\w+)\b", line))}


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    assert {"build", "new", "clean", "plugins", "deploy", "serve"} <= listed_commands(result.stdout)


def test_no_arguments_shows_help(cli):
    result = cli()
    assert {"build", "new", "clean", "plugins"} <= listed_commands(result.output)


def test_unknown_option_is_a_usage_error(cli):
    result = cli("build", "--colour")
    assert result.exit_code == 2
    assert "--colour" in result.output            # named; the sentence around it is click's


# --- ssg new ----------------------------------------------------------------------------------------

def test_new_site_builds_as_is(tmp_path, cli):
    site = tmp_path / "blog"
    created = cli("new", str(site), "--title", 'Ann\'s "Notes"')
    assert created.exit_code == 0, created.output
    assert f"ssg build -s {site}" in created.stdout
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert tomllib.loads((site / "ssg.toml").read_text())["title"] == 'Ann\'s "Notes"'
    assert "Ann&#39;s &#34;Notes&#34;" in (site / "public/index.html").read_text()
    assert (site / "public/posts/hello-world/index.html").is_file()
    assert (site / "public/about/index.html").is_file()


def test_new_into_an_empty_existing_folder(tmp_path, cli):
    assert cli("new", str(tmp_path)).exit_code == 0
    assert (tmp_path / "ssg.toml").is_file()


def test_new_refuses_a_non_empty_folder(tmp_path, cli):
    (tmp_path / "notes.txt").write_text("mine")
    result = cli("new", str(tmp_path))
    assert result.exit_code == 2
    assert "exists and is not an empty folder" in result.stderr and "choose a new folder name" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_new_refuses_a_file(tmp_path, cli):
    (tmp_path / "site").write_text("a file")
    result = cli("new", str(tmp_path / "site"))
    assert result.exit_code == 2
    assert (tmp_path / "site").read_text() == "a file"


# --- ssg clean ----------------------------------------------------------------------------------------

def test_clean_removes_output_and_state_only(make_site, cli):
    site = make_site(POSTS)
    assert cli("build", "-s", str(site)).exit_code == 0
    (site / ".ssg").mkdir(exist_ok=True)
    (site / ".ssg/state.db").write_bytes(b"x")
    result = cli("clean", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert not (site / "public").exists() and not (site / ".ssg").exists()
    assert f"removed {site / 'public'}" in result.stdout
    assert sorted(p.name for p in site.iterdir()) == ["content", "ssg.toml"]


def test_clean_with_nothing_to_remove(make_site, cli):
    site = make_site(POSTS)
    result = cli("clean", "-s", str(site))
    assert result.exit_code == 0
    assert (site / "content/about.md").is_file()


def test_clean_refuses_an_output_folder_outside_the_site(make_site, cli, tmp_path):
    """A typo such as output_dir = "../Documents" must not delete a user's folder."""
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    site = make_site(POSTS, config='title = "T"\noutput_dir = "../precious"\n')
    result = cli("clean", "-s", str(site))
    assert result.exit_code == 2
    assert "lies outside the site folder" in result.stderr
    assert (precious / "thesis.txt").read_text() == "years of work"


def test_clean_outside_a_site_is_a_usage_error(tmp_path, cli):
    result = cli("clean", "-s", str(tmp_path))
    assert result.exit_code == 2
    assert "no ssg.toml" in result.stderr


# --- ssg plugins ---------------------------------------------------------------------------------------

def test_plugins_lists_built_ins_with_their_hooks(make_site, cli):
    site = make_site(POSTS)
    result = cli("plugins", "-s", str(site))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for module in DEFAULT_PLUGINS:
        name = builtin_name(module)
        header = next(i for i, line in enumerate(lines) if line.startswith(f"{name}  (built-in)"))
        assert lines[header + 1].startswith("    hooks: ssg_")
    pagination = lines[lines.index("pagination  (built-in)") + 1]
    assert "ssg_config_schema" in pagination and "ssg_plan_outputs" in pagination


def test_plugins_shows_what_is_disabled(make_site, cli):
    site = make_site(POSTS, config='title = "T"\nbase_url = "https://example.org/"\n[plugins]\ndisable = ["feeds"]\n')
    result = cli("plugins", "-s", str(site))
    assert result.exit_code == 0
    assert not any(line.startswith("feeds ") for line in result.stdout.splitlines())
    assert "disabled: feeds" in result.stdout


# --- ssg build output modes ------------------------------------------------------------------------------

def test_build_prints_a_one_line_summary(make_site, cli):
    site = make_site(POSTS)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0
    assert result.stdout.startswith("built ") and f"into {site / 'public'}:" in result.stdout
    assert "0 errors" in result.stdout and len(result.stdout.splitlines()) == 1


def test_build_json_summary(make_site, cli):
    site = make_site(BROKEN)
    result = cli("build", "-s", str(site), "--json")
    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["output"] == str(site / "public")
    assert summary["pages_rendered"] >= 3
    assert summary["files_written"] > 3 and summary["files_unchanged"] == 0 and summary["files_deleted"] == 0
    assert isinstance(summary["seconds"], float)
    assert summary["errors"] == [{
        "message": "front matter field 'date' is not a date: 'soon'",
        "file": "content/posts/bad.md", "line": 3,
        "hint": "use ISO 8601, e.g. 2024-05-01 or 2024-05-01T09:30:00+02:00", "kind": "ContentError",
    }]
    assert "error: content/posts/bad.md:3:" in result.stderr, "humans still see the error on stderr"
    again = json.loads(cli("build", "-s", str(site), "--json").stdout)
    assert again["files_written"] == 0 and again["files_unchanged"] == summary["files_written"]


def test_build_json_on_a_config_error_is_still_json(make_site, cli):
    site = make_site(POSTS, config='title = "T"\ntitel = "x"\n')
    result = cli("build", "-s", str(site), "--json")
    assert result.exit_code == 2
    summary = json.loads(result.stdout)
    assert summary["pages_rendered"] == 0 and summary["files_written"] == 0
    assert summary["errors"] == [{"message": "unknown key 'titel'", "file": str(site / "ssg.toml"), "line": 2,
                                  "hint": "did you mean 'title'?", "kind": "ConfigError"}]


def test_quiet_prints_nothing_on_success_and_errors_on_failure(make_site, cli):
    ok = cli("build", "-s", str(make_site(POSTS)), "--quiet")
    assert ok.exit_code == 0 and ok.output == ""
    bad = cli("build", "-s", str(make_site(BROKEN)), "-q")
    assert bad.exit_code == 1 and bad.stdout == ""
    assert bad.stderr.startswith("error: content/posts/bad.md:3:")


def test_verbose_lists_every_file_written(make_site, cli):
    site = make_site(POSTS)
    result = cli("build", "-s", str(site), "--verbose")
    assert result.exit_code == 0
    written = [line for line in result.stdout.splitlines() if line.startswith("  wrote ")]
    assert "  wrote posts/a/index.html" in written and "  wrote about/index.html" in written
    files = [p for p in (site / "public").rglob("*") if p.is_file()]
    assert len(written) == len(files)
    again = cli("build", "-s", str(site), "-v")
    assert "wrote" not in again.stdout


# --- exit codes and tracebacks --------------------------------------------------------------------------

def test_exit_codes(make_site, cli):
    assert cli("build", "-s", str(make_site(POSTS))).exit_code == 0
    assert cli("build", "-s", str(make_site(BROKEN))).exit_code == 1
    assert cli("build", "-s", str(make_site(POSTS, config="titel = 1\n"))).exit_code == 2


def test_user_errors_have_no_traceback_and_debug_shows_one(make_site, cli):
    site = make_site(POSTS, config='title = "T"\nbase_url = "nope"\n')
    plain = cli("build", "-s", str(site))
    assert plain.exit_code == 2
    assert "Traceback" not in plain.output
    assert plain.stderr.splitlines() == [
        f"error: {site / 'ssg.toml'}:2: 'base_url': must be an absolute http(s) URL such as "
        "'https://example.org/' (the public URL the site is served from)"]
    debug = cli("build", "-s", str(site), "--debug")
    assert debug.exit_code == 2
    assert "Traceback (most recent call last)" in debug.stderr and "ConfigError" in debug.stderr
    assert debug.stderr.rstrip().endswith("(the public URL the site is served from)")


def test_page_errors_have_no_traceback(make_site, cli):
    result = cli("build", "-s", str(make_site(BROKEN)))
    assert result.exit_code == 1
    assert "Traceback" not in result.output and "internal error" not in result.output


def test_build_from_inside_the_site_folder(make_site, cli, monkeypatch):
    site = make_site(POSTS)
    monkeypatch.chdir(site)
    result = cli("build")
    assert result.exit_code == 0, result.output
    assert (site / "public/about/index.html").is_file()


def test_strict_turns_warnings_into_a_failed_build(make_site, cli):
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nSee [b](b.md).\n"})
    relaxed = cli("build", "-s", str(site))
    assert relaxed.exit_code == 0
    assert "warning: content/posts/a.md:5: link to 'b.md' matches no page" in relaxed.stderr
    strict = cli("build", "-s", str(site), "--strict")
    assert strict.exit_code == 1
    assert "error: content/posts/a.md:5: link to 'b.md' matches no page" in strict.stderr
    assert "fatal with --strict" in strict.stderr
