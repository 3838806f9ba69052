"""`ssg deploy` configuration, credentials and per-protocol safety checks:
errors with file:line and a fix, secrets never printed, host keys and
certificates verified, servers that cannot replace files atomically refused."""

from __future__ import annotations

import json
import os

import pytest
from deploy_servers import FtpServer, Servers, published, self_signed_certificate, with_env
from messages import says

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BASE = 'title = "T"\nbase_url = "https://example.org/"\n\n'
FILES = {"public/index.html": "<h1>home</h1>\n", "public/css/site.css": "body {}\n", "public/app.js.map": "{}\n"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    started = Servers(tmp_path_factory.mktemp("servers"))
    yield started
    started.stop()


# -- configuration -------------------------------------------------------------------

def test_unknown_key_in_a_deploy_table_names_the_line_and_the_fix(make_site, cli, tmp_path):
    site = make_site(FILES, config=BASE + f'[deploy.prod]\nurl = "{tmp_path.as_uri()}/www"\nmax_delete = 3\n')
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 2
    assert "ssg.toml:6" in result.output and "unknown key 'deploy.prod.max_delete'" in result.output
    assert "did you mean 'max_deletes'?" in result.output


def test_an_option_of_another_protocol_is_an_unknown_key(make_site, cli, tmp_path):
    site = make_site(FILES, config=BASE + f'[deploy.prod]\nurl = "{tmp_path.as_uri()}/www"\nhost_key = "SHA256:x"\n')
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 2 and "ssg.toml:6" in result.output and "deploy.prod.host_key" in result.output


def test_a_missing_environment_variable_is_named_with_its_line(make_site, cli, monkeypatch):
    monkeypatch.delenv("SSG_TEST_UNSET_PASSWORD", raising=False)
    site = make_site(FILES, config=BASE + '[deploy.prod]\nurl = "ftp://127.0.0.1:9/"\n'
                                          'password = "${SSG_TEST_UNSET_PASSWORD}"\n')
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 2
    assert "ssg.toml:6" in result.output and "${SSG_TEST_UNSET_PASSWORD}, which is not set" in result.output


def test_a_target_needs_a_url_and_a_known_scheme(make_site, cli):
    site = make_site(FILES, config=BASE + '[deploy.prod]\nexclude = ["*.map"]\n')
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 2 and "needs a url" in result.output and "ssg.toml:4" in result.output
    site = make_site(FILES, config=BASE + '[deploy.prod]\nurl = "gopher://example.org/"\n')
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 2 and "fsspec cannot open 'gopher://'" in result.output


def test_choosing_a_target(make_site, cli, tmp_path):
    site = make_site(FILES, config=BASE + f'[deploy.staging]\nurl = "{tmp_path.as_uri()}/s"\n'
                                          f'[deploy.production]\nurl = "{tmp_path.as_uri()}/p"\n')
    ambiguous = cli("deploy", "-s", str(site))
    assert ambiguous.exit_code == 2 and "production, staging" in ambiguous.output
    typo = cli("deploy", "staging2", "-s", str(site))
    assert typo.exit_code == 2 and "did you mean 'staging'?" in typo.output
    assert cli("deploy", "staging", "-s", str(site)).exit_code == 0
    assert (tmp_path / "s/index.html").is_file() and not (tmp_path / "p").exists()
    by_url = cli("deploy", f"{tmp_path.as_uri()}/adhoc", "-s", str(site))
    assert by_url.exit_code == 0, by_url.output
    assert (tmp_path / "adhoc/css/site.css").read_text() == "body {}\n"


def test_excluded_files_are_neither_uploaded_nor_deleted(make_site, cli, tmp_path):
    remote = tmp_path / "www"
    site = make_site(FILES, config=BASE + f'[deploy.prod]\nurl = "{remote.as_uri()}"\nexclude = ["*.map"]\n')
    assert cli("deploy", "-s", str(site)).exit_code == 0
    assert not (remote / "app.js.map").exists()
    (remote / "app.js.map").write_text("uploaded by hand\n")
    assert cli("deploy", "-s", str(site)).exit_code == 0
    assert (remote / "app.js.map").read_text() == "uploaded by hand\n"


def test_flags_that_do_not_go_together(make_site, cli, tmp_path):
    site = make_site(FILES, config=BASE + f'[deploy.prod]\nurl = "{tmp_path.as_uri()}"\n')
    assert cli("deploy", "-s", str(site), "--force").exit_code == 2
    assert cli("deploy", "-s", str(site), "--status", "--break-lock").exit_code == 2


# -- secrets --------------------------------------------------------------------------

def test_secrets_from_the_environment_are_masked_even_in_tracebacks(make_site, cli, tmp_path, monkeypatch):
    secret = "tok-Secret-8712"
    monkeypatch.setenv("SSG_TEST_TOKEN", secret)
    (tmp_path / "blocker").write_text("a file where the target folder should be\n")
    site = make_site(FILES, config=BASE + f'[deploy.prod]\nurl = "{tmp_path.as_uri()}/blocker/${{SSG_TEST_TOKEN}}"\n')
    for args in ((), ("--debug",), ("--json",), ("--status",)):
        result = cli("deploy", "-s", str(site), *args)
        assert result.exit_code == (0 if args == ("--status",) else 1), result.output
        assert secret not in result.output and "***" in result.output
        if args == ("--debug",):
            assert "Traceback" in result.output


def test_a_wrong_ftp_password_is_refused_and_never_printed(make_site, cli, servers, tmp_path, monkeypatch):
    remote = with_env(monkeypatch, servers.remote("ftp", tmp_path))
    monkeypatch.setenv("SSG_TEST_FTP_PASSWORD", "Wrong-Password-3301")
    site = make_site(FILES, config=BASE + remote.toml())
    result = cli("deploy", "-s", str(site), "--debug")
    assert result.exit_code == 1
    assert "refused the login of 'deployer'" in result.output and "Wrong-Password-3301" not in result.output
    assert remote.files() == {}


# -- SFTP host keys -----------------------------------------------------------------------

def test_sftp_refuses_an_unknown_host_key(make_site, cli, servers, tmp_path, monkeypatch):
    remote = with_env(monkeypatch, servers.remote("sftp", tmp_path))
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    site = make_site(FILES, config=BASE + remote.toml(known_hosts=f'"{empty}"'))
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 1
    assert "never accepts an unknown host key" in result.output
    assert servers.get("sftp").fingerprint in result.output      # shown so the user can compare it
    assert remote.read_all() == {}


def test_sftp_accepts_a_pinned_fingerprint_and_refuses_another(make_site, cli, servers, tmp_path, monkeypatch):
    remote = with_env(monkeypatch, servers.remote("sftp", tmp_path))
    server = servers.get("sftp")
    pinned = make_site(FILES, config=BASE + remote.toml(host_key=f'"{server.fingerprint}"'))
    result = cli("deploy", "-s", str(pinned))
    assert result.exit_code == 0, result.output
    assert remote.files() == published(pinned)
    wrong = make_site(FILES, config=BASE + remote.toml(host_key='"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"'))
    result = cli("deploy", "-s", str(wrong))
    assert result.exit_code == 1 and "not the pinned" in result.output


# -- FTPS certificates, FTP servers that cannot replace files ---------------------------------

def test_ftps_refuses_a_certificate_it_cannot_verify(make_site, cli, servers, tmp_path, monkeypatch):
    remote = with_env(monkeypatch, servers.remote("ftps", tmp_path))
    remote.options.pop("ca_file")
    site = make_site(FILES, config=BASE + remote.toml())
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 1
    assert says(result.output, "error: cannot verify the certificate of the FTPS server 127.0.0.1: … (give the "
                               "certificate of its authority (or its self-signed certificate) as ca_file")
    assert remote.read_all() == {}


def refuse_rename_onto_existing(handler, path):
    if os.path.exists(path):
        handler.respond("553 Destination file exists.")
        return None
    from pyftpdlib.handlers import FTPHandler

    return FTPHandler.ftp_RNTO(handler, path)


def test_an_ftp_server_that_will_not_rename_over_a_file_is_refused_before_uploading(make_site, cli, tmp_path,
                                                                                   monkeypatch):
    (tmp_path / "home").mkdir()
    server = FtpServer(tmp_path / "home", ftp_RNTO=refuse_rename_onto_existing)
    try:
        remote = with_env(monkeypatch, server.remote("ftp"))
        site = make_site(FILES, config=BASE + remote.toml())
        result = cli("deploy", "-s", str(site))
        assert result.exit_code == 1
        assert "does not rename over an existing file" in result.output
        assert remote.files() == {}
    finally:
        server.stop()


# -- S3 headers --------------------------------------------------------------------------------

def test_s3_objects_get_content_type_and_cache_control(make_site, cli, servers, tmp_path, monkeypatch):
    remote = with_env(monkeypatch, servers.remote("s3", tmp_path))
    site = make_site({**FILES, "public/feed.xml": "<rss/>\n"}, config=BASE + remote.toml(
        cache_control='{ "css/*" = "max-age=31536000, immutable", "*.html" = "no-cache" }',
        content_types='{ "*.xml" = "application/rss+xml" }'))
    result = cli("deploy", "-s", str(site), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["uploaded"] == 4
    s3 = servers.get("s3")
    css = s3.object_headers(remote, "css/site.css")
    assert css["ContentType"] == "text/css; charset=utf-8" and css["CacheControl"] == "max-age=31536000, immutable"
    html = s3.object_headers(remote, "index.html")
    assert html["ContentType"] == "text/html; charset=utf-8" and html["CacheControl"] == "no-cache"
    assert s3.object_headers(remote, "feed.xml")["ContentType"] == "application/rss+xml"


def test_ftp_url_with_the_tls_option_speaks_explicit_ftps(make_site, cli, tmp_path, monkeypatch):
    (tmp_path / "home").mkdir()
    certificate = self_signed_certificate(tmp_path)
    server = FtpServer(tmp_path / "home", certificate)                  # refuses plain FTP
    try:
        remote = with_env(monkeypatch, server.remote("ftp", certificate))
        plain = make_site(FILES, config=BASE + remote.toml())
        refused = cli("deploy", "-s", str(plain))
        assert refused.exit_code == 1 and remote.files() == {}
        assert says(refused.output, "the FTP server refused the login of 'deployer': … (check user and password")
        assert "a server that requires FTPS needs tls = true" in refused.output
        site = make_site(FILES, config=BASE + remote.toml(tls="true"))
        result = cli("deploy", "-s", str(site))
        assert result.exit_code == 0, result.output
        assert remote.files() == published(site)
    finally:
        server.stop()


def test_verify_removes_temporary_files_left_by_interrupted_deploys(make_site, cli, tmp_path):
    remote = tmp_path / "www"
    site = make_site(FILES, config=BASE + f'[deploy.prod]\nurl = "{remote.as_uri()}"\n')
    assert cli("deploy", "-s", str(site)).exit_code == 0
    stray = remote / "css/.site.css.ssg-0123456789ab.tmp"
    stray.write_text("half an upload")
    (remote / "keep.tmp").write_text("not ssg's\n")
    result = cli("deploy", "-s", str(site), "--verify")
    assert result.exit_code == 0, result.output
    assert "verify: 0 published files missing or different" in result.output
    assert not stray.exists() and (remote / "keep.tmp").exists()
