"""Links inside page content: ``[text](other.md)`` becomes that page's URL,
site paths (``/about/``) get the base path, and page-relative links
(``photo.png``) become site paths, so content reads the same on the page,
in lists and in feeds."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from urllib.parse import unquote

from markupsafe import Markup

from ssg.fingerprint import KnownText, digest
from ssg.model import Page, Site
from ssg.urls import site_url

_LINK = re.compile(r"""(\s(?:href|src)=)(["'])(.*?)\2""", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def resolve_links(site: Site, known: Mapping[str, KnownText] | None = None) -> dict[str, KnownText]:
    """Rewrite href/src in every page's content and summary. A link to a
    markdown file that matches no page is a warning naming both files.

    ``known`` holds pages' long fields as parsed; for a page that still holds
    them, the rewritten fields are returned as known too, with a digest of the
    parsed text and of everything the rewrite read (the page's URL, the base
    path, the URL of each page linked to)."""
    resolved: dict[str, KnownText] = {}
    for page in site.all_pages():
        before = known.get(page.source) if known else None
        held = before if before is not None and before.holds(page) else None   # no hook changed the parsed text
        targets: list[str] = []
        rewrite = _rewriter(site, page, targets)
        page.content = Markup(_LINK.sub(rewrite, str(page.content)))
        page.summary = Markup(_LINK.sub(rewrite, str(page.summary)))
        if held is not None:
            resolved[page.source] = KnownText(page.content, page.summary, page.body, page.toc, digest(
                f"{held.digest}\0{page.url}\0{site.config.base_path}\0{targets!r}"))
    return resolved


def _rewriter(site: Site, page: Page, targets: list[str]):
    """The ``re.sub`` callback for one page; appends the URL of every page a
    markdown link resolves to ('' for none) to ``targets``."""
    base_path = site.config.base_path
    folder = posixpath.dirname(page.source)
    reported: set[str] = set()

    def rewrite(match: re.Match) -> str:
        prefix, quote, url = match.group(1), match.group(2), match.group(3)
        if not url or url.startswith(("#", "//")) or _SCHEME.match(url):
            return match.group(0)
        path, sep, fragment = url.partition("#")
        path, qsep, query = path.partition("?")
        if path.endswith(".md"):
            target_source = posixpath.normpath(
                posixpath.join("content", unquote(path).lstrip("/")) if path.startswith("/")
                else posixpath.join(folder, unquote(path)))
            target = site.page_by_source(target_source)
            targets.append(target.url if target is not None else "")
            if target is None:
                if url not in reported:
                    reported.add(url)
                    site.warn(f"{page.source}: link to '{url}' matches no page ({target_source} does not exist "
                              "or is a draft or future page)")
                return match.group(0)
            new = target.url
        elif path.startswith("/"):
            new = site_url(base_path, path)
        else:
            new = _join(page.url, path) if path else page.url
        return f"{prefix}{quote}{new}{qsep}{query}{sep}{fragment}{quote}"

    return rewrite


def _join(base: str, relative: str) -> str:
    """``urljoin`` for a path against a page's URL path (what a browser does
    with a relative link), without urljoin's cost."""
    folder = base if base.endswith("/") else base.rpartition("/")[0] + "/"
    joined = "/" + posixpath.normpath(folder + relative).lstrip("/")
    if relative.endswith(("/", "/.", "/..")) or relative in (".", ".."):
        joined = joined.rstrip("/") + "/"
    return joined
