"""How a build's or a deploy's progress shows (ssg/runtime/progress.py says what they tell).

In a terminal (stderr is a TTY): after the first second, the stage, a bar
and ``done/total`` for the stages that count (parse, render, upload, delete;
for upload also the bytes sent, and the bar follows the bytes), drawn by
rich.progress (a dependency of typer), imported only then: a run that is
over within a second never loads it. The bar is taken away when the run
ends, before its summary line. Notes (a deploy's "waiting for the lock")
print above it.

Otherwise (CI, a pipe): a plain line on stderr at most every
``LINE_EVERY`` seconds (``ssg: render 4,000/10,000 (5 s)``), none for a run
shorter than that. ``--json`` shows no progress, only the notes (stdout stays
the JSON summary alone); ``--quiet`` shows nothing (stderr has only errors)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from ssg.runtime.progress import QUIET, Progress, human_bytes

SHOW_AFTER = 1.0      # seconds: a run shorter than this shows no bar
LINE_EVERY = 5.0      # seconds between plain lines when stderr is not a terminal
REFRESH = 0.1         # seconds between updates of the bar (advance() is called per item)


def progress_for(*, quiet: bool, as_json: bool, stream: TextIO | None = None,
                 clean: Callable[[str], str] = str) -> Progress:
    """The progress a run from the command line shows on ``stream`` (stderr);
    ``clean`` masks secrets in the notes (a deploy's redactor)."""
    if quiet:
        return QUIET
    stream = stream or sys.stderr
    if as_json:
        return Notes(stream, clean)
    return Bar(stream, clean) if stream.isatty() else Lines(stream, clean)


class Notes(Progress):
    """Notes only, one line each."""

    def __init__(self, stream: TextIO, clean: Callable[[str], str] = str):
        self.stream, self.clean = stream, clean

    def note(self, text: str) -> None:
        print(self.clean(text), file=self.stream, flush=True)


class _Counting(Notes):
    def __init__(self, stream: TextIO, clean: Callable[[str], str] = str, clock: Any = time.monotonic):
        super().__init__(stream, clean)
        self.clock = clock
        self.started = clock()
        self.name, self.total, self.done, self.size, self.sent = "", None, 0, None, 0

    def stage(self, name: str, total: int | None = None, *, size: int | None = None) -> None:
        self.name, self.total, self.done, self.size, self.sent = name, total, 0, size, 0
        self.show()

    def advance(self, done: int = 1, *, size: int = 0) -> None:
        self.done += done
        self.sent += size
        self.show()

    def count(self) -> str:
        """``4,000/10,000``, and for a stage that moves bytes ``12/40 files, 1.2 MB/3.4 MB``."""
        if not self.total:
            return ""
        if self.size is None:
            return f"{self.done:,}/{self.total:,}"
        return f"{self.done:,}/{self.total:,} files, {human_bytes(self.sent)}/{human_bytes(self.size)}"

    def show(self) -> None:
        raise NotImplementedError


class Lines(_Counting):
    """A plain line at most every LINE_EVERY seconds."""

    def __init__(self, stream: TextIO, clean: Callable[[str], str] = str, clock: Any = time.monotonic):
        super().__init__(stream, clean, clock)
        self.last = self.started

    def show(self) -> None:
        now = self.clock()
        if now - self.last < LINE_EVERY:
            return
        self.last = now
        counts = f" {self.count()}" if self.total else ""
        print(f"ssg: {self.name}{counts} ({now - self.started:.0f} s)", file=self.stream, flush=True)


class Bar(_Counting):
    """rich.progress on the terminal, once the run has gone on SHOW_AFTER seconds."""

    def __init__(self, stream: TextIO, clean: Callable[[str], str] = str, clock: Any = time.monotonic):
        super().__init__(stream, clean, clock)
        self.bar: Any = None
        self.task: Any = None     # the stage's line (a new one each stage: a stage may have no total)
        self.drawn = 0.0

    def stage(self, name: str, total: int | None = None, *, size: int | None = None) -> None:
        if self.bar is not None:
            self.bar.remove_task(self.task)
            self.task = self.bar.add_task(name, total=self._whole(total, size), count="")
        super().stage(name, total, size=size)

    @staticmethod
    def _whole(total: int | None, size: int | None) -> int | None:
        return total if size is None else (size or total)

    def _completed(self) -> int:
        return self.done if self.size is None or not self.size else self.sent

    def show(self) -> None:
        now = self.clock()
        whole = self._whole(self.total, self.size)
        if self.bar is None:
            if now - self.started < SHOW_AFTER:
                return
            self._start()
        elif now - self.drawn < REFRESH and (whole is None or self._completed() < whole):
            return
        self.drawn = now
        self.bar.update(self.task, description=self.name, total=whole, completed=self._completed(),
                        count=self.count())

    def note(self, text: str) -> None:
        if self.bar is None:
            super().note(text)
        else:
            self.bar.console.print(self.clean(text), markup=False, highlight=False, soft_wrap=True)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description:<18}"), BarColumn(), TextColumn("{task.fields[count]}"),
                            TimeElapsedColumn(), console=Console(file=self.stream, force_terminal=True), transient=True)
        self.bar.start()
        self.task = self.bar.add_task(self.name, total=self._whole(self.total, self.size), count=self.count())

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
