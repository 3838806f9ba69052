"""Edits of page text, as the kept-model (ssg/build/sources/kept.py) and partial-site
(ssg/build/sources/partial.py) sources take them: a page parsed again, placed and passed
through ``ssg_page_parsed`` like loading does, which may differ from its
last version only in fields no site-level hook reads and ssg's planning reads
only for the page's own outputs or its place in the lists (``free_fields``). Anything
else (a warning, an error, another field changed) declines the edit: a full
load then builds it and says what there is to say."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ssg.build.pipeline import Decline
from ssg.errors import SsgError
from ssg.model import EDITABLE_FIELDS, IDENTITY_FIELDS, PLACE_FIELDS, RENDER_ONLY_FIELDS, Page, Site

if TYPE_CHECKING:
    from ssg.graph.fingerprint import KnownText
    from ssg.plugins.manager import Plugins
    from ssg.sources.pagecache import ParseJob


@dataclass
class Edit:
    """One changed content file."""

    source: str
    stamp: tuple[int, ...]
    sha: str
    blob: bytes | None = None           # the parsed page as stored; None: the file's bytes did not change
    page: Page | None = None            # the new version: placed, hooks run, links resolved
    parsed: dict[str, Any] = field(default_factory=dict)   # its fields before links (a later edit compares)
    known: KnownText | None = None      # its text after links, with the digest of what made it
    replan: bool = False                # a field the plan reads changed: the site is planned again


def quietly(site: Site, action: Callable[..., Any], *args: Any) -> Any:
    """``action(*args)``, which must run without a warning or an error (raised
    or added to the site): else Decline, with what it added taken back (a full
    load gives it again)."""
    warnings, errors = len(site.warnings), len(site.errors)
    try:
        value = action(*args)
    except SsgError as error:
        raise Decline(str(error)) from None
    finally:
        quiet = len(site.warnings) == warnings and len(site.errors) == errors
        del site.warnings[warnings:], site.errors[errors:]
    if not quiet:
        raise Decline("a warning or an error")
    return value


def settle(site: Site, plugins: Plugins, page: Page, job: ParseJob,
           bundle_files: list[Any] | None = None) -> bool:
    """Place a parsed page in ``site`` and run ``ssg_page_parsed`` on it, as
    loading does (``quietly``); False when it is not published."""
    from ssg.sources.load import place

    def run() -> bool:
        if not place(site, page, job):
            return False
        if bundle_files is not None:
            page.bundle_files = bundle_files
        plugins.hook.ssg_page_parsed(page=page, site=site)
        return True

    return quietly(site, run)


def check_alone(source: str, before: dict[str, Any], page: Page) -> None:
    """Decline the edit of a page whose new version includes another file (a
    full load records that it does), or that is outside the lists or has no
    file of its own, before (``before``: its fields) or after (a full load
    places it)."""
    from ssg.sources.shortcodes import included_files

    if included_files(page.made_with):
        raise Decline(f"{source} includes another file")
    if not (page.listed == before["listed"] == "always" and page.render == before["render"] == "always"):
        raise Decline(f"{source} is outside the lists or has no file of its own")


def linked(site: Site, page: Page, parsed: KnownText | None, seconds: float) -> KnownText | None:
    """The page's links resolved in ``site`` (``quietly``: a link that matches no page declines)."""
    from ssg.sources.links import resolve_page_links

    return quietly(site, resolve_page_links, site, page, parsed, seconds)


def differs_only_in(before: dict[str, Any], after: dict[str, Any], free: frozenset[str]) -> bool:
    """Whether a page's fields ``after`` differ from ``before`` only in the
    ``free`` ones (``free_fields``)."""
    return after.keys() == before.keys() and all(
        after[name] is value or after[name] == value for name, value in before.items() if name not in free)


def free_fields(plugins: Plugins, config: Any) -> frozenset[str]:
    """The fields of a regular page an edit may change without the site being
    loaded again: ``EDITABLE_FIELDS`` that no plugin's site-level hook reads."""
    return frozenset(EDITABLE_FIELDS) - plugins.page_fields_read(config)


def free_for(page: Page, free: frozenset[str]) -> frozenset[str]:
    """``free`` for ``page``: a section's or the home page's title and date
    are read while planning (the section's title, its list), so of those
    pages only the render-only fields are free."""
    return free if page.kind == "page" else free & _RENDER_ONLY


_RENDER_ONLY = frozenset(RENDER_ONLY_FIELDS)


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    """The names of the fields whose values differ."""
    return {name for name, value in before.items() if not (after[name] is value or after[name] == value)}


def plans_again(source: str, before: dict[str, Any], new: Page, free: frozenset[str], site: Site,
                at: int | None) -> bool:
    """Whether an edit of the page at ``site.pages[at]`` (None: not among
    them) from the fields ``before`` to ``new`` needs the site planned again:
    a field beyond ``free_for`` changed, the page moved past a neighbour, or
    a field its section's own order reads changed. Decline when where the
    page is published changed, or (a section's or the home page's) a field
    the plan reads."""
    from ssg.sources.sections import PLAN_PARAMS, order_fields

    after = vars(new)
    changed = changed_fields(before, after) if before.keys() == after.keys() else set(IDENTITY_FIELDS)
    if not changed.isdisjoint(IDENTITY_FIELDS):
        raise Decline(f"{source}: where it is published changed")
    if new.kind != "page" and "params" in changed and any(
            before["params"].get(name) != after["params"].get(name) for name in PLAN_PARAMS):
        raise Decline(f"{source}: front matter the plan reads changed")
    again = not differs_only_in(before, after, free_for(new, free)) or (
        at is not None and not changed.isdisjoint(PLACE_FIELDS) and not keeps_place(site.pages, at, new)) or (
        not changed.isdisjoint(order_fields(site, new)))
    if again and new.kind != "page":
        raise Decline(f"{source}: fields of a section or home page the plan reads changed")
    return again


def keeps_place(pages: list[Page], at: int, new: Page) -> bool:
    """Whether ``new``, standing in for ``pages[at]`` (sorted by ``sort_key``),
    still sorts between its neighbours: then every list ssg makes, each a
    subsequence of ``site.pages`` in its order, keeps its order too."""
    from ssg.sources.sections import sort_key

    key = sort_key(new)
    return ((at == 0 or sort_key(pages[at - 1]) < key)
            and (at + 1 == len(pages) or key < sort_key(pages[at + 1])))
