"""Watching the site's inputs and coalescing what the watcher sees into builds
(incidents 2 and 3 of shared/INCIDENTS.md: one build running, at most one
pending, every change built by some build).

The watcher threads only call ``Scheduler.mark()``; the main thread waits in
``Scheduler.wait()`` and runs one build each time it returns. Nothing here
knows about HTTP or about builds, so it is tested on its own."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from stat import S_ISREG

from ssg.config.site import CONFIG_NAME
from ssg.sources.inputs import INPUT_FOLDERS, is_ignored


class Scheduler:
    """Dirty flag plus debounce. ``mark()`` from any thread (or a signal
    handler); ``wait()`` from the one thread that builds: it returns True once
    something changed and then ``quiet`` seconds passed without a change (or
    ``longest`` since the first change), clearing the flag so that changes
    made during the build mark exactly one more; None once stopped.

    Marks carry the paths that changed, collected into the ``Batch`` that
    ``wait()`` returns.

    ``quiet`` is longer than the watcher takes to report a save (``step_ms``,
    10 ms) plus the gap between saves of a burst; ``longest`` bounds how long a
    steady stream of saves (an editor saving on every keystroke) defers its
    build: such a stream is built about once a second, so 50 saves within a
    second make at most two builds. A lone change (the only one marked since
    the last batch) waits ``lone`` instead, as an editor's save does: its
    writes come well under a millisecond apart, and the wait is on the way of
    every live reload. A second change within that makes the batch a burst,
    which waits ``quiet`` from its last change: a burst costs at most one build
    more than it would without ``lone`` (its first change, when the next came
    later than ``lone``).

    ``clock`` is ``time.monotonic``; a test gives its own to check the
    coalescing without depending on how fast the machine is."""

    def __init__(self, quiet: float = 0.06, longest: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 lone: float = 0.03):
        self.quiet, self.longest, self.clock, self.lone = quiet, longest, clock, min(lone, quiet)
        self._cond = threading.Condition(threading.RLock())   # reentrant: a signal handler may stop() us
        self._first: float | None = None
        self._last = 0.0
        self._marks = 0         # marks since the last batch
        self._stopped = False
        self._paths: set[str] | None = set()
        self._outputs: set[str] | None = set()

    def mark(self, paths: Iterable[str] | None = None) -> None:
        """Something changed: the input files ``paths``, or (None) anything."""
        with self._cond:
            self._paths = None if paths is None or self._paths is None else self._paths | set(paths)
            self._marked()

    def mark_outputs(self, paths: Iterable[str] | None = None) -> None:
        """Files in the output folder changed: ``paths``, or (None) any of them.
        Mostly the builds' own writes; whoever builds tells them from a hand's."""
        with self._cond:
            self._outputs = None if paths is None or self._outputs is None else self._outputs | set(paths)
            self._marked()

    def _marked(self) -> None:
        now = self.clock()
        if self._first is None:
            self._first = now
        self._last = now
        self._marks += 1
        self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def due(self) -> float | None:
        """When (on ``clock``) the changes marked so far are to be built; None: none are."""
        with self._cond:
            if self._first is None:
                return None
            return min(self._last + (self.lone if self._marks == 1 else self.quiet), self._first + self.longest)

    def wait(self) -> Batch | None:
        """The changes to build next, once due; None once stopped."""
        with self._cond:
            while not self._stopped:
                due = self.due()
                if due is None:
                    self._cond.wait(1.0)
                    continue
                left = due - self.clock()
                if left <= 0:
                    batch = Batch(_frozen(self._paths), _frozen(self._outputs))
                    self._first, self._paths, self._outputs, self._marks = None, set(), set(), 0
                    return batch
                self._cond.wait(left)
            return None


@dataclass(frozen=True)
class Batch:
    """What changed since the last build, as absolute file paths the watcher
    reported: ``paths`` of inputs (None: not known, the watcher started over)
    and ``outputs`` in the output folder (None: any may have)."""

    paths: frozenset[str] | None
    outputs: frozenset[str] | None = frozenset()


def _frozen(paths: set[str] | None) -> frozenset[str] | None:
    return None if paths is None else frozenset(paths)


def relevant(path: str | Path, watched: Path, ignored: Iterable[Path] = ()) -> bool:
    """A change under ``watched`` that can matter to a build: not in an ignored
    folder (the output, .ssg/), and no segment of it an editor's temporary file,
    a hidden or VCS folder, or Python's bytecode cache."""
    path = Path(path)
    for folder in ignored:
        if path == folder or folder in path.parents:
            return False
    try:
        parts = path.relative_to(watched).parts
    except ValueError:
        return False
    return not any(is_ignored(p) or p == "__pycache__" or p.endswith((".pyc", ".pyo")) for p in parts)


class Watcher:
    """Three watchfiles notifiers (``watchfiles.watch``): the site folder
    itself, not recursively (ssg.toml, input folders appearing or going); the
    input folders that exist, recursively (content, templates, static, data,
    plugins, the theme); and the output folder, recursively, once a build made
    it. When a top-level folder appears or goes, the recursive one is made
    again. Any relevant change of an input calls ``on_change`` with the paths
    that changed (None when it cannot know: a notifier was made again); any
    change in the output folder calls ``on_output`` likewise. Atomic saves and
    renames need nothing special: the saved file's path is among the paths.

    ``poll``: every notifier polls (network mounts, containers, where file
    events never arrive); otherwise watchfiles decides (it polls on WSL, or
    when ``WATCHFILES_FORCE_POLLING`` says so)."""

    def __init__(self, site_root: Path, on_change: Callable[[Iterable[str] | None], None],
                 theme: Callable[[], Path | None] = lambda: None, output: Callable[[], Path | None] = lambda: None,
                 on_output: Callable[[Iterable[str] | None], None] = lambda paths: None,
                 warn: Callable[[str], None] = lambda text: None, step_ms: int = 10, debounce_ms: int = 50,
                 poll: bool = False):
        self.site_root = site_root.resolve()
        self.on_change, self.theme, self.output, self.on_output = on_change, theme, output, on_output
        self.warn = warn
        self.step_ms, self.debounce_ms = step_ms, debounce_ms
        self.poll = poll
        self._stop = threading.Event()
        self._refresh = threading.Event()
        self._output_moved = threading.Event()
        self._threads: list[threading.Thread] = []
        self._folders: list[Path] = []
        self._output: Path | None = None      # the output folder watched now
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    def folders(self) -> list[Path]:
        """The folders watched recursively: those of the inputs that exist."""
        found = [self.site_root / name for name in INPUT_FOLDERS]
        theme = self.theme()
        if theme is not None:
            found.append(theme.resolve())
        return sorted({f for f in found if f.is_dir()})

    def top_names(self) -> set[str]:
        names = {CONFIG_NAME, *INPUT_FOLDERS}
        theme = self.theme()
        if theme is not None:
            try:
                names.add(theme.resolve().relative_to(self.site_root).parts[0])
            except (ValueError, IndexError):
                pass   # a packaged theme, outside the site
        return names

    def start(self) -> None:
        """Returns once the site folder's and the input folders' notifiers are
        in place: a change made after this is seen."""
        self._folders = self.folders()
        ready = []
        for target in (self._top_loop, self._tree_loop, self._output_loop):
            event = threading.Event()
            thread = threading.Thread(target=target, args=(event,), name=f"ssg-watch-{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)
            ready.append((event, thread))
        for event, thread in ready[:2]:
            # Set once the notifier watches, or if it could not be made. The deadline only
            # guards against a watchfiles that stopped asking its stop event: serve anyway.
            deadline = time.monotonic() + 30
            while not event.wait(0.05) and thread.is_alive() and time.monotonic() < deadline:
                pass

    def refresh(self) -> None:
        """Check the folder list again (after a build: the theme may have changed)."""
        if self.folders() != self._folders:
            self._refresh.set()
        if self.output() != self._output:
            self._output_moved.set()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)

    def _watch(self, paths: list[Path], stop: _Either, *, recursive: bool = True, strict: bool = False):
        """The changes under ``paths`` as watchfiles yields them, until ``stop``
        is set. Its notifier is made on the first ``next()``, which raises
        FileNotFoundError when a path is gone. ``strict``: any other folder it
        cannot watch (the inotify limit, a folder it may not read) raises
        OSError too; otherwise it is left out and the rest is watched. When
        polling, the files changed again within a second are added (``_Recent``)."""
        from watchfiles import Change, watch

        recent = _Recent(paths, recursive) if self.poll else None
        changes_seen = watch(*paths, watch_filter=None, debounce=self.debounce_ms, step=self.step_ms, stop_event=stop,
                             rust_timeout=_RECHECK_MS if recent else 0, yield_on_timeout=recent is not None,
                             raise_interrupt=False, force_polling=True if self.poll else None, recursive=recursive,
                             ignore_permission_denied=not strict)
        try:
            for changes in changes_seen:
                if recent is not None:
                    changes = changes | {(Change.modified, path) for path in recent.changed(path for _c, path in changes)}
                if changes:
                    yield changes
        finally:
            changes_seen.close()

    def _unwatched(self, text: str, error: Exception, *, repair: str = "", limit: bool = False) -> None:
        """Say once that something is not watched, and what to do about it."""
        hints = [repair] if repair else []
        if limit:
            hints.append("on Linux, fs.inotify.max_user_watches raises the limit")
        if not self.poll:
            hints.append("`ssg serve --poll` watches by polling instead")
        message = f"{text} ({error})" + (f"; {'; '.join(hints)}" if hints else "")
        with self._lock:
            if message in self._warned:
                return
            self._warned.add(message)
        self.warn(message)

    def _top_loop(self, ready: threading.Event) -> None:
        while not self._stop.is_set():
            try:
                for changes in self._watch([self.site_root], _Either(self._stop, watching=ready.set), recursive=False):
                    hits = {Path(path).name for _change, path in changes if Path(path).parent == self.site_root}
                    if hits & self.top_names():
                        if self.folders() != self._folders:
                            self._refresh.set()   # an input folder came or went
                        self.on_change([path for _change, path in changes])
            except FileNotFoundError:    # the site folder itself is gone (polling): until it is back
                ready.set()
                self._stop.wait(0.5)
            except (OSError, RuntimeError) as error:   # no notifier at all (RuntimeError: the inotify instance limit)
                self._unwatched("changes are not watched", error)
                ready.set()
                self._stop.wait()

    def _tree_loop(self, ready: threading.Event) -> None:
        watched, strict = False, True

        def watching() -> None:
            nonlocal watched
            ready.set()
            if watched:
                self.on_change(None)   # made again: what changed while no notifier watched is found by the build
            watched = True

        while not self._stop.is_set():
            self._refresh.clear()
            folders = self._folders = self.folders()
            waker = _Either(self._stop, self._refresh, watching=watching)
            if not folders:
                waker.is_set()
                waker.wait(float("inf"))      # until an input folder appears
                continue
            try:
                # Strict first: a folder it cannot watch (the inotify watch limit) is told, then left out.
                for changes in self._watch(folders, waker, strict=strict):
                    ignored = [self.site_root / ".ssg", *filter(None, [self.output()])]
                    hits = [path for _change, path in changes
                            if any(relevant(path, folder, ignored) for folder in folders if folder in Path(path).parents)]
                    if hits:
                        self.on_change(hits)
            except FileNotFoundError:   # a folder went between the check and the watch: look again
                ready.set()
                self._stop.wait(0.05)
            except (OSError, RuntimeError) as error:
                if strict and isinstance(error, OSError):
                    self._unwatched("some input folders are not watched, their changes are not built", error,
                                    limit=not isinstance(error, PermissionError))
                    strict = False     # the rest is watched
                    continue
                self._unwatched("changes are not watched", error)   # no notifier at all (the inotify instance limit)
                ready.set()
                self._stop.wait()

    def _output_loop(self, ready: threading.Event) -> None:
        """Watch the output folder while it exists. When it is watched anew (a
        build made it, it moved, or it went and came back), any file in it may
        have changed unseen: ``on_output(None)``."""
        missing = None     # the output folder found gone, reported once
        while not self._stop.is_set():
            self._output_moved.clear()
            root = self._output = self.output()
            waker = _Either(self._stop, self._output_moved)
            if root is not None and root != missing and not root.is_dir():
                missing = root
                self.on_output([str(root)])    # gone before it was watched (or since): built again
            if root is None or not root.is_dir():
                waker.wait(0.5)
                continue

            def watching() -> None:
                nonlocal missing
                missing = None
                self.on_output(None)

            # Strict: a folder it cannot watch (the inotify watch limit) is told, not left out unsaid.
            changes_seen = self._watch([root], _Either(self._stop, self._output_moved, watching=watching), strict=True)
            try:
                for changes in changes_seen:
                    self.on_output([path for _change, path in changes])
                    if any(path == str(root) for _change, path in changes) or not root.is_dir():
                        break     # the folder itself went: watched again once a build makes it
            except FileNotFoundError:   # gone between the check and the watch (or a folder in it)
                waker.wait(0.05)
            except (OSError, RuntimeError) as error:    # the inotify limits (or a folder in it that may not be read)
                self._unwatched("the output folder is not watched for edits by hand", error,
                                repair="`ssg build` repairs them", limit=isinstance(error, OSError)
                                and not isinstance(error, PermissionError))
                waker.wait(float("inf"))     # until the output folder moves (or we stop)
            finally:
                changes_seen.close()


_RECHECK_MS = 300     # when polling: how often the files changed in the last seconds are compared again


class _Recent:
    """When polling, watchfiles (its notify) compares modification times in
    whole seconds (samuelcolvin/watchfiles#319): a file changed again within
    the second of its last change, or of the notifier's first look, is never
    reported. So the files changed in the last seconds are compared again
    (modification time to the nanosecond, size, inode) until their second is
    past, when the poller sees any later change by itself."""

    def __init__(self, folders: list[Path], recursive: bool):
        self._files: dict[str, tuple[tuple[int, int, int] | None, int]] = {}   # path: (stat, its second)
        since = int(time.time()) - 1
        for folder in folders:
            for dirpath, _dirs, names in os.walk(folder) if recursive else [(folder, [], os.listdir(folder))]:
                for name in names:
                    path = os.path.join(dirpath, name)
                    if (stat := _stat(path)) is not None and stat[0] // _NS >= since:
                        self._files[path] = (stat, stat[0] // _NS)

    def changed(self, reported: Iterable[str]) -> list[str]:
        """The files changed since last compared, besides the ``reported`` ones (compared from now on)."""
        for path in reported:
            if not os.path.isdir(path):
                self._files[path] = _dated(_stat(path))
        since, found = int(time.time()) - 1, []
        for path, (before, second) in list(self._files.items()):
            now = _stat(path)
            if now != before:
                self._files[path] = _dated(now)
                found.append(path)
            elif second < since:
                del self._files[path]
        return found


_NS = 1_000_000_000


def _stat(path: str) -> tuple[int, int, int] | None:
    """A file's modification time, size and inode; None: no such file."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino) if S_ISREG(stat.st_mode) else None


def _dated(stat: tuple[int, int, int] | None) -> tuple[tuple[int, int, int] | None, int]:
    return stat, stat[0] // _NS if stat is not None else int(time.time())


class _Either:
    """An event that is set when any of some are: the stop event of a
    watchfiles notifier, which asks ``is_set`` on every step of its wait, so
    the first ask also says the notifier is in place: ``watching`` is called
    then, once."""

    def __init__(self, *events: threading.Event, watching: Callable[[], None] | None = None):
        self.events = events
        self.watching = watching

    def is_set(self) -> bool:
        if self.watching is not None:
            watching, self.watching = self.watching, None
            watching()
        return any(e.is_set() for e in self.events)

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
