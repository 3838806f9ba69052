"""Remote state costs what changed (issue 18): the bytes of ssg's own state
(manifest, deltas, journal, lease slots) that a deploy writes to the target
grow with the files it changes, not with the site. Counted at the target:
every byte `file://` is asked to write under .ssg-deploy/."""

from __future__ import annotations

import hashlib
import json

import pytest
from deploy_servers import count_state_bytes, deploy_json, read_tree, stored_manifest
from messages import says

from ssg.deploy.deltas import FOLD_RUN

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
STATE_LIMIT = 10_000        # the target for a one-file deploy, bytes


@pytest.fixture
def state_bytes(monkeypatch):
    """Bytes written under .ssg-deploy/ since the last reset (a list of one int)."""
    return count_state_bytes(monkeypatch.setattr)


def site_of(make_site, tmp_path, pages: int):
    root = tmp_path / f"remote-{pages}"
    files = {f"public/posts/{n:05d}/index.html": f"<p>post {n}</p>\n" for n in range(pages)}
    config = f'title = "T"\nbase_url = "https://example.org/"\n\n[deploy.test]\nurl = "{root.as_uri()}"\n'
    return make_site(files, config=config), root


def one_edit(cli, site, n: int) -> dict:
    page = site / "public/posts/00007/index.html"
    page.write_text(f"<p>post 7, edit {n}</p>\n")
    return deploy_json(cli, site)


@pytest.mark.parametrize("pages", [200, 2000])
def test_a_one_file_deploy_sends_state_for_one_file_whatever_the_site(pages, make_site, cli, tmp_path, state_bytes):
    site, root = site_of(make_site, tmp_path, pages)
    deploy_json(cli, site)
    sent = []
    for n in range(3):
        state_bytes[0] = 0
        assert one_edit(cli, site, n)["uploaded"] == 1
        sent.append(state_bytes[0])
    print(f"\n{pages} pages: {sent} bytes of state for a one-file deploy")
    assert max(sent) <= STATE_LIMIT, sent
    assert max(sent) < 3000, f"{pages} pages: {sent} bytes of state for one changed file"
    # the target's manifest (base + deltas) still says exactly what is there, --status and --verify read it
    stored = read_tree(root)
    published = {p: b for p, b in stored.items() if not p.startswith(".ssg-deploy/")}
    assert len(stored_manifest(stored)) == len(published) == pages
    assert [p for p in stored if p.startswith(".ssg-deploy/deltas/")], "the edits were committed as deltas"
    status = cli("deploy", "-s", str(site), "--status", "--json")
    assert json.loads(status.stdout)["last_deploy"]["files"] == pages
    (root / "posts/00003/index.html").unlink()
    verified = json.loads(cli("deploy", "-s", str(site), "--verify", "--json").stdout)
    assert verified["files_uploaded"] == ["posts/00003/index.html"]


@pytest.mark.parametrize("edits", ["one page", "another page each time"])
def test_deltas_are_folded_in_levels_and_no_deploy_resends_the_base(edits, make_site, cli, tmp_path, state_bytes):
    """70 one-file deploys: runs of FOLD_RUN deltas of one level are folded into
    one of the next level (deltas.py); no deploy sends the base again or more
    than a fold of the distinct pages changed, the deltas to read stay few,
    and the manifest is right after every deploy."""
    site, root = site_of(make_site, tmp_path, 300)
    deploy_json(cli, site)
    base = (root / ".ssg-deploy/manifest.json").read_bytes()
    sizes, counts, levels = [], [], set()
    for n in range(70):
        page = site / f"public/posts/{7 if edits == 'one page' else n:05d}/index.html"
        page.write_text(f"<p>edit {n}</p>\n")
        state_bytes[0] = 0
        assert deploy_json(cli, site)["uploaded"] == 1
        sizes.append(state_bytes[0])
        stored = read_tree(root)
        deltas = {p: json.loads(b) for p, b in stored.items() if p.startswith(".ssg-deploy/deltas/")}
        counts.append(len(deltas))
        levels |= {body.get("level", 0) for body in deltas.values()}
        assert stored_manifest(stored) == {p: [hashlib.sha256(b).hexdigest(), len(b)] for p, b in stored.items()
                                           if not p.startswith(".ssg-deploy/")}, n
    assert (root / ".ssg-deploy/manifest.json").read_bytes() == base      # never rewritten
    assert levels == {0, 1, 2}, levels                                   # 64 deploys made a level-2 fold
    assert max(counts) <= 2 * (FOLD_RUN - 1) + 1 and counts[63] == 1, counts
    print(f"\n{edits}: state bytes per deploy max {max(sizes)}, mean {sum(sizes) / len(sizes):.0f}")
    assert max(sizes) < (3000 if edits == "one page" else 10_000), sizes
    assert deploy_json(cli, site)["uploaded"] == 0


def test_a_fold_that_would_outgrow_half_the_base_writes_the_base(make_site, cli, tmp_path, state_bytes):
    """Distinct files changed deploy after deploy: the folded delta grows with
    them, and once it would hold more than half the base's bytes, the whole
    manifest is written as the new base (one deploy), then deltas start again."""
    site, root = site_of(make_site, tmp_path, 60)
    deploy_json(cli, site)
    rebased = []
    for n in range(60):
        page = site / f"public/posts/{n:05d}/index.html"
        page.write_text(f"<p>post {n}, edited</p>\n")
        before = (root / ".ssg-deploy/manifest.json").read_bytes()
        assert deploy_json(cli, site)["uploaded"] == 1
        if (root / ".ssg-deploy/manifest.json").read_bytes() != before:
            rebased.append(n)
            assert not (root / ".ssg-deploy/deltas").exists() or not list((root / ".ssg-deploy/deltas").iterdir())
        stored = read_tree(root)
        assert stored_manifest(stored) == {p: [hashlib.sha256(b).hexdigest(), len(b)] for p, b in stored.items()
                                           if not p.startswith(".ssg-deploy/")}, n
    assert 1 <= len(rebased) <= 3, rebased
    assert deploy_json(cli, site)["uploaded"] == 0


@pytest.mark.parametrize("deleted", [5, [1], "posts/00001/index.html"])
def test_a_delta_not_of_the_shape_ssg_writes_is_unreadable_not_a_crash(deleted, make_site, cli, tmp_path):
    """A delta comes from the target, where anyone with write access may change
    it: a `deleted` that is not a list of paths is refused (exit 1, naming the
    file), never an internal error, and nothing is changed."""
    site, root = site_of(make_site, tmp_path, 20)
    deploy_json(cli, site)
    one_edit(cli, site, 1)
    (delta,) = (root / ".ssg-deploy/deltas").iterdir()
    body = json.loads(delta.read_bytes())
    body["deleted"] = deleted
    delta.write_text(json.dumps(body))
    unlocked = lambda: {p: b for p, b in read_tree(root).items()  # noqa: E731 - the lease is taken to read
                        if not p.startswith(".ssg-deploy/lock/")}
    before = unlocked()
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 1, result.output
    assert says(result.output, f"the target's .ssg-deploy/deltas/{delta.name} is unreadable")
    assert unlocked() == before
