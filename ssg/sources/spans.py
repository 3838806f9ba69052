"""Elements found in HTML text in one pass: an opening tag, then the first
closing tag after it, as the regular expression ``<h2>(.*?)</h2>`` (DOTALL)
finds them, but in time linear in the text. The regular expression scans to
the end of the text from every opening tag that is never closed, so a page of
raw ``<h2>`` lines without ``</h2>`` took time in the square of its size
(40,000 of them: 25 s). Here each closing tag is searched for only once the
text before its last found place has been passed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator


class Span:
    """One element: ``opening`` (the match of the opening tag), its inner text
    ``text[inner_start:inner_end]``, and ``end``, just after the closing tag."""

    __slots__ = ("opening", "inner_start", "inner_end", "end", "text")

    def __init__(self, text: str, opening: re.Match, inner_end: int, end: int):
        self.text, self.opening = text, opening
        self.inner_start, self.inner_end, self.end = opening.end(), inner_end, end

    @property
    def start(self) -> int:
        return self.opening.start()

    @property
    def inner(self) -> str:
        return self.text[self.inner_start:self.inner_end]

    def group(self, index: int) -> str:
        return self.opening.group(index)


def spans(text: str, opening: re.Pattern, closing: Callable[[re.Match], str]) -> Iterator[Span]:
    """Each element of ``text`` that ``opening`` starts and the first
    ``closing(match)`` after it ends, left to right, not overlapping (as
    ``re.finditer`` with ``opening + "(.*?)" + closing`` would find them).
    ``opening`` must not be able to scan past a '<' that is not its first
    character (or the search for openings is what takes quadratic time)."""
    found: dict[str, int] = {}    # closing tag -> its first place at or after some earlier position (-1: none left)
    position = 0
    while True:
        match = opening.search(text, position)
        if match is None:
            return
        tag = closing(match)
        at = found.get(tag, -2)
        if -1 != at < match.end():
            at = found[tag] = text.find(tag, match.end())
        if at < 0:
            position = match.start() + 1
            continue
        yield Span(text, match, at, at + len(tag))
        position = at + len(tag)


def substitute(text: str, opening: re.Pattern, closing: Callable[[re.Match], str],
               replace: Callable[[Span], str]) -> str:
    """``text`` with each element ``spans`` finds replaced by ``replace(span)``."""
    parts: list[str] = []
    done = 0
    for span in spans(text, opening, closing):
        parts += (text[done:span.start], replace(span))
        done = span.end
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)
