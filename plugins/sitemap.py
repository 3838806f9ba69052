"""sitemap.xml listing every HTML page the build produces (redirects and the 404
page excluded, paginated pages included), with lastmod from the page's updated
or date field (for a list page: its newest entry's).

    [sitemap]
    path = "sitemap.xml"
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from ssg.api import Option, Output, Page, Site, Table, absolute_url, hookimpl
from ssg.api import xml_escape as escape


@hookimpl
def ssg_page_fields_read(config):
    return ()   # its site hooks read no page text or params (docs/plugins.md)

URL_SAFE = ":/?#[]@!$&'()*+,;=%~"   # percent-encode only what is not already URL syntax (non-ASCII, spaces)


def _lastmod(output: Output) -> datetime | None:
    """A page's updated or date; for a list, the newest of its entries'."""
    dates = [p.updated or p.date for p in output.items or () if isinstance(p, Page)]
    if output.page is not None:
        dates.append(output.page.updated or output.page.date)
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


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
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for output in sorted(outputs, key=lambda o: o.url):
        if not output.templates or not output.sitemap or not output.path.endswith(".html"):
            continue
        entry = f"  <url><loc>{escape(quote(absolute_url(site.config.base_url, output.url), safe=URL_SAFE))}</loc>"
        when = _lastmod(output)
        if when:
            entry += f"<lastmod>{when.date().isoformat()}</lastmod>"
        lines.append(entry + "</url>")
    lines += ["</urlset>", ""]
    outputs.append(Output(path=path, url=site.config.base_path + path, origin="sitemap", sitemap=False,
                          data="\n".join(lines).encode("utf-8")))


@hookimpl
def ssg_template_context(output: Output, context: dict, site: Site) -> None:
    context["sitemap_url"] = site.state["sitemap"]["url"]
