"""Pages left out of a build (drafts, future dates) are counted (issue 22):
the summary line says how many and which flag includes them, --json has
``pages_skipped``, on every kind of build (full, nothing changed, narrow)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_files

from ssg.build.entry import BuildResult
from ssg.cli.serve_cmd import TerminalReporter

SITE = {
    "ssg.toml": 'title = "Skips"\nbase_url = "https://example.org/"\n',
    "content/posts/live.md": "---\ntitle: Live\ndate: 2024-01-01\n---\nLive text.\n\nMore.\n",
    "content/posts/draft-a.md": "---\ntitle: Draft A\ndate: 2024-01-02\ndraft: true\n---\nA.\n",
    "content/posts/draft-b.md": "---\ntitle: Draft B\ndraft: true\n---\nB.\n",
    "content/posts/later.md": "---\ntitle: Later\ndate: 2999-01-01\n---\nNot yet.\n",
}
LINE = ("2 draft pages not built (--drafts includes them); "
        "1 future-dated page not built (--future includes it)")


def ssg(site: Path, *args: str) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site), *args],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr + run.stdout
    return run


@pytest.fixture
def site(tmp_path: Path) -> Path:
    write_files(tmp_path / "site", SITE)
    return tmp_path / "site"


def test_the_summary_and_json_count_skipped_pages_on_every_kind_of_build(site):
    first = ssg(site)
    assert LINE in first.stdout.splitlines(), first.stdout
    again = json.loads(ssg(site, "--json").stdout)       # nothing changed: nothing loaded
    assert again["timings"] == {} and again["pages_skipped"] == {"draft": 2, "future": 1}
    assert LINE in ssg(site).stdout.splitlines()
    live = site / "content/posts/live.md"
    live.write_text(live.read_text().replace("More.", "More, edited."))
    narrow = json.loads(ssg(site, "--json").stdout)      # a narrow rebuild: the counts stand
    assert "load" not in narrow["timings"] and narrow["files_written"] == 1
    assert narrow["pages_skipped"] == {"draft": 2, "future": 1}


def test_the_counts_follow_the_flags(site):
    everything = json.loads(ssg(site, "--json", "--drafts", "--future").stdout)
    assert everything["pages_skipped"] == {} and everything["files_written"] > 0
    assert "not built" not in ssg(site, "--drafts", "--future").stdout
    (site / "content/posts/draft-b.md").unlink()
    assert json.loads(ssg(site, "--json").stdout)["pages_skipped"] == {"draft": 1, "future": 1}
    assert ssg(site, "-q").stdout == ""


def test_serve_says_it_in_its_build_line(capsys, tmp_path):
    TerminalReporter(debug=False).built(BuildResult(output_root=tmp_path, skipped={"future": 1329}))
    assert "1,329 future-dated pages not built (--future includes them)" in capsys.readouterr().out
