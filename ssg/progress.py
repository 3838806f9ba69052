"""What a long build tells while it runs: the stage it is in and, for the
stages over many items (parse, render), how many are done. The build calls a
``Progress``; the CLI chooses how it is shown (ssg/cli/progress.py): a bar in
a terminal, a plain line every few seconds otherwise, nothing with --quiet
or --json. The build process counts results as they come back from its
workers: no message per item crosses between processes."""

from __future__ import annotations


class Progress:
    """Told nothing shows: the default, and what --quiet and --json use."""

    def stage(self, name: str, total: int | None = None) -> None:
        """A stage begins (``total``: how many items it goes through, if it counts)."""

    def advance(self, done: int = 1) -> None:
        """``done`` more items of the stage are done."""

    def close(self) -> None:
        """The build is over (whatever shows is taken away before its summary)."""


QUIET = Progress()
