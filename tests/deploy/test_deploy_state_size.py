"""Remote state costs what changed (issue 18): the bytes of ssg's own state
(commit record, manifest shards, journal, lease slots) that a deploy writes
to the target grow with the files it changes, not with the site. Counted at
the target: every byte `file://` is asked to write under .ssg-deploy/."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from deploy_servers import count_state_bytes, deploy_json, read_tree, stored_manifest
from messages import says

from ssg.deploy.crashpoints import SHARD_BYTES_ENV

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
STATE_LIMIT = 10_000        # the target for a one-file deploy, bytes
SHARDS = ".ssg-deploy/manifest/"
CACHE = ".ssg/deploy-test.shards.json"     # the shards this site folder has read or written


@pytest.fixture
def state_bytes(monkeypatch):
    """Bytes written under .ssg-deploy/ since the last reset (a list of one int)."""
    return count_state_bytes(monkeypatch.setattr)


def site_of(make_site, tmp_path, pages: int):
    root = tmp_path / f"remote-{pages}"
    files = {f"public/posts/{n:05d}/index.html": f"<p>post {n}</p>\n" for n in range(pages)}
    config = f'title = "T"\nbase_url = "https://example.org/"\n\n[deploy.test]\nurl = "{root.as_uri()}"\n'
    return make_site(files, config=config), root


def shards(root) -> dict[str, bytes]:
    return {p: b for p, b in read_tree(root).items() if p.startswith(SHARDS)}


def holds_what_it_says(root) -> bool:
    """The target's manifest names every published file with its hash, and nothing else."""
    stored = read_tree(root)
    return stored_manifest(stored) == {p: [hashlib.sha256(b).hexdigest(), len(b)] for p, b in stored.items()
                                       if not p.startswith(".ssg-deploy/")}


def rewritten(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    return sorted(p for p in after if before.get(p) != after[p])


@pytest.mark.parametrize("pages", [200, 2000])
def test_a_one_file_deploy_sends_state_for_one_file_whatever_the_site(pages, make_site, cli, tmp_path, state_bytes):
    """One shard is rewritten, whose size does not depend on the site's: a tenth
    of the pages or ten times as many send the same state."""
    site, root = site_of(make_site, tmp_path, pages)
    deploy_json(cli, site)
    sent = []
    for n in range(3):
        before = shards(root)
        state_bytes[0] = 0
        page = site / f"public/posts/{n * 7:05d}/index.html"
        page.write_text(f"<p>post {n * 7}, edited</p>\n")
        assert deploy_json(cli, site)["uploaded"] == 1
        sent.append(state_bytes[0])
        assert len(rewritten(before, shards(root))) == 1, "one shard holds the page's entry"
    print(f"\n{pages} pages, {len(shards(root))} shards: {sent} bytes of state for a one-file deploy")
    assert len(shards(root)) >= pages // 40
    assert max(sent) <= STATE_LIMIT, sent
    assert max(sent) < 6000, f"{pages} pages: {sent} bytes of state for one changed file"
    assert holds_what_it_says(root)
    status = cli("deploy", "-s", str(site), "--status", "--json")
    assert json.loads(status.stdout)["last_deploy"]["files"] == pages
    (root / "posts/00003/index.html").unlink()
    verified = json.loads(cli("deploy", "-s", str(site), "--verify", "--json").stdout)
    assert verified["files_uploaded"] == ["posts/00003/index.html"]


@pytest.mark.parametrize("edits", ["one page", "another page each time"])
def test_every_one_file_deploy_rewrites_one_shard_and_the_manifest_stays_right(edits, make_site, cli, tmp_path,
                                                                               state_bytes):
    """70 one-file deploys: no deploy sends more than one shard and its record
    (the shard count stays), and the manifest is right after every one."""
    site, root = site_of(make_site, tmp_path, 300)
    deploy_json(cli, site)
    count = len(shards(root))
    sizes = []
    for n in range(70):
        page = site / f"public/posts/{7 if edits == 'one page' else n:05d}/index.html"
        page.write_text(f"<p>edit {n}</p>\n")
        before = shards(root)
        state_bytes[0] = 0
        assert deploy_json(cli, site)["uploaded"] == 1
        sizes.append(state_bytes[0])
        assert len(rewritten(before, shards(root))) == 1 and len(shards(root)) == count, n
        assert holds_what_it_says(root), n
    print(f"\n{edits}: state bytes per deploy max {max(sizes)}, mean {sum(sizes) / len(sizes):.0f}")
    assert max(sizes) < 6000, sizes
    assert deploy_json(cli, site)["uploaded"] == 0


def test_a_site_that_grows_or_shrinks_is_split_again(make_site, cli, tmp_path, monkeypatch):
    """Pages added deploy after deploy: once the mean shard outgrows GROW times
    the size a split aims at, that deploy writes the manifest in more shards
    and removes the old ones; deleting most pages makes fewer shards again."""
    monkeypatch.setenv(SHARD_BYTES_ENV, "1000")
    site, root = site_of(make_site, tmp_path, 20)
    deploy_json(cli, site)
    counts = [len(shards(root))]
    for n in range(20, 80):
        (site / f"public/posts/{n:05d}/index.html").parent.mkdir(parents=True)
        (site / f"public/posts/{n:05d}/index.html").write_text(f"<p>post {n}</p>\n")
        assert deploy_json(cli, site)["uploaded"] == 1
        counts.append(len(shards(root)))
        assert holds_what_it_says(root), n
        assert {int(p[len(SHARDS):].split("-")[0]) for p in shards(root)} == {counts[-1]}, "old shards removed"
    grown = sorted(set(counts))
    assert len(grown) >= 3 and counts == sorted(counts), counts
    for n in range(5, 80):
        (site / f"public/posts/{n:05d}/index.html").unlink()
    assert deploy_json(cli, site)["deleted"] == 75
    assert holds_what_it_says(root)
    assert len(shards(root)) < counts[-1]
    assert deploy_json(cli, site)["uploaded"] == 0


def test_a_shard_not_of_the_shape_ssg_writes_is_unreadable_not_a_crash(make_site, cli, tmp_path):
    """A shard comes from the target, where anyone with write access may change
    it: one that is not a manifest is refused (exit 1, naming the file), never
    an internal error, and nothing is changed. (Read by a site folder that has
    not read that shard before: another machine, a CI job.)"""
    site, root = site_of(make_site, tmp_path, 20)
    deploy_json(cli, site)
    shard = root / next(iter(shards(root)))
    shard.write_text(json.dumps({"format": 1, "files": [["posts/00001/index.html"]]}))
    (site / CACHE).unlink()
    unlocked = lambda: {p: b for p, b in read_tree(root).items()  # noqa: E731 - the lease is taken to read
                        if not p.startswith(".ssg-deploy/lock/")}
    before = unlocked()
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 1, result.output
    assert says(result.output, f"the target's .ssg-deploy/manifest/{shard.name} is unreadable")
    assert unlocked() == before


def test_a_shard_holding_an_entry_of_another_is_read_without_it(make_site, cli, tmp_path):
    """An entry stored in a shard its path does not hash to (not ssg's doing) is
    not believed: the file is uploaded again, and the manifest is right after."""
    site, root = site_of(make_site, tmp_path, 60)
    deploy_json(cli, site)
    stored = shards(root)
    (first, data), (second, other) = list(stored.items())[:2]
    moved = json.loads(data)["files"]
    body = json.loads(other)
    body["files"].update(moved)
    (root / second).write_text(json.dumps(body))
    (root / first).unlink()
    (site / CACHE).unlink()
    summary = deploy_json(cli, site)
    assert sorted(summary["files_uploaded"]) == sorted(moved)
    assert holds_what_it_says(root)
    assert deploy_json(cli, site)["uploaded"] == 0


def test_the_state_of_an_ssg_before_shards_is_read_and_replaced(make_site, cli, tmp_path):
    """A target an older ssg deployed to holds the whole manifest in
    manifest.json and a delta per deploy since. A path a delta names is not
    trusted to hold either side's bytes: a rollback of the page it changed
    uploads it again. The deploy splits the manifest and removes the deltas."""
    site, root = site_of(make_site, tmp_path, 30)
    deploy_json(cli, site)
    manifest = stored_manifest(read_tree(root))
    for path in shards(root):
        (root / path).unlink()
    (root / ".ssg-deploy/manifest.json").write_text(json.dumps({"format": 1, "token": 1, "files": manifest}))
    edited = b"<p>post 4, the older ssg's last deploy</p>\n"
    (root / "posts/00004/index.html").write_bytes(edited)
    delta = root / ".ssg-deploy/deltas/0000000002.json"
    delta.parent.mkdir()
    delta.write_text(json.dumps({"format": 1, "token": 2, "deleted": [], "files": {
        "posts/00004/index.html": [hashlib.sha256(edited).hexdigest(), len(edited)]}}))
    summary = deploy_json(cli, site)
    assert summary["files_uploaded"] == ["posts/00004/index.html"]
    assert (root / "posts/00004/index.html").read_text() == "<p>post 4</p>\n"
    assert not delta.exists() and shards(root)
    assert holds_what_it_says(root)
    assert deploy_json(cli, site)["uploaded"] == 0


def test_a_deploy_reads_only_the_shards_its_site_folder_has_not_seen(make_site, cli, tmp_path, monkeypatch):
    """Two machines deploy to one target in turn (two copies of the site
    folder): each reads from the target only the shards the other wrote since
    (a shard's name never holds other bytes), and each deploy is exact."""
    from ssg_plugins.deploy_file import FileTarget

    read: list[str] = []
    plain_read = FileTarget.read
    monkeypatch.setattr(FileTarget, "read", lambda self, path: read.append(path) or plain_read(self, path))
    site, root = site_of(make_site, tmp_path, 300)
    other = tmp_path / "other-machine"
    shutil.copytree(site, other)
    deploy_json(cli, site)
    count = len(shards(root))
    seen = {site: set(shards(root)), other: set()}      # the shards each machine read or wrote
    for n, machine in enumerate([site, other, other, site, site, other]):
        page = machine / f"public/posts/{n * 11:05d}/index.html"
        page.write_text(f"<p>edit {n}</p>\n")
        before = set(shards(root))
        read.clear()
        deploy_json(cli, machine)
        assert sorted(p for p in read if p.startswith(SHARDS)) == sorted(before - seen[machine]), n
        if n in (1, 2, 4):          # the other machine's first deploy reads every shard; a second in a row, none
            assert len(before - seen[machine]) == (count if n == 1 else 0), n
        seen[machine] = set(shards(root))
        assert holds_what_it_says(root), n
        assert deploy_json(cli, machine)["uploaded"] == 0
    read.clear()
    verified = json.loads(cli("deploy", "-s", str(other), "--verify", "--json").stdout)
    assert verified["uploaded"] == 0 and len([p for p in read if p.startswith(SHARDS)]) == count
