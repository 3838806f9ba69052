"""The fallback deploy target: any URL fsspec knows (``memory://``, ``gcs://``,
``az://``, ``webdav://``... with the matching fsspec package installed).

Atomicity and the lock are only as good as the filesystem: replacing a file
is ``fs.mv`` of a temporary name, the lease's exclusive create is an ``"xb"``
open, which several implementations emulate with check-then-write. Prefer a
dedicated target where one exists; see docs/deploy.md."""

from __future__ import annotations

import posixpath

from ssg.api import ConfigError, DeployTarget, Table, hookimpl


class FsspecTarget(DeployTarget):
    default_jobs = 1
    options = Table({
        "storage_options": Table(doc="keyword arguments for the fsspec filesystem (credentials: use ${ENV})",
                                 open=True),
    })

    def connect(self) -> None:
        from fsspec.core import url_to_fs

        try:
            self.fs, root = url_to_fs(self.config["url"], **self.config["storage_options"])
        except (ValueError, ImportError) as error:
            raise ConfigError(f"fsspec cannot open '{self.url.scheme}://' URLs: {error}",
                              hint="install the fsspec package for this protocol, or use ftp://, sftp://, "
                                   "s3:// or file://") from None
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
        try:
            with self.fs.open(absolute, "xb") as handle:
                handle.write(data)
        except FileExistsError:
            return False
        return True

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
