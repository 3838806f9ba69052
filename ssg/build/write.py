"""Writing outputs: inside the output folder only, atomically, and only when the
bytes differ from what is on disk (so mtimes, ETags and deploy diffs stay valid)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ssg.errors import PathError, SsgError
from ssg.runtime import crashpoint

TEMP_PREFIX = ".ssgtmp-"   # temporary files of a write in progress; a later build removes leftovers


@dataclass(frozen=True, slots=True)
class Written:
    """What is on disk at ``rel`` after a write: its sha256, size and mtime."""

    rel: str
    changed: bool
    sha: str
    size: int
    mtime_ns: int


class OutputWriter:
    """Writes files under ``root``. ``written`` and ``unchanged`` collect the
    relative paths of this build's outputs. ``announce(rel)`` is called before
    any file is created or replaced (the build journals it: after a kill, the
    next build knows the file as ssg's, whatever bytes it holds)."""

    def __init__(self, root: Path, announce: Callable[[str], None] | None = None):
        self.root = root.resolve()
        self.announce = announce
        self.written: list[str] = []
        self.unchanged: list[str] = []
        self._root = str(self.root)
        self._folders: dict[str, str] = {"": self._root}   # relative folder -> where it really is (proven inside)
        self._made: set[str] = set()
        self._fresh: set[str] = set()   # folders this writer created: nothing is in them but what it wrote

    def target(self, rel: str) -> Path:
        """The absolute path of ``rel``, proven to lie inside the output folder
        (also through symlinked folders already on disk)."""
        return Path(self._target(rel))

    def _target(self, rel: str, create: bool = False) -> str:
        if "\x00" in rel or rel.startswith("/") or "\\" in rel:
            raise PathError(f"output path '{rel}' is not a relative posix path")
        folder, _, name = rel.rpartition("/")
        if name in ("", ".", ".."):
            raise PathError(f"output path '{rel}' does not name a file")
        parent = self._folder(folder, create)
        if not self._inside(parent):
            raise PathError(f"output path '{rel}' would be written outside the output folder ({parent})",
                            hint=f"a folder on the way is a symlink leading out of {self.root}; remove the link")
        return f"{parent}/{name}"

    def _inside(self, path: str) -> bool:
        return path == self._root or path.startswith(self._root + "/")

    def _folder(self, folder: str, create: bool = False) -> str:
        """Where ``folder`` (relative, posix) really is: resolved one segment at a
        time, each parent once per build, so symlinks on the way are followed.
        With ``create``, a missing folder inside the output folder is made on
        the way (a folder just made is no symlink: no need to look)."""
        found = self._folders.get(folder)
        if found is None:
            head, _, last = folder.rpartition("/")
            parent = self._folder(head, create)
            if last in (".", ".."):
                found = os.path.realpath(f"{parent}/{last}")
            else:
                found = f"{parent}/{last}" if last else parent
                if not (create and last and self._made_here(found)) and os.path.islink(found):
                    found = os.path.realpath(found)
            self._folders[folder] = found
        return found

    def _made_here(self, path: str) -> bool:
        """Create ``path`` if its parent (resolved) is inside the output folder;
        False when it was not made (it exists, or cannot be made: ``_ensure_dir``
        then says why)."""
        if not self._inside(path.rpartition("/")[0]):
            return False
        try:
            os.mkdir(path)
        except OSError:
            return False
        self._made.add(path)
        self._fresh.add(path)
        return True

    def write(self, rel: str, data: bytes, known: tuple[str, int, int] | None = None) -> Written:
        """Write ``data`` to ``rel`` unless the file already holds exactly these
        bytes. ``known`` is (sha256, size, mtime_ns) of what ssg last wrote
        there: when the file on disk still has that size and mtime, it is
        compared by hash instead of being read."""
        path = self._target(rel, create=True)
        sha = hashlib.sha256(data).hexdigest()
        stat = None
        if path.rpartition("/")[0] not in self._fresh:
            try:
                stat = os.stat(path)
            except (FileNotFoundError, NotADirectoryError):
                pass
        if stat is not None and stat.st_size == len(data) and _same(path, stat, data, sha, known):
            self.unchanged.append(rel)
            return Written(rel, False, sha, stat.st_size, stat.st_mtime_ns)
        self._ensure_dir(path.rpartition("/")[0])
        if self.announce is not None:
            self.announce(rel)
            crashpoint.reached("announce")
        try:
            mtime_ns = atomic_write(path, data)
        except OSError as error:
            raise SsgError(f"cannot write '{rel}': {error.strerror or error}", where=path,
                           hint="check the output folder's permissions and free space") from None
        crashpoint.reached("write")
        self.written.append(rel)
        return Written(rel, True, sha, len(data), mtime_ns)

    def _ensure_dir(self, folder: str) -> None:
        if folder in self._made:
            return
        try:
            try:
                os.makedirs(folder, exist_ok=True) if folder == self._root else os.mkdir(folder)
            except FileNotFoundError:      # its parent is missing too
                self._ensure_dir(folder.rpartition("/")[0])
                os.mkdir(folder)
            except FileExistsError:
                if not os.path.isdir(folder):
                    raise
        except (FileExistsError, NotADirectoryError):
            # The folder itself or one of its parents is a file (an old output).
            path = Path(folder)
            blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), path)
            raise PathError(f"cannot create folder '{folder}': a file is in the way ({blocker})",
                            hint="delete that file, or run `ssg clean` and build again") from None
        except OSError as error:
            raise SsgError(f"cannot create folder '{folder}': {error.strerror or error}",
                           hint="check the output folder's permissions and free space") from None
        self._made.add(folder)


def _same(path: str, stat: os.stat_result, data: bytes, sha: str, known: tuple[str, int, int] | None) -> bool:
    if known is not None and known[1] == stat.st_size and known[2] == stat.st_mtime_ns:
        return known[0] == sha
    try:
        with open(path, "rb") as file:
            return file.read() == data
    except (IsADirectoryError, PermissionError):
        return False


def atomic_write(path: str | os.PathLike[str], data: bytes) -> int:
    """Write to a temporary file in the same folder, then rename over ``path``:
    readers see the old bytes or the new bytes, never a partial file. Returns
    the new file's mtime (ns)."""
    folder, name = os.path.split(os.fspath(path))
    tmp = os.path.join(folder, f"{TEMP_PREFIX}{os.getpid()}-{name}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            mtime_ns = os.fstat(fd).st_mtime_ns
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return mtime_ns
