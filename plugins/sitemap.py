"""sitemap.xml listing every HTML page the build produces (redirects and the 404
page excluded), with lastmod from the page's updated or date field."""

from __future__ import annotations

from xml.sax.saxutils import escape

from ssg.api import Option, Output, Site, Table, absolute_url, hookimpl


@hookimpl
def ssg_config_schema(register):
    register("sitemap", Table({
        "path": Option(str, "sitemap.xml", "where the sitemap is written",
                       check=lambda v: None if v.endswith(".xml") and "/" not in v.strip("/") else
                       "must be a file name ending in .xml at the site root"),
    }))


@hookimpl(trylast=True)
def ssg_plan_outputs(site: Site, outputs: list[Output]) -> None:
    """Runs last so it sees paginated pages and every plugin's outputs."""
    path = site.config.table("sitemap").get("path", "sitemap.xml").strip("/")
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for output in sorted(outputs, key=lambda o: o.url):
        if not output.templates or not output.sitemap or not output.path.endswith(".html"):
            continue
        entry = f"  <url><loc>{escape(absolute_url(site.config.base_url, output.url))}</loc>"
        page = output.page
        when = page and (page.updated or page.date)
        if when:
            entry += f"<lastmod>{when.date().isoformat()}</lastmod>"
        lines.append(entry + "</url>")
    lines += ["</urlset>", ""]
    outputs.append(Output(path=path, url=site.config.base_path + path, origin="sitemap", sitemap=False,
                          data="\n".join(lines).encode("utf-8")))


@hookimpl
def ssg_template_context(output: Output, context: dict, site: Site) -> None:
    context["sitemap_url"] = site.config.base_path + site.config.table("sitemap").get("path", "sitemap.xml").strip("/")
