"""Whether ssg's speed-ups are on.

Four speed-ups reach past the public API of the library whose work they do,
each giving byte for byte what the library's public API gives:

- ``fastlex``: ``ssg/speedups/fastlex.py`` drives Pygments' regex lexers with combined
  expressions (a copy of ``RegexLexer.get_tokens_unprocessed``; ``re._parser``
  to read patterns);
- ``format_html``: ``ssg.sources.markdown.format_html`` writes what Pygments'
  ``HtmlFormatter`` writes (a copy of ``HtmlFormatter._format_lines``; its
  ``_translate_parts``, ``_get_css_classes`` and ``span_element_openers``);
- ``cmark``: ``ssg/speedups/cmark.py`` calls cmark-gfm's C functions in cmarkgfm's
  compiled module ``cmarkgfm._cmark`` (cmarkgfm's own function leaks);
- ``simpleyaml``: ``ssg/speedups/simpleyaml.py`` reads flat front matter without
  PyYAML's parser (with PyYAML's resolver and constructors).

``SSG_SPEEDUPS=off`` (or ``0``, ``false``, ``no``) in the environment turns
them all off: Pygments' ``highlight``, ``HtmlFormatter`` and plain lexers,
cmarkgfm's ``markdown_to_html_with_extensions`` and PyYAML's loader do the
work. Each also turns itself off, whatever the switch says, when the installed
library is not one it was checked against: a version outside the tested
range, a private name it uses missing, or Pygments code it copies changed. A
new release can make a build slower, never different. ``python -m
ssg.speedups.switch`` says which are on.

Importing this module imports no library; each check imports its library
when first asked, once per process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from functools import cache
from typing import Any

ENV = "SSG_SPEEDUPS"
OFF_VALUES = frozenset({"off", "0", "false", "no"})

# The versions tested (lowest, first untested): tests/speedups/test_fastlex.py, marked
# `equivalence`, passed on Pygments 2.17.0, 2.18.0, 2.19.2, 2.20.0 and 2.21.0;
# tests/speedups/test_simpleyaml.py on PyYAML 6.0.3 and 6.0.4. cmarkgfm 2024.1.14 to
# 2025.10.22 bundle cmark-gfm 0.29.0.gfm.13, whose C API ssg/speedups/cmark.py declares.
# To admit a new release, run `pytest -m equivalence` (and tests/speedups/test_speedups.py)
# with it installed; when they pass, widen the range here (and pyproject.toml's
# pin of Pygments) and add the digests tests/speedups/test_speedups.py reports.
PYGMENTS_TESTED = ((2, 17), (2, 22))
PYYAML_TESTED = ((6, 0), (6, 1))
CMARK_GFM_TESTED = "0.29.0.gfm."

# Digests of the Pygments functions ssg copies, as the tested versions have them
# (tests/speedups/test_speedups.py says which digest is new when a version changes one).
COPIED = {
    ("pygments.lexer", "RegexLexer.get_tokens_unprocessed"): {
        "fa3620b86e1fd366": "2.17",
        "147037e406fd040e": "2.18-2.21",
    },
    ("pygments.formatters.html", "HtmlFormatter._format_lines"): {
        "23a59645bec930ed": "2.17",
        "293d862b6e20cd81": "2.18-2.20",
        "098293dca1274de6": "2.21",
    },
}


def enabled() -> bool:
    """Whether the switch leaves speed-ups on (``SSG_SPEEDUPS`` unset, or not one of OFF_VALUES)."""
    return os.environ.get(ENV, "").strip().lower() not in OFF_VALUES


def safe(name: str) -> bool:
    """Whether speed-up ``name`` gives the library's own output with the installed versions."""
    return problem(name) is None


@cache
def problem(name: str) -> str | None:
    """Why speed-up ``name`` is off whatever the switch says; None when it is safe."""
    check = _CHECKS[name]
    try:
        return check()
    except Exception as error:     # a check that cannot run: the library is not what it expects
        return f"checking it failed: {type(error).__name__}: {error}"


def forget() -> None:
    """Check again when next asked (for tests that change a library's attributes)."""
    problem.cache_clear()


def status() -> dict[str, str]:
    """Each speed-up: "on", or "off: " and why."""
    switch = None if enabled() else f"off: {ENV}={os.environ.get(ENV)}"
    return {name: switch or (f"off: {why}" if (why := problem(name)) else "on") for name in _CHECKS}


def _version(text: str) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _outside(library: str, version: str, tested: tuple[tuple[int, int], tuple[int, int]]) -> str | None:
    (low_major, low_minor), (high_major, high_minor) = tested
    parsed = _version(version)
    if parsed is not None and tested[0] <= parsed < tested[1]:
        return None
    return f"{library} {version} is not a tested version (>={low_major}.{low_minor},<{high_major}.{high_minor})"


def _missing(owner: Any, *names: str) -> str | None:
    for name in names:
        if not hasattr(owner, name):
            return f"{getattr(owner, '__name__', owner)}.{name} is missing"
    return None


def digest(function: Callable) -> str | None:
    """A digest of ``function``'s source lines (its ``def`` and the lines
    indented under it); None without the source."""
    import hashlib
    import linecache

    code = function.__code__
    lines = linecache.getlines(code.co_filename)
    start = code.co_firstlineno - 1
    if start >= len(lines):
        return None
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    return hashlib.sha256("".join(lines[start:end]).rstrip().encode()).hexdigest()[:16]


def _changed(module_name: str, qualified: str) -> str | None:
    import importlib

    owner: Any = importlib.import_module(module_name)
    for part in qualified.split("."):
        owner = getattr(owner, part)
    found = digest(owner)
    if found in COPIED[module_name, qualified]:
        return None
    return f"{qualified} is not the code ssg copies (source digest {found})"


def _pygments_version() -> str | None:
    import pygments

    return _outside("Pygments", pygments.__version__, PYGMENTS_TESTED)


def _check_fastlex() -> str | None:
    from pygments.lexer import RegexLexer

    return (_pygments_version() or _missing(re, "_parser") or _missing(re._parser, "parse")  # type: ignore[attr-defined]
            or _missing(RegexLexer, "get_tokens_unprocessed")
            or _changed("pygments.lexer", "RegexLexer.get_tokens_unprocessed"))


def _check_format_html() -> str | None:
    from pygments.formatters.html import HtmlFormatter

    return (_pygments_version() or _missing(HtmlFormatter, "_translate_parts", "_get_css_classes", "_format_lines")
            or _missing(HtmlFormatter(), "span_element_openers", "lineseparator")
            or _changed("pygments.formatters.html", "HtmlFormatter._format_lines"))


def _check_cmark() -> str | None:
    import cmarkgfm

    if not hasattr(cmarkgfm, "markdown_to_html_with_extensions"):
        return "cmarkgfm.markdown_to_html_with_extensions is missing"
    from cmarkgfm import _cmark

    version = _cmark.ffi.string(_cmark.lib.cmark_version_string()).decode()
    if not version.startswith(CMARK_GFM_TESTED):
        return f"cmarkgfm bundles cmark-gfm {version}, not the tested {CMARK_GFM_TESTED}*"
    return _missing(_cmark, "__file__")


def _check_simpleyaml() -> str | None:
    import yaml

    return (_outside("PyYAML", yaml.__version__, PYYAML_TESTED) or _missing(yaml.resolver.Resolver, "resolve")
            or _missing(yaml.SafeLoader, "yaml_constructors"))


_CHECKS: dict[str, Callable[[], str | None]] = {
    "fastlex": _check_fastlex, "format_html": _check_format_html, "cmark": _check_cmark, "simpleyaml": _check_simpleyaml}


if __name__ == "__main__":
    for _name, _state in status().items():
        print(f"{_name}: {_state}")
