"""Every crash point of a deploy, on every protocol (issue 18; INCIDENTS.md
incident 1), in the manner of ALICE and CrashMonkey: a deploy of build v2
over v1 is run once counting its remote writes (uploads, renames, deletes,
journal, manifest and lock writes: ssg/deploy/crashpoints.py); then for every
write N in turn, a deployer is stopped right after write N and

- killed (kill -9), after which the same build (v2), the previous build (v1)
  and a third build (v3) are each deployed from that very state, or
- left stalled past its lease while another deployer takes over and
  publishes, then resumed (SIGCONT): it must make no remote write at all.
  The build the other deployer publishes goes round v2, v1, v3 from point
  to point (what the stalled one does on waking does not depend on it; the
  kill -9 runs deploy all three from every point).

After each deploy the target holds that build byte for byte, its manifest
says exactly that, and one more deploy sends nothing.

A stall "past the lease" moves every deployer's clock forward an hour
(SSG_TEST_CLOCK_FILE) instead of waiting one out; test_deploy_faults.py
replays incident 1 with real leases running out.

The site is small (a few files, two per batch: three upload batches, a
delete, an unchanged file), which keeps the run time in budget without
skipping any point. To run it against more servers, add their kind to
KINDS: all it needs from deploy_servers.Servers.remote(kind) is a fresh
target per call with ``seed`` and ``writes`` (folder_remote gives both to any
server that stores into a local folder)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from pathlib import Path

import pytest
from deploy_forks import Forked
from deploy_servers import Remote, Servers, stored_manifest
from real_servers import REAL_KINDS

from ssg.deploy.crashpoints import BATCH_ENV, CLOCK_ENV, OPS_LOG_ENV, SHARD_BYTES_ENV, STOP_AFTER_OPS_ENV

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.timeout(1800)]

KINDS = ["file", "ftp", "sftp", "s3", *REAL_KINDS]
CRASH_BUCKET = "ssg-deploy-crash"          # versioned: every write is a version to count
DEADLINE = 60
LATER = "3600"                             # seconds the stalled deployer's world moves on
A_SLOT = ".ssg-deploy/lock/0000000002"     # the stalled deployer's lease slot (v1's deploy had the first)

BUILDS = {
    "v1": {"css/a.css": "a { color: red }\n", "js/b.js": "b(1)\n", "same.txt": "unchanged\n",
           "index.html": "<h1>home v1</h1>\n", "p/1.html": "<p>one v1</p>\n", "p/2.html": "<p>two v1</p>\n",
           "old.html": "<p>old, only in v1 and v3</p>\n"},
    "v2": {"css/a.css": "a { color: green }\n", "js/b.js": "b(2)\n", "same.txt": "unchanged\n",
           "index.html": "<h1>home v2</h1>\n", "p/1.html": "<p>one v2</p>\n", "p/2.html": "<p>two v2</p>\n",
           "new.html": "<p>new in v2</p>\n"},
    "v3": {"css/a.css": "a { color: blue }\n", "js/b.js": "b(1)\n", "same.txt": "unchanged\n",
           "index.html": "<h1>home v2</h1>\n", "p/1.html": "<p>one v3</p>\n",
           "old.html": "<p>old, only in v1 and v3</p>\n"},
}


# Shards of this many bytes make the manifest of these builds three shards, so every
# commit writes several, one by one, before its record (ssg/deploy/shards.py).
SHARD_BYTES = "250"
# The splitting run: v1 is deployed with one shard, and v2's deploy splits the
# manifest into three and removes the one before.
SPLIT_KINDS = ["file"]        # a split uses the same remote operations as every commit; those are enumerated
                              # on every protocol above


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    started = Servers(tmp_path_factory.mktemp("servers"))
    yield started
    started.stop()


class Bench:
    """One protocol's targets, sites and deploys for a test."""

    def __init__(self, kind: str, servers: Servers, tmp_path: Path, make_site, cli, monkeypatch, split=False):
        self.kind, self.servers, self.tmp_path, self.split = kind, servers, tmp_path, split
        monkeypatch.setenv(SHARD_BYTES_ENV, SHARD_BYTES)
        self.make_site, self.cli, self.monkeypatch = make_site, cli, monkeypatch
        self.clock = tmp_path / "clock"
        self.clock.write_text("0")
        monkeypatch.setenv(BATCH_ENV, "2")
        self.started = 0

    def target(self, seed: dict[str, bytes] | None = None) -> Remote:
        remote = (self.servers.get("s3").remote(CRASH_BUCKET) if self.kind == "s3"
                  else self.servers.remote(self.kind, self.tmp_path))
        for key, value in remote.env.items():
            self.monkeypatch.setenv(key, value)
        if seed:
            remote.seed(seed)
        return remote

    def site(self, remote: Remote, build: str) -> Path:
        config = 'title = "T"\nbase_url = "https://example.org/"\n\n' + remote.toml(jobs="1")
        return self.make_site({f"public/{p}": body for p, body in self.build(build).items()}, config=config)

    def build(self, name: str) -> dict[str, str]:
        return BUILDS[name]

    def deploy(self, site: Path, *args: str) -> dict:
        result = self.cli("deploy", "-s", str(site), "--json", *args)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def start(self, site: Path, remote: Remote, **env: str) -> Forked:
        self.started += 1
        return Forked(["deploy", "-s", str(site)], {**os.environ, **remote.env, CLOCK_ENV: str(self.clock), **env},
                      self.tmp_path / "deployers" / str(self.started))

    def stopped_at(self, point: int, site: Path, remote: Remote) -> Forked:
        process = self.start(site, remote, **{STOP_AFTER_OPS_ENV: str(point)})
        deadline = time.monotonic() + DEADLINE
        while not stopped(process):
            assert process.poll() is None, ("the deployer ended before its crash point", process.communicate())
            assert time.monotonic() < deadline, "the deployer never reached its crash point"
            time.sleep(0.01)
        return process


def stopped(process: Forked) -> bool:
    try:
        return Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
    except FileNotFoundError:
        return False


def check(bench: Bench, remote: Remote, build: str, site: Path, where: str) -> None:
    """The target holds ``build`` byte for byte, the manifest says so, nothing of
    ssg's is left over, and one more deploy sends nothing."""
    expected = {p: body.encode() for p, body in bench.build(build).items()}
    stored = remote.read_all()
    assert remote.files() == expected, where
    manifest = stored_manifest(stored)
    assert manifest == {p: [hashlib.sha256(b).hexdigest(), len(b)] for p, b in expected.items()}, where
    count = json.loads(stored[".ssg-deploy/manifest.json"])["shards"]
    shards = [p.rsplit("/", 1)[1].split("-") for p in stored if p.startswith(".ssg-deploy/manifest/")]
    leftovers = [p for p in stored if p.endswith(".tmp") or p.startswith(".ssg-deploy/journal/")]
    leftovers += [shard for shard in shards if shard[0] != str(count)]
    leftovers += [index for index in {shard[1] for shard in shards} if [s[1] for s in shards].count(index) > 1]
    assert not leftovers, (where, leftovers)
    again = bench.deploy(site)
    assert (again["uploaded"], again["deleted"]) == (0, 0), (where, again)


def crash_points(bench: Bench, start: dict[str, bytes]) -> list[str]:
    """v2 over v1 once, every remote write logged."""
    remote = bench.target(start)
    log = bench.tmp_path / "ops.log"
    process = bench.start(bench.site(remote, "v2"), remote, **{OPS_LOG_ENV: str(log)})
    _out, errors = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, errors
    return log.read_text().splitlines()


def v1_deployed(bench: Bench) -> dict[str, bytes]:
    remote = bench.target()
    if bench.split:
        bench.monkeypatch.setenv(SHARD_BYTES_ENV, "100000")
    bench.deploy(bench.site(remote, "v1"))
    bench.monkeypatch.setenv(SHARD_BYTES_ENV, SHARD_BYTES)
    stored = remote.read_all()
    assert len([p for p in stored if p.startswith(".ssg-deploy/manifest/")]) == (1 if bench.split else 3)
    return stored


@pytest.mark.parametrize("kind,split", [(kind, False) for kind in KINDS] + [(kind, True) for kind in SPLIT_KINDS])
def test_kill_9_at_every_write_then_any_build_deploys_exactly(kind, split, servers, tmp_path, make_site, cli,
                                                             monkeypatch):
    """The commit writes three shards, then the record, then removes the shards
    they replace; split: v2's deploy splits the manifest anew (one shard to
    three), so it writes every shard and removes the one before."""
    bench = Bench(kind, servers, tmp_path, make_site, cli, monkeypatch, split)
    start = v1_deployed(bench)
    points = crash_points(bench, start)
    shards = [point for point in points if " .ssg-deploy/manifest/" in point]
    replaced = {point.rsplit(" ", 1)[-1] for point in shards if " delete " in point}
    assert replaced and replaced <= set(start) and (len(replaced) == 1 or not split), points    # v1's shards
    assert len({point.rsplit(" ", 1)[-1] for point in shards if " delete " not in point}) >= 3, points
    started = time.monotonic()
    for number, point in enumerate(points, 1):
        remote = bench.target(start)
        killed = bench.stopped_at(number, bench.site(remote, "v2"), remote)
        killed.send_signal(signal.SIGKILL)
        killed.wait(DEADLINE)
        crashed = remote.read_all()
        for build, target in (("v2", remote), ("v1", bench.target(crashed)), ("v3", bench.target(crashed))):
            site = bench.site(target, build)
            bench.deploy(site)
            check(bench, target, build, site, f"{kind}: killed after write {point}, then {build} deployed")
    print(f"\n{kind}: {len(points)} crash points, kill -9 and three builds each: "
          f"{time.monotonic() - started:.1f} s")


@pytest.mark.parametrize("kind", KINDS)
def test_stalled_at_every_write_past_its_lease_writes_nothing_after_a_takeover(kind, servers, tmp_path, make_site,
                                                                              cli, monkeypatch):
    """Incident 1 at every point: deployer A (v2) stalls after write N for longer
    than its lease; B takes over and publishes (v2, v1 or v3 in turn); A resumes
    and must not change anything on the server, which keeps B's build."""
    bench = Bench(kind, servers, tmp_path, make_site, cli, monkeypatch)
    start = v1_deployed(bench)
    points = crash_points(bench, start)
    started = time.monotonic()
    for number, point in enumerate(points, 1):
        for build in (("v2", "v1", "v3")[number % 3],):
            remote = bench.target(start)
            stalled = bench.stopped_at(number, bench.site(remote, "v2"), remote)
            holder = any(p == A_SLOT or p.startswith(A_SLOT + "/") for p in remote.read_all())
            bench.clock.write_text(LATER)
            monkeypatch.setenv(CLOCK_ENV, str(bench.clock))
            try:
                site = bench.site(remote, build)
                bench.deploy(site)
            finally:
                monkeypatch.delenv(CLOCK_ENV)
                before = remote.writes()
                stalled.send_signal(signal.SIGCONT)
                _out, errors = stalled.communicate(timeout=DEADLINE)
                bench.clock.write_text("0")
            where = f"{kind}: stalled after write {point}, {build} deployed meanwhile"
            if holder:      # it had taken the lock: fenced off, not one more write
                assert remote.writes() == before, (where, errors)
                assert stalled.returncode == 0 or "lost the deploy lock" in errors, (where, errors)
                check(bench, remote, build, site, where)
            else:           # it stalled before taking the lock: it takes it after B and publishes v2
                assert stalled.returncode == 0, (where, errors)
                check(bench, remote, "v2", bench.site(remote, "v2"), where)
    print(f"\n{kind}: {len(points)} crash points, stalled past the lease: "
          f"{time.monotonic() - started:.1f} s")
