"""`ssg deploy` against real servers on 127.0.0.1 (deploy_servers.py): one
shared suite runs on every target and checks the bytes actually stored.

Incident 1 (INCIDENTS.md) is why the lock tests exist: a deploy whose lock
was removed by someone else's error handler ran alongside a second deploy
and replaced files with other files' bytes."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path

import pytest
from deploy_servers import Remote, Servers, published
from real_servers import REAL_KINDS

from ssg.config.site import read_config
from ssg.deploy import runner
from ssg.deploy.lease import Lease
from ssg.deploy.redact import Redactor
from ssg.deploy.registry import deploy_targets
from ssg.deploy.settings import resolve_target
from ssg.plugins.manager import Plugins
from ssg.runtime.lock import LockedError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")   # pyftpdlib imports asyncore

ALL_KINDS = ["file", "ftp", "ftps", "sftp", "s3", "memory", *REAL_KINDS]
# moto checks conditions then writes, and memory:// emulates "xb" the same way:
# races are proven on the stores whose exclusive create is atomic.
ATOMIC_KINDS = ["file", "ftp", "ftps", "sftp", *REAL_KINDS]

SITE = {
    "public/index.html": "<h1>home</h1>\n",
    "public/about/index.html": "<h1>about</h1>\n",
    "public/css/site.css": "body { color: black }\n",
    "public/js/app.js": "console.log('app')\n",
    "public/img/logo.png": bytes(range(256)) * 40,
    "public/posts/a/index.html": "<p>a</p>\n",
    "public/posts/b/index.html": "<p>b</p>\n",
    "public/empty.txt": "",
}


@pytest.fixture(scope="module")       # not session: vsftpd, pure-ftpd and sshd are child processes, and
def servers(tmp_path_factory):        # tests/runtime/test_parallel.py checks this process has no child left
    started = Servers(tmp_path_factory.mktemp("servers"))
    yield started
    started.stop()


@pytest.fixture(params=ALL_KINDS)
def remote(request, servers, tmp_path, monkeypatch) -> Remote:
    made = servers.remote(request.param, tmp_path)
    for key, value in made.env.items():
        monkeypatch.setenv(key, value)
    return made


@pytest.fixture(params=ATOMIC_KINDS)
def atomic_remote(request, servers, tmp_path, monkeypatch) -> Remote:
    made = servers.remote(request.param, tmp_path)
    for key, value in made.env.items():
        monkeypatch.setenv(key, value)
    return made


def deploy_site(make_site, remote: Remote, files: dict | None = None, **options: str) -> Path:
    config = 'title = "T"\nbase_url = "https://example.org/"\n\n' + remote.toml(**options)
    return make_site(dict(SITE if files is None else files), config=config)


def deploy(cli, site: Path, *args: str):
    return cli("deploy", "-s", str(site), *args)


def summary(result) -> dict:
    return json.loads(result.stdout)


def open_target(site: Path, name: str = "test"):
    raw = read_config(site)
    settings = resolve_target(raw, name, deploy_targets(Plugins().load(site)), Redactor())
    target = settings.open()
    target.connect()
    return target


# -- the shared suite: every target ------------------------------------------------------

def test_first_deploy_publishes_every_byte_and_the_next_sends_nothing(make_site, cli, remote):
    site = deploy_site(make_site, remote)
    first = deploy(cli, site, "--json")
    assert first.exit_code == 0, first.output
    assert remote.files() == published(site)
    assert summary(first)["uploaded"] == len(SITE) and summary(first)["bytes_sent"] > 10000
    again = deploy(cli, site, "--json")
    assert again.exit_code == 0, again.output
    assert summary(again) | {"seconds": 0} == summary(again) | {
        "uploaded": 0, "deleted": 0, "unchanged": len(SITE), "bytes_sent": 0, "seconds": 0}
    assert not [p for p in remote.read_all() if p.endswith(".tmp")], "no temporary file is left behind"


def test_only_changed_files_are_sent_assets_before_html_deletes_last(make_site, cli, remote):
    site = deploy_site(make_site, remote)
    assert deploy(cli, site).exit_code == 0
    (site / "public/css/site.css").write_text("body { color: red }\n")
    (site / "public/posts/c/").mkdir()
    (site / "public/posts/c/index.html").write_text("<p>c</p>\n")
    (site / "public/posts/b/index.html").unlink()
    result = deploy(cli, site, "--json")
    assert result.exit_code == 0, result.output
    assert summary(result)["files_uploaded"] == ["css/site.css", "posts/c/index.html"]
    assert summary(result)["files_deleted"] == ["posts/b/index.html"]
    assert remote.files() == published(site)


def local_state(site: Path) -> dict[str, tuple[bytes, int, int]]:
    """Every file of the site's .ssg/: its bytes, mtime and inode (a file written again has new ones)."""
    return {str(p.relative_to(site)): (p.read_bytes(), p.stat().st_mtime_ns, p.stat().st_ino)
            for p in (site / ".ssg").rglob("*") if p.is_file()}


def test_dry_run_writes_nothing_and_leaves_no_lock(make_site, cli, remote):
    site = deploy_site(make_site, remote)
    assert deploy(cli, site).exit_code == 0
    (site / "public/index.html").write_text("<h1>new home</h1>\n")
    (site / "public/about/index.html").unlink()
    before = remote.read_all()
    state = local_state(site)
    result = deploy(cli, site, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "upload index.html" in result.output and "delete about/index.html" in result.output
    assert "would upload 1, would delete 1" in result.output
    assert remote.read_all() == before
    assert local_state(site) == state, "a dry run writes nothing locally either (not the deploy's hash record)"
    assert "not locked" in deploy(cli, site, "--status").output


def test_max_deletes_is_fatal_before_anything_changes(make_site, cli, remote):
    site = deploy_site(make_site, remote, max_deletes="2")
    assert deploy(cli, site).exit_code == 0
    for rel in ("posts/a/index.html", "posts/b/index.html", "js/app.js"):
        (site / "public" / rel).unlink()
    (site / "public/index.html").write_text("changed\n")
    before = remote.files()
    result = deploy(cli, site)
    assert result.exit_code == 1
    assert "would delete 3 files" in result.output and "max_deletes = 2" in result.output
    assert "--max-deletes 3" in result.output
    assert remote.files() == before              # not even the changed page was uploaded
    assert deploy(cli, site, "--max-deletes", "3").exit_code == 0
    assert remote.files() == published(site)


def test_empty_or_missing_output_is_refused(make_site, cli, remote):
    site = deploy_site(make_site, remote)
    assert deploy(cli, site).exit_code == 0
    before = remote.read_all()
    for rel in SITE:
        (site / rel).unlink()
    empty = deploy(cli, site)
    assert empty.exit_code == 2 and "holds no files to publish" in empty.output
    import shutil

    shutil.rmtree(site / "public")
    missing = deploy(cli, site)
    assert missing.exit_code == 2 and "does not exist" in missing.output and "ssg build" in missing.output
    assert remote.read_all() == before


def test_verify_uploads_again_what_was_lost_on_the_target(make_site, cli, remote):
    site = deploy_site(make_site, remote)
    assert deploy(cli, site).exit_code == 0
    remote.remove("css/site.css")
    plain = deploy(cli, site, "--json")
    assert summary(plain)["uploaded"] == 0        # the manifest cannot see drift...
    verified = deploy(cli, site, "--verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert summary(verified)["files_uploaded"] == ["css/site.css"] and summary(verified)["repaired"] == 1
    assert remote.files() == published(site)


def test_a_live_lock_refuses_a_deploy_until_broken(make_site, cli, remote):
    """Incident 1: the lock is released only by its holder; others are refused."""
    site = deploy_site(make_site, remote)
    holder = Lease(open_target(site), 600, "f" * 32)
    holder.acquire(wait=False)
    refused = deploy(cli, site)
    assert refused.exit_code == 1
    assert f"locked by {socket.gethostname()} pid " in refused.output and " since " in refused.output
    assert remote.files() == {}
    status = deploy(cli, site, "--status")
    assert status.exit_code == 0 and "locked by" in status.output and "lease expires" in status.output
    no_force = deploy(cli, site, "--break-lock")
    assert no_force.exit_code == 1 and "refusing to break a live lock" in no_force.output
    forced = deploy(cli, site, "--break-lock", "--force")
    assert forced.exit_code == 0 and "broke the deploy lock" in forced.output
    with pytest.raises(LockedError.__mro__[1]):    # the old holder is fenced: it must not write again
        holder.verify()
    assert deploy(cli, site).exit_code == 0
    assert remote.files() == published(site)


# -- atomic primitives, raced for real -------------------------------------------------------

def race(count: int, action) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = action(index)
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
        assert not thread.is_alive(), "a racer did not finish within 120 s"
    return results


def test_exclusive_create_of_a_lease_slot_has_exactly_one_winner(make_site, atomic_remote):
    site = deploy_site(make_site, atomic_remote)
    targets = [open_target(site) for _ in range(6)]
    results = race(6, lambda i: targets[i].create_slot("0000000042", f"deployer {i}".encode()))
    assert sorted(map(repr, results)) == sorted(["True"] + ["False"] * 5), results
    winner = results.index(True)
    assert targets[0].read_slot("0000000042") == f"deployer {winner}".encode()


def test_deployers_racing_for_the_lock_exactly_one_gets_it(make_site, atomic_remote):
    site = deploy_site(make_site, atomic_remote)
    leases = [Lease(open_target(site), 600, f"{i:032d}") for i in range(5)]
    results = race(5, lambda i: leases[i].acquire(wait=False) or "acquired")
    assert results.count("acquired") == 1, results
    assert all(isinstance(r, LockedError) for r in results if r != "acquired"), results


def test_an_existing_lease_slot_is_never_created_twice(make_site, remote):
    site = deploy_site(make_site, remote)
    first, second = open_target(site), open_target(site)
    assert first.create_slot("0000000007", b"first") is True
    assert second.create_slot("0000000007", b"second") is False
    assert second.read_slot("0000000007") == b"first"
    assert second.list_slots() == ["0000000007"]


def test_s3_renews_a_lease_slot_only_if_it_is_unchanged(make_site, servers, tmp_path, monkeypatch):
    """If-Match on the ETag the holder wrote: a renewal never overwrites a slot someone else rewrote."""
    remote = servers.remote("s3", tmp_path)
    for key, value in remote.env.items():
        monkeypatch.setenv(key, value)
    site = deploy_site(make_site, remote)
    holder, other = open_target(site), open_target(site)
    assert holder.create_slot("0000000001", b"holder")
    holder.write_slot("0000000001", b"holder renewed", "d" * 32)
    other._etags[other._key(other.slot_path("0000000001"))] = '"0123456789abcdef0123456789abcdef"'
    from ssg.api import DeployError

    with pytest.raises(DeployError):
        other.write_slot("0000000001", b"intruder", "e" * 32)
    assert holder.read_slot("0000000001") == b"holder renewed"


def test_wait_queues_behind_the_holder_instead_of_failing(make_site, cli, tmp_path, monkeypatch):
    remote = Servers(tmp_path).remote("file", tmp_path)
    site = deploy_site(make_site, remote)
    holder = Lease(open_target(site), 600, "a" * 32)
    holder.acquire(wait=False)
    waiting = threading.Event()

    class Observed(Lease):
        """The deploy's lease, telling the test when the deploy starts to wait."""

        def acquire(self, *, wait: bool, on_wait=None):
            def announce(who) -> None:
                if on_wait is not None:
                    on_wait(who)
                waiting.set()
            return super().acquire(wait=wait, on_wait=announce)

    monkeypatch.setattr(runner, "Lease", Observed)

    def release_once_waited() -> None:     # not after a fixed delay: a slow deploy might not be waiting yet
        waiting.wait(120)
        holder.release()

    releaser = threading.Thread(target=release_once_waited, daemon=True)
    releaser.start()
    try:
        result = deploy(cli, site, "--wait")
    finally:
        waiting.set()
        releaser.join(120)
    assert result.exit_code == 0, result.output
    assert f"waiting for the deploy lock, held by {socket.gethostname()} pid " in result.output
    assert remote.files() == published(site)


def test_json_reports_a_refusal_and_the_status(make_site, cli, tmp_path):
    remote = Servers(tmp_path).remote("file", tmp_path)
    site = deploy_site(make_site, remote)
    holder = Lease(open_target(site), 600, "b" * 32)
    holder.acquire(wait=False)
    refused = deploy(cli, site, "--json")
    assert refused.exit_code == 1
    error = json.loads(refused.stdout)
    assert error["ok"] is False and "locked by" in error["error"]["message"]
    status = json.loads(deploy(cli, site, "--status", "--json").stdout)
    assert status["locked"] is True and status["deploy_id"] == "b" * 32 and status["token"] == 1
    holder.release()
    assert json.loads(deploy(cli, site, "--status", "--json").stdout)["locked"] is False


def test_a_no_op_deploy_writes_nothing_but_its_lock(make_site, cli, tmp_path):
    remote = Servers(tmp_path).remote("file", tmp_path)
    site = deploy_site(make_site, remote)
    assert deploy(cli, site).exit_code == 0
    before = {p: b for p, b in remote.read_all().items() if "/lock/" not in p}
    again = deploy(cli, site)
    assert again.exit_code == 0 and "uploaded 0, deleted 0, unchanged 8 files; 0 B sent" in again.output
    assert {p: b for p, b in remote.read_all().items() if "/lock/" not in p} == before


def test_a_real_build_then_deploy_uses_the_build_state_hashes_and_stays_exact(make_site, cli, tmp_path):
    """The build's recorded hashes spare re-reading the output, but a file
    changed after the build is still hashed from its bytes."""
    import hashlib

    from ssg.deploy.manifest import build_state_hashes

    remote = Servers(tmp_path).remote("file", tmp_path)
    site = make_site({"content/posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nhello\n",
                      "content/about.md": "---\ntitle: About\n---\nabout\n", "static/css/x.css": "b {}\n"},
                     config='title = "T"\nbase_url = "https://example.org/"\n\n' + remote.toml())
    built = cli("build", "-s", str(site))
    assert built.exit_code == 0, built.output
    known = build_state_hashes(site, (site / "public").resolve())
    assert known and all(hashlib.sha256((site / "public" / p).read_bytes()).hexdigest() == sha
                         for p, (sha, _size, _mtime) in known.items())
    assert deploy(cli, site).exit_code == 0
    assert remote.files() == published(site)
    (site / "public/css/x.css").write_text("b { color: red }\n")      # behind the build's back
    again = deploy(cli, site, "--json")
    assert again.exit_code == 0 and summary(again)["files_uploaded"] == ["css/x.css"]
    assert remote.files() == published(site)


def test_build_state_hashes_are_trusted_only_while_size_and_mtime_match(make_site, tmp_path):
    """The local manifest takes the sha256 the last build recorded for a file it
    wrote, unless the file changed since (then its bytes are hashed)."""
    import hashlib

    from ssg.deploy.manifest import build_state_hashes, local_manifest
    from ssg.graph.state import BuildState, Learnt, OutputRecord

    site = make_site({"public/a.html": "a\n", "public/b.css": "b\n"})
    output = (site / "public").resolve()
    stats = {p: (output / p).stat() for p in ("a.html", "b.css")}
    recorded = {"a.html": "1" * 64, "b.css": "2" * 64}       # not the real hashes: proves which are used
    state = BuildState(site / ".ssg")
    state.commit(Learnt(meta={"output_root": str(output)},
                        outputs={p: OutputRecord("plan", recorded[p], stats[p].st_size, stats[p].st_mtime_ns)
                                 for p in recorded}))
    state.close()
    known = build_state_hashes(site, output)
    assert {p: sha for p, (sha, _size, _mtime) in known.items()} == recorded
    (output / "b.css").write_text("changed\n")
    manifest = local_manifest(output, (), known)
    assert manifest["a.html"].sha256 == "1" * 64
    assert manifest["b.css"].sha256 == hashlib.sha256(b"changed\n").hexdigest()
    assert build_state_hashes(site, tmp_path / "elsewhere") == {}       # another output folder's state
