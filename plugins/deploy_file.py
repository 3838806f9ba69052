"""Deploy target ``file:///path``: a folder on this machine (a mounted share, a
web server's docroot). Renames are os.replace; exclusive create is a hard
link of a complete temporary file, so a reader never sees a half-written lease."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import unquote

from ssg.api import DeployError, DeployTarget, hookimpl


class FileTarget(DeployTarget):
    def connect(self) -> None:
        if self.url.netloc not in ("", "localhost"):
            raise DeployError(f"file:// URLs name a local folder, not the host '{self.url.netloc}'",
                              hint="write file:///absolute/path (three slashes)")
        self.root = Path(unquote(self.url.path))
        if not self.root.is_absolute():
            raise DeployError("a file:// URL needs an absolute path", hint="write file:///absolute/path")

    def _path(self, path: str) -> Path:
        return self.root / path

    def read(self, path: str) -> bytes | None:
        try:
            return self._path(path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def stage(self, path: str, temp: str, data: bytes) -> None:
        target = self._path(temp)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def commit(self, path: str, temp: str, data: bytes) -> None:
        os.replace(self._path(temp), self._path(path))

    def delete(self, path: str) -> None:
        try:
            self._path(path).unlink()
        except FileNotFoundError:
            pass

    def create_exclusive(self, path: str, data: bytes) -> bool:
        final = self._path(path)
        temp = final.with_name(f".{final.name}.{uuid.uuid4().hex}.new")
        self.stage(path, str(temp.relative_to(self.root)), data)
        try:
            os.link(temp, final)
            return True
        except FileExistsError:
            return False
        finally:
            temp.unlink(missing_ok=True)

    def list_folder(self, folder: str) -> list[str]:
        try:
            return sorted(os.listdir(self._path(folder)))
        except (FileNotFoundError, NotADirectoryError):
            return []

    def listing(self) -> dict[str, int]:
        result = {}
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                path = Path(folder, name)
                result[path.relative_to(self.root).as_posix()] = path.stat().st_size
        return result


@hookimpl
def ssg_deploy_targets(register):
    register("file", FileTarget)
