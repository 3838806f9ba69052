"""Markdown that authors bring from other tools, on top of cmark-gfm: math
kept from the parser (``$…$``, ``$$…$$``, for KaTeX or MathJax), GitHub's
alerts (``> [!NOTE]``), MkDocs' admonitions (``!!! note "Title"`` and an
indented block; ``???`` folds it), heading attributes (``## Title {#id .class}``),
definition lists (``Term`` / ``: definition``).
Each is a pass over the text before cmark or over its HTML after it; each
is switched by a ``[markdown]`` option (ssg/sources/markdown.py)."""

from __future__ import annotations

import html
import itertools
import re

MAX_NESTING = 32   # admonitions or definition blocks one in another: deeper ones are left as written

# --- math: taken out of the text before cmark (whose escapes and emphasis would change it), put back after ----

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})", re.MULTILINE)
_MATH = re.compile(
    r"(?P<code>(`+)[\s\S]*?(?<!`)\2(?!`))"                      # an inline code span: left as it is
    r"|(?<!\\)(?P<display>\$\$(?!\$)[\s\S]+?(?<!\\)\$\$)"          # $$ … $$, across lines
    r"|(?<![\\$\w])(?P<inline>\$(?![\s$])[^$\n]*?(?<![\s\\])\$)(?![\d$])")   # $…$: not '$5 and $10'
_TOKEN = re.compile(r"<p>\ue000(\d+)\ue001</p>|<[^<>]*>|\ue000(\d+)\ue001")


def hide_math(text: str) -> tuple[str, list[str]]:
    """``text`` with each math span (outside code) replaced by a token, and
    the spans in token order."""
    if "$" not in text:
        return text, []
    found: list[str] = []

    def token(match: re.Match) -> str:
        if match.group("code"):
            return match.group(0)
        found.append(match.group(0))
        return f"\ue000{len(found) - 1}\ue001"

    def outside_code(part: str) -> str:    # most dollars of a page about code are in its code blocks
        return _MATH.sub(token, part) if "$" in part else part

    parts, done = [], 0
    for start, end in fenced_blocks(text):
        parts += (outside_code(text[done:start]), text[start:end])
        done = end
    parts.append(outside_code(text[done:]))
    return "".join(parts), found


def show_math(html_text: str, found: list[str]) -> str:
    """The HTML cmark made of ``hide_math``'s text, each math span back as
    written (HTML-escaped): a paragraph of display math alone as
    ``div.math.display``, other math as ``span.math``, and inside a tag's
    attribute (an image's alt text) as plain text."""
    if not found:
        return html_text

    def back(match: re.Match) -> str:
        if match.group(1) is not None:
            return f'<div class="math display">{html.escape(found[int(match.group(1))], quote=False)}</div>'
        if match.group(2) is None:   # a tag: its attributes get the text itself
            return re.sub("\ue000(\\d+)\ue001", lambda m: html.escape(found[int(m.group(1))]), match.group(0))
        math = found[int(match.group(2))]
        kind = "display" if math.startswith("$$") else "inline"
        return f'<span class="math {kind}">{html.escape(math, quote=False)}</span>'

    return _TOKEN.sub(back, html_text)


def fenced_blocks(text: str) -> list[tuple[int, int]]:
    """Where the fenced code blocks of ``text`` are (an unclosed one runs to the end)."""
    blocks, position = [], 0
    while (opening := _FENCE.search(text, position)) is not None:
        fence = opening.group(1)
        closing = re.compile(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.MULTILINE)
        line_end = text.find("\n", opening.end())
        found = closing.search(text, line_end + 1) if line_end >= 0 else None
        end = len(text) if found is None else found.end()
        blocks.append((opening.start(), end))
        position = end
    return blocks


# --- GitHub alerts ---------------------------------------------------------------------------------------

ALERTS = ("note", "tip", "important", "warning", "caution")
_ALERT = re.compile(r"<blockquote>\n<p>\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\](</p>\n|\n)", re.IGNORECASE)
_QUOTE_TAG = re.compile(r"<(/?)blockquote>")


def alerts(html_text: str) -> str:
    """Each blockquote whose first line is ``[!NOTE]`` (TIP, IMPORTANT,
    WARNING, CAUTION) as GitHub shows it: ``div.alert.alert-note`` with a
    ``p.alert-title``. A blockquote without its end is left as it is."""
    if "[!" not in html_text:
        return html_text
    parts, done = [], 0
    for match in _ALERT.finditer(html_text):
        if match.start() < done:
            continue      # inside an alert already replaced
        end = _closing(html_text, match.end())
        if end is None:
            continue
        kind = match.group(1).lower()
        title = f'<div class="alert alert-{kind}">\n<p class="alert-title">{kind.capitalize()}</p>\n'
        inner = html_text[match.end():end]
        body = alerts(inner if match.group(2) != "\n" else "<p>" + inner)
        parts += (html_text[done:match.start()], title, body, "</div>")
        done = end + len("</blockquote>")
    if not parts:
        return html_text
    parts.append(html_text[done:])
    return "".join(parts)


def _closing(html_text: str, start: int) -> int | None:
    """Where the blockquote opened just before ``start`` ends (nested ones counted)."""
    depth = 1
    for tag in _QUOTE_TAG.finditer(html_text, start):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return tag.start()
    return None


# --- heading attributes ---------------------------------------------------------------------------------

_ATTRIBUTES = re.compile(r"[ \t]*\{((?:[ \t]*[#.][\w:-]+)+)[ \t]*\}[ \t]*$")


def heading_attributes(inner: str) -> tuple[str, str | None, tuple[str, ...]]:
    """A heading's inner HTML without a trailing ``{#id .class}``, the id and the classes it gave."""
    match = _ATTRIBUTES.search(inner)
    if match is None:
        return inner, None, ()
    names = match.group(1).split()
    ids = [name[1:] for name in names if name.startswith("#")]
    return inner[:match.start()], (ids[-1] if ids else None), tuple(name[1:] for name in names if name[0] == ".")


# --- MkDocs admonitions: their lines become markers before cmark, the markers their HTML after ---------------

_ADMONITION = re.compile(r'(!!!|\?\?\?\+?)[ \t]+([A-Za-z][\w-]*)(?:[ \t]+"([^"\n]*)")?[ \t]*')
_MARK = re.compile(r"<p>\ue002(\d+)\ue003</p>")


def hide_admonitions(text: str) -> tuple[str, list[str]]:
    """``text`` with each admonition (``!!! kind "Title"`` at the start of a
    line outside code, then its lines indented by four spaces) as its
    content between two marker paragraphs, and the HTML of the markers."""
    if "!!!" not in text and "???" not in text:
        return text, []
    marks: list[str] = []
    return _admonitions(text, marks, 0), marks


def _admonitions(text: str, marks: list[str], depth: int) -> str:
    if depth == MAX_NESTING:
        return text
    lines, out, at = text.split("\n"), [], 0
    code = _code_lines(text, lines)
    while at < len(lines):
        line = lines[at]
        found = None if at in code else _ADMONITION.fullmatch(line)
        if found is None:
            out.append(line)
            at += 1
            continue
        body, at = _indented_block(lines, at + 1)
        out += ["", _mark(marks, _opening(*found.groups())), "", _admonitions(body, marks, depth + 1), "",
                _mark(marks, "</details>" if found.group(1) != "!!!" else "</div>"), ""]
    return "\n".join(out)


def _code_lines(text: str, lines: list[str]) -> set[int]:
    """Which of ``lines`` (``text`` split at newlines) are inside fenced code
    blocks, after their opening fence."""
    blocks = fenced_blocks(text)
    if not blocks:
        return set()
    inside, block = set(), 0
    for at, start in enumerate(itertools.accumulate((len(line) + 1 for line in lines), initial=0)):
        while block < len(blocks) and blocks[block][1] <= start:
            block += 1
        if block == len(blocks):
            break
        if blocks[block][0] < start:
            inside.add(at)
    return inside


def _indented_block(lines: list[str], at: int, width: int = 4) -> tuple[str, int]:
    """The block of lines indented by ``width`` spaces (a tab: four) from
    ``at``, blank lines among them, unindented; and where the lines after it
    start."""
    body, indent = [], " " * width
    while at < len(lines):
        line = lines[at] if not lines[at].startswith("\t") else "    " + lines[at][1:]
        if not line.startswith(indent) and line.strip():
            break
        body.append(line[width:])
        at += 1
    while body and not body[-1].strip():
        body.pop()
        at -= 1
    return "\n".join(body), at


def _opening(marker: str, kind: str, title: str | None) -> str:
    kind = kind.lower()
    title = kind.capitalize() if title is None else title
    if marker == "!!!":
        heading = f'\n<p class="admonition-title">{html.escape(title)}</p>' if title else ""
        return f'<div class="admonition {kind}">{heading}'
    return f'<details class="admonition {kind}"{" open" if marker.endswith("+") else ""}>\n' \
           f"<summary>{html.escape(title or kind.capitalize())}</summary>"


def _mark(marks: list[str], markup: str) -> str:
    marks.append(markup)
    return f"\ue002{len(marks) - 1}\ue003"


def show_admonitions(html_text: str, marks: list[str]) -> str:
    """cmark's HTML of ``hide_admonitions``' text, each marker paragraph as its HTML."""
    return _MARK.sub(lambda match: marks[int(match.group(1))], html_text) if marks else html_text


# --- definition lists: a paragraph whose lines after its terms start with ': ' ----------------------------
#
# A definition's own paragraph is found in cmark's HTML; the blocks indented under it (more paragraphs,
# code, lists) are taken out of the text before cmark, unindented, between two markers, and moved into
# its ``dd`` after.

_DEFINITION = re.compile(r": {1,4}|:\t")
_DEFINITION_LINE = re.compile(r" {0,3}:(?: {1,4}|\t)")
_DEFINITION_STARTS = ("\n:", "\n :", "\n  :", "\n   :")   # a text without them has no definition line
_PARAGRAPH_HTML = re.compile(r"<p>((?:(?!</?p>).)*?)</p>", re.DOTALL)
_LOOSE = re.compile(r"<p>((?:(?!</?p>).)*?)</p>\n<dl>\n<dd>", re.DOTALL)
_LIST_END = "</dd>\n</dl>\n"
_INTERRUPTING = re.compile(r" {0,3}(?:[-*+][ \t]+\S|1[.)][ \t]+\S|`{3,}|~{3,}|>|#{1,6}(?:[ \t]|$))")
_BLOCK_MARK = re.compile("<p>([\ue004\ue005])(\\d+)\ue006</p>\n")
_STRAY_MARK = re.compile("[\ue004\ue005]\\d+\ue006")


def hide_definition_blocks(text: str) -> tuple[str, list[str | None]]:
    """``text`` with the blocks indented under each definition (after a blank
    line, as far as the definition's text) unindented between two marker
    paragraphs; and, in marker order, each block's text as indented code
    (``_as_code``)."""
    if not _DEFINITION_LINE.match(text) and not any(start in text for start in _DEFINITION_STARTS):
        return text, []
    blocks: list[str | None] = []
    return _definition_blocks(text, blocks, 0), blocks


def _definition_blocks(text: str, blocks: list[str | None], depth: int) -> str:
    if depth == MAX_NESTING:
        return text
    lines, out, at = text.split("\n"), [], 0
    code = _code_lines(text, lines)
    while at < len(lines):
        marker = None if at in code else _DEFINITION_LINE.match(lines[at])
        out.append(lines[at])
        at += 1
        if marker is None:
            continue
        width = len(marker.group(0).expandtabs(4))   # the definition's text starts there: its blocks too (goldmark)
        while at < len(lines) and lines[at].strip() and at not in code \
                and not _interrupts(lines[at].expandtabs(4), width):    # the rest of its paragraph
            out.append(lines[at])
            at += 1
        after = at
        while after < len(lines) and not lines[after].strip():
            after += 1
        if after == len(lines) or not lines[after].expandtabs(4).startswith(" " * width) or after in code:
            continue
        body, at = _indented_block(lines, after, width)
        number = len(blocks)
        blocks.append(_as_code(lines[after:at]))
        out += ["", f"\ue004{number}\ue006", "", _definition_blocks(body, blocks, depth + 1), "", f"\ue005{number}\ue006", ""]
    return "\n".join(out)


def _interrupts(line: str, width: int) -> bool:
    """Whether ``line``, indented as far as a definition's text, starts a
    block that ends the definition's paragraph (a list, a fence, a quote, a
    heading): a block of the definition, blank line or not."""
    return line.startswith(" " * width) and _INTERRUPTING.match(line, width) is not None


def _as_code(lines: list[str]) -> str | None:
    """What cmark makes of a definition's block where no definition list
    turns out to be: indented code (its text) when each line is indented by
    four spaces, else None (the block's HTML is as good)."""
    text, at = _indented_block(lines, 0)
    return text if at == len(lines) else None


def definition_lists(html_text: str, blocks: list[str | None] | tuple[()] = ()) -> str:
    """PHP Markdown Extra's definition lists, as cmark leaves them: the
    paragraph ``Term`` / ``: definition`` (terms one a line, each definition
    a line starting with ':' and the lines after it) becomes ``dl``, ``dt``
    and ``dd``; a paragraph of definitions alone after a blank line defines
    the paragraph before it; lists one after another become one. ``blocks``:
    what ``hide_definition_blocks`` took out: each goes into its definition's
    ``dd``, with its first paragraph as a ``p``."""
    if not blocks and "<p>:" not in html_text and "\n:" not in html_text:
        return html_text
    html_text = _PARAGRAPH_HTML.sub(_definitions, html_text)
    if blocks:
        html_text = _with_blocks(html_text, blocks)
    html_text = _LOOSE.sub(lambda match: f"<dl>\n<dt>{match.group(1)}</dt>\n<dd>"
                           if "\n" not in match.group(1) else match.group(0), html_text)
    return html_text.replace("</dl>\n<dl>\n", "")


def _definitions(match: re.Match) -> str:
    lines = match.group(1).split("\n")
    first = next((at for at, line in enumerate(lines) if _DEFINITION.match(line)), None)
    if first is None or not all(line.strip() for line in lines[:first]):
        return match.group(0)
    parts = ["<dl>"] + [f"<dt>{term.strip()}</dt>" for term in lines[:first]]
    opening, closing = ("<dd>", "</dd>") if first else ("<dd><p>", "</p></dd>")   # after a blank line: loose
    definition: list[str] = []
    for line in lines[first:]:
        marker = _DEFINITION.match(line)
        if marker is not None:
            if definition:
                parts.append(f"{opening}{chr(10).join(definition)}{closing}")
            definition = [line[marker.end():]]
        else:
            definition.append(line)
    parts += [f"{opening}{chr(10).join(definition)}{closing}", "</dl>"]
    return "\n".join(parts)


def _with_blocks(html_text: str, blocks: list[str | None]) -> str:
    """The HTML between the markers of each definition block moved into the
    ``dd`` before it (the innermost first), whose first paragraph becomes a
    ``p``; one pass over the text."""
    parts = _BLOCK_MARK.split(html_text)   # text, then (marker, number, text) for each marker
    out = [parts[0]]
    stack: list[tuple[int, list[str]]] = []
    for at in range(1, len(parts), 3):
        number = int(parts[at + 1])
        if parts[at] == "\ue004":
            stack.append((number, out))
            out = []
        elif stack and stack[-1][0] == number:
            parent = stack.pop()[1]
            _attach(parent, "".join(out), blocks[number])
            out = parent
        out.append(parts[at + 2])
    while stack:      # (an opening whose closing cmark put elsewhere)
        parent = stack.pop()[1]
        parent.append("".join(out))
        out = parent
    text = "".join(out)
    return _STRAY_MARK.sub("", text) if "\ue006" in text else text


def _attach(parent: list[str], body: str, written: str | None) -> None:
    """A definition block's HTML into the ``dd`` that ``parent`` ends with;
    after a ':' line that was no definition (no list before it), the block
    is what cmark makes of it there: indented code (``written``), or else
    its HTML as it is."""
    before = parent[-1]
    dd = before.rfind("<dd>")
    if before.endswith(_LIST_END) and dd >= 0:
        dd += len("<dd>")
        first = before[dd:-len(_LIST_END)]
        first = first if first.startswith("<p>") else f"<p>{first}</p>"    # (a loose one has its p)
        parent[-1] = f"{before[:dd]}{first}\n{body}{_LIST_END}"
    elif written is None:
        parent.append(body)
    else:
        code = html.escape(written, quote=False).replace('"', "&quot;")    # as cmark escapes code
        parent.append(f"<pre><code>{code}\n</code></pre>\n")
