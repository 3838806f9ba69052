"""Reading the site's input files, and the errors of the file system in
ssg's words (what, where, what to do). Only regular files (or symlinks to
them) are ever opened. A FIFO blocks whoever opens it until a writer comes (a
build would hang holding the site's lock), and a device or a socket is no
site file either; they are told apart by ``stat``, which opens nothing."""

from __future__ import annotations

import errno
import os
import sqlite3
import stat
from pathlib import Path

from ssg.errors import ContentError, Location, SsgError

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISDIR, "a folder"))

HINT = "only regular files are read; remove it, or move it out of the site"


class NotRegularFile(OSError):
    """An input path that is not a regular file; ``kind`` says what it is."""

    def __init__(self, path: str, kind: str):
        super().__init__(errno.EINVAL, f"is {kind}, not a regular file", path)
        self.kind = kind


def kind_of(mode: int) -> str | None:
    """What a file of stat mode ``mode`` is, when it is not a regular file (None)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def irregular(path: str | os.PathLike) -> str | None:
    """What ``path`` (symlinks followed) is when it exists and is not a
    regular file; None for a regular file or one that cannot be stat'ed
    (reading it will say why)."""
    try:
        return kind_of(os.stat(path).st_mode)
    except OSError:
        return None


def read_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of the regular file ``path``. Anything else raises
    ``NotRegularFile`` without being opened; the open itself does not block
    (a FIFO swapped in after the check is seen by ``fstat``, never waited on)."""
    return read_with_stat(path)[0]


def read_with_stat(path: str | os.PathLike) -> tuple[bytes, os.stat_result]:
    """``read_bytes``, with the stat of the file as read."""
    kind = irregular(path)
    if kind is not None:
        raise NotRegularFile(os.fspath(path), kind)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(fd)
        kind = kind_of(status.st_mode)
        if kind is not None:
            raise NotRegularFile(os.fspath(path), kind)
        return file.read(), status


_ADVICE = {
    errno.EACCES: "give the user running ssg read permission on it (and search permission on its folders)",
    errno.EPERM: "give the user running ssg read permission on it",
    errno.ELOOP: "a symlink leads to itself, directly or through others: point it at a real file",
    errno.ENOENT: "it is a symlink to a file that does not exist: fix the link or remove it",
    errno.ENAMETOOLONG: "shorten the file name (at most 255 bytes) or its path",
    errno.EIO: "the disk or the file system reported an error: check it",
}


def advice(error: OSError) -> str:
    """What to do about ``error`` met reading an input file."""
    if isinstance(error, NotRegularFile):
        return HINT
    return _ADVICE.get(error.errno or 0, "check that the file can be read")


def unreadable(error: OSError, source: str) -> ContentError:
    """The error for the input file ``source`` (site-relative) that cannot be read."""
    reason = error.strerror if not isinstance(error, NotRegularFile) else f"it is {error.kind}, not a regular file"
    return ContentError(f"cannot be read: {reason or error}", where=Location(source), hint=advice(error))


_WRITE_ADVICE = {
    errno.ENOSPC: "free space on that disk, then build again",
    errno.EDQUOT: "the disk quota is used up: free space, then build again",
    errno.EFBIG: "the file is larger than this process may write (ulimit -f): raise the limit",
    errno.EROFS: "the file system is read-only: build into a writable folder (--out DIR)",
    errno.EACCES: "give the user running ssg write permission on that folder",
    errno.EPERM: "give the user running ssg write permission on that folder",
    errno.ENAMETOOLONG: "use a shorter slug or url (a name is at most 255 bytes)",
    errno.EIO: "the disk or the file system reported an error: check it",
}


def write_advice(error: OSError) -> str:
    """What to do about ``error`` met writing a file."""
    return _WRITE_ADVICE.get(error.errno or 0, "check the folder and the disk it is on")


def write_failure(error: OSError, path: str, source: str) -> OSFailure:
    """The error for the output ``path`` (made from ``source``) that could not be written."""
    return OSFailure(f"cannot write {path} (from {source}): {error.strerror or error}; its previous file is kept",
                     where=Location(path), hint=write_advice(error))


class OSFailure(SsgError):
    """The system refused a read or a write (disk full, permissions, a name
    too long...): the user's situation, with what to do about it. Exit 1."""


def os_failure(error: BaseException, state_dir: Path, output_root: Path) -> SsgError | None:
    """The user's error for an OS or SQLite failure that ended a build
    (None: not one). The chain of causes is searched: a failed ROLLBACK after
    a full disk must report the full disk."""
    chain, seen = [], error
    while seen is not None and len(chain) < 10:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    for cause in reversed(chain):          # the first failure: what the system said
        if isinstance(cause, OSError) and cause.errno is not None:
            where = os.fsdecode(cause.filename if cause.filename is not None else state_dir)
            written = where.startswith((f"{state_dir}{os.sep}", f"{output_root}{os.sep}")) or where == str(state_dir)
            return OSFailure(f"the build stopped: {cause.strerror or cause}; nothing was deleted",
                             where=Location(where), hint=write_advice(cause) if written else advice(cause))
    for cause in reversed(chain):    # the first failure, not a ROLLBACK that failed after it
        if isinstance(cause, sqlite3.OperationalError):
            text = str(cause)
            hint = ("free space on the disk holding it, then build again" if "full" in text else
                    f"make {state_dir} writable by the user running ssg (or delete it: the next build is a "
                    "full one)" if "readonly" in text or "unable to open" in text else
                    f"check {state_dir} and the disk it is on (deleting it makes the next build a full one)")
            return OSFailure(f"the build state cannot be written: {text}", where=Location(str(state_dir / "state.db")),
                             hint=hint)
    return None
