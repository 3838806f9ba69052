"""Stable fingerprints of model values, for the dependency graph.

A fingerprint is a short hex digest of a value's *content*, equal across
processes and builds when the content is equal. Model entities (pages,
sections, the site, its config, its data) are fingerprinted by identity only
(``("page", source)``): what a template reads *from* them is recorded as its
own dependency (see ssg/deps.py), so a list page depends on the titles it
shows, not on the bodies of the pages it lists.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, datetime, time
from enum import Enum
from pathlib import PurePath
from typing import Any

from ssg.model import Page, Section, Site

_PLAIN = (str, int, float, bool, type(None), bytes)
MISSING = "<missing>"


def digest(text: str | bytes) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text,
                           digest_size=16).hexdigest()


class Fingerprinter:
    """Fingerprints values of one build. Containers and objects are memoised by
    identity: the model does not change once rendering starts, and a taxonomy
    shared by 40 term pages is walked once, not 40 times."""

    def __init__(self) -> None:
        self._memo: dict[int, Any] = {}
        self._keep: list[Any] = []   # keeps memoised objects alive so their ids stay theirs

    def __call__(self, value: Any) -> str:
        return digest(repr(self.token(value)))

    def token(self, value: Any) -> Any:
        """A tree of plain values (str, int, tuples) equal for equal content."""
        kind = type(value)
        if kind in _PLAIN:
            return value
        if isinstance(value, str):          # Markup and other str subclasses
            return str(value)
        if kind is Page:
            return ("page", value.source)
        if kind is Section:
            return ("section", value.name)
        if kind is Site:
            return ("site",)
        if isinstance(value, (datetime, date, time)):
            return value.isoformat()
        if isinstance(value, (PurePath, Enum)):
            return str(value)
        key = id(value)
        if key in self._memo:
            return self._memo[key]
        self._keep.append(value)
        self._memo[key] = ("cycle",)
        token = self._compound(value)
        self._memo[key] = token
        return token

    def _compound(self, value: Any) -> Any:
        from ssg.config import SiteConfig

        if isinstance(value, (list, tuple)):
            return tuple(self.token(item) for item in value)
        if isinstance(value, (set, frozenset)):
            return ("set", tuple(sorted(repr(self.token(item)) for item in value)))
        if hasattr(value, "items") and hasattr(value, "keys"):    # dict, MappingProxyType, DataView
            return ("map", tuple(sorted((str(k), self.token(v)) for k, v in value.items())))
        if isinstance(value, SiteConfig):
            return ("config",)
        if callable(value):
            return ("callable", getattr(value, "__qualname__", type(value).__qualname__))
        if dataclasses.is_dataclass(value):
            fields = [(f.name, self.token(getattr(value, f.name))) for f in dataclasses.fields(value)]
            return (type(value).__qualname__, tuple(fields))
        state = getattr(value, "__dict__", None)
        if state is not None:
            return (type(value).__qualname__, tuple(sorted((k, self.token(v)) for k, v in state.items())))
        text = repr(value)
        # A repr with an address differs every run: such a value is always "changed".
        return (type(value).__qualname__, text)


def page_state(fingerprint: Fingerprinter, page: Page) -> str:
    """Everything about one page (what its own output depends on as a whole)."""
    return fingerprint(tuple((f.name, fingerprint.token(getattr(page, f.name))) for f in dataclasses.fields(page)))
