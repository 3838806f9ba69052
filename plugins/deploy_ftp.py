"""Deploy targets ``ftp://`` and ``ftps://`` (explicit FTPS: AUTH TLS, PROT P),
on the standard library's ftplib.

- Uploads STOR a temporary name, then RNFR/RNTO over the target. Whether RNTO
  overwrites depends on the server (vsftpd, ProFTPD, Pure-FTPd, pyftpdlib do;
  IIS and FileZilla Server refuse), so it is probed before the first upload.
- The lease's exclusive create is MKD (mkdir(2) on the server: exactly one
  of two racing MKDs succeeds); a 550 reply is only taken as "exists" after
  checking that the folder is there.
- FTPS verifies the server certificate and host name unless told otherwise."""

from __future__ import annotations

import io
import posixpath
import uuid
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    import ftplib

from ssg.api import DeployError, DeployTarget, Option, Table, hookimpl, temp_name

RECORD = "lease.json"


class FtpTarget(DeployTarget):
    default_jobs = 2            # shared hosts often allow only a few connections per user
    options = Table({
        "user": Option(str, None, "login name (default: the URL's user, else anonymous)"),
        "password": Option(str, None, "password; write \"${FTP_PASSWORD}\" to take it from the environment"),
        "tls": Option(bool, False, "explicit FTPS on an ftp:// URL (ftps:// implies it)"),
        "ca_file": Option(str, None, "PEM file of the certificate authority (or self-signed certificate) to trust"),
        "verify_tls": Option(bool, True, "verify the FTPS server's certificate and host name"),
        "passive": Option(bool, True, "passive mode data connections"),
        "timeout": Option((int, float), 30, "seconds before a stalled connection fails"),
    })

    def connect(self) -> None:
        # Imported by the first connection, not whenever a build loads the plugin (30 ms of a
        # build where nothing changed); every other method runs on a connected target.
        global ftplib
        import ftplib
        import ssl

        url, config = self.url, self.config
        self.tls = url.scheme.lower() == "ftps" or config["tls"]
        if self.tls:
            context = ssl.create_default_context(cafile=config["ca_file"])
            if not config["verify_tls"]:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self.ftp: ftplib.FTP = ftplib.FTP_TLS(context=context, timeout=config["timeout"])
        else:
            self.ftp = ftplib.FTP(timeout=config["timeout"])
        self.ftp.connect(url.hostname or "localhost", url.port or 21)
        user = config["user"] or unquote(url.username or "") or "anonymous"
        try:
            self.ftp.login(user, config["password"] or unquote(url.password or ""))
        except ftplib.error_perm as error:
            raise DeployError(f"the FTP server refused the login of '{user}': {error}",
                              hint="check user and password (password = \"${FTP_PASSWORD}\" in the target)"
                                   + ("" if self.tls else "; a server that requires FTPS needs tls = true "
                                                          "or an ftps:// URL")) from None
        except ssl.SSLCertVerificationError as error:      # AUTH TLS happens in login()
            raise DeployError(f"cannot verify the certificate of the FTPS server {url.hostname}: "
                              f"{error.verify_message or error}",
                              hint="give the certificate of its authority (or its self-signed certificate) as "
                                   "ca_file; verify_tls = false turns the check off") from None
        if self.tls:
            self.ftp.prot_p()
        self.ftp.set_pasv(config["passive"])
        self.root = unquote(url.path).rstrip("/") or self.ftp.pwd().rstrip("/")
        self._dirs: set[str] = set()       # folders known to exist; created on the first write

    def close(self) -> None:
        ftp = getattr(self, "ftp", None)
        if ftp is None:
            return
        try:
            ftp.quit()
        except Exception:  # noqa: BLE001 - the connection is going away either way
            ftp.close()

    def _abs(self, path: str) -> str:
        return f"{self.root}/{path}" if path else self.root or "/"

    def _is_folder(self, absolute: str) -> bool:
        try:
            self.ftp.cwd(absolute)
            return True
        except ftplib.error_perm:
            return False

    def _exists(self, absolute: str) -> bool:
        try:
            self.ftp.sendcmd(f"MLST {absolute}")
            return True
        except ftplib.error_perm:
            return False

    def _make_folders(self, absolute: str) -> None:
        parts = [p for p in absolute.split("/") if p]
        current = ""
        for part in parts:
            current = f"{current}/{part}"
            if current in self._dirs:
                continue
            try:
                self.ftp.mkd(current)
            except ftplib.error_perm as error:
                if not self._is_folder(current):
                    raise DeployError(f"cannot create the folder {current} on the FTP server: {error}",
                                      hint="check the user's permissions and the URL's path") from None
            self._dirs.add(current)

    def read(self, path: str) -> bytes | None:
        buffer = io.BytesIO()
        try:
            self.ftp.retrbinary(f"RETR {self._abs(path)}", buffer.write)
        except ftplib.error_perm:
            return None
        return buffer.getvalue()

    def stage(self, path: str, temp: str, data: bytes) -> None:
        self._make_folders(posixpath.dirname(self._abs(temp)))
        self.ftp.storbinary(f"STOR {self._abs(temp)}", io.BytesIO(data))

    def commit(self, path: str, temp: str, data: bytes) -> None:
        self.ftp.rename(self._abs(temp), self._abs(path))

    def delete(self, path: str) -> None:
        try:
            self.ftp.delete(self._abs(path))
        except ftplib.error_perm:
            if self._exists(self._abs(path)):
                raise

    def create_exclusive(self, path: str, data: bytes) -> bool:
        raise NotImplementedError("FTP has no exclusive file create; leases use MKD")

    def list_folder(self, folder: str) -> list[str]:
        try:
            return sorted(name for name, _facts in self.ftp.mlsd(self._abs(folder)) if name not in (".", ".."))
        except ftplib.error_perm:
            return []

    def listing(self) -> dict[str, int]:
        result: dict[str, int] = {}
        pending = [""]
        while pending:
            folder = pending.pop()
            try:
                entries = list(self.ftp.mlsd(self._abs(folder), facts=["type", "size"]))
            except ftplib.error_perm:
                if folder:
                    raise
                return {}                   # nothing was ever published here
            for name, facts in entries:
                rel = f"{folder}/{name}" if folder else name
                kind = facts.get("type", "")
                if kind == "dir":
                    pending.append(rel)
                elif kind == "file":
                    result[rel] = int(facts.get("size", 0))
        return result

    def prepare_uploads(self) -> None:
        """RNTO must replace an existing file; some servers refuse (or worse)."""
        probe = self.state_path(f"rename-probe-{uuid.uuid4().hex[:8]}")
        self.put(probe + "-b", b"old", probe + "-a0")
        self._still_ours()
        self.stage(probe + "-b", probe + "-a", b"new")
        try:
            self._still_ours()
            self.commit(probe + "-b", probe + "-a", b"new")
            replaced = self.read(probe + "-b") == b"new"
        except ftplib.error_perm as error:
            replaced, detail = False, str(error)
        else:
            detail = "the old file stayed"
        finally:
            for name in (probe + "-a", probe + "-b"):
                self._still_ours()      # a deployer that lost its lock meanwhile writes nothing more
                try:
                    self.delete(name)
                except ftplib.Error:
                    pass
        if not replaced:
            raise DeployError(f"this FTP server does not rename over an existing file ({detail}), so files "
                              "cannot be replaced atomically", hint="use SFTP if the host offers it; servers such as "
                              "IIS and FileZilla Server refuse RNTO onto an existing name")

    def _still_ours(self) -> None:
        if self.guard is not None:
            self.guard()

    # The lease: one folder per slot (MKD is the atomic create), its record inside.
    def create_slot(self, name: str, data: bytes) -> bool:
        folder = self._abs(self.slot_path(name))
        self._make_folders(posixpath.dirname(folder))
        try:
            self.ftp.mkd(folder)
        except ftplib.error_perm as error:
            if self._is_folder(folder):
                return False
            raise DeployError(f"cannot create the lock folder {folder}: {error}",
                              hint="the FTP user needs permission to create folders in the target") from None
        self._dirs.add(folder)
        self.write_slot(name, data, name)
        return True

    def read_slot(self, name: str) -> bytes | None:
        return self.read(f"{self.slot_path(name)}/{RECORD}")

    def write_slot(self, name: str, data: bytes, deploy_id: str) -> None:
        path = f"{self.slot_path(name)}/{RECORD}"
        self.put(path, data, temp_name(path, deploy_id))

    def delete_slot(self, name: str) -> None:
        folder = self.slot_path(name)
        for entry in self.list_folder(folder):
            self.delete(f"{folder}/{entry}")
        try:
            self.ftp.rmd(self._abs(folder))
        except ftplib.error_perm:
            pass


@hookimpl
def ssg_deploy_targets(register):
    register("ftp", FtpTarget)
    register("ftps", FtpTarget)
