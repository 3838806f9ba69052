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

from ssg.build import build
from ssg.writer import TEMP_PREFIX


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
    site = tmp_path / "site"
    (site / "content/posts").mkdir(parents=True)
    (site / "ssg.toml").write_text('title = "K"\nbase_url = "https://example.org/"\n')
    for number in range(300):
        (site / f"content/posts/p{number}.md").write_text(post(number, "First"))
    kill_build_after(site, 0.6)                            # an interrupted first build
    for round_ in range(4):
        for number in rng.sample(range(300), 40):          # titles change: pages and lists
            (site / f"content/posts/p{number}.md").write_text(post(number, f"Round {round_}"))
        for number in rng.sample(range(300), 5):           # some posts go, written or not
            (site / f"content/posts/p{number}.md").unlink(missing_ok=True)
        kill_build_after(site, rng.uniform(0.3, 2.5))
    result = build(site)
    assert result.ok, result.errors
    after = tree(site / "public")
    assert not [rel for rel in after if Path(rel).name.startswith(TEMP_PREFIX)]
    fresh = tmp_path / "fresh"
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("public", ".ssg"))
    build(fresh)
    assert tree(fresh / "public") == after
    assert build(site).written == []
