"""`ssh://` is the SFTP target (host keys checked), the generic fsspec target
never serves a scheme that has a dedicated one, and its lock reads every
implementation's "already exists" as a lost race, not as an error or a win
(issue 18: sshfs connects with known_hosts=None, fsspec's paramiko class
accepts unknown keys, and SFTP classes raise OSError on an exclusive create).

SFTP runs against OpenSSH's sshd (real_servers.py)."""

from __future__ import annotations

import threading
import urllib.parse
from pathlib import Path

import pytest
from deploy_servers import Servers, published
from messages import says
from ssg_plugins.deploy_fsspec import FsspecTarget, exclusive_create

from ssg.api import ConfigError, DeployError

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

BASE = 'title = "T"\nbase_url = "https://example.org/"\n\n'
FILES = {"public/index.html": "<h1>home</h1>\n", "public/css/site.css": "body {}\n"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    started = Servers(tmp_path_factory.mktemp("servers"))
    yield started
    started.stop()


def test_an_ssh_url_deploys_over_sftp_and_refuses_an_unknown_host_key(make_site, cli, servers, tmp_path):
    remote = servers.remote("openssh", tmp_path)
    remote.url = remote.url.replace("sftp://", "ssh://", 1)
    site = make_site(FILES, config=BASE + remote.toml())
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert remote.files() == published(site)
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    stranger = make_site(FILES, config=BASE + remote.toml(known_hosts=f'"{empty}"'))
    refused = cli("deploy", "-s", str(stranger))
    assert refused.exit_code == 1, refused.output
    assert says(refused.output, "ssg never accepts an unknown host key")


@pytest.mark.parametrize("url", ["ftp://h/site", "ftps://h/site", "sftp://h/site", "ssh://h/site", "s3://b/site",
                                 "simplecache::sftp://h/site", "SSH://h/site"])
def test_the_fsspec_target_refuses_schemes_with_a_dedicated_target(url):
    target = FsspecTarget(urllib.parse.urlsplit(url), {"url": url, "storage_options": {}})
    with pytest.raises(ConfigError) as refused:
        target.connect()
    assert "is not deployed through fsspec" in refused.value.message
    assert "sftp://" in refused.value.hint or "ftp" in refused.value.hint or "s3://" in refused.value.hint


def test_a_dedicated_scheme_with_its_plugin_disabled_is_refused_not_sent_through_fsspec(make_site, cli):
    site = make_site(FILES, config=BASE + '[plugins]\ndisable = ["deploy_sftp"]\n\n[deploy.test]\n'
                     'url = "ssh://deploy@127.0.0.1:1/site"\n')
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 2, result.output
    assert says(result.output, "'ssh://' is not deployed through fsspec")
    assert "enable it again" in result.output


# -- the fsspec lock's exclusive create on several implementations -------------------------

def _filesystems(servers: Servers, tmp_path: Path):
    """(name, fs, folder) for fsspec's memory and local filesystems, and its SFTP
    classes (sshfs when installed; fsspec's own paramiko one) on OpenSSH."""
    import fsspec

    found = [("memory", fsspec.filesystem("memory", skip_instance_cache=True), f"/ssg-{tmp_path.name}"),
             ("local", fsspec.filesystem("file"), str(tmp_path / "local"))]
    sshd = servers.get("openssh")
    folder = servers.remote("openssh", tmp_path).root
    try:
        from sshfs import SSHFileSystem
    except ImportError:
        pass
    else:
        found.append(("sshfs", SSHFileSystem("127.0.0.1", port=sshd.port, username=sshd.user,
                                             client_keys=[str(sshd.user_key)], known_hosts=str(sshd.known_hosts),
                                             skip_instance_cache=True), str(folder / "sshfs")))
    from fsspec.implementations.sftp import SFTPFileSystem

    found.append(("paramiko", SFTPFileSystem("127.0.0.1", port=sshd.port, username=sshd.user,
                                             key_filename=str(sshd.user_key), look_for_keys=False,
                                             allow_agent=False, skip_instance_cache=True), str(folder / "paramiko")))
    return found


def test_exclusive_create_reads_every_implementations_already_exists(servers, tmp_path):
    tried = []
    for name, fs, folder in _filesystems(servers, tmp_path):
        fs.makedirs(folder, exist_ok=True)
        path = f"{folder}/slot"
        if name == "paramiko":
            # Its "xb" files are opened read-only: created, then every write refused. That is an
            # error saying so (and the empty file removed), never a lock someone else holds.
            with pytest.raises(DeployError) as failed:
                exclusive_create(fs, path, b"first")
            assert "was created but could not be written" in failed.value.message
            assert not fs.exists(path)
            fs.pipe_file(path, b"first")
        else:
            assert exclusive_create(fs, path, b"first") is True, name
        assert exclusive_create(fs, path, b"second") is False, name
        assert fs.cat_file(path) == b"first", name
        tried.append(name)
    assert {"memory", "local", "paramiko"} <= set(tried)


def test_exclusive_create_raced_on_sftp_has_exactly_one_winner(servers, tmp_path):
    """OpenSSH opens with O_EXCL: of six racers, one wins, five see "exists"
    (not an exception, which would fail their deploys instead of queueing them)."""
    for name, fs, folder in _filesystems(servers, tmp_path):
        if name in ("memory", "paramiko"):  # memory: check-then-write, not atomic; paramiko: cannot write "xb"
            continue
        fs.makedirs(folder, exist_ok=True)
        barrier, results = threading.Barrier(6), [None] * 6

        def run(index: int, fs=fs, folder=folder, barrier=barrier, results=results) -> None:
            barrier.wait()
            try:
                results[index] = exclusive_create(fs, f"{folder}/raced", f"racer {index}".encode())
            except Exception as error:  # noqa: BLE001 - collected for the assertion
                results[index] = error

        threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert sorted(map(repr, results)) == sorted(["True"] + ["False"] * 5), (name, results)
        assert fs.cat_file(f"{folder}/raced") == f"racer {results.index(True)}".encode(), name
