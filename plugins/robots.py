"""robots.txt: allow everything (or what ``disallow`` lists) and point to the
sitemap. A site template ``templates/robots.txt`` replaces the generated text
(it receives it as ``generated``).

    [robots]
    disallow = ["/drafts/"]
    template = "robots.txt"
"""

from __future__ import annotations

from ssg.api import Option, Output, Site, Table, absolute_url, hookimpl


@hookimpl
def ssg_page_fields_read(config):
    return ()   # its site hooks read no page field (docs/plugins.md)


@hookimpl
def ssg_config_schema(register):
    register("robots", Table({
        "disallow": Option(list, [], "paths crawlers should not visit, e.g. ['/drafts/']", items=str,
                           check=lambda v: "must not hold an empty path (use '/' to disallow everything)"
                           if any(not p.strip() or "\n" in p for p in v) else None),
        "template": Option(str, "robots.txt", "template to render instead of the generated text, if it exists"),
    }))


@hookimpl
def ssg_generate_outputs(site: Site) -> list[Output]:
    options = site.config.table("robots")
    lines = ["User-agent: *"]
    disallow = options.get("disallow", [])
    lines += [f"Disallow: {site.config.base_path.rstrip('/')}/{path.lstrip('/')}" for path in disallow] or ["Disallow:"]
    sitemap = site.state.get("sitemap")   # set by the sitemap plugin, unless it is disabled
    if sitemap:
        lines += ["", f"Sitemap: {absolute_url(site.config.base_url, sitemap['url'])}"]
    lines.append("")
    template = options.get("template", "robots.txt")
    site.state["robots"] = "\n".join(lines)
    if (site.root / "templates" / template).is_file():
        return [Output(path="robots.txt", url=site.config.base_path + "robots.txt", origin="robots",
                       templates=(template,), sitemap=False, context={"generated": site.state["robots"]})]
    return [Output(path="robots.txt", url=site.config.base_path + "robots.txt", origin="robots", sitemap=False,
                   data=site.state["robots"].encode("utf-8"))]
