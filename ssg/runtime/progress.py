"""What a long build or deploy tells while it runs: the stage it is in and, for
the stages over many items (parse, render, upload, delete), how many are done
(and, for upload, how many bytes). The build and the deploy call a
``Progress``; the CLI chooses how it is shown (ssg/cli/progress.py): a bar in
a terminal, a plain line every few seconds otherwise, nothing with --quiet
or --json. The build process counts results as they come back from its
workers: no message per item crosses between processes."""

from __future__ import annotations


class Progress:
    """Told nothing shows: the default, and what --quiet uses."""

    def stage(self, name: str, total: int | None = None, *, size: int | None = None) -> None:
        """A stage begins (``total``: how many items it goes through, if it counts;
        ``size``: how many bytes they hold, for a stage that moves bytes)."""

    def advance(self, done: int = 1, *, size: int = 0) -> None:
        """``done`` more items of the stage are done (``size`` more bytes)."""

    def note(self, text: str) -> None:
        """A line for the user (what a deploy waits for, what it keeps), shown above the bar."""

    def close(self) -> None:
        """The run is over (whatever shows is taken away before its summary)."""


QUIET = Progress()


def human_bytes(count: float) -> str:
    """``1234567`` -> ``1.2 MB`` (decimal units, as transfer tools count)."""
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"
