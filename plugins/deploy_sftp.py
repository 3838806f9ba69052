"""Deploy target ``sftp://[user@]host[:port]/path`` (``ssh://`` is the same
target, with the same checks), on paramiko.

- Host keys are checked against known_hosts (``~/.ssh/known_hosts`` or the
  ``known_hosts`` option), or against a pinned ``host_key`` fingerprint. An
  unknown or changed key is refused, never accepted silently.
- Authentication: ``password`` (e.g. ``"${SFTP_PASSWORD}"``), else the ssh
  agent and ``key_file`` / ``~/.ssh/id_*``.
- Uploads write a temporary name, then ``posix-rename@openssh.com`` replaces
  the target atomically (plain SFTP v3 RENAME refuses an existing target).
- The lease's exclusive create is an open with CREATE|EXCL (O_EXCL on
  OpenSSH's and asyncssh's servers)."""

from __future__ import annotations

import base64
import hashlib
import io
import posixpath
import stat
import sys
from pathlib import Path
from urllib.parse import unquote

from ssg.api import ConfigError, DeployError, DeployTarget, Option, Table, hookimpl


def fingerprint(key) -> str:
    """'SHA256:...' as ``ssh-keygen -lf`` prints it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


def _import_paramiko():
    """paramiko, imported without its optional ``invoke`` (its ``[invoke]`` extra,
    used only for ``Match exec`` in an ssh_config file, which ssg never reads):
    importing invoke and the YAML parser it brings costs a third of paramiko's
    import time, about 0.1 s of every SFTP deploy."""
    blocked = "invoke" not in sys.modules
    if blocked:
        sys.modules["invoke"] = None        # type: ignore[assignment] - makes `import invoke` raise ImportError
    try:
        import paramiko
    except ImportError:
        raise ConfigError("sftp:// targets need paramiko, which is not installed",
                          hint="pip install 'ssg[sftp]'") from None
    finally:
        if blocked:
            del sys.modules["invoke"]
    return paramiko


class SftpTarget(DeployTarget):
    options = Table({
        "user": Option(str, None, "login name (default: the URL's user, else your local user name)"),
        "password": Option(str, None, "password, e.g. \"${SFTP_PASSWORD}\" (default: ssh agent and keys)"),
        "key_file": Option(str, None, "private key file (default: the ssh agent, then ~/.ssh/id_*)"),
        "known_hosts": Option(str, None, "known_hosts file to check the host key against (default: ~/.ssh/known_hosts)"),
        "host_key": Option(str, None, "pin the server's host key fingerprint, 'SHA256:...' (ssh-keygen -lf)"),
        "timeout": Option((int, float), 30, "seconds before a stalled connection fails"),
    })

    def connect(self) -> None:
        paramiko = _import_paramiko()

        config, url = self.config, self.url
        host, port = url.hostname or "localhost", url.port or 22
        shown = host if port == 22 else f"[{host}]:{port}"
        known_hosts = Path(config["known_hosts"] or "~/.ssh/known_hosts").expanduser()
        pinned = config["host_key"]

        class CheckHostKey(paramiko.MissingHostKeyPolicy):
            """Called for a key known_hosts does not list: accept only a pinned match."""

            def missing_host_key(self, client, hostname, key):
                seen = fingerprint(key)
                if pinned and seen == pinned.strip():
                    return
                if pinned:
                    raise DeployError(f"the host key of {shown} is {seen}, not the pinned {pinned}",
                                      hint="someone may be intercepting the connection; if the server's key "
                                           "really changed, update host_key")
                raise DeployError(f"the host key of {shown} ({key.get_name()} {seen}) is not in {known_hosts}; "
                                  "ssg never accepts an unknown host key",
                                  hint=f"check the fingerprint with the host's admin, then add it "
                                       f"(ssh-keyscan -p {port} {host} >> {known_hosts}) or pin it with "
                                       f"host_key = \"{seen}\"")

        client = paramiko.SSHClient()
        if not pinned and known_hosts.is_file():
            client.load_system_host_keys(str(known_hosts))
        client.set_missing_host_key_policy(CheckHostKey())
        user = config["user"] or unquote(url.username or "") or None
        password = config["password"] or unquote(url.password or "") or None
        try:
            self._connect(client, host, port, user, password, shown, known_hosts)
        except BaseException:
            client.close()
            raise
        self.client = client
        self.sftp = client.open_sftp()
        self.root = unquote(url.path).rstrip("/") or self.sftp.normalize(".")
        self._dirs: set[str] = set()       # folders known to exist; created on the first write

    def _connect(self, client, host, port, user, password, shown, known_hosts) -> None:
        paramiko = _import_paramiko()
        config = self.config
        try:
            client.connect(host, port, username=user, password=password, key_filename=config["key_file"],
                           allow_agent=True, look_for_keys=config["key_file"] is None,
                           timeout=config["timeout"], banner_timeout=config["timeout"], auth_timeout=config["timeout"])
        except paramiko.BadHostKeyException as error:
            raise DeployError(f"the host key of {shown} ({fingerprint(error.key)}) differs from the one in "
                              f"{known_hosts}", hint="someone may be intercepting the connection; if the server's "
                              "key really changed, remove the old line from known_hosts") from None
        except paramiko.AuthenticationException as error:
            raise DeployError(f"the SFTP server {shown} refused the login of '{user}': {error}",
                              hint="check the password, the ssh agent or key_file") from None

    def another_session(self) -> SftpTarget:
        """Another SFTP channel over the same SSH connection (no new handshake)."""
        other = SftpTarget(self.url, self.config)
        other.client, other.root, other._dirs, other._owns_client = self.client, self.root, self._dirs, False
        other.sftp = self.client.open_sftp()
        return other

    def close(self) -> None:
        try:
            if hasattr(self, "sftp"):
                self.sftp.close()
            if hasattr(self, "client") and getattr(self, "_owns_client", True):
                self.client.close()
        except Exception:  # noqa: BLE001
            pass

    def _abs(self, path: str) -> str:
        return f"{self.root}/{path}" if path else self.root

    def _make_folders(self, absolute: str) -> None:
        """Create ``absolute`` and any missing parent: one MKDIR for a new folder
        whose parent exists, a refused MKDIR and a STAT for one that exists."""
        if absolute in self._dirs or absolute in ("", "/", "."):
            return
        try:
            self.sftp.mkdir(absolute)
        except OSError:
            if not self._is_folder(absolute):
                parent = posixpath.dirname(absolute)
                if parent == absolute:
                    raise DeployError(f"cannot create the folder {absolute} on the SFTP server") from None
                self._make_folders(parent)
                try:
                    self.sftp.mkdir(absolute)
                except OSError:
                    if not self._is_folder(absolute):
                        raise DeployError(f"cannot create the folder {absolute} on the SFTP server",
                                          hint="check the user's permissions and the URL's path") from None
        self._dirs.add(absolute)

    def _is_folder(self, absolute: str) -> bool:
        try:
            if not stat.S_ISDIR(self.sftp.stat(absolute).st_mode or 0):
                raise DeployError(f"{absolute} on the SFTP server is a file, not a folder") from None
        except FileNotFoundError:
            return False
        return True

    def read(self, path: str) -> bytes | None:
        try:
            with self.sftp.open(self._abs(path), "rb") as handle:
                handle.prefetch()
                return handle.read()
        except FileNotFoundError:
            return None

    def stage(self, path: str, temp: str, data: bytes) -> None:
        self._make_folders(posixpath.dirname(self._abs(temp)))
        self.sftp.putfo(io.BytesIO(data), self._abs(temp), file_size=len(data), confirm=False)

    def commit(self, path: str, temp: str, data: bytes) -> None:
        try:
            self.sftp.posix_rename(self._abs(temp), self._abs(path))
        except OSError as error:
            if "unsupported" in str(error).lower():
                raise DeployError("this SFTP server lacks posix-rename@openssh.com, so files cannot be replaced "
                                  "atomically", hint="ask the host for an OpenSSH-based SFTP server") from None
            raise

    def delete(self, path: str) -> None:
        try:
            self.sftp.remove(self._abs(path))
        except FileNotFoundError:
            pass

    def create_exclusive(self, path: str, data: bytes) -> bool:
        absolute = self._abs(path)
        self._make_folders(posixpath.dirname(absolute))
        try:
            handle = self.sftp.open(absolute, "wbx")
        except OSError:
            try:
                self.sftp.stat(absolute)
            except FileNotFoundError:
                raise DeployError(f"the SFTP server refused an exclusive create of {absolute}",
                                  hint="the lock needs O_EXCL opens; some hosted servers (AWS Transfer) "
                                       "refuse them") from None
            return False
        with handle:
            handle.write(data)
        return True

    def list_folder(self, folder: str) -> list[str]:
        try:
            return sorted(self.sftp.listdir(self._abs(folder)))
        except FileNotFoundError:
            return []

    def listing(self) -> dict[str, int]:
        result: dict[str, int] = {}
        pending = [""]
        while pending:
            folder = pending.pop()
            try:
                entries = self.sftp.listdir_attr(self._abs(folder))
            except FileNotFoundError:
                if folder:
                    raise
                return {}                   # nothing was ever published here
            for entry in entries:
                rel = f"{folder}/{entry.filename}" if folder else entry.filename
                if stat.S_ISDIR(entry.st_mode or 0):
                    pending.append(rel)
                else:
                    result[rel] = entry.st_size or 0
        return result


@hookimpl
def ssg_deploy_targets(register):
    register("sftp", SftpTarget)
    register("ssh", SftpTarget)         # never the generic fsspec target: sshfs turns host keys off
