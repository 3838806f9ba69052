"""What the output being rendered reads: the dependency keys a ``Recorder``
collects while a render runs (ssg/graph/deps.py says what keys are and how a
later build evaluates them). A leaf module: the model, the templates and
plugin code note their reads here without importing the evaluation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

Key = tuple[str, ...]
FIELDS = "\x1e"    # joins the field names of one ("field", source, names) key, and their fingerprints


TRACKED: set[type] = set()    # classes whose attribute reads templates record (``tracked``)


def tracked(cls: type) -> type:
    """Class decorator for model objects a plugin adds to the site: a
    template's read of an attribute of an instance is recorded as the key
    ``(*instance.dependency_path, name)``, where ``dependency_path`` is how
    the instance is reached from the site, e.g. ("site", "taxonomies", "tags")
    (each step an attribute, or a key of a mapping). The instance can then
    show as its identity in fingerprints (``<Taxonomy tags>``): what an
    output read of it is a dependency of its own. Code of the class that
    templates call (a method) records what it reads with ``record``."""
    TRACKED.add(cls)
    return cls


class Recorder:
    """The keys one output read. Reads of ``own_page``'s fields are not noted
    one by one: the output depends on its own page as a whole. The fields
    read of other pages are gathered per page (``fields``) and become one key
    per page (``read``): a list of ten thousand pages showing four fields of
    each has ten thousand keys to fingerprint and store, not forty."""

    def __init__(self, own_page: str | None = None) -> None:
        self.own_page = own_page
        self.keys: set[Key] = set() if own_page is None else {("page", own_page)}
        self.fields: dict[str, set[str]] = {}     # source -> names of its fields read

    def field(self, source: str, name: str) -> None:
        if source != self.own_page:
            names = self.fields.get(source)
            if names is None:
                self.fields[source] = {name}
            else:
                names.add(name)

    def read(self) -> frozenset[Key]:
        """Every key read (the names of a list's entries joined once per set of names, not once per entry)."""
        joined: dict[frozenset[str], str] = {}
        keys = list(self.keys)
        for source, names in self.fields.items():
            if len(names) == 1:
                keys.append(("field", source, next(iter(names))))
                continue
            names = frozenset(names)
            text = joined.get(names)
            if text is None:
                text = joined[names] = FIELDS.join(sorted(names))
            keys.append(("field", source, text))
        return frozenset(keys)


active: Recorder | None = None     # the recorder of the output being rendered (read it as ``reads.active``)


def current() -> Recorder | None:
    return active


def record(key: Key) -> None:
    """Note that the output being rendered read ``key`` (no-op outside a render)."""
    if active is not None:
        if key[0] == "field" and len(key) == 3:
            active.field(key[1], key[2])
        else:
            active.keys.add(key)


def page_fields(page: Any, *names: str) -> tuple[Any, ...]:
    """The fields ``names`` of ``page``, each read noted as a template's read
    of it is: for plugin code that makes an output's bytes (``Output.make``),
    whose output is then rebuilt when one of them changes."""
    if active is not None:
        for name in names:
            active.field(page.source, name)
    return tuple(getattr(page, name) for name in names)


class recording:
    """``with recording(own_page) as recorder:`` collects the keys read inside the block."""

    def __init__(self, own_page: str | None = None) -> None:
        self.own_page = own_page

    def __enter__(self) -> Recorder:
        global active
        self._outer = active
        active = Recorder(self.own_page)
        return active

    def __exit__(self, *exc: object) -> None:
        global active
        active = self._outer


class DataView(Mapping):
    """``site.data`` as templates see it: reading ``data.team`` records
    ("data", "team"); listing the keys records every entry."""

    def __init__(self, data: Mapping[str, Any]):
        self._data = data

    def __getitem__(self, key: str) -> Any:
        record(("data", str(key)))
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        record(("site", "data"))
        return iter(self._data)

    def __len__(self) -> int:
        record(("site", "data"))
        return len(self._data)

    def __repr__(self) -> str:
        return f"DataView({self._data!r})"
