"""Crash points for the tests (in the manner of ALICE and CrashMonkey): every
remote write a deploy makes, numbered, so a test can stop the deployer after
any one of them and check what the next deploy makes of the target.

With ``SSG_TEST_OPS_LOG=<file>`` each write is appended to the file as
``<n> <operation> <path>``; with ``SSG_TEST_STOP_AFTER_OPS=<n>`` the deployer
stops itself (SIGSTOP) right after write number n, for the test to kill it
(kill -9) or let it stall past its lease and resume it (SIGCONT).

The writes are counted by wrapping the write methods of each target session
(``watch``), so every protocol gets it, including writes a target makes
through its own methods (a lease slot written with ``put``: its upload and its
rename are two points). A method whose work is done by other watched methods
is not counted again. Renewals by the heartbeat thread are not counted: their
number depends on time, and the points must be the same in every run.
Without either variable nothing is watched.

``SSG_TEST_CLOCK_FILE`` lets a test move every deployer's clock forward
(a deployer stalled "for an hour" in a second) and ``SSG_TEST_BATCH_FILES``
makes batches small, so a few files give several journal segments;
``SSG_TEST_SHARD_BYTES`` makes the manifest of a small site several shards."""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

STOP_AFTER_OPS_ENV = "SSG_TEST_STOP_AFTER_OPS"
OPS_LOG_ENV = "SSG_TEST_OPS_LOG"
CLOCK_ENV = "SSG_TEST_CLOCK_FILE"          # seconds to add to the wall clock, read from this file at every look
BATCH_ENV = "SSG_TEST_BATCH_FILES"         # files per upload batch (journal segment)
SHARD_BYTES_ENV = "SSG_TEST_SHARD_BYTES"   # the size a manifest shard aims at (shards.SHARD_BYTES)
WRITES = ("stage", "commit", "put", "discard", "delete", "create_exclusive", "create_slot", "write_slot",
          "delete_slot")
UNCOUNTED_THREADS = ("ssg-deploy-lease",)       # the lease heartbeat
ALWAYS = ("create_exclusive",)                  # its own atomic step follows the write of its record

T = TypeVar("T")


class Counter:
    def __init__(self, stop_after: int | None, log: str | None):
        self.stop_after = stop_after
        self.log = log
        self.count = 0
        self._lock = threading.Lock()
        self._nested = threading.local()
        self._classes: dict[type, type] = {}

    def watch(self, target: T) -> T:
        """Make ``target`` a watched session: its class becomes a subclass whose
        write methods count (a subclass, not instance attributes: a target that
        copies its attributes into another session copies no counting)."""
        cls = type(target)
        if not getattr(cls, "_ssg_watched", False):
            if cls not in self._classes:
                methods: dict[str, Any] = {name: self._counted(name, getattr(cls, name)) for name in WRITES}
                self._classes[cls] = type(cls.__name__, (cls,), {**methods, "_ssg_watched": True,
                                                                 "__module__": cls.__module__})
            target.__class__ = self._classes[cls]
        return target

    def _counted(self, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(target: Any, *args: Any, **kwargs: Any) -> Any:
            outer = getattr(self._nested, "counted", False)
            self._nested.counted = False
            try:
                result = method(target, *args, **kwargs)
            except BaseException:
                self._nested.counted = outer or self._nested.counted
                raise
            remote = name != "stage" or target.stages_remotely        # S3 stages nothing
            if ((not self._nested.counted or name in ALWAYS) and remote
                    and threading.current_thread().name not in UNCOUNTED_THREADS):
                self._record(name, str(args[0]) if args else "")
            self._nested.counted = True
            return result
        return call

    def _record(self, name: str, path: str) -> None:
        with self._lock:
            self.count += 1
            if self.log:
                with open(self.log, "a", encoding="utf-8") as handle:
                    handle.write(f"{self.count} {name} {path}\n")
            if self.count == self.stop_after:
                os.kill(os.getpid(), signal.SIGSTOP)


def from_environment() -> Counter | None:
    stop_after, log = os.environ.get(STOP_AFTER_OPS_ENV), os.environ.get(OPS_LOG_ENV)
    if not stop_after and not log:
        return None
    return Counter(int(stop_after) if stop_after else None, log)


def clock() -> Callable[[], float]:
    """The wall clock, moved forward by the seconds in the CLOCK_ENV file when it is set."""
    path = os.environ.get(CLOCK_ENV)
    if not path:
        return time.time

    def moved() -> float:
        try:
            with open(path, encoding="utf-8") as handle:
                return time.time() + float(handle.read().strip() or 0)
        except (OSError, ValueError):
            return time.time()
    return moved


def batch_files(default: int) -> int:
    return int(os.environ.get(BATCH_ENV) or default)


def shard_bytes(default: int) -> int:
    return int(os.environ.get(SHARD_BYTES_ENV) or default)
