"""Watching the site's inputs and coalescing what the watcher sees into builds
(incidents 2 and 3 of shared/INCIDENTS.md: one build running, at most one
pending, every change built by some build).

The watcher threads only call ``Scheduler.mark()``; the main thread waits in
``Scheduler.wait()`` and runs one build each time it returns. Nothing here
knows about HTTP or about builds, so it is tested on its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ssg.config import CONFIG_NAME
from ssg.inputs import INPUT_FOLDERS, is_ignored


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
    second make at most two builds."""

    def __init__(self, quiet: float = 0.06, longest: float = 1.0):
        self.quiet, self.longest = quiet, longest
        self._cond = threading.Condition(threading.RLock())   # reentrant: a signal handler may stop() us
        self._first: float | None = None
        self._last = 0.0
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
        now = time.monotonic()
        if self._first is None:
            self._first = now
        self._last = now
        self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    @property
    def stopped(self) -> bool:
        return self._stopped

    def wait(self) -> Batch | None:
        """The changes to build next, once due; None once stopped."""
        with self._cond:
            while not self._stopped:
                if self._first is None:
                    self._cond.wait(1.0)
                    continue
                due = min(self._last + self.quiet, self._first + self.longest)
                left = due - time.monotonic()
                if left <= 0:
                    batch = Batch(_frozen(self._paths), _frozen(self._outputs))
                    self._first, self._paths, self._outputs = None, set(), set()
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
    """Three watchfiles notifiers: the site folder itself, not recursively
    (ssg.toml, input folders appearing or going); the input folders that exist,
    recursively (content, templates, static, data, plugins, the theme); and the
    output folder, recursively, once a build made it. When a top-level folder
    appears or goes, the recursive one is made again. Any relevant change of an
    input calls ``on_change`` with the paths that changed (None when it cannot
    know: a notifier was made again); any change in the output folder calls
    ``on_output`` likewise. Atomic saves and renames need nothing special: the
    saved file's path is among the paths."""

    def __init__(self, site_root: Path, on_change: Callable[[Iterable[str] | None], None],
                 theme: Callable[[], Path | None] = lambda: None, output: Callable[[], Path | None] = lambda: None,
                 on_output: Callable[[Iterable[str] | None], None] = lambda paths: None,
                 warn: Callable[[str], None] = lambda text: None, step_ms: int = 10, debounce_ms: int = 50):
        self.site_root = site_root.resolve()
        self.on_change, self.theme, self.output, self.on_output = on_change, theme, output, on_output
        self.warn = warn
        self.step_ms, self.debounce_ms = step_ms, debounce_ms
        self._stop = threading.Event()
        self._refresh = threading.Event()
        self._output_moved = threading.Event()
        self._threads: list[threading.Thread] = []
        self._folders: list[Path] = []
        self._output: Path | None = None      # the output folder watched now

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
        """Returns once both notifiers are in place: a change made after this is seen."""
        from watchfiles._rust_notify import RustNotify

        top = RustNotify([str(self.site_root)], False, False, 300, False, True)
        self._folders = self.folders()
        tree = self._tree_notifier(self._folders)
        for target, notifier in ((self._top_loop, top), (self._tree_loop, tree), (self._output_loop, None)):
            thread = threading.Thread(target=target, args=(notifier,), name=f"ssg-watch-{target.__name__}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)

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

    def _tree_notifier(self, folders: list[Path]):
        from watchfiles._rust_notify import RustNotify

        if not folders:
            return None
        try:
            return RustNotify([str(f) for f in folders], False, False, 300, True, True)
        except FileNotFoundError:   # a folder went between the check and the watch: the next refresh retries
            self._refresh.set()
            return None

    def _wait(self, notifier, waker: _Either) -> set[tuple[int, str]] | None:
        if notifier is None:
            waker.wait(0.5)
            return None
        result = notifier.watch(self.debounce_ms, self.step_ms, 0, waker)
        return result if isinstance(result, set) else None

    def _top_loop(self, notifier) -> None:
        waker = _Either(self._stop)
        with notifier:
            while not self._stop.is_set():
                changes = self._wait(notifier, waker)
                if not changes:
                    continue
                hits = {Path(path).name for _change, path in changes if Path(path).parent == self.site_root}
                if hits & self.top_names():
                    if self.folders() != self._folders:
                        self._refresh.set()   # an input folder came or went
                    self.on_change([path for _change, path in changes])

    def _tree_loop(self, notifier) -> None:
        waker = _Either(self._stop, self._refresh)
        while not self._stop.is_set():
            if self._refresh.is_set():
                self._refresh.clear()
                if notifier is not None:
                    notifier.close()
                self._folders = self.folders()
                notifier = self._tree_notifier(self._folders)
                self.on_change(None)   # what changed while no notifier watched is found by the build
            changes = self._wait(notifier, waker)
            if not changes:
                continue
            ignored = [self.site_root / ".ssg", *filter(None, [self.output()])]
            hits = [path for _change, path in changes
                    if any(relevant(path, folder, ignored) for folder in self._folders if folder in Path(path).parents)]
            if hits:
                self.on_change(hits)
        if notifier is not None:
            notifier.close()

    def _output_loop(self, _none: None) -> None:
        """Watch the output folder while it exists. When it is watched anew (a
        build made it, it moved, or it went and came back), any file in it may
        have changed unseen: ``on_output(None)``."""
        from watchfiles._rust_notify import RustNotify

        waker = _Either(self._stop, self._output_moved)
        missing = None     # the output folder found gone, reported once
        while not self._stop.is_set():
            self._output_moved.clear()
            root = self._output = self.output()
            if root is not None and root != missing and not root.is_dir():
                missing = root
                self.on_output([str(root)])    # gone before it was watched (or since): built again
            try:
                notifier = RustNotify([str(root)], False, False, 300, True, True) if root and root.is_dir() else None
            except FileNotFoundError:   # gone between the check and the watch
                notifier = None
            except Exception as error:  # noqa: BLE001 (the inotify watch limit: ENOSPC, or what notify makes of it)
                self.warn(f"the output folder is not watched for edits by hand ({error}); `ssg build` repairs "
                          "them (on Linux, fs.inotify.max_user_watches raises the limit)")
                waker.wait(float("inf"))     # until the output folder moves (or we stop)
                continue
            if notifier is None:
                waker.wait(0.5)
                continue
            missing = None
            self.on_output(None)
            with notifier:
                while not waker.is_set():
                    changes = self._wait(notifier, waker)
                    if changes:
                        self.on_output([path for _change, path in changes])
                        if any(path == str(root) for _change, path in changes) or not root.is_dir():
                            break     # the folder itself went: watched again once a build makes it


class _Either:
    """An event that is set when either of two is (watchfiles checks ``is_set``)."""

    def __init__(self, *events: threading.Event):
        self.events = events

    def is_set(self) -> bool:
        return any(e.is_set() for e in self.events)

    def wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.is_set() and time.monotonic() < deadline:
            time.sleep(0.05)
