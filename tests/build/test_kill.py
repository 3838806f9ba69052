"""kill -9 at random moments of a build, then a normal build: the output equals
a clean build, no temporary file is left, and files the killed build wrote for
pages that no longer exist are pruned."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ssg.build.entry import build
from ssg.build.write import TEMP_PREFIX


def post(number: int, title: str) -> str:
    return (f"---\ntitle: \"{title} {number}\"\ndate: 2024-01-01T{number % 24:02d}:{number % 60:02d}:00Z\n"
            f"tags: [t{number % 7}]\nsummary: \"Post {number}.\"\n---\n## Part\n\n" + "Words here. " * 40 + "\n")


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def kill_build_after(site: Path, seconds: float) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "ssg", "build", "-s", str(site), "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(seconds)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@pytest.mark.slow
def test_kill_9_at_random_points_then_a_build_equals_a_clean_build(tmp_path):
    rng = random.Random(7)
    site = posts_site(tmp_path, 300)
    kill_build_after(site, 0.6)                            # an interrupted first build
    for round_ in range(4):
        for number in rng.sample(range(300), 40):          # titles change: pages and lists
            (site / f"content/posts/p{number}.md").write_text(post(number, f"Round {round_}"))
        for number in rng.sample(range(300), 5):           # some posts go, written or not
            (site / f"content/posts/p{number}.md").unlink(missing_ok=True)
        kill_build_after(site, rng.uniform(0.3, 2.5))
    assert_repaired(site, tmp_path)


def posts_site(tmp_path: Path, count: int) -> Path:
    """A site of ``count`` posts, p0.md to p{count-1}.md, titled "First"."""
    site = tmp_path / "site"
    (site / "content/posts").mkdir(parents=True)
    (site / "ssg.toml").write_text('title = "K"\nbase_url = "https://example.org/"\n')
    for number in range(count):
        (site / f"content/posts/p{number}.md").write_text(post(number, "First"))
    return site


def assert_repaired(site: Path, tmp_path: Path) -> None:
    """A normal build after the kills: no temporary file left, and the output
    equals a clean build of the same sources in a fresh folder."""
    result = build(site)
    assert result.ok, result.errors
    after = tree(site / "public")
    assert not [rel for rel in after if Path(rel).name.startswith(TEMP_PREFIX)]
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("public", ".ssg"))
    build(fresh)
    assert tree(fresh / "public") == after
    assert build(site).written == []


@pytest.mark.slow
def test_kill_9_of_ssg_serve_during_warm_rebuilds_then_a_build_equals_a_clean_build(tmp_path):
    """ssg serve killed at random moments while it rebuilds body edits warm
    (ssg/build/sources/kept.py): the next `ssg build` repairs everything."""
    from serve_helpers import ServeProcess

    rng = random.Random(11)
    site = posts_site(tmp_path, 200)
    assert build(site).ok
    warm_lines = 0
    for round_ in range(6):
        server = ServeProcess(site)
        try:
            for edit in range(3):   # bodies only: warm rebuilds
                number = rng.randrange(200)
                (site / f"content/posts/p{number}.md").write_text(
                    post(number, "First").replace("Words here.", f"Round {round_} edit {edit}.", 1))
                time.sleep(rng.uniform(0.0, 0.25))
        finally:
            warm_lines += sum(line.endswith("(warm)") for line in server.stdout)
            server.process.send_signal(signal.SIGKILL)
            server.process.wait()
    assert warm_lines >= 3, "the servers were killed before any warm rebuild: the test checks nothing warm"
    assert_repaired(site, tmp_path)
    again = build(site)
    assert again.written == [] and "load" not in again.timings
