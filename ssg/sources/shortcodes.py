"""Shortcodes: components an author calls from Markdown, each rendered by a
trusted Jinja template, ``templates/shortcodes/NAME.html`` (the site's,
then the theme's, then ssg's built-ins in ssg/sources/shortcode_templates/).

``{{< name arg key="value" >}}`` is a call; ``{{< name >}}inner{{< /name >}}``
passes ``inner`` as written (nested calls expanded), ``{{% name %}}inner{{% /name %}}``
passes it rendered as Markdown. A body is never a template: a call names a
template and gives it literal arguments (strings; numbers and booleans
written as such). ``{{</* name */>}}`` shows a call as text. Calls inside
code (fenced blocks, inline code) are text too.

Calls are expanded when a page is parsed: each is taken out of the text as
a token before cmark and its output put back after. A page records what its
content was made with (``Page.made_with``: each template it called, each
file it included, the site values, with their digests), so that the parse
cache parses it again when one of those changes (``ShortcodeLibrary.fresh``).
An unknown shortcode or a malformed call is shown as written and noted
(``Page.notes``, warnings at file:line); a ``ref`` to no page, or an include
of no file, is an error."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from ssg.errors import ContentError, Location
from ssg.sources.links import page_ref

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ssg.sources.shortcode_library import ShortcodeLibrary

LIBRARY = "shortcode library"     # the key of parse options holding the site's ShortcodeLibrary
MAX_TAG = 4096            # characters of one call's opening, arguments included
MAX_DEPTH = 10            # calls within calls, includes within includes
_OPENING = re.compile(r"\{\{([<%])|(`+)")
_ARGUMENT = re.compile(r'\s*(?:([A-Za-z_][\w-]*)\s*=\s*)?(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`|([^\s"`=]+))', re.DOTALL)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_ESCAPED = re.compile(r"\s*/\*")
_ENDING = {"<": ">}}", "%": "%}}"}        # what ends a call opened with {{< or {{%
_ESCAPED_END = {ending: re.compile(r"\*/\s*" + re.escape(ending)) for ending in _ENDING.values()}
_NAME = re.compile(r"[\w-][\w.-]*(/[\w-][\w.-]*)*")     # a template under shortcodes/: no '..', no absolute path


@dataclass
class Expansion:
    """One page's calls while its markdown is made: their outputs (by token
    number), what the page was made with, and its notes (warnings)."""

    library: ShortcodeLibrary
    source: str
    page: Mapping[str, Any]
    markdown: Callable[[str, Expansion, int], str]   # markdown (with its calls) from a line of a file, to HTML
    outputs: list[str] = field(default_factory=list)
    made_with: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    including: tuple[str, ...] = ()
    depth: int = 0
    trusted: bool = True      # [markdown] unsafe_html: a {{< >}} pair's inner text is passed as HTML
    prefix: str = "SSGSHORTCODE"   # of its tokens: text the page does not hold (``token_prefix``)
    written: dict[int, str] = field(default_factory=dict)   # token number -> text shown as written

    @classmethod
    def of_page(cls, library: ShortcodeLibrary, source: str, fields: Mapping[str, Any], text: str,
                markdown: Callable[[str, Expansion, int], str], trusted: bool) -> Expansion:
        """The expansion of a page's calls (its markdown ``text``). Templates see
        as ``page`` its ``fields``, its ``params`` with what its sections cascade
        down where it sets none, as placing it will (each ``_index.md`` read is
        recorded: ``made_with`` 'cascade:content/...'), and its ``url`` and
        ``permalink`` as references the link pass makes its URL (URLs are made
        after pages are read)."""
        cascaded, holders = library.cascade(source, fields.get("kind", "page"))
        own = "/" + source.removeprefix("content/")
        view = {**fields, "params": {**cascaded, **fields.get("params", {})},
                "url": page_ref(own, absolute=False), "permalink": page_ref(own, absolute=True)}
        expansion = cls(library, source, view, markdown, trusted=trusted, prefix=token_prefix(text))
        for holder in holders:
            expansion.uses(f"cascade:{holder}")
        return expansion

    def within(self, source: str | None = None, including: tuple[str, ...] | None = None) -> Expansion:
        """The expansion of a call's inner text, or (``source``) of a file it includes."""
        return Expansion(self.library, source or self.source, self.page, self.markdown, self.outputs,
                         self.made_with, self.notes, self.including if including is None else including,
                         self.depth + 1, self.trusted, self.prefix, self.written)

    def uses(self, entry: str) -> None:
        self.made_with[entry] = self.library.digest(entry)

    def note(self, line: int, message: str, hint: str) -> None:
        self.notes.append(f"{self.source}:{line}: {message} ({hint})")

    def token(self, output: str) -> str:
        self.outputs.append(output)
        return f"{self.prefix}{len(self.outputs) - 1}X"

    def as_written(self, text: str) -> str:
        """The token of ``text`` shown as written: an escaped call, or one
        that is refused (HTML-escaped where it lands in HTML)."""
        self.written[len(self.outputs)] = text
        return self.token(str(escape(text)))


def token_prefix(text: str) -> str:
    """What a page's call tokens start with: letters only (nothing cmark
    changes), and none the page's text holds."""
    prefix = "SSGSHORTCODE"
    while prefix in text:
        prefix += "Z"
    return prefix


class ShortcodeProblem(Exception):
    """A call a template refuses (its ``fail(message)``): a warning at the call, which is shown as written."""


CALL: ContextVar[tuple[Expansion, int]] = ContextVar("shortcode call")


@contextmanager
def calling(expansion: Expansion, line: int) -> Iterator[None]:
    """Template helpers (ssg/sources/shortcode_helpers.py) act for this call."""
    token = CALL.set((expansion, line))
    try:
        yield
    finally:
        CALL.reset(token)


@dataclass
class _Tag:
    start: int
    end: int
    line: int
    name: str
    markdown: bool            # {{% %}}
    closing: bool = False     # {{< /name >}}
    alone: bool = False       # {{< name />}}
    arguments: str = ""
    literal: str | None = None  # an escaped call ({{</* */>}}): the text it shows
    partner: _Tag | None = None


def hide(text: str, expansion: Expansion, first_line: int, fenced: list[tuple[int, int]]) -> str:
    """``text`` with each call outside code as a token (``Expansion.token``);
    in fenced code blocks (``fenced``: where they are), escaped calls shown
    as written. ``first_line``: the line of ``text``'s first line in its file."""
    if "{{" not in text:
        return text
    tags = _tags(text, first_line, fenced, expansion)
    if not tags:
        return text
    _pair(tags, expansion)
    parts, done, index = [], 0, 0
    while index < len(tags):
        tag = tags[index]
        end = tag.partner.end if tag.partner is not None else tag.end
        parts += (text[done:tag.start], _output(text, tag, expansion))
        done = end
        index += 1
        while index < len(tags) and tags[index].start < end:
            index += 1        # inside the pair: expanded with its inner text
    parts.append(text[done:])
    return "".join(parts)


def show(html_text: str, expansion: Expansion | None, *, as_text: bool = False) -> str:
    """The HTML made of ``hide``'s text with each call's output in its token's
    place (a paragraph holding only a token: the output alone). ``as_text``:
    ``html_text`` is a pair's inner text as written, where text shown as
    written goes as it is, not HTML-escaped."""
    if expansion is None or not expansion.outputs:
        return html_text
    outputs, prefix = expansion.outputs, expansion.prefix
    written = expansion.written if as_text else {}

    def output(match: re.Match) -> str:
        number = int(match.group(1) or match.group(2))
        if number in written:
            return written[number]
        return outputs[number] if number < len(outputs) else match.group(0)    # (an included file's text)

    return re.sub(rf"<p>{prefix}(\d+)X</p>|{prefix}(\d+)X", output, html_text)


class _Endings:
    """Where the next call ending ('>}}', '%}}', and an escaped call's '*/ >}}')
    is at or after a position: each searched for again only once passed, so a
    page of calls that never end is read once, not once a call."""

    def __init__(self, text: str):
        self.text = text
        self.found: dict[tuple[str, bool], tuple[int, int]] = {}   # (ending, escaped) -> (searched from, at or -1)

    def next(self, ending: str, start: int, *, escaped: bool = False) -> int:
        known = self.found.get((ending, escaped))
        if known is not None and (known[1] < 0 or known[1] >= start) and known[0] <= start:
            return known[1]
        if escaped:
            match = _ESCAPED_END[ending].search(self.text, start)
            at = -1 if match is None else match.start()
        else:
            at = self.text.find(ending, start)
        self.found[(ending, escaped)] = (start, at)
        return at


def _tags(text: str, first_line: int, fenced: list[tuple[int, int]], expansion: Expansion) -> list[_Tag]:
    """The calls ``text`` holds, in order; in code (``fenced`` blocks and
    inline code spans) only the escaped ones, which show a call as text."""
    tags: list[_Tag] = []
    endings, unclosed_noted = _Endings(text), set()
    position, block, lines_done, line = 0, 0, 0, first_line
    code_end, unclosed = -1, set()    # where the inline code span being read ends; backtick runs never closed
    while (match := _OPENING.search(text, position)) is not None:
        position = match.end()
        start = match.start()
        while block < len(fenced) and fenced[block][1] <= start:
            block += 1
        in_code = start < code_end or (block < len(fenced) and fenced[block][0] <= start)
        ticks = match.group(2)
        if ticks is not None:
            if not in_code and len(ticks) not in unclosed:
                closing = re.compile(rf"(?<!`){ticks}(?!`)").search(text, match.end())
                if closing is None:
                    unclosed.add(len(ticks))     # none later either: not searched for again
                else:
                    code_end = closing.end()
            continue
        line += text.count("\n", lines_done, start)
        lines_done = start
        tag = _escaped(text, match, line, endings)
        if tag is None and not in_code:
            tag = _tag(text, match, line, endings)
            if tag is None and match.group(1) not in unclosed_noted:     # one note: the rest are the same
                unclosed_noted.add(match.group(1))
                expansion.note(line, f"the shortcode call '{text[start:start + 40].splitlines()[0]}' is never "
                               "closed", f"end it with '{_ENDING[match.group(1)]}'; it is shown as written")
        if tag is not None:
            tags.append(tag)
            position = tag.end
    return tags


def _escaped(text: str, match: re.Match, line: int, endings: _Endings) -> _Tag | None:
    """The escaped call (``{{</* name */>}}``) opening at ``match``, if it is one."""
    delimiter = match.group(1)
    escaped = _ESCAPED.match(text, match.end())
    if escaped is None:
        return None
    ending = _ENDING[delimiter]
    at = endings.next(ending, escaped.end(), escaped=True)
    if at < 0 or at - escaped.end() > MAX_TAG:
        return None
    end = _ESCAPED_END[ending].match(text, at)
    return _Tag(match.start(), end.end(), line, "", delimiter == "%",
                literal=f"{{{{{delimiter}{text[escaped.end():at]}{ending}")


def _tag(text: str, match: re.Match, line: int, endings: _Endings) -> _Tag | None:
    """The call opening at ``match``: its name and arguments, up to its '>}}'
    (or '%}}', outside quotes); None when it does not end within MAX_TAG."""
    delimiter = match.group(1)
    ending = _ENDING[delimiter]
    start = match.start()
    at = endings.next(ending, match.end())
    if at < 0 or at - start > MAX_TAG:
        return None
    if '"' in text[match.end():at] or "`" in text[match.end():at]:    # an ending may be inside a quoted argument
        at, quote = match.end(), None
        limit = min(len(text), start + MAX_TAG)
        while at < limit:
            char = text[at]
            if quote is not None:
                if char == "\\" and quote == '"':
                    at += 1
                elif char == quote:
                    quote = None
            elif char in "\"`":
                quote = char
            elif text.startswith(ending, at):
                break
            at += 1
        else:
            return None
    inside = text[match.end():at].strip()
    closing = inside.startswith("/")
    if closing:
        inside = inside[1:].lstrip()
    alone = inside.endswith("/") and not closing
    if alone:
        inside = inside[:-1].rstrip()
    name = re.split(r"\s", inside, maxsplit=1)[0] if inside else ""
    arguments = inside[len(name):]
    return _Tag(start, at + len(ending), line, name, delimiter == "%", closing, alone, arguments)


def _pair(tags: list[_Tag], expansion: Expansion) -> None:
    """Each closing tag with the nearest opening of its name before it; a
    closing tag without one is noted and shown as written."""
    stack: list[_Tag] = []
    for tag in list(tags):
        if tag.literal is not None or tag.alone:
            continue
        if not tag.closing:
            stack.append(tag)
            continue
        for index in range(len(stack) - 1, -1, -1):
            if stack[index].name == tag.name:
                stack[index].partner = tag
                del stack[index:]
                break
        else:
            expansion.note(tag.line, f"'{{{{< /{tag.name} >}}}}' closes no '{{{{< {tag.name} >}}}}' opened before it",
                           "remove it or add the opening; it is shown as written")
            tag.literal = f"{{{{< /{tag.name} >}}}}" if not tag.markdown else f"{{{{% /{tag.name} %}}}}"


def _output(text: str, tag: _Tag, expansion: Expansion) -> str:
    """The token of one call (or of the text it shows)."""
    written = text[tag.start:(tag.partner or tag).end]
    if tag.literal is not None:
        return expansion.as_written(tag.literal)
    if tag.closing:
        return expansion.as_written(written)
    try:
        args, kwargs = arguments(tag.arguments)
    except ValueError as error:
        expansion.note(tag.line, f"shortcode '{tag.name}': {error}", "arguments are \"quoted text\", numbers, "
                       "true or false, each alone or as name=value; the call is shown as written")
        return expansion.as_written(written)
    if _NAME.fullmatch(tag.name) is None:
        template = None
    else:
        for name in expansion.library.templates(f"shortcodes/{tag.name}.html"):   # (and the partials it includes)
            expansion.uses(name)
        template = expansion.library.template(tag.name)
    if template is None:
        expansion.note(tag.line, f"unknown shortcode '{tag.name}'",
                       f"add templates/shortcodes/{tag.name}.html, or write {{{{</* {tag.name} */>}}}} to show the "
                       "call as text; it is shown as written")
        return expansion.as_written(written)
    if expansion.depth >= MAX_DEPTH:
        raise ContentError(f"shortcode '{tag.name}' is called within calls more than {MAX_DEPTH} deep",
                           where=Location(expansion.source, tag.line), hint="a shortcode template calls itself?")
    inner = None
    if tag.partner is not None:
        inner = _inner(text[tag.end:tag.partner.start], tag, expansion)
    elif not tag.alone and expansion.library.reads_inner(tag.name):
        expansion.note(tag.line, f"shortcode '{tag.name}' is never closed",
                       f"end it with {{{{< /{tag.name} >}}}}, or write {{{{< {tag.name} />}}}} when it has no "
                       "inner text; it is shown as written")
        return expansion.as_written(written)
    expansion.uses("site")       # a template may read the site's values (site.params)
    try:
        with calling(expansion, tag.line):
            # a call without a closing tag has no ``inner`` at all (undefined: it prints nothing)
            output = template.render(args=args, kwargs=kwargs, name=tag.name, markdown=tag.markdown,
                                     page=expansion.page, site=expansion.library.site,
                                     position=f"{expansion.source}:{tag.line}",
                                     **({} if inner is None else {"inner": inner}))
    except ShortcodeProblem as problem:
        expansion.note(tag.line, f"shortcode '{tag.name}': {problem}", "the call is shown as written")
        return expansion.as_written(written)
    except ContentError:
        raise
    except Exception as error:   # the template's own failure: an error at the call, naming the template
        raise ContentError(f"shortcode '{tag.name}' failed: {type(error).__name__}: {error}",
                           where=Location(expansion.source, tag.line),
                           hint=f"check templates/shortcodes/{tag.name}.html and the call's arguments") from None
    return expansion.token(output)


def _inner(inner: str, tag: _Tag, expansion: Expansion) -> Markup:
    """A pair's inner text: rendered as Markdown for {{% %}}, else as written,
    its own calls expanded either way."""
    nested = expansion.within()
    if tag.markdown:
        return Markup(expansion.markdown(inner, nested, tag.line))
    from ssg.sources.mdextensions import fenced_blocks

    lines = len(inner) - len(inner.lstrip("\n"))
    inner = inner.strip("\n")
    expanded = show(hide(inner, nested, tag.line + lines, fenced_blocks(inner)), expansion, as_text=True)
    return Markup(expanded) if expansion.trusted else Markup(escape(expanded))


def arguments(written: str) -> tuple[list[Any], dict[str, Any]]:
    """A call's arguments: positional and named. Quoted text stays text;
    a bare number or true/false is that value. ValueError when malformed."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    at, written = 0, written.rstrip()
    while at < len(written):
        match = _ARGUMENT.match(written, at)
        if match is None or match.end() == at:
            raise ValueError(f"cannot read the arguments at '{written[at:].strip()[:30]}'")
        name, quoted, raw, bare = match.groups()
        value: Any = (re.sub(r"\\(.)", r"\1", quoted, flags=re.DOTALL) if quoted is not None
                      else raw if raw is not None else _literal(bare))
        if name is None:
            if kwargs:
                raise ValueError("positional arguments come before named ones")
            args.append(value)
        else:
            kwargs[name] = value
        at = match.end()
    return args, kwargs


def _literal(bare: str) -> Any:
    if bare in ("true", "false"):
        return bare == "true"
    if _NUMBER.fullmatch(bare):
        return float(bare) if "." in bare else int(bare)
    return bare


def included_files(made_with: tuple[tuple[str, str], ...]) -> list[str]:
    """The content files a page's content includes (of its ``made_with``)."""
    return [entry for entry, _ in made_with if entry.startswith("content/")]


def content_path(source: str, target: str) -> str:
    """The site path of the content file ``target`` names from page
    ``source``: '/docs/a.md' from content/, 'a.md' beside the page first, then from content/."""
    target = target.partition("#")[0]
    if target.startswith("/"):
        return posixpath.normpath(posixpath.join("content", target.lstrip("/")))
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))
