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
from deploy_servers import published, read_tree, stored_manifest
from hypothesis import given, settings
from hypothesis import strategies as st
from messages import says

from ssg.deploy.crashpoints import BATCH_ENV, OPS_LOG_ENV, STOP_AFTER_OPS_ENV
from ssg.deploy.journal import read_state, set_aside_unsafe
from ssg.deploy.publish import STOP_AFTER_ENV
from ssg.deploy.shards import shard_of, shard_path
from ssg.deploy.target import DeployError
from ssg.graph.relpaths import bad_paths

DEADLINE = 60


def site_files(version: str, posts: int) -> dict[str, str]:
    """v2 is v1 with other titles: every page differs, the assets do not."""
    files = {f"public/posts/{n:03d}/index.html": f"<title>Post {n} ({version})</title><p>body {n}</p>\n"
             for n in range(posts)}
    files.update({f"public/assets/{n:03d}.css": f".c{n} {{ color: #{n:03d} }}\n" for n in range(posts // 6 + 1)})
    files["public/index.html"] = f"<title>Home ({version})</title>\n"
    return files


def make(make_site, root: Path, version: str, posts: int = 12, **files: str) -> Path:
    config = ('title = "T"\nbase_url = "https://example.org/"\n\n'
              f'[deploy.web]\nurl = "{root.as_uri()}"\njobs = 1\n')
    return make_site({**site_files(version, posts), **files}, config=config)


def start(site: Path, **env: str) -> subprocess.Popen:
    """`ssg deploy web` in a process of its own."""
    return subprocess.Popen([sys.executable, "-m", "ssg", "deploy", "web", "-s", str(site)],
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def deploy(cli):
    """`ssg deploy web` in this process: (exit code, --json summary or None, output)."""
    def invoke(site: Path, *args: str) -> tuple[int, dict | None, str]:
        result = cli("deploy", "web", "-s", str(site), *args)
        summary = json.loads(result.stdout) if "--json" in args and result.stdout.strip() else None
        return result.exit_code, summary, result.output
    return invoke


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
    manifest = stored_manifest(read_tree(root))
    assert manifest == {p: [hashlib.sha256(b).hexdigest(), len(b)] for p, b in site_on(root).items()}


def interrupt(site: Path, stop_after: int) -> None:
    """Deploy ``site`` and kill -9 it once it staged upload number stop_after + 1."""
    kill_when_stopped(start(site, **{STOP_AFTER_ENV: str(stop_after)}))


ISSUE = pytest.param(120, None, 60, marks=pytest.mark.slow, id="the issue's site")
SMALL = pytest.param(12, "4", 9, id="batches of 4")


@pytest.mark.parametrize(("posts", "batch", "stop_after"), [ISSUE, SMALL])
def test_a_rollback_after_an_interrupted_deploy_leaves_no_page_of_the_interrupted_build(
        make_site, tmp_path, deploy, monkeypatch, posts, batch, stop_after):
    """Issue 18 item 2, incident 1: v2's deploy is killed after 60 uploads, in
    its second batch; the pages of that batch already renamed into place hold
    v2. Deploying v1 again must replace them: before the journal named the
    paths a batch touches, they were taken to hold the old manifest's v1 and
    skipped, leaving a site that mixes two builds under a manifest that says v1."""
    if batch:
        monkeypatch.setenv(BATCH_ENV, batch)
    root = tmp_path / "www"
    v1, v2 = make(make_site, root, "v1", posts), make(make_site, root, "v2", posts)
    assert deploy(v1)[0] == 0
    interrupt(v2, stop_after)
    mixed = [p for p, b in site_on(root).items() if b"(v2)" in b]
    assert mixed, "the interrupted deploy renamed pages of v2 into place"
    code, again, output = deploy(v1, "--json")
    assert code == 0, output
    assert set(again["files_uploaded"]) >= set(mixed)
    assert_holds(root, v1)
    assert not [p for p, b in site_on(root).items() if b"(v2)" in b]
    code, last, output = deploy(v1, "--json")
    assert code == 0 and last["uploaded"] == 0, output


def test_the_same_build_after_an_interrupted_deploy_completes_it_without_starting_over(
        make_site, tmp_path, deploy, monkeypatch):
    """The journal still spares the next deploy the batches that completed: the
    13 pages go in batches of 4 (the assets did not change); killed after 9
    uploads, in the third batch, whose pages and the last one are all that is
    sent again."""
    monkeypatch.setenv(BATCH_ENV, "4")
    root = tmp_path / "www"
    v1, v2 = make(make_site, root, "v1"), make(make_site, root, "v2")
    assert deploy(v1)[0] == 0
    interrupt(v2, 9)
    code, again, output = deploy(v2, "--json")
    assert code == 0, output
    assert again["files_uploaded"] == [f"posts/{n:03d}/index.html" for n in range(7, 12)]
    assert_holds(root, v2)


def write_points(site: Path, log: Path) -> list[str]:
    """Deploy ``site``, logging every remote write (ssg/deploy/crashpoints.py)."""
    process = start(site, **{OPS_LOG_ENV: str(log)})
    assert process.wait(DEADLINE) == 0, process.communicate(timeout=DEADLINE)
    return log.read_text().splitlines()


@pytest.mark.parametrize("after", ["the journal of the deletes", "the delete"])
def test_an_interrupted_delete_is_repaired_by_the_previous_build(make_site, tmp_path, deploy, after):
    """A path the interrupted deploy deleted, or was about to delete, is not
    taken to be there still: the previous build, which has it, uploads it."""
    v1 = make(make_site, tmp_path / "www", "v1", **{"public/old/index.html": "<p>old</p>\n"})
    assert deploy(v1)[0] == 0
    rehearsal = make(make_site, tmp_path / "rehearsal", "v2")
    assert deploy(make(make_site, tmp_path / "rehearsal", "v1", **{"public/old/index.html": "<p>old</p>\n"}))[0] == 0
    points = write_points(rehearsal, tmp_path / "ops.log")
    deleted = next(n for n, line in enumerate(points, 1) if line.endswith(" delete old/index.html"))
    stop = deleted if after == "the delete" else deleted - 1
    assert points[stop - 1].split()[1] == ("delete" if after == "the delete" else "commit"), points[stop - 1]
    v2 = make(make_site, tmp_path / "www", "v2")
    kill_when_stopped(start(v2, **{STOP_AFTER_OPS_ENV: str(stop)}))
    assert (tmp_path / "www/old/index.html").exists() == (after != "the delete")
    code, again, output = deploy(v1, "--json")
    assert code == 0, output
    assert "old/index.html" in again["files_uploaded"]
    assert_holds(tmp_path / "www", v1)


def test_leftover_temporary_files_of_ssg_never_block_a_deploy_and_are_removed(make_site, tmp_path, deploy):
    """Issue 18 item 3: a journal segment or manifest half-written by a deployer
    that was killed between upload and rename is not ssg's state: --status,
    --verify and the next deploy work, and the deploy removes them (under the lock)."""
    root = tmp_path / "www"
    v1, v2 = make(make_site, root, "v1"), make(make_site, root, "v2")
    assert deploy(v1)[0] == 0
    leftovers = [root / ".ssg-deploy/journal/.0000000002-00003.json.ssg-0123456789ab.tmp",
                 root / ".ssg-deploy/.manifest.json.ssg-0123456789ab.tmp"]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{"format": 1, "files": {"posts/000/ind')
    code, status, output = deploy(v1, "--status", "--json")
    assert code == 0 and "interrupted_deploy" not in status, output
    code, verified, output = deploy(v1, "--verify", "--json")
    assert code == 0 and verified["uploaded"] == 0, output
    assert not [p for p in leftovers if p.exists()]
    for path in leftovers:
        path.write_text("{")
    code, _summary, output = deploy(v2)
    assert code == 0, output
    assert not [p for p in leftovers if p.exists()]
    assert_holds(root, v2)


def test_put_checks_the_lease_between_the_upload_and_the_rename(tmp_path):
    """Issue 18 item 3: a deployer that stalled after uploading a journal segment
    (or the manifest, or its lease record) and lost its lease meanwhile does not
    rename it into place."""
    from urllib.parse import urlsplit

    from ssg_plugins.deploy_file import FileTarget

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


def test_paths_in_the_targets_state_that_lead_outside_are_ignored(make_site, tmp_path, deploy):
    """Issue 19 (class 3): the manifest and journal come from the target, so
    their paths are input: one that leads out of the site (.., absolute, a NUL)
    is neither deleted nor trusted, and the deploy says so."""
    root = tmp_path / "www"
    v1, v2 = make(make_site, root, "v1"), make(make_site, root, "v2")
    assert deploy(v1)[0] == 0
    victims = {tmp_path / "victim.txt": b"keep me\n", tmp_path / "other/victim.txt": b"me too\n"}
    for path, data in victims.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    record = json.loads((root / ".ssg-deploy/manifest.json").read_bytes())
    entry = [hashlib.sha256(b"keep me\n").hexdigest(), 8]
    for path in ("../victim.txt", str(tmp_path / "other/victim.txt"), "posts/a\u0000b"):
        index = shard_of(path, record["shards"])
        shard = next((root / ".ssg-deploy/manifest").glob(f"{record['shards']}-{index}-*.json"),
                     root / shard_path(record["shards"], index, record["token"], record["deploy_id"]))
        body = json.loads(shard.read_bytes()) if shard.exists() else {"format": 1, "files": {}}
        body["files"][path] = entry
        shard.write_text(json.dumps(body))
    segment = root / f".ssg-deploy/journal/{int(record['token']) + 1:010d}-00001.json"
    segment.parent.mkdir(parents=True, exist_ok=True)
    segment.write_text(json.dumps({"format": 1, "files": {}, "touching": ["../other/victim.txt", "posts/../../x"],
                                   "pending": ["../victim.txt"]}))
    code, _summary, output = deploy(v2)
    assert code == 0, output
    assert {path: path.read_bytes() for path in victims} == victims, "a file outside the target was touched"
    assert says(output, "names 5 paths that are not a safe relative path"), output
    assert "they were ignored" in output
    assert_holds(root, v2)


class _Bytes:
    """A target that only holds bytes (what read_state reads: read and list_folder)."""

    def __init__(self, files: dict[str, bytes]):
        self.files = files

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def list_folder(self, folder: str) -> list[str]:
        return sorted(p[len(folder) + 1:] for p in self.files if p.startswith(folder + "/")
                      and "/" not in p[len(folder) + 1:])


_PATHS = st.one_of(st.sampled_from(["index.html", "../x", "/etc/passwd", "a//b", "a/./b", "a\\b", "a\x00b", "",
                                    "posts/../../x", "é/ok.html", "x" * 300]), st.text(max_size=40))
_ENTRY = st.one_of(st.tuples(st.text(max_size=70), st.integers(-5, 10**6)).map(list), st.none(), st.integers(),
                   st.text(max_size=5))
_BODY = st.fixed_dictionaries({"format": st.one_of(st.just(1), st.integers(), st.none()),
                               "deleted": st.one_of(st.lists(_PATHS, max_size=3), st.integers()),
                               "token": st.one_of(st.integers(0, 5), st.text(max_size=3), st.none()),
                               "shards": st.one_of(st.none(), st.integers(-1, 3), st.text(max_size=2)),
                               "files": st.one_of(st.dictionaries(_PATHS, _ENTRY, max_size=6), st.lists(_PATHS),
                                                  st.none()),
                               "touching": st.one_of(st.lists(_PATHS, max_size=4), st.text(max_size=5)),
                               "pending": st.one_of(st.lists(_PATHS, max_size=4), st.none())})
_DATA = st.one_of(_BODY.map(lambda body: json.dumps(body).encode()), st.binary(max_size=200))


@settings(max_examples=300, deadline=None)
@given(manifest=_DATA, shards=st.lists(_DATA, max_size=2), deltas=st.lists(_DATA, max_size=2),
       segments=st.lists(_DATA, max_size=3))
def test_fuzz_the_targets_deploy_state(manifest, shards, deltas, segments):
    """Issue 19 (class 3): whatever bytes the target's manifest and journal hold,
    reading them either says they are unreadable (DeployError, exit 1 with
    advice) or gives a state in which, once unsafe paths are set aside,
    every path is a safe relative path."""
    files = {".ssg-deploy/manifest.json": manifest}
    files.update({f".ssg-deploy/manifest/{len(shards)}-{n}-{n:010d}-0123456789ab.json": data
                  for n, data in enumerate(shards)})
    files.update({f".ssg-deploy/deltas/{1 + n:010d}.json": data for n, data in enumerate(deltas)})
    files.update({f".ssg-deploy/journal/{3 + n:010d}-{n:05d}.json": data for n, data in enumerate(segments)})
    try:
        state = read_state(_Bytes(files))
    except DeployError as error:
        assert error.hint
        return
    set_aside_unsafe(state)
    paths = [*state.manifest, *state.files, *state.unknown, *state.leftover_temps]
    assert not bad_paths(paths), paths
