"""Progress on stderr: a bar redrawn in place on a terminal, plain lines at
most every few seconds in CI (no TTY), nothing with --quiet."""

from __future__ import annotations

import time
from typing import TextIO


def human_bytes(count: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


class Progress:
    PLAIN_EVERY = 5.0
    BAR_EVERY = 0.1

    def __init__(self, stream: TextIO, *, tty: bool, quiet: bool = False):
        self.stream = stream
        self.tty = tty
        self.quiet = quiet
        self.total_files = self.total_bytes = self.files = self.bytes = 0
        self._last = 0.0
        self._drawn = False

    def message(self, text: str) -> None:
        if not self.quiet:
            self._clear()
            self.stream.write(text + "\n")
            self.stream.flush()

    def start(self, files: int, size: int) -> None:
        self.total_files, self.total_bytes = files, size
        self._last = time.monotonic()

    def advance(self, size: int) -> None:
        self.files += 1
        self.bytes += size
        now = time.monotonic()
        if self.quiet or now - self._last < (self.BAR_EVERY if self.tty else self.PLAIN_EVERY):
            return
        self._last = now
        if self.tty:
            done = self.bytes / self.total_bytes if self.total_bytes else 1.0
            bar = "#" * int(done * 30)
            self.stream.write(f"\r[{bar:<30}] {self.files}/{self.total_files} files, "
                              f"{human_bytes(self.bytes)}/{human_bytes(self.total_bytes)}")
            self._drawn = True
        else:
            self.stream.write(f"uploaded {self.files}/{self.total_files} files "
                              f"({human_bytes(self.bytes)}/{human_bytes(self.total_bytes)})\n")
        self.stream.flush()

    def _clear(self) -> None:
        if self._drawn:
            self.stream.write("\r" + " " * 79 + "\r")
            self._drawn = False

    def finish(self) -> None:
        self._clear()
        self.stream.flush()
