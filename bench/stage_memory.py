#!/usr/bin/env python3
"""Where a cold build's memory goes: the build process's RSS as each stage
begins and at the end, and its peak.

    python bench/stage_memory.py SITE [--out DIR]

Builds SITE (``--future``, as bench/run.py does) from empty state into a copy
of it, in this process, with a ``Progress`` (ssg/runtime/progress.py) that
reads /proc/self/status each time the build says a stage begins. A stage's
growth is the RSS at the next stage's start less its own. Render and parse
workers are other processes: their memory is not counted here (bench/run.py
reports the largest process's peak). Linux only (/proc).

For 100,000 posts: ``python bench/gen_corpus.py`` into a copy of bench/site,
as bench/run.py does (``--sizes 100000 --no-hugo --shapes posts`` leaves one
in ``--work``), then this script on it.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ssg.build.entry import build  # noqa: E402
from ssg.build.options import BuildOptions  # noqa: E402
from ssg.runtime.progress import Progress  # noqa: E402


def status(field: str) -> int:
    """A /proc/self/status figure, in MiB."""
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024
    raise SystemExit(f"no {field} in /proc/self/status (Linux only)")


class StageMemory(Progress):
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.rows: list[tuple[str, float, int]] = []

    def stage(self, name: str, total: int | None = None, *, size: int | None = None) -> None:
        self.rows.append((name, time.perf_counter() - self.started, status("VmRSS")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path)
    parser.add_argument("--out", type=Path, help="where the copy is built (default: a temporary folder, removed)")
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="ssg-stage-memory-"))
    copy = work / "site"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(args.site, copy, ignore=shutil.ignore_patterns("public", ".ssg"))
    progress = StageMemory()
    try:
        result = build(copy, BuildOptions(future=True, progress=progress))
        progress.stage("(end)")
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)
    if not result.ok:
        raise SystemExit(f"the build failed: {result.errors[:3]}")
    print(f"{result.rendered} outputs rendered; peak RSS {status('VmHWM')} MiB")
    print(f"{'stage begins':28} {'at s':>7} {'RSS MiB':>8} {'grows MiB':>10}")
    for (name, at, rss), following in zip(progress.rows, [*progress.rows[1:], None], strict=True):
        grows = f"{following[2] - rss:+10d}" if following is not None else ""
        print(f"{name:28} {at:7.1f} {rss:8d} {grows}")


if __name__ == "__main__":
    main()
