"""A terminal user's habits: shell completion, `-h` for `--help` everywhere,
and `ssg serve --base-url` (issue 22)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import MINIMAL_CONFIG, write_files
from serve_helpers import REPO, ServeProcess

SSG = [sys.executable, "-m", "ssg"]
COMMANDS = ("build", "serve", "deploy", "new", "clean", "plugins")


def under_shell(shell: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """``ssg ARGS`` run from a process that looks like SHELL (its argv[0]), as
    when typed in that shell: typer finds the user's shell among its parents.
    ``; true`` keeps /bin/sh from replacing itself with the command."""
    command = " ".join([*SSG, *args]) + "; true"
    return subprocess.run([shell, "-c", command], executable="/bin/sh", capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, **(env or {})}, timeout=60)


@pytest.mark.parametrize("shell, marker", [
    ("bash", "complete -o default -F _ssg_completion ssg"),
    ("zsh", "compdef _ssg_completion ssg"),
    ("fish", "complete --command ssg"),
])
def test_show_completion_prints_the_script_for_the_users_shell(shell, marker):
    result = under_shell(shell, "--show-completion")
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout
    assert "_SSG_COMPLETE" in result.stdout       # the script asks ssg itself for the words


def complete_bash(words: str) -> list[str]:
    """What bash offers after ``words`` (the completion script's own request to ssg)."""
    cword = len(words.split()) - (0 if words.endswith(" ") else 1)
    env = {**os.environ, "_SSG_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    result = subprocess.run([*SSG], capture_output=True, text=True, env=env, cwd=REPO, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_completion_offers_the_commands_and_their_options():
    assert set(complete_bash("ssg ")) >= set(COMMANDS)
    assert complete_bash("ssg bu") == ["build"]
    assert "--drafts" in complete_bash("ssg build --dr")
    assert "--base-url" in complete_bash("ssg serve --base")


def test_install_completion_is_offered_in_the_help(cli):
    result = cli("--help")
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout


@pytest.mark.parametrize("command", ["", *COMMANDS])
def test_dash_h_is_help_on_every_command(cli, command):
    args = [command] if command else []
    short, long = cli(*args, "-h"), cli(*args, "--help")
    assert short.exit_code == 0, short.output
    assert short.stdout == long.stdout
    assert short.stdout.startswith("Usage: ")
    assert "-h, --help" in short.stdout


def test_serve_base_url_builds_with_it_and_serves_at_its_path(tmp_path):
    site = tmp_path / "site"
    write_files(site, {"ssg.toml": MINIMAL_CONFIG,
                       "content/posts/a.md": "---\ntitle: Alpha\ndate: 2024-01-01\n---\nAlpha body.\n"})
    with ServeProcess(site, "--base-url", "http://127.0.0.1/preview/pr-7/") as server:
        assert server.url.endswith("/preview/pr-7/")
        page = server.request("/preview/pr-7/posts/a/")
        assert page.status == 200
        assert "Alpha body." in page.text
        assert 'href="/preview/pr-7/posts/a/"' in page.text or "http://127.0.0.1/preview/pr-7/posts/a/" in page.text
        assert "https://example.org/" not in page.text        # ssg.toml's base_url is overridden
        assert server.request("/posts/a/").status == 404      # not mounted at the root
        assert server.request("/").status == 301
