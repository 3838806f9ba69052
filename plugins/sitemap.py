"""sitemap.xml listing every HTML page the build produces (redirects and the 404
page excluded, paginated pages included), with lastmod from the page's updated
or date field (for a list page: its newest entry's).

    [sitemap]
    path = "sitemap.xml"
"""

from __future__ import annotations

import functools
from datetime import datetime
from urllib.parse import quote

from ssg.api import Option, Output, Page, Site, Table, absolute_url, hookimpl, page_fields
from ssg.api import xml_escape as escape


@hookimpl
def ssg_page_fields_read(config):
    return ()   # its site hooks read no page field (docs/plugins.md)

URL_SAFE = ":/?#[]@!$&'()*+,;=%~"   # percent-encode only what is not already URL syntax (non-ASCII, spaces)


def _lastmod(page: Page | None, items: list | None) -> datetime | None:
    """A page's updated or date; for a list, the newest of its entries' (each read recorded)."""
    pages = [p for p in items or () if isinstance(p, Page)] + ([page] if page is not None else [])
    dates = [updated or date for updated, date in (page_fields(p, "updated", "date") for p in pages)]
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def _sitemap(entries: list[tuple[str, Page | None, list | None]]) -> bytes:
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for loc, page, items in entries:
        entry = f"  <url><loc>{escape(loc)}</loc>"
        when = _lastmod(page, items)
        if when:
            entry += f"<lastmod>{when.date().isoformat()}</lastmod>"
        lines.append(entry + "</url>")
    lines += ["</urlset>", ""]
    return "\n".join(lines).encode("utf-8")


@hookimpl
def ssg_config_schema(register):
    register("sitemap", Table({
        "path": Option(str, "sitemap.xml", "where the sitemap is written",
                       check=lambda v: None if v.endswith(".xml") and "/" not in v.strip("/") else
                       "must be a file name ending in .xml at the site root"),
    }))


@hookimpl
def ssg_site_loaded(site: Site) -> None:
    """Announce the sitemap's URL to other plugins (robots.txt links to it)."""
    path = site.config.table("sitemap").get("path", "sitemap.xml").strip("/")
    site.state["sitemap"] = {"path": path, "url": site.config.base_path + path}


@hookimpl(trylast=True)
def ssg_plan_outputs(site: Site, outputs: list[Output]) -> None:
    """Runs last so it sees paginated pages and every plugin's outputs."""
    path = site.state["sitemap"]["path"]
    entries = [(quote(absolute_url(site.config.base_url, output.url), safe=URL_SAFE), output.page, output.items)
               for output in sorted(outputs, key=lambda o: o.url)
               if output.templates and output.sitemap and output.path.endswith(".html")]
    # The dates are read when the sitemap is made, so a date edit rebuilds it without planning the site again.
    outputs.append(Output(path=path, url=site.config.base_path + path, origin="sitemap", sitemap=False,
                          make=functools.partial(_sitemap, entries), basis=entries))


@hookimpl
def ssg_template_context(output: Output, context: dict, site: Site) -> None:
    context["sitemap_url"] = site.state["sitemap"]["url"]
