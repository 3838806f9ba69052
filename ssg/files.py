"""Reading the site's input files: only regular files (or symlinks to them)
are ever opened. A FIFO blocks whoever opens it until a writer comes (a
build would hang holding the site's lock), and a device or a socket is no
site file either; they are told apart by ``stat``, which opens nothing."""

from __future__ import annotations

import errno
import os
import stat

from ssg.errors import ContentError, Location

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
