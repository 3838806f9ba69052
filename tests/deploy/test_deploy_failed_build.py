"""A deploy after a failed build (issue 18): one post with broken front matter
made `ssg build` exit 1 and drop that post's page, and `ssg deploy` then
deleted it from the live site and exited 0. Now the deploy refuses (exit 1,
naming the errors and the override), and with --allow-failed-build it
publishes what changed but deletes nothing."""

from __future__ import annotations

import json

from deploy_servers import Servers, published
from messages import says

POSTS = {
    "content/posts/good.md": "---\ntitle: Good\ndate: 2024-01-01\ntags: [x]\n---\ngood\n",
    "content/posts/fragile.md": "---\ntitle: Fragile\ndate: 2024-01-02\ntags: [x]\n---\nfragile\n",
    "content/about.md": "---\ntitle: About\n---\nabout\n",
}
BROKEN = "---\ntitle: [Fragile\ndate: 2024-01-02\n---\nfragile\n"


def built_and_deployed(make_site, cli, tmp_path):
    remote = Servers(tmp_path).remote("file", tmp_path)
    site = make_site(POSTS, config='title = "T"\nbase_url = "https://example.org/"\n\n' + remote.toml())
    assert cli("build", "-s", str(site)).exit_code == 0
    first = cli("deploy", "-s", str(site))
    assert first.exit_code == 0, first.output
    assert remote.files() == published(site)
    return remote, site


def test_a_failed_build_is_not_published(make_site, cli, tmp_path):
    remote, site = built_and_deployed(make_site, cli, tmp_path)
    live = remote.read_all()
    fragile = [p for p in remote.files() if "fragile" in p]
    assert fragile
    (site / "content/posts/fragile.md").write_text(BROKEN)
    (site / "content/about.md").write_text("---\ntitle: About\n---\nabout, edited\n")
    assert cli("build", "-s", str(site)).exit_code == 1
    for args in ((), ("--dry-run",)):
        refused = cli("deploy", "-s", str(site), *args)
        assert refused.exit_code == 1, refused.output
        assert says(refused.output, "the last build of … failed: content/posts/fragile.md:3: invalid YAML front matter")
        assert "nothing was published" in refused.output and "--allow-failed-build" in refused.output
    assert remote.read_all() == live                 # not a byte changed, not even the lock left behind


def test_allow_failed_build_publishes_but_deletes_nothing(make_site, cli, tmp_path):
    remote, site = built_and_deployed(make_site, cli, tmp_path)
    before = remote.files()
    (site / "content/posts/fragile.md").write_text(BROKEN)
    (site / "content/about.md").write_text("---\ntitle: About\n---\nabout, edited\n")
    assert cli("build", "-s", str(site)).exit_code == 1
    gone_locally = sorted(set(before) - set(published(site)))
    allowed = cli("deploy", "-s", str(site), "--allow-failed-build", "--json")
    assert allowed.exit_code == 0, allowed.output
    summary = json.loads(allowed.stdout)
    assert summary["files_deleted"] == [] and "about/index.html" in summary["files_uploaded"]
    after = remote.files()
    for path in before:                              # every page that was live still is
        assert path in after, path
    for path in gone_locally:
        assert after[path] == before[path], path
    assert after["about/index.html"] == (site / "public/about/index.html").read_bytes()
    (site / "content/posts/fragile.md").write_text(POSTS["content/posts/fragile.md"])
    assert cli("build", "-s", str(site)).exit_code == 0
    fixed = cli("deploy", "-s", str(site))
    assert fixed.exit_code == 0, fixed.output
    assert remote.files() == published(site)


def test_what_a_failed_builds_deploy_kept_is_deleted_by_the_next_good_one(make_site, cli, tmp_path):
    # the about page is removed for good while another post is broken: the deploy of the failed build keeps
    # about/index.html on the target; the next good deploy must still know it is there and delete it
    remote, site = built_and_deployed(make_site, cli, tmp_path)
    (site / "content/about.md").unlink()
    (site / "content/posts/fragile.md").write_text(BROKEN)
    assert cli("build", "-s", str(site)).exit_code == 1
    allowed = cli("deploy", "-s", str(site), "--allow-failed-build")
    assert allowed.exit_code == 0, allowed.output
    assert "about/index.html" in remote.files()
    (site / "content/posts/fragile.md").write_text(POSTS["content/posts/fragile.md"])
    assert cli("build", "-s", str(site)).exit_code == 0
    fixed = cli("deploy", "-s", str(site))
    assert fixed.exit_code == 0, fixed.output
    assert remote.files() == published(site)
    assert "about/index.html" not in remote.files()
