"""One error shown once: a template typo fails every page that uses the
template, each with the same message but for "(while rendering PAGE)".
Grouped, it is said once, "while rendering 19 pages", naming the first few. Used by the
terminal (``ssg build``, ``ssg serve``) and the live-reload overlay."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ssg.errors import SsgError

PAGE = re.compile(r" \(while rendering (.+)\)$", re.DOTALL)
NAMED = 3     # pages named in a group's text; the rest are counted


@dataclass(frozen=True)
class ErrorGroup:
    first: Exception                 # the first error of the group (its file, line, hint, kind)
    message: str                     # its message without the page it was rendering
    pages: tuple[str, ...]           # the pages (outputs) it failed, in the order reported

    @property
    def text(self) -> str:
        """As ``ssg build`` prints one error, with the pages said once."""
        first = self.first
        if not isinstance(first, SsgError):
            return f"internal error: {type(first).__name__}: {first}"
        message = self.message + (f" ({pages_phrase(self.pages)})" if self.pages else "")
        text = f"{first.where}: {message}" if first.where else message
        return f"{text} ({first.hint})" if first.hint else text


def pages_phrase(pages: tuple[str, ...]) -> str:
    """'while rendering a/' for one page; 'while rendering 19 pages: a/, b/, c/ and 16 more' for many."""
    if len(pages) == 1:
        return f"while rendering {pages[0]}"
    named = ", ".join(pages[:NAMED])
    rest = len(pages) - NAMED
    return f"while rendering {len(pages)} pages: {named}" + (f" and {rest} more" if rest > 0 else "")


def group_errors(errors: list[Exception]) -> list[ErrorGroup]:
    """Errors alike but for their page, as one group each, in first-seen order."""
    groups: dict[tuple, tuple[Exception, str, list[str]]] = {}
    for error in errors:
        if isinstance(error, SsgError):
            found = PAGE.search(error.message)
            message = error.message[:found.start()] if found else error.message
            key = (type(error).__name__, str(error.where), message, error.hint)
        else:
            found, message, key = None, str(error), (type(error).__name__, str(error))
        first, _, pages = groups.setdefault(key, (error, message, []))
        if found:
            pages.append(found.group(1))
    return [ErrorGroup(first, message, tuple(pages)) for first, message, pages in groups.values()]
