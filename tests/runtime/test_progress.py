"""A build's progress (issue 22): in a terminal, the stage and a bar with
counts once the build has run a second; through a pipe, none of the bar's
control characters, and plain lines at most every few seconds; nothing with
--json or --quiet."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest
from conftest import write_files

from ssg.cli.progress import LINE_EVERY, Lines

SLOW_SITE = {      # each page takes 0.15 s to render (a filter): a build of 2.4 s or more, whatever the machine
    "ssg.toml": 'title = "Slow"\nbase_url = "https://example.org/"\n',
    "plugins/slow.py": ("import time\n\nfrom ssg.api import hookimpl\n\n\ndef slow(text):\n    time.sleep(0.15)\n"
                        "    return text\n\n\n@hookimpl\ndef ssg_jinja_environment(env, site):\n"
                        "    env.filters['slow'] = slow\n"),
    "templates/page.html": '{% extends "base.html" %}{% block main %}{{ page.title|slow }}{% endblock %}',
    **{f"content/posts/p{n:02d}.md": f"---\ntitle: Post {n}\ndate: 2024-01-{n + 1:02d}\n---\nText {n}.\n"
       for n in range(15)},
}


@pytest.fixture
def slow_site(tmp_path: Path) -> Path:
    write_files(tmp_path / "site", SLOW_SITE)
    return tmp_path / "site"


def in_terminal(site: Path, *args: str) -> tuple[str, int]:
    """What ``ssg build`` shows in a terminal (a pseudo-terminal), and its exit code."""
    child = pexpect.spawn(sys.executable, ["-m", "ssg", "build", "-s", str(site), *args], encoding="utf-8",
                          timeout=60, dimensions=(24, 100))
    child.expect(pexpect.EOF)
    child.close()
    return child.before, child.exitstatus


def test_a_slow_build_shows_the_stage_and_a_bar_in_a_terminal(slow_site):
    shown, code = in_terminal(slow_site)
    assert code == 0, shown
    assert "render" in shown and "━" in shown, shown           # the stage, and rich's bar
    assert re.search(r"render .*\d+/\d+", shown), "the bar shows no count of pages"
    assert "\x1b[" in shown
    last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.rstrip().splitlines()[-1])   # after the bar's erasing
    assert last.startswith("built ") and "━" not in last, "the bar is not taken away before the summary"


def test_json_and_quiet_show_no_progress_even_in_a_terminal(slow_site):
    shown, code = in_terminal(slow_site, "--json")
    assert code == 0 and "━" not in shown and "\x1b" not in shown
    assert json.loads(shown[shown.index("{"):])["files_written"] > 0
    shown, code = in_terminal(slow_site, "-q")
    assert code == 0 and shown.strip() == ""


def test_through_a_pipe_no_bar_and_no_control_characters(slow_site):
    run = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(slow_site)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for stream in (run.stdout, run.stderr):
        assert "\x1b" not in stream and "━" not in stream and "\r" not in stream
    assert run.stdout.startswith("built ")


def test_plain_lines_come_at_most_every_few_seconds():
    now = [0.0]
    out = io.StringIO()
    lines = Lines(out, clock=lambda: now[0])
    lines.stage("parse", 10_000)
    for _ in range(10_000):
        now[0] += 0.0011         # 11 s in all
        lines.advance()
    lines.stage("render", 10_000)
    shown = out.getvalue().splitlines()
    assert len(shown) == int(11 / LINE_EVERY), shown
    assert shown[0].startswith("ssg: parse 4,5") and shown[0].endswith("/10,000 (5 s)"), shown


LIST_WAITS_SITE = {   # the home page (the longest list) renders only once the build has counted others (or 30 s)
    "ssg.toml": 'title = "Lists"\nbase_url = "https://example.org/"\n\n[pagination]\nper_page = 0\n',
    "plugins/waiting.py": ("import os, time\nfrom pathlib import Path\n\nfrom ssg.api import hookimpl\n\n\n"
                           "def until_counted(text):\n    deadline = time.monotonic() + 30\n"
                           "    while not Path(os.environ['LIST_MAY_RENDER']).exists():\n"
                           "        if time.monotonic() > deadline:\n            return 'the count stood still'\n"
                           "        time.sleep(0.01)\n    return 'the count moved'\n\n\n"
                           "@hookimpl\ndef ssg_jinja_environment(env, site):\n"
                           "    env.filters['until_counted'] = until_counted\n"),
    "templates/index.html": '{% extends "base.html" %}{% block main %}{{ "x"|until_counted }}{% endblock %}',
    **{f"content/posts/p{n:03d}.md": f"---\ntitle: Post {n}\ndate: 2024-01-01\n---\nText {n}.\n"
       for n in range(320)},     # 300 outputs or more render in two workers (render.PARALLEL_FROM)
}


def test_the_render_count_moves_while_the_longest_list_page_renders(tmp_path, monkeypatch):
    """The list pages render first (the longest work) and each alone, and the
    count follows every result as it comes in: it moves at once, not only
    when the longest list is done."""
    from ssg.build.entry import BuildOptions, build
    from ssg.runtime.progress import Progress

    mark = tmp_path / "counted"
    monkeypatch.setenv("LIST_MAY_RENDER", str(mark))
    write_files(tmp_path / "site", LIST_WAITS_SITE)

    class Watching(Progress):
        rendered = 0

        def stage(self, name, total=None, *, size=None):
            self.name = name

        def advance(self, done=1, *, size=0):
            if self.name == "render":
                self.rendered += done
                if self.rendered >= 20:
                    mark.touch()

    result = build(tmp_path / "site", BuildOptions(progress=Watching(), workers=2))
    assert not result.errors and result.rendered > 320
    assert "the count moved" in (tmp_path / "site/public/index.html").read_text()


def test_a_build_over_within_a_second_never_loads_rich_even_in_a_terminal(tmp_path):
    """The bar's library is imported only once a build has run a second: a
    no-op build in a terminal pays nothing for it (-X importtime lists every
    module the process imported)."""
    write_files(tmp_path / "site", {"ssg.toml": 'title = "T"\nbase_url = "https://example.org/"\n',
                                    "content/posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n"})
    subprocess.run([sys.executable, "-m", "ssg", "build", "-q", "-s", str(tmp_path / "site")], check=True, timeout=60)
    child = pexpect.spawn(sys.executable, ["-X", "importtime", "-m", "ssg", "build", "-s", str(tmp_path / "site")],
                          encoding="utf-8", timeout=60, dimensions=(24, 200))
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    assert "import time:" in child.before and "ssg.cli" in child.before
    # rich.progress, the bar: older typer releases import rich's console themselves, so not rich as a whole
    assert not re.search(r"\|\s+rich\.progress\s*$", child.before, re.MULTILINE), "the bar was imported by a no-op build"
