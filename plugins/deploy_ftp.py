"""Deploy targets ``ftp://`` and ``ftps://`` (explicit FTPS: AUTH TLS, PROT P),
on the standard library's ftplib.

- Uploads STOR a temporary name, then RNFR/RNTO over the target. Whether RNTO
  overwrites depends on the server (vsftpd, ProFTPD, Pure-FTPd, pyftpdlib do;
  IIS and FileZilla Server refuse), so it is probed before the first upload.
- The lease's exclusive create is MKD (mkdir(2) on the server: exactly one
  of two racing MKDs succeeds); a 550 reply is only taken as "exists" after
  checking that the folder is there.
- FTPS verifies the server certificate and host name unless told otherwise.
- Listings use MLSD where FEAT announces MLST (pure-ftpd, ProFTPD, pyftpdlib);
  elsewhere (vsftpd) ``LIST -a``, whose unix ``ls -l`` lines are parsed
  (names with spaces included). A server with neither gets a clear error at
  connect time, before anything is written. A listing that fails is an
  error, never an empty folder: only a folder that CWD cannot enter is
  missing."""

from __future__ import annotations

import io
import posixpath
import re
import uuid
from typing import TYPE_CHECKING
from urllib.parse import unquote

if TYPE_CHECKING:
    import ftplib

from ssg.api import DeployError, DeployTarget, Option, Table, hookimpl, temp_name

RECORD = "lease.json"


class _Missing(Exception):
    """CWD into the folder to list was refused."""


class _Unreadable(Exception):
    """A LIST answer without the folder's own "." line from a server that shows it: not readable."""

# One `ls -l` line: type and permissions, links, owner, group, size, a date of three fields, the name.
_LS_LINE = re.compile(r"([-dlbcps])[-rwxsStTl+.@]{9}\S*\s+\d+\s+\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\S+ (.+)")


def parse_ls_line(line: str) -> tuple[str, str, int] | None:
    """(name, "file" | "dir" | "other", size) of one unix ``LIST`` line; None
    for a line that is not one ("total 12", a blank)."""
    found = _LS_LINE.fullmatch(line.rstrip("\r\n"))
    if found is None:
        return None
    kind, size, name = found.groups()
    if kind == "l":
        name = name.split(" -> ", 1)[0]
    return name, {"-": "file", "d": "dir"}.get(kind, "other"), int(size)


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
        self.mlsd = self._has_mlst()
        self._list_shows_dot = False
        if not self.mlsd:
            self._check_list_format()

    def _has_mlst(self) -> bool:
        try:
            features = self.ftp.sendcmd("FEAT").splitlines()[1:-1]
        except ftplib.error_perm:           # no FEAT (RFC 959 only): no MLST either
            return False
        return any(line.strip().upper().split(" ")[0] == "MLST" for line in features)

    def _check_list_format(self) -> None:
        """Without MLSD, listings come from LIST: refuse a server whose LIST lines
        are not unix `ls -l` lines (IIS's DOS style) before anything is written."""
        try:
            lines = self._list_lines(self.root if self._is_folder(self._abs("")) else "/")
        except _Missing:                    # "/" refused too: the first listing will say so
            return
        parsed = [parse_ls_line(line) for line in lines if line.strip() and not line.startswith("total ")]
        if None in parsed:
            raise DeployError(f"the FTP server {self.url.hostname} has no MLSD and its LIST output is not in the "
                              f"unix 'ls -l' format ssg reads (first line: {lines[0]!r})",
                              hint="ssg needs MLSD or unix-style LIST to see what is on the server; ask the host "
                                   "to enable MLSD or unix listings, or use SFTP")
        # vsftpd answers LIST of a folder it cannot read with an empty listing; where `LIST -a` shows
        # "." (vsftpd, pure-ftpd), a listing without it is such a refusal, not an empty folder.
        self._list_shows_dot = any(entry[0] == "." for entry in parsed if entry)

    def _list_lines(self, absolute: str) -> list[str]:
        """`LIST -a` of a folder, from inside it (`LIST -a PATH` is a LIST of a
        file named "-a PATH" on some servers); _Missing when CWD refuses it."""
        if not self._is_folder(absolute):
            raise _Missing
        lines: list[str] = []
        self.ftp.retrlines("LIST -a", lines.append)
        return lines

    def _list(self, absolute: str) -> list[tuple[str, str, int]]:
        """(name, kind, size) of each entry; raises _Missing when the folder cannot be entered."""
        if self.mlsd:
            try:
                return [(name, facts.get("type", ""), int(facts.get("size", 0) or 0))
                        for name, facts in self.ftp.mlsd(absolute, facts=["type", "size"])
                        if name not in (".", "..") and facts.get("type") not in ("cdir", "pdir")]
            except ftplib.error_perm:
                if not self._is_folder(absolute):
                    raise _Missing from None
                raise
        lines = self._list_lines(absolute)
        parsed = [entry for entry in map(parse_ls_line, lines) if entry is not None]
        if self._list_shows_dot and not any(name == "." for name, _kind, _size in parsed):
            raise _Unreadable(f"first line {lines[0]!r}" if lines else "an empty listing, without '.'")
        return [(name, kind, size) for name, kind, size in parsed if name not in (".", "..")]

    def _entries(self, folder: str) -> list[tuple[str, str, int]] | None:
        """(name, kind, size) of everything directly in ``folder``; None when the
        folder does not exist. A folder that exists but cannot be entered or
        read is a DeployError, never an empty folder (a refusal is tried once
        more first: the folder may have been created meanwhile)."""
        absolute = self._abs(folder)
        for attempt in (1, 2):
            try:
                return self._list(absolute)
            except _Missing:
                parent, name = posixpath.split(absolute)
                try:
                    if parent == absolute or name not in [entry[0] for entry in self._list(parent)]:
                        return None
                except (_Missing, _Unreadable, ftplib.error_perm):
                    return None
                error: object = "it is listed in its parent folder but cannot be entered"
            except (ftplib.error_perm, _Unreadable) as refusal:
                error = refusal
            if attempt == 2:
                raise DeployError(f"the FTP server {self.url.hostname} did not list the folder {absolute}: "
                                  f"{error}", hint="ssg needs MLSD or a unix-style `LIST -a`; check that the "
                                  "FTP user may enter and read the target folder, or use SFTP if the host "
                                  "offers it")
        raise AssertionError("unreachable")

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

    def _exists(self, path: str) -> bool:
        if self.mlsd:           # MLST: one reply on the control connection, no listing
            try:
                self.ftp.sendcmd(f"MLST {self._abs(path)}")
                return True
            except ftplib.error_perm:
                return False
        folder, name = posixpath.split(path)
        entries = self._entries(folder)
        return entries is not None and any(entry == name for entry, _kind, _size in entries)

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
        except ftplib.error_perm as error:
            if self._exists(path):
                raise DeployError(f"the FTP server {self.url.hostname} refused to delete {self._abs(path)}: "
                                  f"{error}", hint="check the FTP user's permission to delete files") from None

    def create_exclusive(self, path: str, data: bytes) -> bool:
        raise NotImplementedError("FTP has no exclusive file create; leases use MKD")

    def list_folder(self, folder: str) -> list[str]:
        return sorted(name for name, _kind, _size in self._entries(folder) or [])

    def listing(self) -> dict[str, int]:
        result: dict[str, int] = {}
        pending = [""]
        while pending:
            folder = pending.pop()
            entries = self._entries(folder)
            if entries is None:
                if folder:
                    raise DeployError(f"the folder {self._abs(folder)} vanished from the FTP server while "
                                      "it was being listed", hint="run the deploy again")
                return {}                   # nothing was ever published here
            for name, kind, size in entries:
                rel = f"{folder}/{name}" if folder else name
                if kind == "dir":
                    pending.append(rel)
                elif kind == "file":
                    result[rel] = size
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
                except (ftplib.Error, DeployError):
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
