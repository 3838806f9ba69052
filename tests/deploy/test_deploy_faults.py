"""Fault scenarios of INCIDENTS.md incident 1, on every protocol, with real
`ssg deploy` processes against real servers on 127.0.0.1: a second deploy
while one runs, a deployer paused past its lease while another takes over
(the incident replayed), and kill -9 in the middle of a deploy.

A deployer is paused at the most delicate moment, after staging an upload and
before renaming it into place, through the SSG_TEST_STOP_AFTER_UPLOADS hook
(it SIGSTOPs itself); the test then resumes it (SIGCONT) or kills it (SIGKILL)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from deploy_servers import Remote, Servers, published, stored_manifest
from real_servers import REAL_KINDS

from ssg.deploy.publish import STOP_AFTER_ENV

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

KINDS = ["file", "ftp", "ftps", "sftp", "s3", *REAL_KINDS]
HOST = socket.gethostname()
# Leases: long wherever a lease must not run out while the test works (however
# slow the machine); short only where the test wants it to run out, and even
# then renewed every 1.3 s and given up 0.7 s before its end, so a deployer
# stalled by the machine for about two seconds still reaches its pause point.
# Whatever waits for a lease to run out asks the target (`ssg deploy --status`)
# instead of sleeping a fixed time.
LONG_LEASE, SHORT_LEASE = "120", "4"
DEADLINE = 120                     # seconds; a loaded machine gets there long before


def site_files(version: str, pages: int = 120) -> dict[str, str]:
    files = {f"public/posts/{n:03d}/index.html": f"<p>post {n} {version}</p>\n" for n in range(pages)}
    files.update({f"public/assets/{n:03d}.css": f".c{n} {{ color: #{n:03d} }} /* {version} */\n" for n in range(20)})
    files["public/index.html"] = f"<h1>home {version}</h1>\n"
    return files


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    started = Servers(tmp_path_factory.mktemp("servers"))
    yield started
    started.stop()


@pytest.fixture(params=KINDS)
def remote(request, servers, tmp_path) -> Remote:
    return servers.remote(request.param, tmp_path)


def make(make_site, remote: Remote, version: str, lease: str, **options: str) -> Path:
    config = 'title = "T"\nbase_url = "https://example.org/"\n\n' + remote.toml(lease_seconds=lease, **options)
    return make_site(site_files(version), config=config)


def start(remote: Remote, site: Path, *args: str, stop_after: int | None = None) -> subprocess.Popen:
    env = {**os.environ, **remote.env}
    if stop_after is not None:
        env[STOP_AFTER_ENV] = str(stop_after)
    return subprocess.Popen([sys.executable, "-m", "ssg", "deploy", "-s", str(site), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def run(remote: Remote, site: Path, *args: str) -> subprocess.CompletedProcess:
    process = start(remote, site, *args)
    stdout, stderr = process.communicate(timeout=DEADLINE)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def paused(process: subprocess.Popen) -> bool:
    try:
        return Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
    except FileNotFoundError:
        return False


def wait_stopped(process: subprocess.Popen, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        if paused(process):
            return
        time.sleep(0.02)
    raise AssertionError("the deployer never reached its pause point")


def wait_lease_out(remote: Remote, site: Path, timeout: float = DEADLINE) -> None:
    """Until the target's status says the lock is free: the lease of a deployer
    that is paused or dead has run out (the lease itself, not a guess at it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = run(remote, site, "--status", "--json")
        assert status.returncode == 0, status.stderr
        if not json.loads(status.stdout)["locked"]:
            return
        time.sleep(0.2)
    raise AssertionError(f"the lease did not run out within {timeout} s")


def set_lease(site: Path, seconds: str) -> None:
    config = site / "ssg.toml"
    config.write_text(re.sub(r"(?m)^lease_seconds = .*$", f"lease_seconds = {seconds}", config.read_text()))


def assert_remote_is(remote: Remote, site: Path) -> None:
    """The stored tree equals the build, byte for byte, nothing stray, and the
    manifest's hashes are those of the stored bytes."""
    stored = remote.read_all()
    assert remote.files() == published(site)
    manifest = stored_manifest(stored)
    assert manifest == {p: [hashlib.sha256(b).hexdigest(), len(b)] for p, b in remote.files().items()}
    assert not [p for p in stored if p.endswith(".tmp")], "temporary files left behind"
    assert not [p for p in stored if p.startswith(".ssg-deploy/journal/")], "journal left behind"


def test_second_deploy_is_refused_while_the_first_runs(make_site, remote):
    """Incident 1, steps 5-7: a retry while a deploy runs must be refused, on the
    same machine (local lock) and from another checkout or machine (remote lease)."""
    first = make(make_site, remote, "v1", lease=LONG_LEASE)
    other_checkout = make(make_site, remote, "v1", lease=LONG_LEASE)
    running = start(remote, first, stop_after=3)
    try:
        wait_stopped(running)
        for site in (other_checkout, first):
            refused = run(remote, site)
            assert refused.returncode == 1, refused.stderr
            assert f"locked by {HOST} pid {running.pid} since " in refused.stderr
        status = run(remote, other_checkout, "--status")
        assert status.returncode == 0 and f"locked by {HOST} pid {running.pid}" in status.stdout
    finally:
        running.send_signal(signal.SIGCONT)
    assert running.wait(DEADLINE) == 0, running.communicate()
    assert_remote_is(remote, first)


def test_deploys_started_at_once_from_three_checkouts_exactly_one_publishes(make_site, remote):
    """Incident 1: two (here three) deploys racing for one target. Each would
    pause after its first upload; only the one holding the lock gets there."""
    sites = [make(make_site, remote, "v1", lease=LONG_LEASE) for _ in range(3)]
    racers = [start(remote, site, stop_after=1) for site in sites]
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline and not all(r.poll() is not None or paused(r) for r in racers):
        time.sleep(0.02)
    winners = [r for r in racers if r.poll() is None]
    try:
        assert len(winners) == 1, [r.poll() for r in racers]
        for loser in racers:
            if loser is not winners[0]:
                _out, errors = loser.communicate(timeout=DEADLINE)
                assert loser.returncode == 1 and f"locked by {HOST} pid {winners[0].pid} since " in errors, errors
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.send_signal(signal.SIGCONT)
    assert winners[0].wait(DEADLINE) == 0, winners[0].communicate()
    assert_remote_is(remote, sites[0])


def test_incident_1_replayed_a_paused_deployer_is_fenced_after_a_takeover(make_site, remote):
    """Incident 1: deployer A stalls mid-upload (SIGSTOP) past its lease; B takes
    over, removes A's temporary files under the lock and publishes a newer
    build; A resumes and must stop before writing again: no file holds A's
    (older) bytes and the server sees no write from A at all.

    A uploads one file at a time (``jobs = 1``), so its pause point is exact:
    right after staging an upload, before its rename. (With parallel workers a
    second worker caught between its lease check and its upload request sends
    that request when resumed: docs/deploy.md, Limits.)"""
    old = make(make_site, remote, "v1", lease=SHORT_LEASE, jobs="1")
    new = make(make_site, remote, "v2", lease=LONG_LEASE)     # B's own lease: it must not run out while B works
    stalled = start(remote, old, stop_after=5)
    try:
        wait_stopped(stalled)
        if remote.kind != "s3":                                # S3 stages in memory: one PUT later
            assert [p for p in remote.read_all() if p.endswith(".tmp")], "A's staged upload is on the server"
        wait_lease_out(remote, new)                            # A's lease runs out while it is paused
        taker = run(remote, new)
        assert taker.returncode == 0, taker.stderr
        assert f"took over the expired lock of {HOST} pid {stalled.pid}" in taker.stderr
        assert_remote_is(remote, new)                          # A's temporary files removed by B, under the lock
        before = remote.writes()
    finally:
        stalled.send_signal(signal.SIGCONT)
    _out, errors = stalled.communicate(timeout=DEADLINE)
    assert stalled.returncode == 1, errors
    assert "lost the deploy lock" in errors and "stopped before writing again" in errors
    assert remote.writes() == before, "the fenced deployer wrote to the server after losing its lease"
    assert_remote_is(remote, new)
    assert all(b"v2" in body for path, body in remote.files().items())


def test_kill_9_mid_deploy_then_the_next_deploy_uploads_only_the_rest(make_site, remote):
    """Incident 1's other half: a deployer that dies holding the lock is
    recovered from, and the next deploy completes its work without starting over."""
    site = make(make_site, remote, "v1", lease=LONG_LEASE)
    killed = start(remote, site, stop_after=70)
    wait_stopped(killed)
    killed.kill()
    killed.wait(DEADLINE)
    stored = remote.read_all()
    journaled = set()
    for path, body in stored.items():
        if path.startswith(".ssg-deploy/journal/"):
            journaled |= set(json.loads(body)["files"])
    assert journaled and journaled <= set(remote.files())
    status = run(remote, site, "--status")
    assert f"locked by {HOST} pid {killed.pid}" in status.stdout and "its process is gone" in status.stdout
    finisher = run(remote, site, "--json")
    assert finisher.returncode == 0, finisher.stderr
    result = json.loads(finisher.stdout)
    assert result["took_over_from"].startswith(f"{HOST} pid {killed.pid} ")   # no wait for the lease: A is dead
    assert set(result["files_uploaded"]) == set(published(site)) - journaled
    assert_remote_is(remote, site)


def test_an_interrupted_copy_of_the_site_is_not_needed_to_finish(make_site, remote, tmp_path):
    """The next deploy may come from another checkout (another CI runner)."""
    site = make(make_site, remote, "v1", lease=SHORT_LEASE)
    killed = start(remote, site, stop_after=10)
    wait_stopped(killed)
    killed.kill()
    killed.wait(DEADLINE)
    elsewhere = tmp_path / "checkout-2"
    shutil.copytree(site, elsewhere)
    set_lease(elsewhere, LONG_LEASE)                           # the finisher's own lease must not run out while it works
    wait_lease_out(remote, elsewhere)                          # another host cannot see that A died: wait the lease out
    finisher = run(remote, elsewhere)
    assert finisher.returncode == 0, finisher.stderr
    assert_remote_is(remote, elsewhere)
