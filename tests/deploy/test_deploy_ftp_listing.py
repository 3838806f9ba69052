"""FTP servers without MLSD/MLST (vsftpd: listings from `LIST -a`), and what
happens when a server refuses a listing or a delete: an error that says so,
never an empty folder or a delete taken as done (issue 18: an empty listing
made the lease check find no slots, and every later deploy failed).

vsftpd is Debian's real server (real_servers.py); the test that needs a
server with neither MLSD nor unix-style LIST uses pyftpdlib made to answer
like IIS does."""

from __future__ import annotations

import json

import pytest
from deploy_servers import FtpServer, Remote, Servers, published, with_env
from messages import says
from ssg_plugins.deploy_ftp import parse_ls_line

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BASE = 'title = "T"\nbase_url = "https://example.org/"\n\n'
SITE = {
    "public/index.html": "<h1>home</h1>\n",
    "public/posts/a b/index.html": "<p>a name with a space</p>\n",
    "public/css/site.css": "body {}\n",
    "public/.well-known/security.txt": "Contact: mailto:x@example.org\n",
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    started = Servers(tmp_path_factory.mktemp("servers"))
    yield started
    started.stop()


@pytest.fixture
def vsftpd(servers, tmp_path, monkeypatch) -> Remote:
    return with_env(monkeypatch, servers.remote("vsftpd", tmp_path))


def test_ls_lines_are_read_with_spaces_links_and_noise():
    assert parse_ls_line("-rw-r--r--    1 102      105             2 Dec 04 16:05 x y") == ("x y", "file", 2)
    assert parse_ls_line("drwxr-xr-x    2 ftp      ftp          4096 Jan 01  2024 .ssg-deploy") == (
        ".ssg-deploy", "dir", 4096)
    assert parse_ls_line("lrwxrwxrwx    1 0        0               9 Dec 04 16:05 a -> b c") == ("a", "other", 9)
    assert parse_ls_line("-rw-r--r--+   1 owner    group          10 Dec 04 16:05  leading space") == (
        " leading space", "file", 10)
    assert parse_ls_line("total 12") is None
    assert parse_ls_line("12-04-26  04:05PM       <DIR>          site") is None


def test_vsftpd_first_edit_and_no_op_deploys_status_and_verify(make_site, cli, vsftpd):
    site = make_site(SITE, config=BASE + vsftpd.toml())
    first = cli("deploy", "-s", str(site), "--json")
    assert first.exit_code == 0, first.output
    assert vsftpd.files() == published(site)
    (site / "public/posts/a b/index.html").write_text("<p>edited</p>\n")
    (site / "public/css/site.css").unlink()
    edit = cli("deploy", "-s", str(site), "--json")
    assert edit.exit_code == 0, edit.output
    assert json.loads(edit.stdout)["files_uploaded"] == ["posts/a b/index.html"]
    assert json.loads(edit.stdout)["files_deleted"] == ["css/site.css"]
    assert vsftpd.files() == published(site)
    noop = cli("deploy", "-s", str(site), "--json")
    assert noop.exit_code == 0 and json.loads(noop.stdout)["uploaded"] == 0
    assert json.loads(noop.stdout)["bytes_sent"] == 0
    status = cli("deploy", "-s", str(site), "--status", "--json")
    assert status.exit_code == 0 and json.loads(status.stdout)["locked"] is False
    assert "never deployed" not in cli("deploy", "-s", str(site), "--status").output
    vsftpd.remove("posts/a b/index.html")
    verified = cli("deploy", "-s", str(site), "--verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["files_uploaded"] == ["posts/a b/index.html"]
    assert vsftpd.files() == published(site)


def test_vsftpd_a_listing_it_refuses_is_an_error_not_an_empty_lock(make_site, cli, vsftpd):
    """The lock folder unreadable to the FTP user: --status and deploy fail and
    say so (an empty listing read as "no slots" broke every later deploy)."""
    site = make_site(SITE, config=BASE + vsftpd.toml())
    assert cli("deploy", "-s", str(site)).exit_code == 0
    lock_folder = vsftpd.root / ".ssg-deploy/lock"
    lock_folder.chmod(0o311)           # the FTP user may enter it, not read it
    try:
        status = cli("deploy", "-s", str(site), "--status")
        assert status.exit_code == 1, status.output
        assert says(status.output, "did not list the folder …/.ssg-deploy/lock")
        (site / "public/index.html").write_text("<h1>new</h1>\n")
        refused = cli("deploy", "-s", str(site))
        assert refused.exit_code == 1 and says(refused.output, "did not list the folder …/.ssg-deploy/lock")
    finally:
        lock_folder.chmod(0o755)
    assert cli("deploy", "-s", str(site)).exit_code == 0
    assert vsftpd.files() == published(site)


def test_vsftpd_a_refused_delete_fails_the_deploy(make_site, cli, vsftpd):
    site = make_site(SITE, config=BASE + vsftpd.toml())
    assert cli("deploy", "-s", str(site)).exit_code == 0
    (site / "public/css/site.css").unlink()
    css = vsftpd.root / "css"
    css.chmod(0o555)                    # the FTP user may no longer delete in it
    try:
        result = cli("deploy", "-s", str(site))
    finally:
        css.chmod(0o755)
    assert result.exit_code == 1, result.output
    assert says(result.output, "refused to delete …css/site.css")
    assert (css / "site.css").exists()


def test_a_server_without_mlsd_or_unix_list_is_refused_before_anything_is_written(make_site, cli, tmp_path,
                                                                                   monkeypatch):
    from pyftpdlib.filesystems import AbstractedFS
    from pyftpdlib.handlers import FTPHandler

    class DosListing(AbstractedFS):
        def format_list(self, basedir, listing, ignore_err=True):
            for name in listing:
                yield f"12-04-26  04:05PM       <DIR>          {name}\r\n".encode()

    commands = {name: spec for name, spec in FTPHandler.proto_cmds.items() if name not in ("MLSD", "MLST")}
    (tmp_path / "home").mkdir()
    server = FtpServer(tmp_path / "home", abstracted_fs=DosListing, proto_cmds=commands)
    try:
        remote = server.remote("ftp")
        for key, value in remote.env.items():
            monkeypatch.setenv(key, value)
        (remote.root / "old.html").write_text("old\n")
        site = make_site(SITE, config=BASE + remote.toml())
        result = cli("deploy", "-s", str(site))
        assert result.exit_code == 1, result.output
        assert says(result.output, "has no MLSD and its LIST output is not in the unix 'ls -l' format")
        assert "use SFTP" in result.output
        assert remote.read_all() == {"old.html": b"old\n"}
    finally:
        server.stop()

