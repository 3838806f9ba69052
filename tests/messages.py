"""Checking an error message for ssg's own words only (issue 17).

ssg passes a library's explanation on (PyYAML's, tomllib's, Jinja's...) after
words of its own, and libraries reword theirs from one release to the next.
A test names ssg's words and writes "…" where the library's explanation goes:
some text must be there, whatever it says."""

from __future__ import annotations

import re

EXPLANATION = "…"


def says(text: str, message: str) -> bool:
    """Whether a line of ``text`` holds ``message``, each "…" in it standing for
    at least one character of that line."""
    pattern = ".+?".join(map(re.escape, message.split(EXPLANATION)))
    return re.search(pattern, text) is not None
