"""Running work across cores: forked worker processes that inherit the
parent's state (the site model, the Jinja environment) instead of pickling it.
Small jobs run in the calling process, unless they ask to be isolated.

The pool is ours rather than ``multiprocessing.Pool``, whose ``map`` waits
forever for a worker that died (killed by SIGKILL or the kernel's OOM killer,
or crashed in C code). A worker inherits the items too, so it is handed
only their positions, in small batches, two ahead (nothing is pickled on the
way out, and a worker never waits for the parent); it sends each batch's
results back in one message, and before each item writes the item's
number on a board shared with the parent (an anonymous shared mmap: no system
call per item). When a worker dies, the board says which item it was on: that
item alone fails (the caller's ``failed`` turns the loss into the item's
result), the rest of its batches go back to the queue (items it had finished
are done again), and a new worker takes the dead one's place. A worker whose
board does not move for ``item_timeout`` seconds is stopped the same way.
Results come back in the order of the items.

Each worker has ``faulthandler`` write to a pipe of its own: when it crashes
(SIGSEGV, SIGABRT, ...) or is stopped for standing still (SIGUSR1 asks it
for its stack, then SIGKILL), the Python stack it was running comes back with
the loss, so the caller can name the code. SIGKILL (the kernel's OOM killer, say) leaves no
stack."""

from __future__ import annotations

import faulthandler
import fcntl
import gc
import mmap
import os
import signal
import struct
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ssg.runtime import limits

if TYPE_CHECKING:     # multiprocessing is imported when a pool starts: a build where nothing changed has none
    from multiprocessing.connection import Connection

T = TypeVar("T")
R = TypeVar("R")

_STOP_GRACE = 5.0   # seconds a worker told to stop may take before it is killed
_DUMP_GRACE = 0.5   # seconds a stalled worker asked for its stack (SIGUSR1) has to write it before SIGKILL
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)   # Linux; elsewhere the call fails, harmlessly
_PIPE_SIZE = 1 << 20
_AHEAD = 2     # batches a worker is given ahead
_SLOT = struct.Struct("q")   # a board slot: the position of the item its worker is on, or -1
_IDLE = -1
_PENDING = object()   # a result not in yet


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Lost:
    """Why a worker stopped in the middle of an item: ``how`` reads 'killed
    by SIGKILL', 'exited with code 1' or 'stood still for 40 s and was
    killed'; ``stalled`` when the pool stopped it for that; ``stack``: what
    faulthandler wrote, most recent call first ('' if nothing)."""

    how: str
    stalled: bool = False
    stack: str = ""

    def __str__(self) -> str:
        return self.how


class WorkerLost(RuntimeError):
    """A worker died while working on an item, and the caller gave no ``failed``."""


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker (shown by --debug)."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0])


def pool_map(function: Callable[[T], R], items: Sequence[T], *, workers: int, chunksize: int = 0,
             initializer: Callable[[], None] | None = None, failed: Callable[[T, Lost], R] | None = None,
             item_timeout: float | None = None, isolated: bool = False) -> list[R]:
    """``[function(item) for item in items]``, in order, in ``workers`` forked
    processes when more than one is asked for (else in this process, where
    ``initializer`` is not called). ``function`` and ``initializer`` (called
    once in each worker as it starts) run in the worker with the state the
    parent had when the pool started, ``items`` included (they are not
    pickled); results and exceptions cross back by pickling. An exception
    ``function`` raises is raised here, after the workers are stopped. A
    worker lost in the middle of an item makes that item's result
    ``failed(item, lost)`` (or raises WorkerLost without it).
    ``isolated``: even one item, or one worker, runs in a worker process, so
    that nothing it does can crash or hang the caller."""
    return list(pool_imap(function, items, workers=workers, chunksize=chunksize, initializer=initializer,
                          failed=failed, item_timeout=item_timeout, isolated=isolated))


def pool_imap(function: Callable[[T], R], items: Sequence[T], *, workers: int, chunksize: int = 0,
              initializer: Callable[[], None] | None = None, failed: Callable[[T, Lost], R] | None = None,
              item_timeout: float | None = None, isolated: bool = False, alone: int = 0,
              on_done: Callable[[int], None] | None = None) -> Iterator[R]:
    """``pool_map``, each result given as soon as it and all before it are
    in, so that the caller works on them while the workers go on (workers
    get their next batch before the caller is given anything). Closing the
    iterator early stops the workers.

    ``alone``: the first ``alone`` items are handed out one at a time, not
    in batches (the caller puts its heaviest items first: they spread over
    the workers, and none holds the results of a batch back). ``on_done``
    is told how many items are done as they come in, in any order (a
    count that moves while the first item is still being worked on)."""
    if not items or (not isolated and (workers <= 1 or len(items) < 2)):
        return map(_counted(function, on_done), items) if on_done is not None else map(function, items)
    batch = chunksize or max(1, min(64, len(items) // (workers * 8)))
    return _Pool(function, initializer, workers, item_timeout, alone).imap(items, batch, failed, on_done)


def _counted(function: Callable[[T], R], on_done: Callable[[int], None]) -> Callable[[T], R]:
    def call(item: T) -> R:
        result = function(item)
        on_done(1)
        return result

    return call


@dataclass
class _Worker:
    pid: int
    slot: int                # its place on the board
    tasks: Connection        # parent -> worker: a list of positions in the items, or None to stop
    results: Connection      # worker -> parent: ("ready",), ("done", results) or ("raise", error, traceback)
    crashes: int             # read end of the pipe its faulthandler writes to (-1 once read)
    ready: bool = False
    batches: deque[list[int]] = field(default_factory=deque)   # positions of the batches it has, in order
    seen: int = _IDLE        # the board's last value, and since when it has not moved:
    since: float = 0.0
    stalled: float = 0.0     # when the pool asked for its stack because the board stood still


class _Pool(Generic[T, R]):
    def __init__(self, function: Callable[[T], R], initializer: Callable[[], None] | None, size: int,
                 item_timeout: float | None, alone: int = 0):
        self.function, self.initializer, self.size, self.item_timeout = function, initializer, size, item_timeout
        self.alone = alone        # items at positions below this are handed out one at a time
        self.workers: list[_Worker] = []
        self.items: Sequence[T] = ()    # a forked worker has them: it is handed positions, not pickled items
        self.board = mmap.mmap(-1, _SLOT.size * size)   # shared with the workers forked from here

    def imap(self, items: Sequence[T], batch: int, failed: Callable[[T, Lost], R] | None,
             on_done: Callable[[int], None] | None = None) -> Iterator[R]:
        self.items = items
        results: list[Any] = [_PENDING] * len(items)
        queue = deque(range(len(items)))
        left, given = len(items), 0
        try:
            while left:
                self._hand_out(queue, batch)
                for worker in self._answering():
                    done, lost = self._read(worker, results)
                    left -= done
                    if done and on_done is not None:
                        on_done(done)
                    if lost is None:
                        continue
                    self.workers.remove(worker)
                    if worker.batches:
                        position = self._position(worker)
                        if failed is None:
                            raise WorkerLost(f"a worker process died ({lost}) while working on item {position}")
                        results[position] = failed(items[position], lost)
                        left -= 1
                        if on_done is not None:
                            on_done(1)
                        queue.extendleft(reversed([p for batch in worker.batches for p in batch if p != position]))
                self._hand_out(queue, batch)    # before the caller works on what came in
                while given < len(items) and results[given] is not _PENDING:
                    result, results[given] = results[given], None
                    given += 1
                    yield result
        finally:
            self._stop()

    def _hand_out(self, queue: deque[int], batch: int) -> None:
        """Start the workers still wanted, and give each one batches until it
        has ``_AHEAD``: a worker that finishes a batch goes on with the next
        without waiting for this process, busy with the caller's work."""
        wanted = min(self.size, -(-len(queue) // batch) + sum(1 for w in self.workers if w.batches))
        while len(self.workers) < wanted:
            self.workers.append(self._start())
        for worker in list(self.workers):
            ahead = _AHEAD if len(queue) > batch * self.size * _AHEAD else 1    # near the end: evenly
            while worker.ready and queue and len(worker.batches) < (1 if queue[0] < self.alone else ahead):
                size = 1 if queue[0] < self.alone else batch    # an item to go alone goes to an idle worker
                given = [queue.popleft() for _ in range(min(size, len(queue)))]
                if not worker.batches:
                    worker.since = time.monotonic()
                try:
                    worker.tasks.send(given)
                except OSError:   # it died: nothing of this batch is its fault
                    queue.extendleft(reversed(given))
                    if not worker.batches:     # nor of any (else its end is read as a loss)
                        self._end(worker)
                        self.workers.remove(worker)
                    break
                worker.batches.append(given)

    def _position(self, worker: _Worker) -> int:
        """The item a dead worker was on: its board slot, or (if it died before
        starting one) the first of its first batch."""
        on = _SLOT.unpack_from(self.board, worker.slot * _SLOT.size)[0]
        return on if on in worker.batches[0] else worker.batches[0][0]

    def _answering(self) -> list[_Worker]:
        """The workers with something to read (a message, or their end), once
        one has. A worker whose board has not moved for ``item_timeout``
        seconds (on an item, or while starting) is stopped first."""
        waiting = [w for w in self.workers if w.batches or not w.ready]
        if not waiting:
            raise RuntimeError("worker pool: items are left but no worker has any")
        timeout = None
        if self.item_timeout is not None:
            now = time.monotonic()
            for worker in waiting:
                on = _SLOT.unpack_from(self.board, worker.slot * _SLOT.size)[0]
                if on != worker.seen:
                    worker.seen, worker.since = on, now
                elif worker.stalled:
                    if now - worker.stalled >= _DUMP_GRACE:
                        os.kill(worker.pid, signal.SIGKILL)
                elif now - worker.since >= self.item_timeout:
                    os.kill(worker.pid, signal.SIGUSR1)   # its faulthandler writes the stack
                    worker.stalled = now
            timeout = max(0.0, min(w.stalled + _DUMP_GRACE - now if w.stalled else w.since + self.item_timeout - now
                                   for w in waiting))
        from multiprocessing.connection import wait

        ready = wait([w.results for w in waiting], timeout)
        return [w for w in waiting if w.results in ready]

    def _read(self, worker: _Worker, results: list[Any]) -> tuple[int, Lost | None]:
        """Take in a message from the worker: how many results it brought, and
        the worker's Lost if it ended instead."""
        try:
            message = worker.results.recv()
        except (EOFError, OSError):
            return 0, self._end(worker)
        if message[0] == "done":
            batch = worker.batches.popleft()
            for position, result in zip(batch, message[1], strict=True):
                results[position] = result
            return len(batch), None
        if message[0] == "ready":
            worker.ready = True
            return 0, None
        _, error, text = message
        error.__cause__ = RemoteTraceback(text)
        raise error

    def _end(self, worker: _Worker) -> Lost:
        """Reap a worker whose pipe closed, and say why it ended."""
        worker.results.close()
        worker.tasks.close()
        code = os.waitstatus_to_exitcode(os.waitpid(worker.pid, 0)[1])
        worker.pid = 0
        stack = _read_all(worker.crashes)
        worker.crashes = -1
        how = f"stood still for {self.item_timeout:g} s and was killed" if worker.stalled else _status(code)
        if not worker.ready:
            raise RuntimeError(f"a worker process failed to start ({how})" + (f"\n{stack}" if stack else ""))
        return Lost(how, stalled=bool(worker.stalled), stack=stack)

    def _start(self) -> _Worker:
        slot = min(set(range(self.size)) - {w.slot for w in self.workers})
        _SLOT.pack_into(self.board, slot * _SLOT.size, _IDLE)
        from multiprocessing.connection import Pipe

        task_reader, task_writer = Pipe(duplex=False)
        result_reader, result_writer = Pipe(duplex=False)
        try:    # room for a batch's results: a worker does not wait for this process to read them
            fcntl.fcntl(result_writer.fileno(), _F_SETPIPE_SZ, _PIPE_SIZE)
        except OSError:
            pass
        crash_reader, crash_writer = os.pipe()
        os.set_blocking(crash_reader, False)
        sys.stdout.flush()   # or the child would print what is buffered here again
        sys.stderr.flush()
        gc.freeze()   # the child's collections leave what it inherits alone (walking it copies every page of it)
        pid = os.fork()
        if pid:
            gc.unfreeze()
        if pid == 0:   # the worker: never returns into the parent's code
            gc.enable()     # a build turns collection off in its own process (build.py); workers collect theirs
            limits.in_worker()
            code = 1
            try:
                for other in self.workers:   # or a worker would keep another's pipe open after the parent is gone
                    other.tasks.close()
                    other.results.close()
                    if other.crashes >= 0:
                        os.close(other.crashes)
                task_writer.close()
                result_reader.close()
                os.close(crash_reader)
                faulthandler.enable(file=crash_writer, all_threads=False)
                faulthandler.register(signal.SIGUSR1, file=crash_writer, all_threads=False, chain=False)
                _serve(self.function, self.items, self.initializer, task_reader, result_writer, self.board, slot)
                code = 0
            finally:
                try:
                    sys.stdout.flush()
                    sys.stderr.flush()
                finally:
                    limits.REAL_EXIT(code)   # os._exit may be refused during a build (limits.exits_refused)
        task_reader.close()
        result_writer.close()
        os.close(crash_writer)
        return _Worker(pid, slot, task_writer, result_reader, crash_reader, since=time.monotonic())

    def _stop(self) -> None:
        """Tell idle workers to stop; kill busy ones (a failure or an interrupt
        abandons their work); reap them all."""
        for worker in self.workers:
            if worker.pid:
                try:
                    if worker.batches:
                        os.kill(worker.pid, signal.SIGKILL)
                    else:
                        worker.tasks.send(None)
                except OSError:
                    pass
            worker.tasks.close()
        deadline = time.monotonic() + _STOP_GRACE
        for worker in self.workers:
            if worker.pid:
                while os.waitpid(worker.pid, os.WNOHANG) == (0, 0):
                    if time.monotonic() > deadline:
                        os.kill(worker.pid, signal.SIGKILL)
                        os.waitpid(worker.pid, 0)
                        break
                    time.sleep(0.002)
            worker.results.close()
            if worker.crashes >= 0:
                os.close(worker.crashes)
        self.workers = []
        self.board.close()


def _read_all(fd: int) -> str:
    """What a dead worker's faulthandler wrote (the pipe is non-blocking)."""
    chunks = []
    try:
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace").strip()


def _status(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


def _serve(function: Callable, items: Sequence, initializer: Callable[[], None] | None, tasks: Connection,
           results: Connection, board: mmap.mmap, slot: int) -> None:
    """A worker's life: start, then answer batches until told to stop (or the
    parent is gone)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)   # Ctrl-C is the parent's to handle; it stops us
    offset = slot * _SLOT.size
    try:
        if initializer is not None:
            initializer()
        results.send(("ready",))
        while True:
            try:
                batch = tasks.recv()
            except EOFError:
                return
            if batch is None:
                return
            done = []
            for position in batch:
                _SLOT.pack_into(board, offset, position)
                done.append(function(items[position]))
            results.send(("done", done))
            _SLOT.pack_into(board, offset, _IDLE)
    except BaseException as error:   # handed to the parent, which raises it
        text = traceback.format_exc()
        try:
            results.send(("raise", error, text))
        except Exception:   # the exception itself does not pickle
            results.send(("raise", RuntimeError(f"{type(error).__name__}: {error}"), text))


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
            limits.REAL_EXIT(0)
    os.close(write)

    def answer() -> bool:
        try:
            return os.read(read, 1) == b"1"
        finally:
            os.close(read)
            os.waitpid(pid, 0)

    return answer
