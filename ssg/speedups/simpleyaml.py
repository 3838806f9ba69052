"""Front matter in its common flat form, read without running PyYAML's parser:
the same values, about six times faster (a page's front matter took longer to
load than its markdown took to render).

Only lines of the form ``key: value`` are read here, where the value is a
quoted string without escapes, a plain scalar of unremarkable characters, or a
flow list of those. Plain scalars are typed by PyYAML's own resolver and
constructors (so ``yes``, ``0x1F``, ``1:20`` and dates mean what they mean in
YAML 1.1). Anything else (nesting, block lists, comments after values,
escapes, anchors, tags, duplicate keys, a key that is not a plain string...)
returns None and is read by PyYAML, which also gives errors their line. So
does everything with a PyYAML that ``ssg.speedups.switch`` does not find tested."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ssg.speedups import switch as speedups

_KEY = r"[A-Za-z_][A-Za-z0-9_-]*"
_PLAIN = r"[A-Za-z0-9_](?:[A-Za-z0-9_.+/ -]|:(?=[^\s]))*"   # no ': ', no '#', no flow indicators or quotes
_CHARS = "\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff"                # control characters and YAML 1.1 line breaks
_DOUBLE = rf'"[^"\\{_CHARS}]*"'
_SINGLE = rf"'[^'{_CHARS}]*'"
_FLOW_PLAIN = r"[A-Za-z0-9_][A-Za-z0-9_.+/ -]*"                # in a flow list, no ':' either
_SCALAR = rf"(?:{_DOUBLE}|{_SINGLE}|{_PLAIN})"
_ITEM_SCALAR = rf"(?:{_DOUBLE}|{_SINGLE}|{_FLOW_PLAIN})"
_LINE = re.compile(rf"({_KEY}): +({_SCALAR}|\[ *(?:{_ITEM_SCALAR} *(?:, *{_ITEM_SCALAR} *)*)?\]) *")
_ITEM = re.compile(rf"({_ITEM_SCALAR}) *(?:, *|$)")
_STR = "tag:yaml.org,2002:str"


class _Typer(yaml.resolver.Resolver):
    """PyYAML's resolver, and the loader's constructors for the scalars it names."""

    def __init__(self, loader: type) -> None:
        super().__init__()
        self.constructor = loader.__new__(loader)     # only its construct_* methods are used: no stream
        self.constructors = loader.yaml_constructors
        self.plain: dict[str, Any] = {}               # plain scalar -> its value (all immutable), as keys repeat

    def scalar(self, text: str) -> Any:
        if text[0] in "\"'":
            return text[1:-1]
        text = text.rstrip(" ")
        try:
            return self.plain[text]
        except KeyError:
            pass
        tag = self.resolve(yaml.ScalarNode, text, (True, False))
        if tag == _STR:
            value = text
        elif tag in _TYPED:
            value = self.constructors[tag](self.constructor, yaml.ScalarNode(tag, text))
        else:
            raise _NotSimple
        if len(self.plain) > 10_000:
            self.plain.clear()
        self.plain[text] = value
        return value

    def is_str(self, key: str) -> bool:
        """Whether the plain scalar ``key`` is a string (not yes, null, 12...)."""
        return type(self.scalar(key)) is str


_TYPED = {f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float", "timestamp")}


class _NotSimple(Exception):
    pass


_typers: dict[type, _Typer] = {}


def load_simple(text: str, loader: type) -> dict[str, Any] | None:
    """The mapping ``yaml.load(text, Loader=loader)`` returns, when ``text`` is
    flat simple front matter; None when it is not (PyYAML must read it)."""
    if "\r" in text or "\t" in text or not speedups.safe("simpleyaml"):
        return None
    typer = _typers.get(loader)
    if typer is None:
        typer = _typers[loader] = _Typer(loader)
    result: dict[str, Any] = {}
    try:
        for line in text.split("\n"):
            if not line:
                continue
            match = _LINE.fullmatch(line)
            if match is None:
                return None
            key, value = match.groups()
            if key in result or not typer.is_str(key):
                return None
            result[key] = typer.scalar(value) if value[0] != "[" else _items(typer, value[1:-1])
    except Exception:   # a constructor refused the value (e.g. an impossible date): PyYAML says where
        return None
    return result or None


def _items(typer: _Typer, inner: str) -> list[Any]:
    inner = inner.strip(" ")
    items = []
    pos = 0
    while pos < len(inner):
        match = _ITEM.match(inner, pos)
        if match is None:
            raise _NotSimple
        items.append(typer.scalar(match.group(1)))
        pos = match.end()
    return items
