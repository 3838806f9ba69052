"""The 404 page: 404.html at the output root, rendered with the theme's
``404.html`` template, for web servers and the dev server to answer misses."""

from __future__ import annotations

from ssg.api import Output, Site, hookimpl


@hookimpl
def ssg_page_fields_read(config):
    return ()   # its site hooks read no page field (docs/plugins.md)


@hookimpl
def ssg_generate_outputs(site: Site) -> list[Output]:
    return [Output(path="404.html", url=site.config.base_path + "404.html", origin="notfound",
                   templates=("404.html",), sitemap=False, title="Page not found")]
