"""The fallback deploy target: any URL fsspec knows (``memory://``, ``gcs://``,
``az://``, ``webdav://``... with the matching fsspec package installed).

Atomicity and the lock are only as good as the filesystem: replacing a file
is ``fs.mv`` of a temporary name, the lease's exclusive create is an ``"xb"``
open, which several implementations emulate with check-then-write. Prefer a
dedicated target where one exists; see docs/deploy.md.

It never serves ftp, ftps, sftp, ssh or s3 (not even inside a chained URL
such as ``simplecache::sftp://``): their fsspec implementations lose the
checks ssg's dedicated targets make (host keys, certificates, exclusive
creates, conditional writes); docs/deploy.md says which and why."""

from __future__ import annotations

import posixpath

from ssg.api import ConfigError, DeployError, DeployTarget, Table, hookimpl

# Schemes with a dedicated target (plugin, URL to use instead).
DEDICATED = {"ftp": ("deploy_ftp", "ftp://"), "ftps": ("deploy_ftp", "ftps://"),
             "sftp": ("deploy_sftp", "sftp://"), "ssh": ("deploy_sftp", "sftp://"),
             "s3": ("deploy_s3", "s3://"), "s3a": ("deploy_s3", "s3://")}


def refuse_dedicated(url: str, protocols: tuple[str, ...] = ()) -> None:
    """ConfigError when ``url`` (any link of an fsspec chain) or the filesystem's
    ``protocols`` are ones a dedicated target serves."""
    schemes = [part.split("://", 1)[0].lower() for part in url.split("::") if "://" in part]
    for scheme in [*schemes, *(p.lower() for p in protocols)]:
        if scheme in DEDICATED:
            plugin, use = DEDICATED[scheme]
            raise ConfigError(f"'{scheme}://' is not deployed through fsspec (in '{url}'): its fsspec filesystem "
                              "lacks the safety checks of ssg's own target for it",
                              hint=f"write the URL as {use}host/path (ssg's {plugin} plugin; if it is in "
                                   "plugins.disable, enable it again)")


def exclusive_create(fs, path: str, data: bytes) -> bool:
    """Create ``path`` holding ``data`` only if nothing is there (an ``"xb"``
    open); False when it exists. Implementations report "exists" differently
    (FileExistsError; OSError or SFTPFailure from SFTP classes; a failed
    commit at close from buffered ones), so a failure to open or to commit
    with the file present is "exists", and one with the file absent is an
    error. A write refused after the exclusive open succeeded (fsspec's
    paramiko class opens "xb" files read-only) is an error too, never a lost
    race: the empty file is ours, and is removed."""
    stage = "open"
    try:
        with fs.open(path, "xb") as handle:
            stage = "write"
            handle.write(data)
            stage = "commit"
    except FileExistsError:
        return False
    except Exception as error:  # noqa: BLE001 - each implementation has its own exception for "exists"
        if stage == "write":
            try:
                fs.rm_file(path)
            except Exception:  # noqa: BLE001 - the write error is the one to report
                pass
            raise DeployError(f"{path} was created but could not be written: {type(error).__name__}: {error}",
                              hint="this fsspec filesystem cannot write files opened with \"xb\", which the "
                                   "deploy lock needs; use a dedicated target (file://, ftp://, sftp://, s3://) "
                                   "if one fits") from None
        try:
            present = fs.exists(path)
        except Exception:  # noqa: BLE001 - the first error is the one to report
            present = False
        if present:
            return False
        raise DeployError(f"the exclusive create of {path} failed: {type(error).__name__}: {error}",
                          hint="the deploy lock needs an exclusive create (an \"xb\" open) on this "
                               "filesystem; use a dedicated target (file://, ftp://, sftp://, s3://) if one "
                               "fits") from None
    return True


class FsspecTarget(DeployTarget):
    default_jobs = 1
    options = Table({
        "storage_options": Table(doc="keyword arguments for the fsspec filesystem (credentials: use ${ENV})",
                                 open=True),
    })

    def connect(self) -> None:
        from fsspec.core import url_to_fs

        refuse_dedicated(self.config["url"])
        try:
            self.fs, root = url_to_fs(self.config["url"], **self.config["storage_options"])
        except (ValueError, ImportError) as error:
            raise ConfigError(f"fsspec cannot open '{self.url.scheme}://' URLs: {error}",
                              hint="install the fsspec package for this protocol, or use ftp://, sftp://, "
                                   "s3:// or file://") from None
        protocol = self.fs.protocol
        refuse_dedicated(self.config["url"], (protocol,) if isinstance(protocol, str) else tuple(protocol))
        self.root = root.rstrip("/")

    def _abs(self, path: str) -> str:
        return f"{self.root}/{path}" if path else self.root

    def read(self, path: str) -> bytes | None:
        try:
            return self.fs.cat_file(self._abs(path))
        except FileNotFoundError:
            return None

    def stage(self, path: str, temp: str, data: bytes) -> None:
        self.fs.makedirs(posixpath.dirname(self._abs(temp)), exist_ok=True)
        self.fs.pipe_file(self._abs(temp), data)

    def commit(self, path: str, temp: str, data: bytes) -> None:
        self.fs.mv(self._abs(temp), self._abs(path))

    def delete(self, path: str) -> None:
        try:
            self.fs.rm_file(self._abs(path))
        except FileNotFoundError:
            pass

    def create_exclusive(self, path: str, data: bytes) -> bool:
        absolute = self._abs(path)
        self.fs.makedirs(posixpath.dirname(absolute), exist_ok=True)
        return exclusive_create(self.fs, absolute, data)

    def list_folder(self, folder: str) -> list[str]:
        try:
            return sorted(posixpath.basename(p.rstrip("/")) for p in self.fs.ls(self._abs(folder), detail=False))
        except FileNotFoundError:
            return []

    def listing(self) -> dict[str, int]:
        found = self.fs.find(self.root, detail=True)
        start = len(self.root.lstrip("/")) + 1
        return {name.lstrip("/")[start:]: info.get("size") or 0 for name, info in found.items()}


@hookimpl
def ssg_deploy_targets(register):
    register("*", FsspecTarget)
