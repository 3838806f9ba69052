"""Links inside page content: ``[text](other.md)`` becomes that page's URL,
site paths (``/about/``) get the base path, and page-relative links
(``photo.png``) become site paths, so content reads the same on the page,
in lists and in feeds."""

from __future__ import annotations

import posixpath
import re
import string
from collections.abc import Callable, MutableMapping
from urllib.parse import unquote

from markupsafe import Markup

from ssg.errors import ContentError
from ssg.graph.fingerprint import KnownText, digest
from ssg.model import Page, Site, held
from ssg.runtime import limits
from ssg.sources.urls import absolute_url, site_url

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# A shortcode's ref or relref: the content file's site path between two marks, made the page's URL
# (absolute for ref) wherever it lands, in an attribute or in text.
_RELREF, _REF, _REF_END = "\ue010", "\ue011", "\ue012"
_MARKED = re.compile(f"([{_RELREF}{_REF}])([^{_RELREF}{_REF}{_REF_END}]*){_REF_END}")


def page_ref(path: str, *, absolute: bool) -> str:
    """What a page's ``path`` ('/docs/a.md#part') is in content until its links
    are resolved: then its URL, with scheme and host when ``absolute``."""
    return f"{_REF if absolute else _RELREF}{path}{_REF_END}"


def resolve_links(site: Site, known: MutableMapping[str, KnownText] | None = None, seconds: float = 0.0
                  ) -> dict[str, KnownText]:
    """Rewrite href/src in every page's content and summary, each page's in
    at most ``seconds`` (``resolve_page_links``). A link to a markdown file
    that matches no page is a warning naming both files.

    ``known`` holds pages' long fields as parsed; for a page that still holds
    them, the rewritten fields are returned as known too, with a digest of the
    parsed text and of everything the rewrite read (the page's URL, the base
    path, the URL of each page linked to).

    ``known`` is emptied page by page: a page's text as parsed is let go as
    soon as the page holds its text as linked, so that the two are never held
    for every page at once (100,000 posts with links: 210 MB)."""
    resolved: dict[str, KnownText] = {}
    for page in site.all_pages():
        found = resolve_page_links(site, page, known.pop(page.source, None) if known else None, seconds)
        if found is not None:
            resolved[page.source] = found
    return resolved


def resolve_page_links(site: Site, page: Page, before: KnownText | None, seconds: float = 0.0) -> KnownText | None:
    """Rewrite one page's links; its text as known afterwards, when ``before``
    (its text as parsed) is what the page held (no hook changed it). Taking
    longer than ``seconds`` (0: no limit) stops the build with an error
    naming the page (``limits.bounded``)."""
    as_parsed = before if before is not None and before.holds(page) else None
    targets: list[str] = []
    resolve = _resolver(site, page, targets)
    bound = limits.bounded(seconds, lambda frames: _too_long(page.source, seconds, ended=True))
    base_url = site.config.base_url
    try:
        with bound as timer:
            content = _rewritten(page.content, resolve, base_url)
            summary = _rewritten(page.summary, resolve, base_url)
    except limits.Timeout as error:
        if not timer.expired(error):
            raise
        raise _too_long(page.source, seconds) from None
    page.content, page.summary = content, summary
    if as_parsed is None:
        return None
    return KnownText(page.content, page.summary, held(page, "body"), page.toc, digest(
        f"{as_parsed.digest}\0{page.url}\0{site.config.base_path}\0{targets!r}"))


def _too_long(source: str, seconds: float, *, ended: bool = False) -> ContentError:
    then = ("; it did not stop when told to, so the build process was ended (exit 1) and nothing of this build "
            "was committed" if ended else "")
    return ContentError(f"resolving the links of this page took longer than {seconds:g} s{then}", where=source,
                        hint="if the page is only long, raise [build] page_timeout or pass --page-timeout; "
                             "otherwise please report it to ssg with the page")


def _rewritten(html: str, resolve: Callable[[str], str | None], base_url: str) -> Markup:
    """``html`` with its links and page references rewritten, as Markup: the
    very object when nothing changed (most pages: at 100,000 pages, 185 MB
    not copied)."""
    text = str(html)
    new = rewrite_links(text, resolve)
    if _REF_END in new:
        def url(match: re.Match) -> str:
            found = resolve(match.group(2)) or match.group(2)
            return absolute_url(base_url, found) if match.group(1) == _REF else found

        new = _MARKED.sub(url, new)
    return html if new is text and type(html) is Markup else Markup(new)


def rewrite_links(text: str, resolve: Callable[[str], str | None]) -> str:
    """``text`` with the URL of every link attribute replaced by
    ``resolve(url)``, or kept where that is None. A link attribute is
    ``href=`` or ``src=`` (ASCII letters in any case) inside a tag, after a
    whitespace character, then a URL quoted with ``"`` or ``'`` on one line.
    Found with string searches: a regular expression for the same costs 35 us
    a page."""
    lower = text.lower() if text.isascii() else text.translate(_ASCII_LOWER)   # same length, same positions
    parts: list[str] = []
    done = start = 0
    in_tag, seen = False, 0   # whether ``seen`` is inside a tag (text up to it read for '<' and '>' once)
    at_href = at_src = -2     # the next of each at or after ``start`` (-1: none left; -2: not searched yet)
    next_double = next_single = next_line = -2    # the next '"', "'" and newline after the opening quote
    while True:
        # Each is searched for again only once passed: searching both from every
        # link rescanned the rest of the page whenever one was absent (quadratic).
        if -1 != at_href < start:
            at_href = lower.find("href=", start)
        if -1 != at_src < start:
            at_src = lower.find("src=", start)
        if at_href < 0 and at_src < 0:
            break
        at = at_href if at_src < 0 or 0 <= at_href < at_src else at_src
        start = at + 1
        opening = at + (5 if at == at_href else 4)
        tag_start, tag_end = text.rfind("<", seen, at), text.rfind(">", seen, at)
        if tag_start != tag_end:      # (both -1: neither since ``seen``)
            in_tag = tag_start > tag_end
        seen = at
        if at == 0 or not text[at - 1].isspace() or opening >= len(text) or text[opening] not in "\"'":
            continue
        # The closing quote and the line's end, also searched for only once passed
        # (an unclosed quote would otherwise rescan the rest of the page).
        if text[opening] == '"':
            if -1 != next_double <= opening:
                next_double = text.find('"', opening + 1)
            closing = next_double
        else:
            if -1 != next_single <= opening:
                next_single = text.find("'", opening + 1)
            closing = next_single
        if -1 != next_line <= opening:
            next_line = text.find("\n", opening + 1)
        if closing < 0 or 0 <= next_line < closing:     # a URL is on one line
            continue
        start = closing + 1
        if not in_tag:
            continue     # text, not an attribute: 'src="x"' shown in a highlighted code block
        new = resolve(text[opening + 1:closing])
        if new is not None:
            parts += (text[done:opening + 1], new)
            done = closing
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def _resolver(site: Site, page: Page, targets: list[str]) -> Callable[[str], str | None]:
    """What one page's link URLs become (None: unchanged); appends the URL of
    every page a markdown link resolves to ('' for none) to ``targets``."""
    base_path = site.config.base_path
    folder = posixpath.dirname(page.source)
    reported: set[str] = set()

    def resolve(url: str) -> str | None:
        if not url or url.startswith(("#", "//", _RELREF, _REF)) or _SCHEME.match(url):
            return None     # (a page reference: resolved after, wherever it is)
        path, sep, fragment = url.partition("#")
        path, qsep, query = path.partition("?")
        if path.endswith(".md"):
            target_source = posixpath.normpath(
                posixpath.join("content", unquote(path).lstrip("/")) if path.startswith("/")
                else posixpath.join(folder, unquote(path)))
            target = site.page_by_source(target_source)
            if target is not None and target.render == "never":
                target = None       # it has no page of its own to link to
            targets.append(target.url if target is not None else "")
            if target is None:
                if url not in reported:
                    reported.add(url)
                    site.warn(f"{page.source}{_line_of(page, url)}: link to '{url}' matches no page "
                              f"({target_source} does not exist, "
                              "is a draft or future page, or is headless)")
                return None
            new = target.url
        elif path.startswith("/"):
            new = site_url(base_path, path)
        else:
            new = _join(page.url, path) if path else page.url
        return f"{new}{qsep}{query}{sep}{fragment}"

    return resolve


def _line_of(page: Page, url: str) -> str:
    """':LINE' of the first place the page's file writes ``url`` as a link
    (Markdown's '](url' or an attribute's '"url"'), or '' when it does not
    (a link made by a shortcode)."""
    body = page.body
    for written in (f"]({url}", f"]: {url}", f'"{url}"', f"'{url}'", f"<{url}>"):
        at = body.find(written)
        if at >= 0:
            return f":{page.line_offset + body.count(chr(10), 0, at)}"
    return ""


def _join(base: str, relative: str) -> str:
    """``urljoin`` for a path against a page's URL path (what a browser does
    with a relative link), without urljoin's cost."""
    folder = base if base.endswith("/") else base.rpartition("/")[0] + "/"
    joined = "/" + posixpath.normpath(folder + relative).lstrip("/")
    if relative.endswith(("/", "/.", "/..")) or relative in (".", ".."):
        joined = joined.rstrip("/") + "/"
    return joined
