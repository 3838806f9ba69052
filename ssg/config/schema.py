"""A small declarative schema for TOML tables: typed options with defaults,
unknown-key detection with a closest-match suggestion, and file:line locations.

Core config and every plugin's config table are validated by the same code.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ssg.errors import ConfigError, Location

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
               list: "a list", dict: "a table"}


@dataclass(frozen=True)
class Option:
    """One config key: accepted ``type`` (or tuple of types), its ``default``, a ``doc``
    line for the reference, an optional ``items`` type for lists and an optional
    ``check`` returning an error message for a bad value."""

    type: type | tuple[type, ...]
    default: Any = None
    doc: str = ""
    items: type | None = None
    check: Callable[[Any], str | None] | None = None


@dataclass(frozen=True)
class Table:
    """A TOML table: named options and sub-tables. ``open`` tables accept any key
    (free-form user data such as ``[params]``); ``values`` types every value of an
    open table."""

    options: dict[str, Option | Table] = field(default_factory=dict)
    doc: str = ""
    open: bool = False
    values: Option | Table | None = None


class TomlLocator:
    """Finds the line of a dotted key in TOML source. tomllib keeps no positions,
    so this scans table headers and ``key =`` lines; good enough for messages."""

    _header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    _key = re.compile(r'^\s*("[^"]*"|\'[^\']*\'|[A-Za-z0-9_.\- ]+?)\s*=')

    def __init__(self, path: str, text: str):
        self.path = path
        self.lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), start=1):
            if m := self._header.match(line):
                table = self._split(m.group(1))
                self.lines.setdefault(table, number)
            elif m := self._key.match(line):
                self.lines.setdefault(table + self._split(m.group(1)), number)

    @staticmethod
    def _split(dotted: str) -> tuple[str, ...]:
        return tuple(part.strip().strip("\"'") for part in re.split(r"\.(?=(?:[^\"']*[\"'][^\"']*[\"'])*[^\"']*$)", dotted))

    def where(self, keys: tuple[str, ...]) -> Location:
        for n in range(len(keys), 0, -1):
            if keys[:n] in self.lines:
                return Location(self.path, self.lines[keys[:n]])
        return Location(self.path)


def toml_error_position(error: Exception, text: str) -> tuple[str, int | None]:
    """(message, 1-based line) of a ``tomllib.TOMLDecodeError`` for ``text``.
    Python before 3.14 keeps the position only in the message:
    "Invalid value (at line 3, column 7)" or "... (at end of document)"."""
    message = str(error)
    if found := re.search(r" \(at line (\d+), column \d+\)$", message):
        return message[: found.start()], int(found.group(1))
    if found := re.search(r" \(at end of document\)$", message):
        return message[: found.start()], len(text.rstrip("\n").split("\n"))
    return message, getattr(error, "lineno", None)


def _type_ok(value: Any, expected: type | tuple[type, ...]) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) and bool not in types:
        return False
    if float in types and isinstance(value, int) and not isinstance(value, bool):
        return True
    return isinstance(value, types)


def _type_name(expected: type | tuple[type, ...]) -> str:
    types = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in types)


def _suggest(key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "valid keys: " + ", ".join(sorted(valid)) if valid else "this table takes no keys"


def validate(table: Table, data: dict, locator: TomlLocator, prefix: tuple[str, ...] = ()) -> dict:
    """Return ``data`` checked against ``table`` with defaults filled in.
    Raises ConfigError naming the key, its file:line and the fix."""
    result: dict[str, Any] = {}
    for key, value in data.items():
        spec = table.options.get(key)
        if spec is None:
            spec = table.values if table.open else None
            if spec is None and not table.open:
                name = ".".join(prefix + (key,))
                raise ConfigError(f"unknown key '{name}'", where=locator.where(prefix + (key,)),
                                  hint=_suggest(key, list(table.options)))
        result[key] = value if spec is None else _check(spec, value, locator, prefix + (key,))
    for key, spec in table.options.items():
        if key not in result:
            result[key] = validate(spec, {}, locator, prefix + (key,)) if isinstance(spec, Table) else _copy(spec.default)
    return result


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value


def _check(spec: Option | Table, value: Any, locator: TomlLocator, keys: tuple[str, ...]) -> Any:
    name = ".".join(keys)
    if isinstance(spec, Table):
        if not isinstance(value, dict):
            raise ConfigError(f"'{name}' must be a table, got {type(value).__name__}",
                              where=locator.where(keys), hint=f"write it as [{name}] with keys below it")
        return validate(spec, value, locator, keys)
    if not _type_ok(value, spec.type):
        raise ConfigError(f"'{name}' must be {_type_name(spec.type)}, got {value!r}",
                          where=locator.where(keys), hint=spec.doc or None)
    if spec.items is not None:
        for item in value:
            if not _type_ok(item, spec.items):
                raise ConfigError(f"every item of '{name}' must be {_type_name(spec.items)}, got {item!r}",
                                  where=locator.where(keys))
    if spec.check is not None and (problem := spec.check(value)):
        raise ConfigError(f"'{name}': {problem}", where=locator.where(keys), hint=spec.doc or None)
    return value
