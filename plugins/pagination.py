"""Pagination: splits every list output (home, sections, term pages) into pages
of ``per_page`` entries: /posts/, /posts/page/2/, ...

    [pagination]
    per_page = 10        # 0 turns pagination off
    path = "page"
"""

from __future__ import annotations

from ssg.api import Option, Output, Paginator, Site, Table, hookimpl, output_path


@hookimpl
def ssg_page_fields_read(config):
    return ()   # its site hooks read no page field (docs/plugins.md)


def _check_path(value: str) -> str | None:
    if not value or "/" in value or value in (".", ".."):
        return "must be one plain path segment such as 'page'"
    return None


@hookimpl
def ssg_config_schema(register):
    register("pagination", Table({
        "per_page": Option(int, 10, "entries per list page; 0 turns pagination off",
                           check=lambda v: "must be 0 or more" if v < 0 else None),
        "path": Option(str, "page", "URL segment before the page number", check=_check_path),
    }))


@hookimpl
def ssg_plan_outputs(site: Site, outputs: list[Output]) -> None:
    options = site.config.table("pagination")
    per_page = options.get("per_page", 10)
    segment = options.get("path", "page")
    if per_page <= 0:
        return
    planned = list(outputs)
    outputs.clear()
    for output in planned:
        if output.items is None or len(output.items) <= per_page:
            outputs.append(output)
            continue
        outputs.extend(split(output, per_page, segment))


def split(output: Output, per_page: int, segment: str) -> list[Output]:
    items = output.items or []
    chunks = [items[i:i + per_page] for i in range(0, len(items), per_page)]
    base_url = output.url if output.url.endswith("/") else output.url + "/"
    urls = (output.url,) + tuple(f"{base_url}{segment}/{n}/" for n in range(2, len(chunks) + 1))
    folder = output.path[: -len("index.html")] if output.path.endswith("index.html") else output.path + "/"
    result = []
    for number, chunk in enumerate(chunks, start=1):
        paginator = Paginator(items=chunk, number=number, urls=urls, per_page=per_page, total_items=len(items))
        path = output.path if number == 1 else output_path(f"/{folder}{segment}/{number}/", what="page URL")
        result.append(Output(path=path, url=urls[number - 1], templates=output.templates, page=output.page,
                             origin=output.origin, items=chunk, title=output.title, sitemap=output.sitemap,
                             context={**output.context, "paginator": paginator}))
    return result
