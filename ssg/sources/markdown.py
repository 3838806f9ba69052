"""Markdown to HTML: CommonMark + GFM (tables, strikethrough, autolinks,
footnotes) via cmark-gfm, then heading ids, a table of contents and Pygments
highlighting with CSS classes (a fence's attributes: ssg/sources/codeblocks.py).
The body is never evaluated as a template: its shortcode calls are expanded
by their own templates (ssg/sources/shortcodes.py)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from cmarkgfm.cmark import Options
from markupsafe import Markup

from ssg.model import TocEntry
from ssg.sources import shortcodes
from ssg.sources.codeblocks import code_block, fence_info, read_options
from ssg.sources.mdextensions import (
    alerts,
    definition_lists,
    fenced_blocks,
    heading_attributes,
    hide_admonitions,
    hide_definition_blocks,
    hide_math,
    show_admonitions,
    show_math,
)
from ssg.sources.spans import Span, spans, substitute
from ssg.speedups import switch as speedups
from ssg.speedups.cmark import to_html

# Elements are found with ssg/sources/spans.py (an opening tag, then the first closing
# tag after it), not with ``<h2>(.*?)</h2>``: that regular expression takes time
# in the square of a page holding many unclosed raw-HTML tags. No opening tag
# pattern scans past a '<' it did not start at.
_HEADING = re.compile(r"<h([1-6])>")
_CODE = re.compile(r'<pre lang="([^"<>]+)"(?: data-meta="([^"<>]*)")?><code>')
_TAGS = re.compile(r"<[^<>]+>")
_PARAGRAPH = re.compile(r"<p>")
_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)     # fullmatch only: anchored at both ends
_FOOTNOTE_REF = re.compile(r'<sup class="footnote-ref">')
_FOOTNOTES = re.compile(r'<section class="footnotes"')
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:.*$", re.MULTILINE)
MORE_MARKER = re.compile(r"<!--\s*more\s*-->", re.IGNORECASE)   # Hugo's <!--more-->; MkDocs' and Hexo's <!-- more -->
_EXTENSIONS = ("table", "autolink", "strikethrough", "tasklist")     # the last: [markdown] task_lists
# cmark-gfm's CMARK_OPT_FULL_INFO_STRING (cmarkgfm does not name it): a fence's words after the language
# are kept as data-meta, for its attributes (ssg/sources/codeblocks.py)
_FULL_INFO_STRING = 1 << 16


@dataclass(frozen=True)
class Rendered:
    html: Markup
    toc: tuple[TocEntry, ...]
    summary: Markup
    made_with: tuple[tuple[str, str], ...] = ()   # shortcode templates and included files, with their digests
    notes: tuple[str, ...] = ()                   # warnings: unknown shortcodes, malformed calls


def cmark_options(options: Mapping) -> int:
    flags = Options.CMARK_OPT_FOOTNOTES | Options.CMARK_OPT_GITHUB_PRE_LANG | _FULL_INFO_STRING
    if options.get("unsafe_html", True):
        flags |= Options.CMARK_OPT_UNSAFE
    if options.get("smart_punctuation"):
        flags |= Options.CMARK_OPT_SMART
    if options.get("hard_breaks"):
        flags |= Options.CMARK_OPT_HARDBREAKS
    return flags


def _to_html(text: str, flags: int, options: Mapping, expansion: shortcodes.Expansion | None = None) -> str:
    """cmark-gfm's HTML, with the extensions the options switch on
    (ssg/sources/mdextensions.py) and the outputs of the shortcode calls (``expansion``)
    ``text`` holds as tokens (``shortcodes.hide``)."""
    # GFM's tagfilter turns <script>, <style>, <iframe>... into visible "&lt;script>"
    # text even when raw HTML is allowed; trusted authors need those (embeds), and
    # without CMARK_OPT_UNSAFE cmark omits all raw HTML anyway.
    text, boxes = hide_admonitions(text) if options.get("admonitions", True) else (text, [])
    definitions = options.get("definition_lists", True)
    text, blocks = hide_definition_blocks(text) if definitions else (text, [])
    text, math = hide_math(text) if options.get("math", True) else (text, [])
    html_text = to_html(text, flags, _EXTENSIONS if options.get("task_lists", True) else _EXTENSIONS[:-1])
    if options.get("alerts", True):
        html_text = alerts(html_text)
    if definitions:
        html_text = definition_lists(html_text, blocks)
    return shortcodes.show(show_math(show_admonitions(html_text, boxes), math), expansion)


def render_markdown(text: str, options: Mapping, *, source: str = "", first_line: int = 1,
                    page: Mapping[str, Any] | None = None) -> Rendered:
    """Render one markdown body. ``options`` is the ``[markdown]`` config
    table, with the site's shortcode library (``shortcodes.LIBRARY``) when
    calls are expanded; ``source``, ``first_line``: the file and line the
    body comes from (for notes); ``page``: its fields, for shortcode templates."""
    flags = cmark_options(options)
    library = options.get(shortcodes.LIBRARY) if options.get("shortcodes", True) else None
    expansion = None
    if library is not None and "{{" in text:
        def fragment(inner: str, nested: shortcodes.Expansion, line: int) -> str:
            return _to_html(shortcodes.hide(inner, nested, line, fenced_blocks(inner)), flags, options, nested)

        expansion = shortcodes.Expansion.of_page(library, source, page or {}, text, fragment,
                                                 options.get("unsafe_html", True))
        text = shortcodes.hide(text, expansion, first_line, fenced_blocks(text))
    html_text = _to_html(text, flags, options, expansion)
    html_text, toc = _add_heading_ids(html_text, tuple(options.get("toc_levels", (2, 3))),
                                      options.get("heading_attributes", True))
    mermaid = options.get("mermaid", True)
    code = _highlight_match if options.get("highlight", True) else _plain_code
    problems: list[str] = []
    html_text = substitute(html_text, _CODE, _code_end,
                           lambda m: _mermaid(m) if mermaid and fence_info(m.group(1), m.group(2))[0] == "mermaid"
                           else code(m, problems))
    notes = [*(expansion.notes if expansion else ()),
             *(f"{source}: a code block's attributes: {problem} (they are left out)" for problem in problems)]
    return Rendered(Markup(html_text), toc, Markup(_summary(text, html_text, flags, options, expansion)),
                    tuple(sorted(expansion.made_with.items())) if expansion else (), tuple(notes))


def _plain_code(match: Span, problems: list[str]) -> str:
    language = fence_info(match.group(1), match.group(2))[0]
    attribute = f' class="language-{language}"' if language else ""
    return f"<pre><code{attribute}>{match.inner}</code></pre>"


def _mermaid(match: Span) -> str:
    """A ``mermaid`` code block as Mermaid's script finds a diagram's source: ``pre.mermaid``, not highlighted."""
    return f'<pre class="mermaid">{match.inner}</pre>'


def rendered_as(text: str, options: Mapping, html_text: str, toc: tuple[TocEntry, ...]) -> Rendered:
    """What ``render_markdown(text, options)`` returns, given the ``html_text``
    and ``toc`` it made before (for the same text and options): only the
    summary is made again. An edit of a page's front matter alone then costs
    no highlighting (Pygments compiles a lexer's rules once per process: 20 ms
    for Python's)."""
    return Rendered(Markup(html_text), toc, Markup(_summary(text, html_text, cmark_options(options), options)))


def _summary(text: str, html_text: str, flags: int, options: Mapping,
             expansion: shortcodes.Expansion | None = None) -> str:
    """The HTML before ``<!--more-->``, else the first paragraph's inner HTML.
    Footnote references are dropped: on a list page or in a feed they would
    point to nothing (and repeat ids)."""
    more = MORE_MARKER.search(text) if "<!--" in text else None
    if more is not None:
        before = text[:more.start()]
        # The definitions usually sit after the marker; without them a reference
        # would show as a literal "[^1]".
        definitions = "\n\n".join(_FOOTNOTE_DEF.findall(text))
        summary = _drop(_to_html(f"{before}\n\n{definitions}", flags, options, expansion), _FOOTNOTES,
                        "</section>").strip()
        # One paragraph is returned as its inner HTML, like the first-paragraph
        # summary, so templates can wrap either in their own <p>.
        single = _FIRST_PARAGRAPH.fullmatch(summary)
        summary = single.group(1).strip() if single and "<p>" not in single.group(1) else summary
    else:
        first = next(spans(html_text, _PARAGRAPH, _paragraph_end), None)
        summary = first.inner.strip() if first else ""
    return _drop(summary, _FOOTNOTE_REF, "</sup>")


def _code_end(match: re.Match) -> str:
    return "</code></pre>"


def _paragraph_end(match: re.Match) -> str:
    return "</p>"


def _drop(text: str, opening: re.Pattern, closing: str) -> str:
    """``text`` without the elements ``opening`` starts and ``closing`` ends."""
    return substitute(text, opening, lambda match: closing, lambda span: "")


def _add_heading_ids(html_text: str, toc_levels: tuple[int, ...],
                     attributes: bool = True) -> tuple[str, tuple[TocEntry, ...]]:
    """Each heading with an id (from its text, made unique; or the one its
    ``{#id .class}`` gives when ``attributes``), and the table of contents."""
    seen: dict[str, int] = {}
    toc: list[TocEntry] = []

    def add_id(match: Span) -> str:
        level, inner = int(match.group(1)), match.inner
        inner, given, classes = heading_attributes(inner) if attributes else (inner, None, ())
        title = html.unescape(_TAGS.sub("", inner)).strip()
        base = given or heading_id(title) or "section"
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchor = base if count == 0 or given else f"{base}-{count}"
        if level in toc_levels:
            toc.append(TocEntry(level, anchor, title))
        css = f' class="{" ".join(classes)}"' if classes else ""
        return f'<h{level} id="{anchor}"{css}>{inner}</h{level}>'

    return substitute(html_text, _HEADING, _heading_end, add_id), tuple(toc)


_NOT_IN_ID = re.compile(r"[^\w\- ]")   # \w: what str.isalnum() is true of, and '_'


def heading_id(title: str) -> str:
    """A heading's id as GitHub and Hugo make it, so that anchors written for
    either keep working: letters, digits and '_' lower-cased, each space or
    '-' a '-' (none merged), everything else dropped."""
    return _NOT_IN_ID.sub("", title.strip().lower()).replace(" ", "-")


def _heading_end(match: re.Match) -> str:
    return f"</h{match.group(1)}>"


def _highlight_match(match: Span, problems: list[str]) -> str:
    (language, meta), escaped = fence_info(match.group(1), match.group(2)), match.inner
    settings = {}
    if meta:
        try:
            settings = read_options(html.unescape(meta))
        except ValueError as error:
            problems.append(str(error))
    return highlighted(html.unescape(escaped), language, settings, escaped)


def highlighted(code: str, language: str, settings: Mapping[str, Any], escaped: str | None = None) -> str:
    """A code block: ``code`` highlighted as ``language`` with its attributes
    (``settings``: ssg/sources/codeblocks.py), or as plain code (``escaped``,
    when cmark escaped it already) in a language Pygments does not know."""
    if settings:
        return code_block(code, language, dict(settings))
    return highlight_code(code, language) or (
        f'<pre><code class="language-{html.escape(language) if escaped is None else language}">'
        f'{html.escape(code, quote=False) if escaped is None else escaped}</code></pre>')


def highlight_code(code: str, language: str) -> str | None:
    """Pygments HTML for ``code`` (CSS classes, wrapper ``div.highlight``), or
    None for a language Pygments does not know. With speed-ups off
    (``ssg.speedups.switch``), Pygments' own ``highlight`` and plain lexers."""
    on = speedups.enabled()
    lexer = _lexer(language.lower(), on and _fast_lexers and speedups.safe("fastlex"))
    if lexer is None:
        return None
    if on:
        return format_html(lexer.get_tokens(code)).rstrip("\n")
    from pygments import highlight

    return highlight(code, lexer, _formatter()).rstrip("\n")


def format_html(tokens: Iterable[tuple[Any, str]]) -> str:
    """What ``HtmlFormatter(cssclass="highlight", wrapcode=True)`` writes for
    ``tokens``, without its five layers of generators (half the time of a
    short snippet). The loop is ``HtmlFormatter._format_lines`` writing into
    one list; the token classes, the escaping and the wrapping around the
    lines are the installed formatter's own. ``tests/speedups/test_fastlex.py``
    checks the bytes equal Pygments' for every installed lexer. With a
    Pygments ``ssg.speedups.switch`` does not find tested (another version, a private
    name missing, ``_format_lines`` changed), Pygments' own ``format``."""
    formatter = _formatter()
    if not speedups.safe("format_html"):
        from pygments import format

        return format(tokens, formatter)
    openers, translate, separator = formatter.span_element_openers, formatter._translate_parts, formatter.lineseparator
    opening, closing = _wrapping()
    out = [opening]
    lspan, open_line = "", False
    for ttype, value in tokens:
        cspan = openers.get(ttype)
        if cspan is None:
            css_class = formatter._get_css_classes(ttype)
            cspan = openers[ttype] = f'<span class="{css_class}">' if css_class else ""
        parts = translate(value)
        if len(parts) > 1:
            for part in parts[:-1]:
                if open_line:
                    if lspan != cspan and part:
                        out += ((lspan and "</span>"), cspan, part, (cspan and "</span>"), separator)
                    else:
                        out += (part, (lspan and "</span>"), separator)
                    open_line = False
                elif part:
                    out += (cspan, part, (cspan and "</span>"), separator)
                else:
                    out.append(separator)
        last = parts[-1]
        if open_line and last:
            if lspan != cspan:
                out += ((lspan and "</span>"), cspan, last)
                lspan = cspan
            else:
                out.append(last)
        elif last:
            out += (cspan, last)
            lspan, open_line = cspan, True
    if open_line:
        out += ((lspan and "</span>"), separator)
    out.append(closing)
    return "".join(out)


@cache
def _wrapping() -> tuple[str, str]:
    """What the formatter writes before the first line and after the last."""
    from pygments import format

    opening, closing = format(iter(()), _formatter()).split("<code>")
    return opening + "<code>", closing


_fast_lexers = False


def use_fast_lexers() -> None:
    """Highlight with ssg/speedups/fastlex.py's lexers in this process from now on: the
    same tokens, twice as fast, for a one-off cost (each lexer state's combined
    expression takes milliseconds to compile) that only many files repay. Parse
    workers call it; a build that parses a few files does not. Nothing changes
    while speed-ups are off (``ssg.speedups.switch``)."""
    global _fast_lexers
    _fast_lexers = True


@cache
def _lexer(language: str, fast: bool = False):
    """Pygments' lexer for ``language`` (None if it has none), driven by
    ssg/speedups/fastlex.py when ``fast``. get_lexer_by_name looks in Pygments' own
    table first; only a name outside it has it scan every installed package's
    entry points for plugin lexers (0.2 s)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return None
    if not fast:
        return lexer
    from ssg.speedups.fastlex import accelerate

    return accelerate(lexer)


@lru_cache(maxsize=1)
def _formatter():
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(cssclass="highlight", wrapcode=True)


def pygments_css(style: str = "default", dark_style: str = "monokai") -> str:
    """CSS for highlighted code: ``style`` for light, ``dark_style`` under
    ``prefers-color-scheme: dark``. The default theme ships this file."""
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style=style).get_style_defs(".highlight")
    dark = HtmlFormatter(style=dark_style).get_style_defs(".highlight")
    dark = "\n".join("  " + line for line in dark.splitlines())
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"


PYGMENTS_CSS_HEADER = ("/* Generated by ssg.sources.markdown.pygments_css(); regenerate with: "
                       "python -m ssg.sources.markdown > themes/default/static/css/pygments.css */\n")

if __name__ == "__main__":
    print(PYGMENTS_CSS_HEADER + pygments_css(), end="")
