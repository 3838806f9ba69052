"""`ssg deploy`'s progress (issue 22), shown as the build's is
(ssg/cli/progress.py): in a terminal, once the deploy has run a second, the
stage and a bar that follows the bytes uploaded, with files and bytes counted;
through a pipe, none of the bar's control characters, and plain lines at most
every few seconds; with --json no progress (stdout is the JSON alone); with
--quiet nothing. The target is a folder on this machine (file://) whose
uploads a site plugin slows down, so the deploy lasts a few seconds on any
machine."""

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

from ssg.cli.progress import LINE_EVERY, Bar, Lines

FILES = 30
SLOW_DISK = (      # a file:// target whose every upload takes 0.15 s: 30 files two at a time, 2.2 s or more
    "import time\n\nfrom ssg.api import hookimpl\nfrom ssg_plugins.deploy_file import FileTarget\n\n\n"
    "class SlowDisk(FileTarget):\n    def stage(self, path, temp, data):\n        time.sleep(0.15)\n"
    "        super().stage(path, temp, data)\n\n\n@hookimpl\ndef ssg_deploy_targets(register):\n"
    "    register('slowdisk', SlowDisk)\n")
BAR_CHARACTERS = ("━", "\x1b", "\r")
ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def site(tmp_path: Path) -> Path:
    remote = tmp_path / "www"
    files = {f"public/posts/p{n:02d}/index.html": f"<p>post {n}</p>\n" + "x" * 2000 for n in range(FILES)}
    write_files(tmp_path / "site", {
        "ssg.toml": (f'title = "T"\nbase_url = "https://example.org/"\n\n[deploy.live]\n'
                     f'url = "slowdisk://{remote.as_posix()}"\njobs = 2\n'),
        "plugins/slowdisk.py": SLOW_DISK, **files})
    return tmp_path / "site"


def in_terminal(site: Path, *args: str) -> tuple[str, int]:
    """What ``ssg deploy`` shows in a terminal (a pseudo-terminal), and its exit code."""
    child = pexpect.spawn(sys.executable, ["-m", "ssg", "deploy", "-s", str(site), *args], encoding="utf-8",
                          timeout=60, dimensions=(24, 120))
    child.expect(pexpect.EOF)
    child.close()
    return child.before, child.exitstatus


def published(site: Path) -> dict[str, bytes]:
    remote = site.parent / "www"
    return {p.relative_to(remote).as_posix(): p.read_bytes() for p in remote.rglob("*")
            if p.is_file() and ".ssg-deploy" not in p.parts}


def expected(site: Path) -> dict[str, bytes]:
    public = site / "public"
    return {p.relative_to(public).as_posix(): p.read_bytes() for p in public.rglob("*") if p.is_file()}


def test_a_slow_deploy_shows_the_stage_files_bytes_and_a_bar_in_a_terminal(site):
    shown, code = in_terminal(site)
    assert code == 0, shown
    assert published(site) == expected(site)
    plain = ESCAPE.sub("", shown)
    assert plain.lstrip().startswith("deploying live to slowdisk:"), plain
    assert "━" in shown and "\x1b[" in shown, "no bar was drawn"
    assert re.search(rf"upload +━*.* \d+/{FILES} files, [\d.]+ kB/6\d\.\d kB", plain), \
        "the bar does not count the files and bytes uploaded"
    last = plain.rstrip().splitlines()[-1]
    assert last.startswith(f"uploaded {FILES}, deleted 0") and "━" not in last, \
        "the bar is not taken away before the summary"


def test_json_shows_no_progress_even_in_a_terminal(site):
    shown, code = in_terminal(site, "--json")
    assert code == 0, shown
    assert not any(c in shown for c in BAR_CHARACTERS[:2]), shown
    assert json.loads(shown[shown.index("{"):])["uploaded"] == FILES
    assert published(site) == expected(site)


def test_quiet_shows_nothing_even_in_a_terminal(site):
    shown, code = in_terminal(site, "-q")
    assert code == 0 and shown.strip() == "", shown
    assert published(site) == expected(site)


def test_through_a_pipe_no_bar_and_no_control_characters(site):
    run = subprocess.run([sys.executable, "-m", "ssg", "deploy", "-s", str(site)], capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for stream in (run.stdout, run.stderr):
        assert not any(c in stream for c in BAR_CHARACTERS), stream
    assert run.stderr.startswith("deploying live to slowdisk:")
    assert run.stdout.startswith(f"uploaded {FILES}, deleted 0")
    assert published(site) == expected(site)


def test_plain_lines_of_an_upload_count_files_and_bytes_at_most_every_few_seconds():
    now = [0.0]
    out = io.StringIO()
    lines = Lines(out, clock=lambda: now[0])
    lines.stage("compare")
    lines.stage("upload", 400, size=400 * 25_000)
    for _ in range(400):
        now[0] += 0.03        # 12 s in all
        lines.advance(size=25_000)
    lines.stage("delete", 3)
    shown = out.getvalue().splitlines()
    assert len(shown) == int(12 / LINE_EVERY), shown
    assert re.fullmatch(r"ssg: upload 16\d/400 files, 4\.\d MB/10\.0 MB \(5 s\)", shown[0]), shown


def test_a_note_shows_above_the_bar_and_the_bar_goes_away():
    """A deploy's notes ("waiting for the deploy lock") while the bar shows."""
    now = [0.0]
    out = io.StringIO()
    bar = Bar(out, clean=lambda text: text.replace("hunter2", "***"), clock=lambda: now[0])
    bar.stage("upload", 10, size=10_000)
    bar.note("deploying live")
    now[0] = 2.0
    bar.advance(size=1000)
    assert "━" in out.getvalue() and "1/10 files, 1.0 kB/10.0 kB" in out.getvalue()
    bar.note("waiting for the deploy lock, held by ci pid 7 (password hunter2)")
    bar.close()
    text = ESCAPE.sub("", out.getvalue())
    assert "deploying live\n" in text and "waiting for the deploy lock, held by ci pid 7 (password ***)" in text
    assert "hunter2" not in text
