"""Stable fingerprints of model values, for the dependency graph.

A fingerprint is a short digest of a value's ``repr``. Model reprs are chosen
for this: a page shows as ``<Page content/posts/a.md>`` and a section as
``<Section posts>`` (identity only), so a list of pages fingerprints by which
pages it holds and in what order. What a template reads *from* a page is
recorded as its own dependency (ssg/deps.py): a list page depends on the
titles it shows, not on the bodies of the pages it lists.

A value whose repr is not stable between runs (an object shown with its
memory address, a set of strings) fingerprints differently every build: the
outputs that read it are always rebuilt. That errs on the safe side.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ssg.model import Page

MISSING = "<missing>"
_PLAIN = (str, int, float, bool, type(None))


def digest(text: str | bytes) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text,
                           digest_size=16).hexdigest()


class Fingerprinter:
    """Fingerprints values of one build, memoised by identity for containers
    and objects (a taxonomy shared by 40 term pages is walked once). The model
    does not change once planning is done."""

    def __init__(self) -> None:
        self._memo: dict[int, str] = {}
        self._keep: list[Any] = []     # memoised objects stay alive, so their ids stay theirs

    def __call__(self, value: Any) -> str:
        if type(value) in _PLAIN:
            return digest(repr(value))
        key = id(value)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = digest(repr(value))
            self._keep.append(value)
        return found

    def combine(self, *values: Any) -> str:
        return digest("\0".join(self(value) for value in values))


def page_state(page: Page) -> str:
    """Everything about one page: what its own output depends on as a whole.
    (Text fields are taken as they are: ``repr`` of a Markup is slow.)"""
    return digest("\x1f".join(value if type(value) is str else str(value) if isinstance(value, str) else repr(value)
                              for value in vars(page).values()))
