"""bench/stage_memory.py: a cold build of a copy of the site, with the build
process's RSS as each stage begins; the site itself is left as it was."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_it_prints_each_stage_with_the_memory_it_began_with(tmp_path):
    site = tmp_path / "example"
    shutil.copytree(REPO / "example-site", site, ignore=shutil.ignore_patterns("public", ".ssg", "__pycache__"))
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    done = subprocess.run([sys.executable, str(REPO / "bench/stage_memory.py"), str(site), "--out", str(tmp_path / "w")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    rows = {m["stage"].strip(): (float(m["at"]), int(m["rss"]))
            for m in re.finditer(r"^(?P<stage>[a-z(),\s]+?)\s+(?P<at>\d+\.\d)\s+(?P<rss>\d+)", done.stdout, re.M)}
    assert {"parse", "plan", "render", "commit", "(end)"} <= rows.keys(), done.stdout
    assert all(rss > 0 for _at, rss in rows.values())
    assert rows["parse"][0] <= rows["render"][0] <= rows["commit"][0]
    peak = int(re.search(r"peak RSS (\d+) MiB", done.stdout)[1])
    assert peak >= max(rss for _at, rss in rows.values())
    assert (tmp_path / "w/site/public/index.html").is_file()
    assert {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()} == before
