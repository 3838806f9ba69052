"""The project's exception types, converted to messages and exit codes at the CLI edge.

Every user-facing error carries what went wrong, where (file:line when known)
and what to do about it. ``str(error)`` is the one-line message the CLI prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A place in a user's file: ``path`` and optional 1-based ``line``."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


class SsgError(Exception):
    """Base class: an error the user can act on. Never shown with a traceback."""

    exit_code = 1

    def __init__(self, message: str, *, where: Location | str | Path | None = None, hint: str | None = None):
        self.message = message
        self.where = where if isinstance(where, Location) or where is None else Location(str(where))
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        return f"{text} ({self.hint})" if self.hint else text

    def __reduce__(self):
        # Errors cross process boundaries (parallel parse and render workers).
        return _rebuild, (type(self), self.message, self.where, self.hint)

    def as_dict(self) -> dict:
        return {
            "message": self.message,
            "file": self.where.path if self.where else None,
            "line": self.where.line if self.where else None,
            "hint": self.hint,
            "kind": type(self).__name__,
        }


class ConfigError(SsgError):
    """The site configuration (ssg.toml or a flag) is invalid. Exit code 2."""

    exit_code = 2


class UsageError(SsgError):
    """A command was called wrongly (missing site folder, bad option). Exit code 2."""

    exit_code = 2


class ContentError(SsgError):
    """A content file cannot be read or parsed (front matter, encoding, fields)."""


class PathError(SsgError):
    """A page's URL would leave the output folder or collides with another page's."""


class TemplateError(SsgError):
    """A template is missing, does not compile, or fails while rendering a page."""


class PluginError(SsgError):
    """A plugin failed to load or raised inside a hook; the plugin is named."""


def _rebuild(kind: type[SsgError], message: str, where: Location | None, hint: str | None) -> SsgError:
    return kind(message, where=where, hint=hint)
