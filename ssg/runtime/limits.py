"""Bounds on runaway code inside a build (incident 4 of shared/INCIDENTS.md):
a wall-clock timer that interrupts a template, a filter or a plugin hook that
runs too long, and a cap on how much memory a render may take.

``timer`` uses SIGALRM and ITIMER_REAL, so it works only in a process's main
thread (the build's, or a render worker's); in any other thread it does
nothing. ``memory_cap`` sets the soft RLIMIT_AS of the whole process; it is
only measured on Linux (``address_space`` reads /proc), elsewhere it does
nothing. Code that loops inside a C extension without returning to Python
cannot be interrupted by the timer: a render worker stuck that way is killed
by its pool (ssg/runtime/parallel.py)."""

from __future__ import annotations

import os
import resource
import signal
import threading
import time
from typing import Any

try:   # signal.getsignal without its enum conversion, which costs more than the rest of a timer
    from _signal import getsignal as _getsignal
except ImportError:  # pragma: no cover - not CPython
    _getsignal = signal.getsignal

PAGE_TIMEOUT = 30      # seconds one page may take in each stage (parse, links, one output's render)
PAGE_MEMORY = 1024     # MiB a render process may grow by, over its size when rendering starts
HOOK_TIMEOUT = 120     # seconds one plugin's implementation of one hook call may take


class Timeout(BaseException):
    """Raised inside the timed code when its time is up. A BaseException, so
    that neither Jinja nor a plugin's ``except Exception`` swallows it."""

    def __init__(self, owner: timer):
        super().__init__(f"ran longer than {owner.seconds:g} s")
        self.owner = owner


_running: list[timer] = []     # timers in force, outermost first
_shielded: set[Any] = set()    # code an alarm must not interrupt (see ``shielded``)
_outside: tuple[float, float, float] | None = None   # an ITIMER_REAL set by someone else: (left, interval, when)
_outside_due: float | None = None   # when that ITIMER_REAL, given back, rings
_previous_handler: Any = None


def shielded(method: Any) -> Any:
    """Decorates the ``__enter__`` or ``__exit__`` of a context manager that
    starts or ends a timer: an alarm that rings as it runs (the body finished
    just at the deadline, say) rings again a moment later, so that a Timeout
    never escapes from them and leaves a timer running. The method must not
    loop."""
    _shielded.add(method.__code__)
    return method


class timer:
    """``with timer(seconds) as t:`` raises ``Timeout`` in the body once
    ``seconds`` have passed; ``t.expired(error)`` tells whether an exception
    is this timer's. Timers nest (the inner one never extends the outer one's
    time). 0 seconds, or a thread other than the main one: no limit."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.active = seconds > 0 and threading.current_thread() is threading.main_thread()
        self.deadline = 0.0

    @shielded
    def __enter__(self) -> timer:
        global _outside, _outside_due, _previous_handler
        if not self.active:
            return self
        self.deadline = time.monotonic() + self.seconds
        if _running:
            _running.append(self)
            _arm()
            return self
        if _getsignal(signal.SIGALRM) is not _ring:
            _previous_handler = signal.signal(signal.SIGALRM, _ring)
        _outside_due = None
        _running.append(self)     # before the alarm is set, which may ring at once (no Python call between)
        left, interval = signal.setitimer(signal.ITIMER_REAL, self.seconds)
        _outside = (left, interval, time.monotonic()) if left > 0 else None
        return self

    @shielded
    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        if not self.active or self not in _running:
            return
        _running.remove(self)
        if _running:
            _arm()
        else:
            _release()

    def expired(self, error: BaseException | None) -> bool:
        return isinstance(error, Timeout) and error.owner is self


@shielded
def _arm() -> None:
    left = min(t.deadline for t in _running) - time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, max(left, 0.0001))


@shielded
def _release() -> None:
    """The last timer ended: stop the alarm, let a ring already on its way
    arrive (``_ring`` ignores it), then give back the ITIMER_REAL and the
    SIGALRM handler there were before. Our handler stays installed over the
    default one (signal() is slow); ``_ring`` then does what the default would."""
    global _outside, _outside_due
    signal.setitimer(signal.ITIMER_REAL, 0)
    _settle()
    if _outside is not None:
        left, interval, since = _outside
        _outside = None
        left = max(left - (time.monotonic() - since), 0.0001)
        _outside_due = time.monotonic() + left
        signal.setitimer(signal.ITIMER_REAL, left, interval)
    if callable(_previous_handler) and _previous_handler is not _ring or _previous_handler == signal.SIG_IGN:
        signal.signal(signal.SIGALRM, _previous_handler)


def _settle() -> None:
    """Nothing: Python runs a signal handler that is due when a function starts."""


def _ring(signum: int, frame: Any) -> None:
    global _outside_due
    if not _running:
        if _outside_due is not None and time.monotonic() >= _outside_due - 0.001:
            _outside_due = None   # the ITIMER_REAL given back rang: do what was asked before us
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGALRM)
        return                    # else a ring of a timer that has just ended
    if frame is not None and frame.f_code in _shielded:
        signal.setitimer(signal.ITIMER_REAL, 0.001)
        return
    now = time.monotonic()
    due = min(_running, key=lambda t: t.deadline)
    if due.deadline - now > 0.001:   # early, or meant for a timer that has ended
        _arm()
        return
    raise Timeout(due)


def address_space() -> int | None:
    """This process's address-space size in bytes (what RLIMIT_AS limits), or
    None where it cannot be read (not Linux)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def memory_ceiling(headroom_mib: float) -> int | None:
    """The address-space size this process may grow to from now: its present
    size plus ``headroom_mib``. None for no limit (0, or not measurable)."""
    if headroom_mib <= 0:
        return None
    size = address_space()
    return None if size is None else size + int(headroom_mib * 1024 * 1024)


class memory_cap:
    """``with memory_cap(ceiling):`` lowers the soft RLIMIT_AS to ``ceiling``
    bytes for the body (never above the hard limit or the soft limit already
    in force), and gives the old limit back on the way out, so that whatever
    handles a MemoryError afterwards has memory again. ``None``: no limit."""

    def __init__(self, ceiling: int | None):
        self.ceiling = ceiling
        self.previous: tuple[int, int] | None = None

    def __enter__(self) -> memory_cap:
        if self.ceiling is None:
            return self
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = min(v for v in (self.ceiling, soft, hard) if v != resource.RLIM_INFINITY)
        if limit != soft:
            self.previous = (soft, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        return self

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        if self.previous is not None:
            resource.setrlimit(resource.RLIMIT_AS, self.previous)
            self.previous = None


# -- code that would end the build process -----------------------------------
#
# A plugin that calls sys.exit(0) or os._exit(0), or raises KeyboardInterrupt,
# inside a build must not end it with exit 0 and nothing said: while a build
# runs (``exits_refused``), os._exit raises ``ProcessExit`` (a SystemExit)
# instead, and a SIGINT that really arrived is noted, so a KeyboardInterrupt
# can be told from one a plugin raised. ssg's own code that must end a process
# (a forked worker's end) calls ``REAL_EXIT``.

REAL_EXIT = os._exit
_refusing = 0
_sigints = 0      # SIGINTs received while exits are refused


class ProcessExit(SystemExit):
    """``os._exit(code)`` called while a build runs."""


def _refused_exit(code: int) -> None:
    raise ProcessExit(code)


def interrupted() -> bool:
    """Whether a SIGINT (Ctrl-C) arrived during this build: a KeyboardInterrupt
    is then the user's, not a plugin's."""
    return _sigints > 0


def exit_call(error: BaseException) -> str:
    """What the code did, as it would have been written: 'sys.exit(0)',
    'os._exit(0)', 'raise KeyboardInterrupt'."""
    if isinstance(error, ProcessExit):
        return f"os._exit({error.code!r})"
    if isinstance(error, SystemExit):
        return f"sys.exit({error.code!r})"
    return f"raise {type(error).__name__}"


class exits_refused:
    """``with exits_refused():`` (a build) turns ``os._exit`` into a raised
    ``ProcessExit`` (forked workers inherit this) and notes each SIGINT
    before the handler in force runs. Nests."""

    def __enter__(self) -> exits_refused:
        global _refusing, _sigints
        self.previous: Any = None
        if _refusing == 0:
            _sigints = 0
            os._exit = _refused_exit
            if threading.current_thread() is threading.main_thread():
                handler = signal.getsignal(signal.SIGINT)
                if callable(handler):
                    self.previous = handler
                    signal.signal(signal.SIGINT, _noting(handler))
        _refusing += 1
        return self

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        global _refusing
        _refusing -= 1
        if _refusing == 0:
            os._exit = REAL_EXIT
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)


def _noting(handler: Any) -> Any:
    def note(signum: int, frame: Any) -> Any:
        global _sigints
        _sigints += 1
        return handler(signum, frame)
    return note


# -- the watchdog: a bound that holds against any code ----------------------
#
# ``timer`` raises Timeout in the timed code, which code that catches every
# exception (``except BaseException: pass`` in a loop) swallows, and which
# never comes while SIGALRM is blocked (signal.pthread_sigmask) or the code is
# inside a C call. So every timed stage of the build process is also
# ``watched``: a thread of this process looks twice a second for a watch that
# is still running ``WATCHDOG_GRACE`` seconds after its time was up, and then
# reports it (what ran, and the line the watched thread is on) and ends the
# process with exit code 1. Nothing is lost that way: a build writes its
# outputs atomically, notes new files in its journal before writing them, and
# commits its state at the end in one transaction (a killed build is the case
# tests/build/test_kill.py covers); the OS releases the build lock. Watching costs a
# list append and remove per watched call (1-2 us); the thread wakes twice a second.

WATCHDOG_GRACE = 5.0    # seconds past a limit before the watchdog ends the process
_WATCH_POLL = 0.5       # how often the watchdog looks
_watches: list[tuple[float, int, Any]] = []   # (hard deadline, thread id, describe) of the watches running
_watchdog: threading.Thread | None = None
_reporters: list[Any] = []     # called with the message before the process ends (``--json`` prints its summary)
_watching = True    # False in a pool's worker process (``in_worker``)


class watched:
    """``with watched(seconds, describe):`` lets the body run ``seconds`` plus
    ``WATCHDOG_GRACE``; past that, ``describe(frames)`` says what was running
    (``frames``: the watched thread's stack, innermost last, as
    ``traceback.extract_stack`` gives it) and the process ends with exit
    code 1. 0 seconds: no limit."""

    __slots__ = ("entry",)

    def __init__(self, seconds: float, describe: Any):
        self.entry = (seconds + WATCHDOG_GRACE, threading.get_ident(), describe) if seconds > 0 else None

    def __enter__(self) -> watched:
        if self.entry is not None and _watching:
            if _watchdog is None:
                _start_watchdog()
            seconds, thread, describe = self.entry
            self.entry = (time.monotonic() + seconds, thread, describe)
            _watches.append(self.entry)
        return self

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        if self.entry is not None:
            try:
                _watches.remove(self.entry)    # the last one, but for threads
            except ValueError:
                pass


class bounded:
    """``with bounded(seconds, describe) as t:`` is ``timer`` and ``watched``
    together, the bound every stage of the build puts on one item's work: the
    body gets a ``Timeout`` after ``seconds`` (``t.expired(error)`` tells it
    is this one's), and the process ends ``WATCHDOG_GRACE`` seconds later if
    the body does not stop. 0 seconds: no limit."""

    __slots__ = ("timer", "watch")

    def __init__(self, seconds: float, describe: Any):
        self.timer = timer(seconds)
        self.watch = watched(seconds, describe)

    @shielded
    def __enter__(self) -> timer:
        self.watch.__enter__()
        return self.timer.__enter__()

    @shielded
    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        self.timer.__exit__(kind, error, tb)
        self.watch.__exit__(kind, error, tb)


def in_worker() -> None:
    """Called in a worker process forked by ssg/runtime/parallel.py: its pool stops
    it when it stands still, so ``watched`` does nothing there (the
    watchdog thread, if the parent had one, did not survive the fork)."""
    global _watching
    _watching = False


def on_watchdog(reporter: Any) -> Any:
    """Call ``reporter(message)`` too when the watchdog ends the process;
    returns a function that removes it."""
    _reporters.append(reporter)
    return lambda: _reporters.remove(reporter) if reporter in _reporters else None


def _start_watchdog() -> None:
    global _watchdog
    _watchdog = threading.Thread(target=_watch, name="ssg-watchdog", daemon=True)
    _watchdog.start()


def _watch() -> None:
    while True:
        time.sleep(_WATCH_POLL)
        now = time.monotonic()
        for due, thread, describe in list(_watches):
            if now >= due:
                _expire(thread, describe)


def _expire(thread: int, describe: Any) -> None:
    """Report the watch that ran out and end the process (exit 1). A forked
    child has no watchdog thread (threads do not survive fork), so only the
    process that started the watch ends here."""
    import sys
    import traceback

    try:
        frame = sys._current_frames().get(thread)
        frames = traceback.extract_stack(frame) if frame is not None else []
        message = describe(frames)
    except BaseException as error:   # noqa: BLE001 - the process ends whatever happens here
        message = f"a stage of the build ran past its time limit and was stopped ({type(error).__name__})"
    try:    # ``message``: an SsgError (its str is the one-line report) or text
        sys.stderr.write(f"error: {message}\n")
        sys.stderr.flush()
        for reporter in list(_reporters):
            reporter(message)
        sys.stdout.flush()
    finally:
        REAL_EXIT(1)
