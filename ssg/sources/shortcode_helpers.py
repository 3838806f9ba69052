"""What shortcode templates can call besides Jinja's own: ``relref(path)``
(``ref``: absolute), ``include(path)``, ``highlight(code, language,
options)``, ``fail(message)`` and the ``markdownify`` filter. Each acts for
the call being rendered (``calling``): a path is found from its page, and a
missing page or file is an error at the call's file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from ssg.errors import ContentError, Location
from ssg.sources.files import read_bytes, unreadable
from ssg.sources.links import page_ref
from ssg.sources.shortcodes import CALL, ShortcodeProblem, content_path

_SINGLE_PARAGRAPH = ("<p>", "</p>")


def install(env: Any) -> None:
    env.globals.update(relref=relref, ref=ref, include=include, highlight=highlight, fail=fail)
    env.filters["markdownify"] = markdownify


def fail(message: str) -> None:
    raise ShortcodeProblem(message)


def _error(message: str, hint: str) -> ContentError:
    expansion, line = CALL.get()
    return ContentError(message, where=Location(expansion.source, line), hint=hint)


def _content_file(target: str) -> str | None:
    """The site path of the content file ``target`` names from the calling
    page: a file, or a folder's _index.md or index.md; None for none."""
    expansion, _ = CALL.get()
    content = Path(expansion.library.content)
    paths = [content_path(expansion.source, target)]
    if not target.startswith("/"):   # beside the page first, then from content/
        paths.append(content_path(expansion.source, "/" + target))
    candidates = [name for path in paths
                  for name in ([path] if path.endswith(".md") else [f"{path}/_index.md", f"{path}/index.md",
                                                                    f"{path}.md"])]
    for candidate in candidates:
        if candidate.startswith("content/") and (content / candidate[len("content/"):]).is_file():
            return candidate
    return None


def relref(target: str) -> str:
    """The URL path of the page of content file ``target`` ('docs/a.md',
    '/docs/a.md#part', 'docs/guide'): a reference the build's link pass makes
    the page's URL, in a link or in text."""
    return _page_ref(target, absolute=False)


def ref(target: str) -> str:
    """``relref``, as an absolute URL (with the scheme and host of base_url)."""
    return _page_ref(target, absolute=True)


def _page_ref(target: str, *, absolute: bool) -> str:
    target = str(target)
    found = _content_file(target)
    if found is None:
        raise _error(f"ref '{target}' matches no content file",
                     "give the path of a page's file, from content/ ('/docs/intro.md') or from this page's folder")
    _, sep, fragment = target.partition("#")
    return page_ref(f"/{found[len('content/'):]}{sep}{fragment}", absolute=absolute)


def include(target: str) -> Markup:
    """The body of content file ``target`` rendered as Markdown (its front matter left out), its calls expanded."""
    from ssg.sources.content import split_front_matter
    from ssg.sources.fields import decode

    expansion, line = CALL.get()
    target = str(target)
    found = _content_file(target)
    if found is None:
        raise _error(f"include '{target}' matches no content file",
                     "give the path of a Markdown file, from content/ ('/snippets/note.md') or from this page's folder")
    if found in (*expansion.including, expansion.source):
        raise _error(f"include '{target}' includes itself ({' -> '.join((*expansion.including, found))})",
                     "remove the include that closes the circle")
    expansion.uses(found)
    try:
        raw = read_bytes(Path(expansion.library.content) / found[len("content/"):])
    except OSError as error:
        raise unreadable(error, found) from None
    _, body, body_line = split_front_matter(decode(raw, found), found)
    nested = expansion.within(found, (*expansion.including, expansion.source))
    return Markup(expansion.markdown(body, nested, body_line))


def markdownify(text: Any, block: bool = False) -> Markup:
    """``text`` rendered as Markdown; one paragraph alone is given without its ``<p>`` unless ``block``."""
    expansion, line = CALL.get()
    html = expansion.markdown(str(text), expansion, line).strip()
    if not block and html.startswith(_SINGLE_PARAGRAPH[0]) and html.endswith(_SINGLE_PARAGRAPH[1]) and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)


def highlight(code: Any, language: str = "", options: str = "", **settings: Any) -> Markup:
    """``code`` highlighted as ``language`` with Pygments, as a fenced code block
    would be, and Hugo's options: ``"linenos=table,hl_lines=2 4-5,linenostart=10"``
    (or as keywords). An unknown language is plain code."""
    from ssg.sources.codeblocks import read_options
    from ssg.sources.markdown import highlighted

    try:
        settings = {**read_options(str(options)), **read_options(" ".join(
            f"{name}={str(value).lower() if isinstance(value, bool) else value}" for name, value in settings.items()))}
    except ValueError as error:
        raise ShortcodeProblem(str(error)) from None
    expansion, _ = CALL.get()
    # a pair's inner text comes as Markup: as written (trusted) or HTML-escaped, which the code's text is not
    text = code.unescape() if isinstance(code, Markup) and not expansion.trusted else str(code)
    return Markup(highlighted(text.strip("\n"), str(language), settings))
