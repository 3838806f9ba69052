"""Running work across cores: forked worker processes that inherit the
parent's state (the site model, the Jinja environment) instead of pickling it.
Small jobs run in the calling process."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # not on Linux
        return max(1, os.cpu_count() or 1)


def pool_map(function: Callable[[T], R], items: Sequence[T], *, workers: int, chunksize: int = 0) -> list[R]:
    """``[function(item) for item in items]``, in order, in ``workers`` forked
    processes when more than one is asked for. ``function`` must be a module-level
    function; results and exceptions cross back by pickling."""
    if workers <= 1 or len(items) < 2:
        return [function(item) for item in items]
    context = multiprocessing.get_context("fork")
    size = chunksize or max(1, min(256, len(items) // (workers * 8)))
    with context.Pool(workers) as pool:
        return pool.map(function, items, chunksize=size)


def run_chunks(function: Callable[[int, int], Any], total: int, *, workers: int) -> list[Any]:
    """Call ``function(start, stop)`` over ``range(total)`` split into chunks,
    in forked workers; ``function`` reads what it needs from state the parent
    set up before this call (fork copies it)."""
    if workers <= 1 or total < 2:
        return [function(0, total)]
    step = max(1, min(128, total // (workers * 4)))
    bounds = [(start, min(total, start + step)) for start in range(0, total, step)]
    context = multiprocessing.get_context("fork")
    with context.Pool(workers) as pool:
        return pool.starmap(function, bounds, chunksize=1)


def in_background(function: Callable[[], bool], *, fork: bool = True) -> Callable[[], bool]:
    """Start ``function`` in a forked process and return a callable that waits
    for its answer, so the caller can do other work on the other core meanwhile.
    A child that fails answers False (callers ask questions whose safe answer
    is no). ``fork=False`` answers in this process, at once."""
    if not fork:
        done = function()
        return lambda: done
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: answer and leave at once (no atexit handlers, no flushing the parent's buffers)
        try:
            os.close(read)
            os.write(write, b"1" if function() else b"0")
        finally:
            os._exit(0)
    os.close(write)

    def answer() -> bool:
        try:
            return os.read(read, 1) == b"1"
        finally:
            os.close(read)
            os.waitpid(pid, 0)

    return answer
