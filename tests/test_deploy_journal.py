"""The deploy journal (INCIDENTS.md incident 1): after an interrupted deploy,
every path it may have touched is unknown to the next deploy, which uploads
or deletes it again; the manifest never claims bytes the target may not hold;
ssg's own leftover temporary files never block a deploy; a deployer that lost
its lease writes nothing more.

Deterministic on file:// with ``jobs = 1``; the crash points of every
protocol are enumerated in test_deploy_crash.py."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from deploy_servers import read_tree

from ssg.deploy.crashpoints import OPS_LOG_ENV, STOP_AFTER_OPS_ENV
from ssg.deploy.publish import STOP_AFTER_ENV

DEADLINE = 60


def site_files(version: str, posts: int = 120) -> dict[str, str]:
    """v2 is v1 with other titles: every page differs, the assets do not."""
    files = {f"public/posts/{n:03d}/index.html": f"<title>Post {n} ({version})</title><p>body {n}</p>\n"
             for n in range(posts)}
    files.update({f"public/assets/{n:03d}.css": f".c{n} {{ color: #{n:03d} }}\n" for n in range(20)})
    files["public/index.html"] = f"<title>Home ({version})</title>\n"
    return files


def make(make_site, root: Path, version: str, **files: str) -> Path:
    config = ('title = "T"\nbase_url = "https://example.org/"\n\n'
              f'[deploy.web]\nurl = "{root.as_uri()}"\njobs = 1\n')
    return make_site({**site_files(version), **files}, config=config)


def published(site: Path) -> dict[str, bytes]:
    return read_tree(site / "public")


def run(site: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ssg", "deploy", "web", "-s", str(site), *args],
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=DEADLINE)


def stopped(process: subprocess.Popen) -> bool:
    try:
        return Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
    except FileNotFoundError:
        return False


def kill_when_stopped(process: subprocess.Popen) -> None:
    deadline = time.monotonic() + DEADLINE
    while not stopped(process):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the deployer never reached its stop point"
        time.sleep(0.02)
    process.kill()
    process.wait(DEADLINE)


def site_on(root: Path) -> dict[str, bytes]:
    """The published files on the target: not ssg's state, not temporary files."""
    return {p: b for p, b in read_tree(root).items() if not p.startswith(".ssg-deploy/") and not p.endswith(".tmp")}


def assert_holds(root: Path, site: Path) -> None:
    """The target holds the build byte for byte, and its manifest says so."""
    assert site_on(root) == published(site)
    assert not [p for p in read_tree(root) if p.endswith(".tmp")], "temporary files left behind"
    manifest = json.loads((root / ".ssg-deploy/manifest.json").read_bytes())["files"]
    assert manifest == {p: [hashlib.sha256(b).hexdigest(), len(b)] for p, b in site_on(root).items()}


def interrupt(site: Path, stop_after: int) -> None:
    """Deploy ``site`` and kill -9 it once it staged upload number stop_after + 1."""
    process = subprocess.Popen([sys.executable, "-m", "ssg", "deploy", "web", "-s", str(site)],
                               env={**os.environ, STOP_AFTER_ENV: str(stop_after)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kill_when_stopped(process)


def test_a_rollback_after_an_interrupted_deploy_leaves_no_page_of_the_interrupted_build(make_site, tmp_path):
    """Issue 18 item 2, incident 1: v2's deploy is killed after 60 uploads, in
    its second batch; the pages of that batch already renamed into place hold
    v2. Deploying v1 again must replace them: before the journal named the
    paths a batch touches, they were taken to hold the old manifest's v1 and
    skipped, leaving a site that mixes two builds under a manifest that says v1."""
    root = tmp_path / "www"
    v1, v2 = make(make_site, root, "v1"), make(make_site, root, "v2")
    assert run(v1).returncode == 0
    interrupt(v2, 60)
    mixed = [p for p, b in site_on(root).items() if b"(v2)" in b]
    assert mixed, "the interrupted deploy renamed pages of v2 into place"
    again = run(v1, "--json")
    assert again.returncode == 0, again.stderr
    assert set(json.loads(again.stdout)["files_uploaded"]) >= set(mixed)
    assert_holds(root, v1)
    assert not [p for p, b in site_on(root).items() if b"(v2)" in b]
    last = run(v1, "--json")
    assert last.returncode == 0 and json.loads(last.stdout)["uploaded"] == 0


def test_the_same_build_after_an_interrupted_deploy_completes_it_without_starting_over(make_site, tmp_path):
    """The journal still spares the next deploy the batches that completed."""
    root = tmp_path / "www"
    v1, v2 = make(make_site, root, "v1"), make(make_site, root, "v2")
    assert run(v1).returncode == 0
    interrupt(v2, 60)
    again = run(v2, "--json")
    assert again.returncode == 0, again.stderr
    uploaded = json.loads(again.stdout)["files_uploaded"]
    assert 0 < len(uploaded) < 121 - 40, uploaded      # batch 2 (50 pages) again and what followed, not all 121
    assert_holds(root, v2)


def write_points(site: Path, log: Path) -> list[str]:
    """Deploy ``site``, logging every remote write (ssg/deploy/crashpoints.py)."""
    done = run(site, env={OPS_LOG_ENV: str(log)})
    assert done.returncode == 0, done.stderr
    return log.read_text().splitlines()


@pytest.mark.parametrize("after", ["the journal of the deletes", "the delete"])
def test_an_interrupted_delete_is_repaired_by_the_previous_build(make_site, tmp_path, after):
    """A path the interrupted deploy deleted, or was about to delete, is not
    taken to be there still: the previous build, which has it, uploads it."""
    v1 = make(make_site, tmp_path / "www", "v1", **{"public/old/index.html": "<p>old</p>\n"})
    assert run(v1).returncode == 0
    rehearsal = make(make_site, tmp_path / "rehearsal", "v2")
    assert run(make(make_site, tmp_path / "rehearsal", "v1", **{"public/old/index.html": "<p>old</p>\n"})
               ).returncode == 0
    points = write_points(rehearsal, tmp_path / "ops.log")
    deleted = next(n for n, line in enumerate(points, 1) if line.endswith(" delete old/index.html"))
    stop = deleted if after == "the delete" else deleted - 1
    assert points[stop - 1].split()[1] == ("delete" if after == "the delete" else "commit"), points[stop - 1]
    v2 = make(make_site, tmp_path / "www", "v2")
    process = subprocess.Popen([sys.executable, "-m", "ssg", "deploy", "web", "-s", str(v2)],
                               env={**os.environ, STOP_AFTER_OPS_ENV: str(stop)},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    kill_when_stopped(process)
    assert (tmp_path / "www/old/index.html").exists() == (after != "the delete")
    again = run(v1, "--json")
    assert again.returncode == 0, again.stderr
    assert "old/index.html" in json.loads(again.stdout)["files_uploaded"]
    assert_holds(tmp_path / "www", v1)


def test_leftover_temporary_files_of_ssg_never_block_a_deploy_and_are_removed(make_site, tmp_path):
    """Issue 18 item 3: a journal segment or manifest half-written by a deployer
    that was killed between upload and rename is not ssg's state: --status,
    --verify and the next deploy work, and the deploy removes them (under the lock)."""
    root = tmp_path / "www"
    v1, v2 = make(make_site, root, "v1"), make(make_site, root, "v2")
    assert run(v1).returncode == 0
    leftovers = [root / ".ssg-deploy/journal/.0000000002-00003.json.ssg-0123456789ab.tmp",
                 root / ".ssg-deploy/.manifest.json.ssg-0123456789ab.tmp"]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"format": 1, "files": {"posts/000/ind')
    status = run(v1, "--status", "--json")
    assert status.returncode == 0, status.stderr
    assert "interrupted_deploy" not in json.loads(status.stdout)
    verified = run(v1, "--verify", "--json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["uploaded"] == 0
    assert not [p for p in leftovers if p.exists()]
    for path in leftovers:
        path.write_text("{")
    deployed = run(v2)
    assert deployed.returncode == 0, deployed.stderr
    assert not [p for p in leftovers if p.exists()]
    assert_holds(root, v2)


def test_put_checks_the_lease_between_the_upload_and_the_rename(tmp_path):
    """Issue 18 item 3: a deployer that stalled after uploading a journal segment
    (or the manifest, or its lease record) and lost its lease meanwhile does not
    rename it into place."""
    from urllib.parse import urlsplit

    from plugins.deploy_file import FileTarget
    from ssg.deploy.lease import LeaseLost

    root = tmp_path / "www"
    target = FileTarget(urlsplit(root.as_uri()), {})
    target.connect()
    target.put("state.json", b"old", ".state.json.ssg-000000000001.tmp")

    def lost() -> None:
        raise LeaseLost("this deploy lost the deploy lock")

    target.guard = lost
    with pytest.raises(LeaseLost):
        target.put("state.json", b"new", ".state.json.ssg-000000000002.tmp")
    assert (root / "state.json").read_bytes() == b"old"
