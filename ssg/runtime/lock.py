"""A local, site-wide lock held with flock(2): the OS releases it when the
holder exits or dies (kill -9 included), so there is no pid file for an
error handler to delete and no stale lock to break by hand.

The lock file also holds who has it (host, pid, command, since when) so the
second process can say whom it waits for. That text is informative only: the
flock is the lock."""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from ssg.errors import SsgError


class LockedError(SsgError):
    """Another process holds the lock and the caller asked not to wait."""


class Lock:
    """``with Lock(path, "build"):`` -- exclusive between processes on this machine.

    ``wait=False`` raises ``LockedError`` naming the holder; ``wait=True`` calls
    ``on_wait(holder_text)`` once, then blocks until the holder is gone."""

    def __init__(self, path: Path, purpose: str, *, wait: bool = True,
                 on_wait: Callable[[str], None] | None = None, hint: str | None = None):
        self.path = path
        self.purpose = purpose
        self.wait = wait
        self.on_wait = on_wait
        self.hint = hint
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = describe_holder(self.path)
                if not self.wait:
                    raise LockedError(f"the {self.purpose} lock is held: {holder}", where=str(self.path),
                                      hint=self.hint or "wait for it to finish, or run without --no-wait to queue") from None
                if self.on_wait is not None:
                    self.on_wait(holder)
                fcntl.flock(fd, fcntl.LOCK_EX)
            info = {"host": os.uname().nodename, "pid": os.getpid(), "command": " ".join(sys.argv[:3]),
                    "since": datetime.now(UTC).isoformat(timespec="seconds"), "purpose": self.purpose}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)   # nobody holds it now; the OS drops the flock on close
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Lock:
        self.acquire()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


def describe_holder(path: Path) -> str:
    """'held by HOST pid N (ssg build) since T', as far as the lock file says."""
    for _ in range(20):   # the holder writes its name just after taking the lock
        try:
            info = json.loads(path.read_text() or "null")
        except (OSError, ValueError):
            info = None
        if info:
            return (f"held by {info.get('host')} pid {info.get('pid')} ({info.get('command')}) "
                    f"since {info.get('since')}")
        time.sleep(0.01)
    return "held by another process"
