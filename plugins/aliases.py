"""Alias redirects: each path in a page's ``aliases`` front matter gets a small
HTML page redirecting to the page (meta refresh plus a canonical link).
Aliases are site paths (``/old/path/``); the base path of base_url is added."""

from __future__ import annotations

import functools
import unicodedata
from html import escape

from ssg.api import FieldReader, Output, Page, PathError, Site, hookimpl, join_base, output_path


@hookimpl
def ssg_page_fields_read(config):
    return ("aliases",)   # what its site hooks read of a page (docs/plugins.md)

REDIRECT = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="canonical" href="{target}">
<meta name="robots" content="noindex">
<meta http-equiv="refresh" content="0; url={target}">
</head>
<body>
<p>This page has moved to <a href="{target}">{target}</a>.</p>
</body>
</html>
"""


def _redirect(language: str, page: Page) -> bytes:
    """The redirect page (made when rendered: it depends on its page, whose title it shows)."""
    return REDIRECT.format(lang=escape(language), title=escape(page.title), target=escape(page.permalink)).encode()


@hookimpl
def ssg_generate_outputs(site: Site) -> list[Output]:
    outputs = []
    written = site.state["aliases"] = {}     # (page source, output path) -> the alias as the page wrote it
    for page in site.all_pages():
        for alias in page.aliases:
            url = alias if alias.endswith((".html", "/")) else alias + "/"
            try:
                path = output_path(url, what="alias")
            except PathError as error:
                reader = FieldReader.for_page(page, site.root)
                site.errors.append(reader.fail("aliases", error.message,
                                               "write aliases as site paths like '/old/path/'"))
                continue
            if _key(path) == _key(page.output_path):     # the page's own address: nothing to redirect
                continue
            written[page.source, path] = alias
            outputs.append(Output(path=path, url=join_base(site.config.base_path, "/" + url.lstrip("/")),
                                  origin="aliases", page=page, sitemap=False,
                                  make=functools.partial(_redirect, site.config.language, page)))
    return outputs


@hookimpl(trylast=True)
def ssg_plan_outputs(site: Site, outputs: list[Output]) -> None:
    """A page (or any other output: a list, a feed, a file of static/) keeps
    its address over an alias claiming it, and of two pages claiming one
    alias the first (in the site's order) redirects there. Each alias left
    out is a warning naming it and both pages (an error with --strict)."""
    taken = {_key(output.path): output for output in outputs if output.origin != "aliases"}
    kept = []
    for output in outputs:
        if output.origin == "aliases":
            assert output.page is not None
            holder = taken.get(_key(output.path))
            if holder is not None:
                alias = site.state["aliases"][output.page.source, output.path]
                where = FieldReader.for_page(output.page, site.root).location("aliases")
                site.warn(f"{where}: alias '{alias}' {_claimed(holder)}; this page's alias is left out")
                continue
            taken[_key(output.path)] = output
        kept.append(output)
    outputs[:] = kept


def _key(path: str) -> str:
    """Paths that are one file on macOS and Windows (case, Unicode normalisation) are one key."""
    return unicodedata.normalize("NFC", path).casefold()


def _claimed(holder: Output) -> str:
    """Who has the address an alias claims, for the warning."""
    if holder.origin == "aliases" and holder.page is not None:
        return f"is an alias of {holder.page.source} too, and redirects to {holder.page.url}"
    if holder.page is not None and holder.path == holder.page.output_path:
        return f"is the address of the page {holder.page.source}, which keeps it"
    return f"is the address of {holder.describe()}, which keeps it"
