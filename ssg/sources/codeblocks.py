"""Code block attributes: highlighted lines, line numbers and a title, as
authors write them after a fence's language (```` ```python {hl_lines=[2,"4-5"] linenos=true title="app.py"} ````,
Hugo's ``linenos=table,hl_lines=2 4-5,linenostart=10`` and MkDocs'
``title="app.py" hl_lines="2 3" linenums="1"``), and the HTML Pygments
makes of them."""

from __future__ import annotations

import html
import re
from typing import Any

# a value: quoted, a list, or bare (Hugo's "hl_lines=2 4-5" holds spaces between line numbers)
_SETTING = re.compile(r"""([A-Za-z_][\w-]*)\s*=\s*("[^"]*"|'[^']*'|\[[^\]]*\]|[^,\s}\]]+(?:[ \t]+\d[\d-]*(?=[\s,}]|$))*)""")
_RANGE = re.compile(r"(\d+)(?:-(\d+))?")
KNOWN = ("hl_lines", "linenos", "linenums", "linenostart", "title")


_CLASS = re.compile(r"(?:^|[\s{])\.([\w+#-]+)")


def fence_info(language: str, meta: str | None) -> tuple[str, str]:
    """A fence's language and attributes, from cmark's split of its info
    string (its first word, the rest), written Hugo's way or MkDocs':
    ``title="x.py"`` with no language, ``{ .yaml title="x.py" }``, ``{.python}``."""
    if language.startswith("{"):
        text = f"{language} {meta or ''}"
        found = _CLASS.search(text)
        return (found.group(1) if found else ""), text
    if "=" in language:
        return "", f"{language} {meta or ''}"
    return language, meta or ""


def read_options(text: str) -> dict[str, Any]:
    """The settings ``text`` gives (others than KNOWN are left out): ``hl_lines``
    as line numbers, ``linenos`` as False, 'inline' or 'table', ``linenostart``
    as a number, ``title`` as text. ValueError for a value that is none of these."""
    settings: dict[str, Any] = {}
    for name, value in _SETTING.findall(text.strip().strip("{}")):
        value = value.strip("\"'")
        if name == "hl_lines":
            lines = []
            for first, last in _RANGE.findall(value):
                lines += range(int(first), int(last or first) + 1)
            settings["hl_lines"] = lines
        elif name in ("linenos", "linenums"):
            if name == "linenums" or value in ("true", "inline"):
                settings["linenos"] = "inline"
                if name == "linenums" and value.isdigit():
                    settings["linenostart"] = int(value)
            elif value == "table":
                settings["linenos"] = "table"
            elif value != "false":
                raise ValueError(f"{name}={value}: line numbers are true, false, inline or table")
        elif name == "linenostart":
            if not value.isdigit():
                raise ValueError(f"linenostart={value}: the first line's number is a whole number")
            settings["linenostart"] = int(value)
        elif name == "title":
            settings["title"] = value
    return settings


def code_block(code: str, language: str, settings: dict[str, Any]) -> str:
    """``code`` highlighted as ``language`` (plain text for a language
    Pygments does not know) with ``settings`` (``read_options``): the
    ``div.highlight`` of a fenced block, lines marked ``span.hll``, numbers
    as Pygments writes them, and a title above it in ``div.code-title``."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import TextLexer, get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language) if language else TextLexer()
    except ClassNotFound:
        lexer = TextLexer()
    formatter = HtmlFormatter(cssclass="highlight", wrapcode=True, hl_lines=settings.get("hl_lines", ()),
                              linenos=settings.get("linenos", False), linenostart=settings.get("linenostart", 1))
    block = highlight(code, lexer, formatter).rstrip("\n")
    title = settings.get("title")
    if not title:
        return block
    return f'<div class="code-block">\n<div class="code-title">{html.escape(title)}</div>\n{block}\n</div>'
