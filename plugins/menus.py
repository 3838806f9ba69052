"""Menus: navigation defined in ssg.toml and in front matter, nested, ordered
by weight.

    [menus]
    main = [{ name = "Posts", url = "/posts/", weight = 10 },
            { name = "Guides", page = "docs/guides/_index.md", weight = 20, parent = "Docs" }]

    ---                      # a page's front matter: in the menu "main", named by its link title
    menu: main               # or [main, footer], or with its entry's settings:
    menu:
      main: { name: Install, weight: 10, parent: Guides }
    ---

Templates call ``menu("main")``: the menu's top entries, each with
``name``, ``url``, ``weight``, ``page`` (None for a URL), ``children``,
``active`` (it is the page being rendered) and ``ancestor`` (an entry below
it is). Entries are ordered by weight (those without one, 0, last), then
name; ``parent`` names another
entry of the menu (by ``identifier``, else its name).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2

from ssg.api import ConfigError, FieldReader, Option, Page, Site, Table, hookimpl, join_base, page_fields, record

_ENTRY_KEYS = {"name": str, "url": str, "page": str, "weight": int, "parent": str, "identifier": str}


@hookimpl
def ssg_page_fields_read(config):
    return ("menus",)    # what its site hooks read of a page (docs/plugins.md)


def _check_entries(entries: list) -> str | None:
    for entry in entries:
        problem = _entry_problem(entry, config=True)
        if problem:
            return problem
    return None


def _entry_problem(entry: Any, *, config: bool) -> str | None:
    if not isinstance(entry, dict):
        return f"a menu entry must be a table, got {type(entry).__name__}"
    for key, value in entry.items():
        wanted = _ENTRY_KEYS.get(key)
        if wanted is None or (not config and key in ("url", "page")):
            return f"a menu entry has no setting '{key}'"
        if not isinstance(value, wanted) or isinstance(value, bool):
            return f"a menu entry's '{key}' must be {'a whole number' if wanted is int else 'text'}"
    if config and not entry.get("name"):
        return "a menu entry needs a name"
    if config and ("url" in entry) == ("page" in entry):
        return "a menu entry needs a url or a page (one of them)"
    return None


@hookimpl
def ssg_config_schema(register):
    register("menus", Table(doc="menu name -> its entries", open=True,
                            values=Option(list, [], "entries: name, url or page, weight, parent, identifier",
                                          items=dict, check=_check_entries)))


@hookimpl
def ssg_page_parsed(page: Page, site: Site) -> None:
    """``page.menus``: menu name -> the settings of the page's entry in it, from its ``menu`` (or ``menus``) field."""
    name = "menu" if "menu" in page.params else "menus" if "menus" in page.params else None
    if name is None:
        return
    value, reader = page.params[name], FieldReader.for_page(page, site.root)
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        page.menus = {item: {} for item in value}
        return
    if not isinstance(value, dict):
        raise reader.fail(name, "must be a menu's name, a list of them, or a table of them",
                          f"write {name}: main, or {name}: {{main: {{weight: 10}}}}")
    menus = {}
    for menu, settings in value.items():
        settings = {} if settings is None else settings
        problem = _entry_problem(settings, config=False)
        if problem:
            raise reader.fail(name, f"'{menu}': {problem}", "its settings are name, weight, parent and identifier")
        menus[str(menu)] = dict(settings)
    page.menus = menus


@dataclass(frozen=True)
class MenuEntry:
    """One entry as defined (in ssg.toml or by a page); its name and URL are a page's when it has one."""

    name: str | None
    url: str | None
    page: Page | None
    weight: int
    parent: str | None
    identifier: str | None


@hookimpl
def ssg_site_loaded(site: Site) -> None:
    menus: dict[str, list[MenuEntry]] = {}
    for menu, entries in site.config.table("menus").items():
        for entry in entries:
            page = None
            if "page" in entry:
                page = site.page_by_source(entry["page"])
                if page is None:
                    raise ConfigError(f"menu '{menu}': the entry '{entry['name']}' is the page '{entry['page']}', "
                                      "which the site does not have", where=site.config.path,
                                      hint="give its path under content/ (docs/_index.md), or a url")
            url = join_base(site.config.base_path, entry["url"]) if "url" in entry else None
            menus.setdefault(menu, []).append(MenuEntry(entry["name"], url, page,
                                                        entry.get("weight", 0), entry.get("parent"),
                                                        entry.get("identifier")))
    for page in site.every_page():
        for menu, settings in page.menus.items():
            menus.setdefault(menu, []).append(MenuEntry(settings.get("name"), None, page,
                                                        settings.get("weight", page.weight), settings.get("parent"),
                                                        settings.get("identifier")))
    site.menus = menus


@dataclass
class MenuItem:
    """An entry as a template sees it, for the output being rendered."""

    name: str
    url: str
    weight: int
    page: Page | None
    identifier: str
    children: list[MenuItem] = field(default_factory=list)
    active: bool = False
    ancestor: bool = False


@hookimpl
def ssg_jinja_environment(env, site: Site) -> None:
    @jinja2.pass_context
    def menu(context: Mapping[str, Any], name: str) -> list[MenuItem]:
        record(("site", "menus", name))
        output = context.get("output")
        return _tree(site.menus.get(name, []), getattr(output, "url", None), site.config.base_path)

    env.globals["menu"] = menu


def _tree(entries: list[MenuEntry], current: str | None, root: str) -> list[MenuItem]:
    """The menu as a tree, each level by weight then name, with the flags for
    the output at ``current`` (an entry is an ancestor of the outputs below
    its URL too, unless that is the site's ``root``). A page entry's name and
    URL are read as a template reads them (the outputs showing the menu
    depend on them)."""
    items = []
    for entry in entries:
        name, url = entry.name, entry.url
        if entry.page is not None:
            link_title, page_url = page_fields(entry.page, "link_title", "url")
            name, url = name or link_title, url or page_url
        below = bool(current and url and url != root and url.endswith("/") and current.startswith(url))
        items.append((entry, MenuItem(name or "", url or "", entry.weight, entry.page, entry.identifier or name or "",
                                      active=url == current, ancestor=below and url != current)))
    by_id = {item.identifier: item for _, item in items}
    by_name = {item.name: item for _, item in items}
    top = []
    for entry, item in items:
        parent = by_id.get(entry.parent) or by_name.get(entry.parent) if entry.parent else None
        (parent.children if parent is not None and parent is not item else top).append(item)
    _settle(top)
    return top


def _settle(items: list[MenuItem], seen: set[int] | None = None) -> bool:
    """Order each level, and flag the ancestors of the active entry; True when one is below or here."""
    seen = set() if seen is None else seen
    items.sort(key=lambda item: (item.weight == 0, item.weight, item.name.casefold()))   # 0: no weight, last
    found = False
    for item in items:
        if id(item) in seen:      # a parent loop: its entries are not shown twice
            continue
        seen.add(id(item))
        item.ancestor = _settle(item.children, seen) or item.ancestor
        found = found or item.active or item.ancestor
    return found
