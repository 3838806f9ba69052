"""The deploy's record of the output's hashes (ssg/deploy/hashcache.py): a
no-op deploy reads no output file again, and a file whose bytes changed is
always hashed again, even when its size and mtime were put back as they were
(cp -p, rsync -t, a reproducible build's fixed mtimes)."""

from __future__ import annotations

import json
import os

import pytest
from deploy_servers import deploy_json, read_tree

from ssg.deploy import hashcache, manifest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture
def hashed(monkeypatch):
    """Paths of the output files read and hashed (a list), and every file counts
    as settled at once (no 2 s wait for its ctime to age)."""
    read: list[str] = []
    sha256 = manifest._sha256

    def counted(path, size):
        read.append(os.path.basename(os.path.dirname(path)) + "/" + os.path.basename(path))
        return sha256(path, size)

    monkeypatch.setattr(manifest, "_sha256", counted)
    monkeypatch.setattr(hashcache, "RACY_NS", 0)
    return read


def site_of(make_site, tmp_path, pages: int = 5):
    target = tmp_path / "target"
    files = {f"public/p{n}/index.html": f"<p>page {n}</p>\n" for n in range(pages)}
    config = f'title = "T"\nbase_url = "https://example.org/"\n\n[deploy.test]\nurl = "{target.as_uri()}"\n'
    return make_site(files, config=config), target


def test_a_no_op_deploy_reads_no_output_file_again(make_site, cli, tmp_path, hashed):
    site, target = site_of(make_site, tmp_path)
    assert deploy_json(cli, site)["uploaded"] == 5 and len(hashed) == 5
    hashed.clear()
    again = deploy_json(cli, site)
    assert again["uploaded"] == 0 and again["unchanged"] == 5
    assert hashed == []


def test_a_file_changed_with_its_size_and_mtime_put_back_is_still_sent(make_site, cli, tmp_path, hashed):
    site, target = site_of(make_site, tmp_path)
    deploy_json(cli, site)
    page = site / "public/p3/index.html"
    before = page.stat()
    page.write_text("<p>PAGE 3</p>\n")                    # same size
    os.utime(page, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (page.stat().st_size, page.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    hashed.clear()
    again = deploy_json(cli, site)
    assert again["files_uploaded"] == ["p3/index.html"] and hashed == ["p3/index.html"]
    assert read_tree(target)["p3/index.html"] == b"<p>PAGE 3</p>\n"


def test_a_file_replaced_by_a_copy_with_the_old_mtime_is_still_sent(make_site, cli, tmp_path, hashed):
    site, target = site_of(make_site, tmp_path)
    deploy_json(cli, site)
    page = site / "public/p1/index.html"
    before = page.stat()
    copy = tmp_path / "copy.html"
    copy.write_text("<p>page X</p>\n")
    os.utime(copy, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(copy, page)                                # another inode, same size and mtime
    again = deploy_json(cli, site)
    assert again["files_uploaded"] == ["p1/index.html"]
    assert read_tree(target)["p1/index.html"] == b"<p>page X</p>\n"


def test_an_unreadable_or_foreign_record_means_hashing_everything(make_site, cli, tmp_path, hashed):
    site, target = site_of(make_site, tmp_path)
    deploy_json(cli, site)
    record = site / ".ssg" / hashcache.RECORD
    body = json.loads(record.read_text())
    assert sorted(body["files"]) == [f"p{n}/index.html" for n in range(5)]
    for bad in (b"{not json", json.dumps({**body, "output_root": str(tmp_path)}).encode(),
                json.dumps({**body, "files": {"p0/index.html": ["0" * 64, "x", 1, 2, 3]}}).encode(),
                json.dumps({**body, "files": []}).encode()):
        record.write_bytes(bad)
        hashed.clear()
        again = deploy_json(cli, site)
        assert again["uploaded"] == 0 and sorted(hashed) == [f"p{n}/index.html" for n in range(5)], bad


def test_a_file_changed_within_the_racy_window_is_not_recorded(make_site, cli, tmp_path, hashed, monkeypatch):
    """A file written less than RACY_NS before the record could change again
    within the same clock tick unseen: it is left out, and hashed next time."""
    monkeypatch.setattr(hashcache, "RACY_NS", 3600 * 10**9)
    site, _target = site_of(make_site, tmp_path)
    deploy_json(cli, site)
    assert json.loads((site / ".ssg" / hashcache.RECORD).read_text())["files"] == {}
    hashed.clear()
    deploy_json(cli, site)
    assert len(hashed) == 5


def test_an_empty_output_is_the_error_reported_even_when_the_server_cannot_be_reached(make_site, cli):
    """The output is hashed while the deploy connects: its error comes first."""
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    config = f'title = "T"\nbase_url = "https://example.org/"\n\n[deploy.test]\nurl = "ftp://127.0.0.1:{port}/x"\n'
    site = make_site({}, config=config)
    (site / "public").mkdir()
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 2 and "holds no files to publish" in result.output
    (site / "public/a.html").write_text("a\n")
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 1 and "cannot connect" in result.output
