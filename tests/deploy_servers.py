"""Real servers on 127.0.0.1 for the deploy tests, each started once per test
process: pyftpdlib (FTP and explicit FTPS), an asyncssh SFTP server, moto's S3
server; and the servers users really have (real_servers.py: vsftpd,
pure-ftpd, OpenSSH's sshd) as child processes. Every test gets a fresh folder
(or key prefix) on them as a ``Remote`` that can list the bytes actually
stored, independently of ssg."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import logging
import os
import re
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FTP_USER, FTP_PASSWORD = "deployer", "ftp-Secret-8841"
SFTP_USER, SFTP_PASSWORD = "deployer", "sftp-Secret-5123"
S3_BUCKET = "ssg-deploy-tests"
S3_ENV = {"AWS_ACCESS_KEY_ID": "testing-key-id", "AWS_SECRET_ACCESS_KEY": "testing-secret-key",
          "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
STATE = ".ssg-deploy"
STARTUP_SECONDS = 60          # for a server to start or stop: generous, a loaded machine is slow, never this slow


@dataclass
class Remote:
    """One target for one test: its URL, the [deploy.test] option lines, the
    environment ssg needs (secrets), and a way to read what is stored."""

    kind: str
    url: str
    options: dict[str, str] = field(default_factory=dict)     # key -> TOML value text
    env: dict[str, str] = field(default_factory=dict)
    read_all: Callable[[], dict[str, bytes]] = dict           # every stored file, ssg's state included
    remove: Callable[[str], None] = lambda path: None         # delete one stored file behind ssg's back
    seed: Callable[[dict[str, bytes]], None] = lambda files: None   # store files behind ssg's back
    writes: Callable[[], object] = dict       # what changes on every write the server executes (mtimes, versions)
    subprocess_ok: bool = True                                # False for in-process-only stores (memory://)
    root: Path | None = None                                  # the folder a server serves as the target's root

    def files(self) -> dict[str, bytes]:
        """The published site: stored files outside .ssg-deploy/."""
        return {p: b for p, b in self.read_all().items() if not p.startswith(STATE + "/")}

    def toml(self, name: str = "test", **extra: str) -> str:
        lines = [f"[deploy.{name}]", f'url = "{self.url}"']
        lines += [f"{key} = {value}" for key, value in {**self.options, **extra}.items()]
        return "\n".join(lines) + "\n"


def stored_manifest(stored: dict[str, bytes]) -> dict[str, list]:
    """The manifest a target holds (path -> [sha256, size]), read from its stored
    files: of the shards of the count the commit record names, the one with the
    highest token for each index (ssg/deploy/shards.py)."""
    record = json.loads(stored.get(f"{STATE}/manifest.json", b'{"shards": 0}'))
    newest: dict[int, tuple[int, str]] = {}
    for path in stored:
        found = re.fullmatch(rf"{STATE}/manifest/(\d+)-(\d+)-(\d{{10}})-[0-9a-f]{{12}}\.json", path)
        if found and int(found[1]) == record["shards"]:
            newest[int(found[2])] = max(newest.get(int(found[2]), (-1, "")), (int(found[3]), path))
    files: dict[str, list] = {}
    for _token, path in newest.values():
        files.update(json.loads(stored[path])["files"])
    return files


def read_tree(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def published(site: Path) -> dict[str, bytes]:
    """The site's built output, as the target should hold it."""
    return read_tree(site / "public")


def with_env(monkeypatch, remote: Remote) -> Remote:
    """``remote`` with its credentials in the environment, where ssg.toml's ${...} finds them."""
    for key, value in remote.env.items():
        monkeypatch.setenv(key, value)
    return remote


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def seed_tree(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def tree_writes(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file and folder with its inode, mtime and size: a rename into place,
    a rewrite (even of the same bytes), a create or a delete changes it."""
    result = {}
    for path in sorted(root.rglob("*")):
        info = path.stat()
        result[path.relative_to(root).as_posix()] = (info.st_ino, info.st_mtime_ns, info.st_size)
    return result


def folder_remote(kind: str, root: Path, url: str, **kwargs) -> Remote:
    root.mkdir(parents=True)
    return Remote(kind, url, read_all=lambda: read_tree(root), remove=lambda p: (root / p).unlink(), root=root,
                  seed=lambda files: seed_tree(root, files), writes=lambda: tree_writes(root), **kwargs)


# -- FTP / FTPS --------------------------------------------------------------------

def self_signed_certificate(folder: Path) -> Path:
    """A certificate for 127.0.0.1 (and its key) in one PEM file, which is also
    what the client is told to trust."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    path = folder / "ftps.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return path


class FtpServer:
    """pyftpdlib's threaded server on its own IO loop and thread.

    Left to its defaults, every pyftpdlib server of a process shares one global
    IO loop and one class-wide stop event: a second server (this module's FTP
    beside FTPS, or a test's own server beside them) was polled by the first
    one's thread too, which could close its socket before it listened, answer
    a connection from two threads (replies out of step) or refuse it, and
    stopping any server closed the loop under all the others. So each server
    here gets its own loop and its own stop event, its thread alone polls that
    loop, and the thread closes it when told to stop."""

    def __init__(self, home: Path, certificate: Path | None = None, **handler_attributes):
        from pyftpdlib.authorizers import DummyAuthorizer
        from pyftpdlib.handlers import FTPHandler
        from pyftpdlib.ioloop import IOLoop
        from pyftpdlib.servers import ThreadedFTPServer

        logging.getLogger("pyftpdlib").setLevel(logging.ERROR)
        self.home = home
        authorizer = DummyAuthorizer()
        authorizer.add_user(FTP_USER, FTP_PASSWORD, str(home), perm="elradfmwMT")
        if certificate is not None:
            from pyftpdlib.handlers import TLS_FTPHandler

            handler = type("Handler", (TLS_FTPHandler,), {"certfile": str(certificate),
                                                          "tls_control_required": True, "tls_data_required": True})
        else:
            handler = type("Handler", (FTPHandler,), handler_attributes)
        handler.authorizer = authorizer
        handler.banner = "test server"
        # The stop event and the lock are class attributes of ThreadedFTPServer (one for every server).
        server_class = type("Server", (ThreadedFTPServer,), {"_exit": threading.Event(), "_lock": threading.Lock()})
        self.server = server_class(("127.0.0.1", 0), handler, ioloop=IOLoop.factory())
        self.port = self.server.address[1]
        self._stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, name=f"ftp-server-{self.port}", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        try:
            while not self._stopping.is_set():
                # One poll of at most 0.2 s, then the stop flag is looked at again.
                self.server.serve_forever(timeout=0.2, blocking=False, handle_exit=False)
        finally:
            self.server.close_all()     # on this thread, the only one that polls the loop

    def stop(self) -> None:
        self._stopping.set()
        self.thread.join(STARTUP_SECONDS)
        assert not self.thread.is_alive(), f"the FTP server did not stop within {STARTUP_SECONDS} s"

    def remote(self, kind: str, certificate: Path | None = None) -> Remote:
        folder = uuid.uuid4().hex[:10]
        options = {"user": f'"{FTP_USER}"', "password": '"${SSG_TEST_FTP_PASSWORD}"'}
        if certificate is not None:
            options["ca_file"] = f'"{certificate}"'
        return folder_remote(kind, self.home / folder, f"{kind}://127.0.0.1:{self.port}/{folder}", options=options,
                             env={"SSG_TEST_FTP_PASSWORD": FTP_PASSWORD})


# -- SFTP --------------------------------------------------------------------------

class SftpServer:
    """asyncssh's SFTP server (posix-rename and O_EXCL supported), chrooted to
    ``home``, password login, on its own event loop thread."""

    def __init__(self, home: Path, folder: Path):
        import asyncssh

        self.home = home
        self.key = asyncssh.generate_private_key("ssh-ed25519")
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                return username == SFTP_USER and password == SFTP_PASSWORD

        async def start() -> None:
            self.acceptor = await asyncssh.listen(
                "127.0.0.1", 0, server_host_keys=[self.key], server_factory=Server,
                sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(home)), allow_scp=False)
            self.port = self.acceptor.sockets[0].getsockname()[1]
            ready.set()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(start())
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert ready.wait(STARTUP_SECONDS), f"the SFTP server did not start within {STARTUP_SECONDS} s"
        self.fingerprint = self.key.get_fingerprint("sha256")
        self.known_hosts = folder / "known_hosts"
        public = self.key.export_public_key().decode().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {public[0]} {public[1]}\n")

    def stop(self) -> None:
        async def close() -> None:
            self.acceptor.close()
            await self.acceptor.wait_closed()
            sessions = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
            for task in sessions:       # clients the tests left open
                task.cancel()
            await asyncio.gather(*sessions, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(STARTUP_SECONDS)
        self.loop.call_soon_threadsafe(self.loop.stop)

    def remote(self) -> Remote:
        folder = uuid.uuid4().hex[:10]
        options = {"user": f'"{SFTP_USER}"', "password": '"${SSG_TEST_SFTP_PASSWORD}"',
                   "known_hosts": f'"{self.known_hosts}"'}
        return folder_remote("sftp", self.home / folder, f"sftp://127.0.0.1:{self.port}/{folder}",
                             options=options, env={"SSG_TEST_SFTP_PASSWORD": SFTP_PASSWORD})


# -- S3 ------------------------------------------------------------------------------

class S3Server:
    def __init__(self):
        import functools

        from moto import backends
        from moto.server import ThreadedMotoServer

        # moto's server looks for each request's backend by listing its own package folder (about 150
        # os.path.isdir calls a request, a tenth of the crash-point tests' S3 time): the list never changes
        if not hasattr(backends.list_of_moto_modules, "cache_info"):
            listed = backends.list_of_moto_modules
            backends.list_of_moto_modules = functools.cache(lambda: tuple(listed()))

        for key, value in S3_ENV.items():
            os.environ.setdefault(key, value)
        # Port 0 (the system picks a free one as it binds) where moto tells which it got: a port found
        # free beforehand may be taken by another process first, and moto's start() then waits forever.
        told = hasattr(ThreadedMotoServer, "get_host_and_port")
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0 if told else free_port(), verbose=False)
        self.server.start()
        self.port = self.server.get_host_and_port()[1] if told else self.server._port
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._client = None
        self.client().create_bucket(Bucket=S3_BUCKET)
        self._versioned: set[str] = set()

    def client(self):
        """One client for the test's own reads and seeds (boto3 clients are
        thread-safe; making one costs 0.2-0.5 s, several times per crash point)."""
        if self._client is None:
            import boto3

            self._client = boto3.session.Session(aws_access_key_id=S3_ENV["AWS_ACCESS_KEY_ID"],
                                                 aws_secret_access_key=S3_ENV["AWS_SECRET_ACCESS_KEY"],
                                                 region_name="us-east-1").client("s3", endpoint_url=self.endpoint)
        return self._client

    def stop(self) -> None:
        self.server.stop()

    def remote(self, bucket: str = S3_BUCKET) -> Remote:
        """A fresh prefix in ``bucket``; any bucket but the default one is created
        versioned, so that every write the server executes is a version to count."""
        prefix = uuid.uuid4().hex[:10]
        client = self.client()
        if bucket != S3_BUCKET and bucket not in self._versioned:
            client.create_bucket(Bucket=bucket)
            client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
            self._versioned.add(bucket)

        def read_all() -> dict[str, bytes]:
            found = {}
            for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
                for item in page.get("Contents", []):
                    body = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
                    found[item["Key"][len(prefix) + 1:]] = body
            return found

        def seed(files: dict[str, bytes]) -> None:
            for rel, data in files.items():
                client.put_object(Bucket=bucket, Key=f"{prefix}/{rel}", Body=data)

        def writes() -> list:
            found = []
            for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix + "/"):
                found += [(v["Key"], v["VersionId"]) for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            return sorted(found)

        return Remote("s3", f"s3://{bucket}/{prefix}", options={"endpoint_url": f'"{self.endpoint}"'},
                      env=dict(S3_ENV), read_all=read_all,
                      remove=lambda p: client.delete_object(Bucket=bucket, Key=f"{prefix}/{p}"), seed=seed,
                      writes=writes)

    def object_headers(self, remote: Remote, path: str) -> dict:
        prefix = remote.url.split("/", 3)[3]
        return self.client().head_object(Bucket=S3_BUCKET, Key=f"{prefix}/{path}")


# -- fsspec memory:// (the generic deployer; in-process only) ---------------------------

def memory_remote() -> Remote:
    import fsspec

    fs = fsspec.filesystem("memory")
    root = f"/ssg-{uuid.uuid4().hex[:10]}"

    def read_all() -> dict[str, bytes]:
        return {name[len(root) + 1:]: fs.cat_file(name) for name in fs.find(root)} if fs.exists(root) else {}

    return Remote("memory", f"memory://{root}", read_all=read_all,
                  remove=lambda p: fs.rm_file(f"{root}/{p}"), subprocess_ok=False)


# -- fixtures ------------------------------------------------------------------------

class Servers:
    """Starts each server the first time a test asks for it; stops them at the end."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._started: dict[str, object] = {}

    def get(self, kind: str):
        if kind not in self._started:
            if kind == "ftp":
                self._started[kind] = FtpServer(self._home(kind))
            elif kind == "ftps":
                self.certificate = self_signed_certificate(self.folder)
                self._started[kind] = FtpServer(self._home(kind), self.certificate)
            elif kind == "sftp":
                self._started[kind] = SftpServer(self._home(kind), self.folder)
            elif kind == "s3":
                self._started[kind] = S3Server()
            else:
                from real_servers import REAL_SERVERS

                self._started[kind] = REAL_SERVERS[kind](self.folder / kind)
        return self._started[kind]

    def _home(self, kind: str) -> Path:
        home = self.folder / kind
        home.mkdir()
        return home

    def remote(self, kind: str, tmp_path: Path) -> Remote:
        if kind == "file":
            root = tmp_path / "remote-root"
            if root.exists():                  # a test's further targets
                root = tmp_path / f"remote-{uuid.uuid4().hex[:10]}"
            return folder_remote("file", root, root.as_uri())
        if kind == "memory":
            return memory_remote()
        if kind == "ftps":
            return self.get(kind).remote(kind, self.certificate)
        if kind == "ftp":
            return self.get(kind).remote(kind)
        return self.get(kind).remote()

    def stop(self) -> None:
        for server in self._started.values():
            server.stop()


def count_state_bytes(patch: Callable[[object, str, object], None]) -> list[int]:
    """Count the bytes ssg writes under .ssg-deploy/ (a list of one int, reset
    by the caller): every state write goes through Target.put (manifest
    shards and record, journal, slot renewals) or Target.create_slot (taking the lock).
    ``patch`` sets an attribute: ``setattr``, or pytest's ``monkeypatch.setattr``."""
    from ssg.deploy.target import Target

    written = [0]
    put, create = Target.put, Target.create_slot

    def counted_put(self, path, data, temp):
        if path.startswith(".ssg-deploy/"):
            written[0] += len(data)
        return put(self, path, data, temp)

    def counted_create(self, name, data):
        written[0] += len(data)
        return create(self, name, data)

    patch(Target, "put", counted_put)
    patch(Target, "create_slot", counted_create)
    return written


def deploy_json(cli: Callable[..., object], site: Path) -> dict:
    """``ssg deploy -s SITE --json`` through the test CLI runner: it must succeed; its summary."""
    result = cli("deploy", "-s", str(site), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
