"""Writing outputs: inside the output folder only, atomically, and only when the
bytes differ from what is on disk (so mtimes, ETags and deploy diffs stay valid)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ssg.errors import PathError, SsgError


class OutputWriter:
    """Writes files under ``root``. ``written`` and ``unchanged`` collect the
    relative paths of this build's outputs."""

    def __init__(self, root: Path):
        self.root = root.resolve()
        self.written: list[str] = []
        self.unchanged: list[str] = []
        self._made_dirs: set[Path] = set()

    def target(self, rel: str) -> Path:
        """The absolute path of ``rel``, proven to lie inside the output folder
        (also through symlinked folders already on disk)."""
        if "\x00" in rel or rel.startswith("/") or "\\" in rel:
            raise PathError(f"output path '{rel}' is not a relative posix path")
        path = (self.root / rel)
        parent = path.parent.resolve()
        if parent != self.root and self.root not in parent.parents:
            raise PathError(f"output path '{rel}' would be written outside the output folder ({parent})",
                            hint=f"a folder on the way is a symlink leading out of {self.root}; remove the link")
        return parent / path.name

    def write(self, rel: str, data: bytes) -> bool:
        """Write ``data`` to ``rel`` unless the file already holds exactly these
        bytes. Returns True when the file was written."""
        path = self.target(rel)
        if _same_bytes(path, data):
            self.unchanged.append(rel)
            return False
        self._ensure_dir(path.parent)
        try:
            atomic_write(path, data)
        except OSError as error:
            raise SsgError(f"cannot write '{rel}': {error.strerror or error}", where=str(path),
                           hint="check the output folder's permissions and free space") from None
        self.written.append(rel)
        return True

    def _ensure_dir(self, folder: Path) -> None:
        if folder not in self._made_dirs:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                # The folder itself or one of its parents is a file (an old output).
                blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), folder)
                raise PathError(f"cannot create folder '{folder}': a file is in the way ({blocker})",
                                hint="delete that file, or run `ssg clean` and build again") from None
            except OSError as error:
                raise SsgError(f"cannot create folder '{folder}': {error.strerror or error}",
                               hint="check the output folder's permissions") from None
            self._made_dirs.add(folder)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return False


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync-free, then rename over
    ``path``: readers see the old bytes or the new bytes, never a partial file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
