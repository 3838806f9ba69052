"""Alias redirects: each path in a page's ``aliases`` front matter gets a small
HTML page redirecting to the page (meta refresh plus a canonical link).
Aliases are site paths (``/old/path/``); the base path of base_url is added."""

from __future__ import annotations

import functools
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
            outputs.append(Output(path=path, url=join_base(site.config.base_path, "/" + url.lstrip("/")),
                                  origin="aliases", page=page, sitemap=False,
                                  make=functools.partial(_redirect, site.config.language, page)))
    return outputs
