"""One page's bad value fails that page, not the build: when a plugin's
site-level hook (``ssg_generate_outputs``, ``ssg_plan_outputs``) raises while
it was handling a page, the page is found in the failing call's frames, the
error is reported at the page's file:line (the field whose value was being
handled, when one is found), and the plugin's hook is called again with the
page left out of the site's page lists: what the plugin makes leaves out that
page only, and everything else is still built."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from pluggy import HookCaller

from ssg.errors import Location, PluginError, SsgError
from ssg.model import Page, Site
from ssg.plugins.manager import Plugins
from ssg.sources.fields import decode, field_line
from ssg.sources.files import read_bytes

MAX_CULPRITS = 50      # pages one plugin's hook may fail on before the failure is the plugin's
_FIELDS = tuple(f.name for f in dataclasses.fields(Page))


def call_sparing_pages(plugins: Plugins, hook: HookCaller, site: Site, **kwargs: Any) -> list[Any]:
    """``hook(site=site, **kwargs)``, one plugin at a time (pluggy's subset
    hook callers, ``Plugins.each_plugin``); a plugin that fails on one page's
    data is called again without that page (each such page is an error in
    ``site.errors``). A failure that no page explains stops the build as
    before. A list in ``kwargs`` (the planned outputs) is restored before a
    call is made again. Returns the results, in call order."""
    results: list[Any] = []
    lists = {name: list(value) for name, value in kwargs.items() if isinstance(value, list)}
    for name, call in plugins.each_plugin(hook):
        left_out: list[Page] = []
        while True:
            try:
                with _without(site, left_out):
                    results.extend(call(site=site, **kwargs))
                break
            except PluginError as error:
                page, field = _culprit(error.__cause__)
                if page is None or page in left_out or len(left_out) >= MAX_CULPRITS:
                    raise
                left_out.append(page)
                site.errors.append(_page_error(site, name, hook.name, error.__cause__, page, field))
                for key, saved in lists.items():
                    kwargs[key][:] = saved
        for key in lists:
            lists[key] = list(kwargs[key])
    return results


def _culprit(error: BaseException | None) -> tuple[Page | None, str | None]:
    """The page the innermost frame of ``error``'s traceback holding one was
    handling, and the field of it whose value a frame inside held."""
    page, field, frames = None, None, []
    tb: TracebackType | None = error.__traceback__ if error is not None else None
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for at, frame in enumerate(reversed(frames)):
        found = next((v for v in frame.f_locals.values() if isinstance(v, Page)), None)
        if found is not None:
            page = found
            inner = list(reversed(frames))[: at + 1]
            field = _field_held(page, inner)
            break
    return page, field


def _field_held(page: Page, frames: list) -> str | None:
    """The name of the page's field whose very value one of ``frames`` holds
    in a local (innermost first)."""
    values = {id(getattr(page, name)): name for name in _FIELDS
              if getattr(page, name, None) is not None and not isinstance(getattr(page, name), (bool, int, str))}
    for frame in frames:
        for value in frame.f_locals.values():
            if id(value) in values:
                return values[id(value)]
    return None


def _page_error(site: Site, plugin: str, hook: str, error: BaseException | None, page: Page,
                field: str | None) -> PluginError:
    line = None
    if field is not None:
        try:
            line = field_line(decode(read_bytes(site.root / page.source), page.source), field)
        except (OSError, SsgError):
            line = None
    what = f"its {field} value" if field else "this page's data"
    return PluginError(
        f"plugin '{plugin}' failed in {hook} on {what}: {type(error).__name__}: {error}; "
        f"the page is left out of what '{plugin}' makes (everything else is built)",
        where=Location(page.source, line),
        hint=f"change the value{f' of {field}' if field else ''}, or report it to the plugin's author")


@contextmanager
def _without(site: Site, pages: list[Page]) -> Iterator[None]:
    """The site's page lists (its pages, each section's, each taxonomy term's)
    without ``pages``, put back as they were afterwards."""
    if not pages:
        yield
        return
    gone = set(map(id, pages))
    lists = [site.pages, *(section.pages for section in site.sections.values())]
    for taxonomy in site.taxonomies.values():
        lists.extend(getattr(term, "pages", []) for term in getattr(taxonomy, "terms", {}).values())
    saved = [(held, list(held)) for held in lists if isinstance(held, list)]
    for held, before in saved:
        held[:] = [page for page in before if id(page) not in gone]
    try:
        yield
    finally:
        for held, before in saved:
            held[:] = before
