"""robots.txt: allow everything (or what ``disallow`` lists) and point to the
sitemap. A theme or site template ``robots.txt`` replaces the generated text."""

from __future__ import annotations

from ssg.api import Option, Output, Site, Table, absolute_url, hookimpl


@hookimpl
def ssg_config_schema(register):
    register("robots", Table({
        "disallow": Option(list, [], "paths crawlers should not visit, e.g. ['/drafts/']", items=str),
        "template": Option(str, "robots.txt", "template to render instead of the generated text, if it exists"),
    }))


@hookimpl
def ssg_generate_outputs(site: Site) -> list[Output]:
    options = site.config.table("robots")
    lines = ["User-agent: *"]
    disallow = options.get("disallow", [])
    lines += [f"Disallow: {site.config.base_path.rstrip('/')}{path}" for path in disallow] or ["Disallow:"]
    sitemap = site.config.table("sitemap").get("path", "sitemap.xml")
    lines += ["", f"Sitemap: {absolute_url(site.config.base_url, site.config.base_path + sitemap.strip('/'))}", ""]
    template = options.get("template", "robots.txt")
    site.state["robots"] = "\n".join(lines)
    if (site.root / "templates" / template).is_file():
        return [Output(path="robots.txt", url=site.config.base_path + "robots.txt", origin="robots",
                       templates=(template,), sitemap=False, context={"generated": site.state["robots"]})]
    return [Output(path="robots.txt", url=site.config.base_path + "robots.txt", origin="robots", sitemap=False,
                   data=site.state["robots"].encode("utf-8"))]
