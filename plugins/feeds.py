"""RSS 2.0 and Atom feeds for the site, and per section / per term where
configured. Bytes are deterministic: dates come from the entries, never from
the clock.

    [feeds]
    rss = true
    atom = true
    limit = 20
    full_content = false     # summaries only: a body edit rewrites no feed
    sections = true
    taxonomies = []          # e.g. ["tags"]: a feed per term
"""

from __future__ import annotations

import difflib
import functools
from datetime import UTC, datetime
from typing import NamedTuple

from ssg.api import ConfigError, Location, Option, Output, Page, Site, Table, absolute_url, hookimpl, page_fields
from ssg.api import xml_escape as escape
from ssg.api import xml_quoteattr as quoteattr

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@hookimpl
def ssg_page_fields_read(config) -> tuple[str, ...]:
    """None (docs/plugins.md): a feed's bytes are made when it is rendered
    (``Output.make``), where what it reads of each page is recorded."""
    return ()


@hookimpl
def ssg_config_schema(register):
    register("feeds", Table({
        "rss": Option(bool, True, "write index.xml (RSS 2.0)"),
        "atom": Option(bool, True, "write atom.xml (Atom 1.0)"),
        "limit": Option(int, 20, "entries per feed", check=lambda v: "must be 1 or more" if v < 1 else None),
        "full_content": Option(bool, False, "put each page's full HTML in the feed (default: the summary)"),
        "sections": Option(bool, True, "a feed per section"),
        "taxonomies": Option(list, [], "taxonomies whose terms each get a feed, e.g. ['tags']", items=str),
    }))


def _feed_sets(site: Site) -> list[tuple[str, str, str, list[Page]]]:
    """(folder, title, html url, pages) for every feed to write."""
    options = site.config.table("feeds")
    sets = [("", site.config.title, site.config.base_path, site.main_pages)]
    if options.get("sections", True):
        for section in site.sections.values():
            if section.pages and section.shown:
                sets.append((section.output_path[: -len("/index.html")], f"{section.title} - {site.config.title}",
                             section.url, section.pages))
    for name in options.get("taxonomies", []):
        taxonomy = site.taxonomies.get(name)
        if taxonomy is None:
            close = difflib.get_close_matches(name, sorted(site.taxonomies), n=1)
            raise ConfigError(f"'feeds.taxonomies' names '{name}', which is not a taxonomy of this site",
                              where=Location(str(site.config.path)) if site.config.path else None,
                              hint=f"did you mean '{close[0]}'?" if close else
                              "configure it under [taxonomies] (and keep the taxonomies plugin enabled)")
        for term in getattr(taxonomy, "terms", {}).values():
            sets.append((term.output_path[: -len("/index.html")], f"{term.name} - {site.config.title}",
                         term.url, term.pages))
    return sets


def feed_links(site: Site, folder: str) -> list[dict[str, str]]:
    options = site.config.table("feeds")
    prefix = site.config.base_path + (folder + "/" if folder else "")
    links = []
    if options.get("rss", True):
        links.append({"type": "application/rss+xml", "url": prefix + "index.xml", "title": "RSS"})
    if options.get("atom", True):
        links.append({"type": "application/atom+xml", "url": prefix + "atom.xml", "title": "Atom"})
    return links


@hookimpl
def ssg_generate_outputs(site: Site) -> list[Output]:
    options = site.config.table("feeds")
    limit, full = options.get("limit", 20), options.get("full_content", False)
    outputs = []
    sets = _feed_sets(site)
    site.state["feeds"] = {html_url: folder for folder, _title, html_url, _pages in sets[1:]}
    for folder, title, html_url, pages in sets:
        entries = pages[:limit]
        prefix = folder + "/" if folder else ""
        for enabled, name, write in ((options.get("rss", True), "index.xml", rss),
                                     (options.get("atom", True), "atom.xml", atom)):
            if enabled:
                url = f"{site.config.base_path}{prefix}{name}"
                outputs.append(Output(path=f"{prefix}{name}", origin="feeds", sitemap=False, url=url,
                                      make=functools.partial(write, site, title, html_url, url, entries, full),
                                      basis=(title, html_url, entries, full)))
    return outputs


@hookimpl
def ssg_template_context(output: Output, context: dict, site: Site) -> None:
    """``feeds``: the feed links for this page (the site's, plus its section's or term's)."""
    links = feed_links(site, "")
    paginator = context.get("paginator")
    list_url = paginator.first_url if paginator is not None and paginator.urls else output.url
    folder = site.state.get("feeds", {}).get(list_url)
    if folder is not None:   # a section or term list (any of its pages): its own feed first
        links = feed_links(site, folder) + links
    context["feeds"] = links


class _Entry(NamedTuple):
    """What a feed shows of a page (each field's read recorded: the feed is rebuilt when one changes)."""

    title: str
    permalink: str
    date: datetime | None
    updated: datetime | None
    taxonomies: dict[str, tuple[str, ...]]
    body: str

    @classmethod
    def of(cls, page: Page, full: bool) -> _Entry:
        return cls(*page_fields(page, "title", "permalink", "date", "updated", "taxonomies",
                                "content" if full else "summary"))

    @property
    def when(self) -> datetime:
        return self.updated or self.date or EPOCH

    @property
    def tags(self) -> tuple[str, ...]:
        return self.taxonomies.get("tags", ())


def rss(site: Site, title: str, html_url: str, self_url: str, pages: list[Page], full: bool) -> bytes:
    base = site.config.base_url
    shown = [_Entry.of(page, full) for page in pages]
    newest = max((page.when for page in shown), default=EPOCH)
    items = []
    for page in shown:
        parts = [f"<title>{escape(page.title)}</title>", f"<link>{escape(page.permalink)}</link>",
                 f'<guid isPermaLink="true">{escape(page.permalink)}</guid>']
        if page.date:
            parts.append(f"<pubDate>{_rfc822(page.date)}</pubDate>")
        parts.extend(f"<category>{escape(tag)}</category>" for tag in page.tags)
        parts.append(f"<description>{escape(str(page.body))}</description>")
        items.append("    <item>\n      " + "\n      ".join(parts) + "\n    </item>")
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">',
        "  <channel>",
        f"    <title>{escape(title)}</title>",
        f"    <link>{escape(absolute_url(base, html_url))}</link>",
        f"    <description>{escape(site.config.description or title)}</description>",
        f"    <language>{escape(site.config.language)}</language>",
        f"    <lastBuildDate>{_rfc822(newest)}</lastBuildDate>",
        f'    <atom:link href={quoteattr(absolute_url(base, self_url))} rel="self" type="application/rss+xml"/>',
    ]
    return ("\n".join(head + items + ["  </channel>", "</rss>", ""])).encode("utf-8")


def atom(site: Site, title: str, html_url: str, self_url: str, pages: list[Page], full: bool) -> bytes:
    base = site.config.base_url
    shown = [_Entry.of(page, full) for page in pages]
    newest = max((page.when for page in shown), default=EPOCH)
    entries = []
    for page in shown:
        parts = [f"<title>{escape(page.title)}</title>",
                 f'<link rel="alternate" type="text/html" href={quoteattr(page.permalink)}/>',
                 f"<id>{escape(page.permalink)}</id>",
                 f"<updated>{_rfc3339(page.when)}</updated>"]
        if page.date:
            parts.append(f"<published>{_rfc3339(page.date)}</published>")
        parts.extend(f"<category term={quoteattr(tag)}/>" for tag in page.tags)
        kind = "content" if full else "summary"
        parts.append(f'<{kind} type="html">{escape(str(page.body))}</{kind}>')
        entries.append("  <entry>\n    " + "\n    ".join(parts) + "\n  </entry>")
    author = site.config.author or site.config.title
    head = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang={quoteattr(site.config.language)}>',
        f"  <title>{escape(title)}</title>",
        f'  <link rel="alternate" type="text/html" href={quoteattr(absolute_url(base, html_url))}/>',
        f'  <link rel="self" type="application/atom+xml" href={quoteattr(absolute_url(base, self_url))}/>',
        f"  <id>{escape(absolute_url(base, html_url))}</id>",
        f"  <updated>{_rfc3339(newest)}</updated>",
        f"  <author><name>{escape(author)}</name></author>",
    ]
    return ("\n".join(head + entries + ["</feed>", ""])).encode("utf-8")


def _rfc822(value: datetime) -> str:
    from email.utils import format_datetime

    try:
        return format_datetime(value.astimezone(UTC), usegmt=True)
    except OverflowError:    # 9999-12-31T23:59:59-12:00 is in year 10000 in UTC: the same moment, in its own zone
        return format_datetime(value)


def _rfc3339(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
