"""How a build's progress shows (ssg/progress.py says what the build tells).

In a terminal (stderr is a TTY): after the first second, the stage, a bar
and ``done/total`` for the stages that count (parse, render), drawn by
rich.progress (a dependency of typer), imported only then: a build that is
over within a second never loads it. The bar is taken away when the build
ends, before its summary line.

Otherwise (CI, a pipe): a plain line on stderr at most every
``LINE_EVERY`` seconds (``ssg: render 4,000/10,000``), none for a build
shorter than that. ``--quiet`` and ``--json`` show nothing (stdout stays
the JSON summary alone; stderr has only warnings and errors)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from ssg.progress import QUIET, Progress

SHOW_AFTER = 1.0      # seconds: a build shorter than this shows no bar
LINE_EVERY = 5.0      # seconds between plain lines when stderr is not a terminal
REFRESH = 0.1         # seconds between updates of the bar (advance() is called per item)


def progress_for(*, quiet: bool, as_json: bool, stream: TextIO | None = None) -> Progress:
    """The progress a build run from the command line shows on ``stream`` (stderr)."""
    if quiet or as_json:
        return QUIET
    stream = stream or sys.stderr
    return Bar(stream) if stream.isatty() else Lines(stream)


class _Counting(Progress):
    def __init__(self, stream: TextIO, clock: Any = time.monotonic):
        self.stream, self.clock = stream, clock
        self.started = clock()
        self.name, self.total, self.done = "", None, 0

    def stage(self, name: str, total: int | None = None) -> None:
        self.name, self.total, self.done = name, total, 0
        self.show()

    def advance(self, done: int = 1) -> None:
        self.done += done
        self.show()

    def show(self) -> None:
        raise NotImplementedError


class Lines(_Counting):
    """A plain line at most every LINE_EVERY seconds."""

    def __init__(self, stream: TextIO, clock: Any = time.monotonic):
        super().__init__(stream, clock)
        self.last = self.started

    def show(self) -> None:
        now = self.clock()
        if now - self.last < LINE_EVERY:
            return
        self.last = now
        counts = f" {self.done:,}/{self.total:,}" if self.total else ""
        print(f"ssg: {self.name}{counts} ({now - self.started:.0f} s)", file=self.stream, flush=True)


class Bar(_Counting):
    """rich.progress on the terminal, once the build has run SHOW_AFTER seconds."""

    def __init__(self, stream: TextIO, clock: Any = time.monotonic):
        super().__init__(stream, clock)
        self.bar: Any = None
        self.task: Any = None     # the stage's line (a new one each stage: a stage may have no total)
        self.drawn = 0.0

    def stage(self, name: str, total: int | None = None) -> None:
        if self.bar is not None:
            self.bar.remove_task(self.task)
            self.task = self.bar.add_task(name, total=total, count="")
        super().stage(name, total)

    def show(self) -> None:
        now = self.clock()
        if self.bar is None:
            if now - self.started < SHOW_AFTER:
                return
            self._start()
        elif now - self.drawn < REFRESH and (self.total is None or self.done < self.total):
            return
        self.drawn = now
        self.bar.update(self.task, description=self.name, total=self.total, completed=self.done, count=self._count())

    def _count(self) -> str:
        return f"{self.done:,}/{self.total:,}" if self.total else ""

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description:<18}"), BarColumn(), TextColumn("{task.fields[count]}"),
                            TimeElapsedColumn(), console=Console(file=self.stream, force_terminal=True), transient=True)
        self.bar.start()
        self.task = self.bar.add_task(self.name, total=self.total, count=self._count())

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
