"""Scanning a site folder into the model: content pages, sections, page bundles,
data files and static files. Parse failures are collected, not fatal."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Container, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from ssg.config.schema import toml_error_position
from ssg.config.themes import theme_dir
from ssg.errors import ContentError, Location, PathError, SsgError
from ssg.model import PLACE_FIELDS, Page, Section, Site
from ssg.plugins.manager import Plugins
from ssg.sources.content import (
    FieldReader,
    YamlLoader,
    dated_name,
    decode,
    field_line,
    front_matter_fields,
    inherit,
    shown,
)
from ssg.sources.files import irregular, read_bytes, unreadable
from ssg.sources.inputs import is_ignored
from ssg.sources.pagecache import PageCache, ParseJob
from ssg.sources.urls import (
    absolute_url,
    check_segment,
    expand_permalink,
    join_base,
    output_path,
    plain_segment,
    printable,
    slugify,
)

DATA_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
DEFAULT_PERMALINK = "/:path/:slug/"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DATA_HINT = "fix the syntax at that line; until then templates see this file's data as missing"


def walk(root: Path, site: Site) -> list[Path]:
    """Every non-ignored file under ``root``, sorted (see ``_tree``)."""
    return [root / rel for rel in _tree(root, site)]


def load_site(site: Site, plugins: Plugins, cache: PageCache | None = None) -> None:
    """Fill ``site`` from its folder. Pages that fail to parse are reported in
    ``site.errors`` and left out; everything else still builds. ``cache``
    returns unchanged files' pages without parsing them again."""
    root = site.root
    content = root / "content"
    # content/index.md is not a bundle: that would turn every other file of the
    # site into a resource of one page and publish their markdown sources.
    cache = cache or PageCache({}, False, 1)
    # a published page that became a FIFO (or another non-regular file) is read, and fails: its last
    # good version stands in (a new one is only skipped, with the build's warning)
    files = _tree(content, site, {source[8:] for source, record in cache.previous.items()
                                  if source.startswith("content/") and record.parsed is not None})
    bundle_dirs = {rel.rpartition("/")[0] for rel in files if rel.endswith("/index.md")}
    resources: dict[str, list[str]] = {}
    jobs: list[ParseJob] = []
    bundles: list[str | None] = []
    for rel in files:
        bundle = _bundle_of(rel, bundle_dirs)
        name = rel.rpartition("/")[2]
        if not name.endswith(".md") or (bundle is not None and name != "index.md"):
            if bundle is None:
                site.static_files.append((rel, content / rel))
            else:
                resources.setdefault(bundle, []).append(f"content/{rel}")
            continue
        job = _job(site, f"{content}/{rel}", rel, f"content/{rel}", bundle_dirs)
        if job is not None:
            jobs.append(job)
            bundles.append(bundle)
    regular: list[Page] = []
    parsed = list(zip(jobs, bundles, cache.pages(jobs, site.config.markdown), strict=True))
    # the home page, then section index pages outermost first: what they cascade down is known before the pages below
    parsed.sort(key=lambda item: (_KINDS[item[0].kind], item[0].section.count("/") if item[0].section else -1))
    for job, bundle, page in parsed:
        if isinstance(page, SsgError):
            site.errors.append(page)
            continue
        try:
            if not place(site, page, job):
                continue
        except SsgError as error:
            site.errors.append(error)
            continue
        if bundle is not None and page.publish_resources:
            page.bundle_files = tuple(resources.get(bundle, ()))
        if page.kind == "home":
            site.home = page
        elif page.kind == "section":
            site.sections.setdefault(page.section, new_section(site, page.section)).index = page
        else:
            regular.append(page)
    site.errors.extend(cache.stale)    # pages that failed, built from their last good version
    regular.sort(key=sort_key)
    site.pages = [page for page in regular if page.listed == "always"]
    site.unlisted = [page for page in regular if page.listed != "always"]
    build_sections(site, {page.section for page in regular})
    site.data = load_data(root / "data", site)
    site.static_files = find_static_files(site) + site.static_files
    for page in list(site.all_pages()):
        try:
            plugins.hook.ssg_page_parsed(page=page, site=site)
        except SsgError as error:   # one page's failure must not stop the others
            site.errors.append(error)


_KINDS = {"home": 0, "section": 1, "page": 2}


def sort_key(page: Page) -> tuple:
    """The site's order, as Hugo's: by weight (a page without one, weight 0,
    after those with one), then newest first (undated pages last), then by
    link title, then by source path."""
    stamp = (page.date or _EPOCH).timestamp()
    return (page.weight == 0, page.weight, page.date is None, -stamp, page.link_title.casefold(), page.source)


def _by_date(page: Page) -> tuple:
    stamp = (page.date or _EPOCH).timestamp()
    return (page.date is None, -stamp, page.link_title.casefold(), page.source)


def _by_title(page: Page) -> tuple:
    return (page.link_title.casefold(), page.source)


# The entries of a section's or the home page's front matter that planning reads (its pages' order).
PLAN_PARAMS = ("sort_by", "cascade")
# The orders a section's _index.md may ask for (``sort_by``), and the page fields each reads.
SORTS = {"weight": (sort_key, PLACE_FIELDS), "date": (_by_date, ("date", "link_title")),
         "title": (_by_title, ("link_title",))}


def section_order(section: Section, site: Site | None = None) -> str:
    """The order of a section's pages: its _index.md's ``sort_by``
    (``SORTS``), else the site's. A value ssg does not know is an error
    (added to ``site.errors`` when given) and the site's order is used."""
    index = section.index
    order = index.params.get("sort_by", "weight") if index is not None else "weight"
    if order in SORTS:
        return order
    if site is not None:
        site.errors.append(FieldReader.for_page(index, site.root).fail(
            "sort_by", f"must be one of {', '.join(SORTS)}, got {shown(order)}", "write sort_by: title"))
    return "weight"


def order_fields(site: Site, page: Page) -> frozenset[str]:
    """The fields of ``page`` its section's order reads, when that is not the
    site's order (a page can keep its place in one and move in the other)."""
    section = site.sections.get(page.section)
    order = section_order(section) if section is not None else "weight"
    return frozenset() if order == "weight" else frozenset(SORTS[order][1])


def _bundle_of(rel: str, bundle_dirs: set[str]) -> str | None:
    """The page bundle (folder holding an index.md) a content file is in, if any."""
    folder = rel
    while "/" in folder:
        folder = folder.rpartition("/")[0]
        if folder in bundle_dirs:
            return folder
    return None


def _tree(root: Path, site: Site, published: Container[str] = ()) -> list[str]:
    """Every non-ignored file under ``root`` as a posix path relative to it,
    sorted, folders after files, without building a Path per file (a site has
    tens of thousands). Symlinked folders are not followed. A name that is not
    valid UTF-8 cannot become a URL or be printed, and a symlink to a file
    outside the site would publish that file: both are left out and reported
    in ``site.errors``."""
    found: list[str] = []
    if root.is_dir():
        _scan(str(root), "", found, site, os.path.realpath(site.root) + os.sep, published)
    return found


def _scan(folder: str, prefix: str, found: list[str], site: Site, inside: str, published: Container[str]) -> None:
    files, dirs, links = [], [], set()
    try:
        entries = list(os.scandir(folder))
    except OSError as error:    # the build stops: leaving the folder out would unpublish its pages
        raise unreadable(error, _shown(folder, site)) from None
    for entry in entries:
        name = entry.name
        if is_ignored(name):
            continue
        if entry.is_dir(follow_symlinks=False):
            dirs.append(name)
        elif not entry.is_symlink():
            if entry.is_file(follow_symlinks=False) or prefix + name in published:   # a FIFO, socket or
                files.append(name)         # device is never opened: the build warns about it (ssg/sources/inputs.py)
        elif not os.path.isdir(entry.path) and (irregular(entry.path) is None or prefix + name in published):
            files.append(name)      # (a link to nothing, or a loop, fails when read: an error naming it)
            links.add(name)
    for name in sorted(files):
        path = os.path.join(folder, name)
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            site.errors.append(ContentError("file name is not valid UTF-8", where=_shown(path, site),
                                            hint="rename the file; its name cannot become a URL"))
            continue
        if name in links and _leaks(os.path.realpath(path), inside):
            site.errors.append(PathError("is a symlink to a file outside the site or hidden in it",
                                         where=_shown(path, site), hint="copy the file into the site, or remove the link"))
            continue
        found.append(prefix + name)
    for name in sorted(dirs):
        _scan(os.path.join(folder, name), f"{prefix}{name}/", found, site, inside, published)


def _shown(path: str, site: Site) -> str:
    """A file's site-relative path for a message, printable whatever its bytes."""
    return os.fsencode(os.path.relpath(path, site.root)).decode("utf-8", "replace")


def _leaks(target: str, inside: str) -> bool:
    """A link target outside the site, or hidden in it (.env, .git/, .ssg/):
    publishing it would publish what was never meant to be a site file."""
    if not target.startswith(inside):
        return True
    return any(part.startswith(".") for part in target[len(inside):].split(os.sep))


def page_job(site: Site, source: str, bundles: Container[str]) -> ParseJob | None:
    """The parse job of the content file ``source`` ('content/posts/a.md'),
    as a scan of content/ makes it (None: not a page file). ``bundles``:
    the page bundles' folders, as paths under content/ ('posts/trip')."""
    return _job(site, f"{site.root}/{source}", source[len("content/"):], source, bundles)


def _job(site: Site, path: str, rel: str, source: str, bundles: Container[str]) -> ParseJob | None:
    """What kind of page a content file is, from its place in content/: a
    page is in the section of its folder, at any depth (a bundle's index.md:
    of the folder holding the bundle; a folder that is a bundle is a page,
    never a section)."""
    parts = rel.split("/")
    folder_parts = parts[:-1]
    name = parts[-1]
    if name == "index.md":
        if not folder_parts:
            site.warn(f"{source}: builds the page /index/; the home page's content goes in content/_index.md")
        slug = folder_parts[-1] if folder_parts else "index"
    else:
        slug = name[:-3]
    slug = dated_name(slug)[1]       # '2024-05-01-my-title.md' is /my-title/ (and dated, ssg/sources/content.py)
    if name == "_index.md":
        kind = "home" if len(parts) == 1 else "section"
    else:
        kind = "page"
    folder = section = "/".join(folder_parts[:-1] if name == "index.md" else folder_parts)
    while section in bundles:        # a bundle within a bundle
        section = section.rpartition("/")[0]
    return ParseJob(path=path, source=source, section=section, slug=slugify(slug) or slug, kind=kind, folder=folder)


def place(site: Site, page: Page, job: ParseJob) -> bool:
    """Decide whether a parsed page is published in this build (drafts, pages
    whose publish date or date is still to come, pages whose expiry date has
    passed) and give it its URL and output path. False: left out."""
    if page.kind != "page":
        cascade_of(page, lambda: decode(Path(job.path).read_bytes(), job.source))    # a bad value: its error here
    inherited = _inherited(site, page)
    if inherited:
        inherit(page, inherited, lambda: decode(Path(job.path).read_bytes(), job.source))
    reason = _left_out(site, page)
    if reason is not None:
        site.skipped[reason] = site.skipped.get(reason, 0) + 1
        return False
    section = job.section
    if page.kind == "page":
        if page.url:
            url = page.url if page.url.endswith(("/", ".html", ".xml", ".txt", ".json")) else page.url + "/"
        else:
            pattern = _permalink(site.config.permalinks, section) if section else "/:slug/"
            url = expand_permalink(pattern, slug=page.slug, section=section.partition("/")[0], folder=job.folder,
                                   filename=job.source.rpartition("/")[2].rpartition(".")[0], date=page.date)
        try:
            if not page.url and not plain_segment(page.slug):
                check_segment(page.slug, what=f"slug '{printable(page.slug)}'")
            page.output_path = output_path(url, what="url" if page.url else "permalink")
        except PathError as error:
            line = field_line(decode(Path(job.path).read_bytes(), job.source), "url" if page.url else "slug")
            raise PathError(error.message, where=Location(job.source, line),
                            hint=error.hint or "use a plain relative path such as '/about/'") from None
        page.url = join_base(site.config.base_path, url)
    elif page.kind == "section":
        page.output_path = f"{section}/index.html"
        page.url = join_base(site.config.base_path, f"/{section}/")
    else:
        page.output_path = "index.html"
        page.url = site.config.base_path
    page.permalink = absolute_url(site.config.base_url, page.url)
    return True


def cascade_of(page: Page, text: Any = "") -> dict[str, Any]:
    """What a section's or the home page's front matter ``cascade`` hands
    down to the pages below it: a table of front matter values (or a list of
    them). Each value must be one a page could hold (else a ContentError at
    its line; ``text`` reads the file). Hugo's ``_target`` filters are not
    supported: such an entry is an error saying so."""
    value = page.params.get("cascade")
    if value is None:
        return {}
    fields = FieldReader({}, text, page.source)
    entries = value if isinstance(value, list) else [value]
    merged: dict[str, Any] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            raise fields.fail("cascade", f"must be a table of front matter values, got {shown(entry)}",
                              "write cascade: {build: {list: never}}")
        if "_target" in entry or "target" in entry:
            raise fields.fail("cascade", "has a target: ssg cascades to every page below the section",
                              "move those pages into a section of their own and give it the cascade")
        merged.update(entry)
    front_matter_fields(FieldReader(merged, text, page.source), source=page.source, slug=page.slug, kind="page")
    return merged


def _inherited(site: Site, page: Page) -> dict[str, Any]:
    """What the home page and the sections ``page`` is in cascade down to it, the nearest winning."""
    holders = [site.home] if page.kind != "home" and site.home is not None else []
    parts = page.section.split("/") if page.section else []
    for depth in range(1, len(parts) + (0 if page.kind == "section" else 1)):   # not a section's own _index.md
        section = site.sections.get("/".join(parts[:depth]))
        if section is not None and section.index is not None:
            holders.append(section.index)
    merged: dict[str, Any] = {}
    for holder in holders:
        merged.update(cascade_of(holder))
    return merged


def _permalink(permalinks: Mapping[str, str], section: str) -> str:
    """The URL pattern of a section's pages: its own, else the nearest one of a section it is in."""
    while section:
        if section in permalinks:
            return permalinks[section]
        section = section.rpartition("/")[0]
    return DEFAULT_PERMALINK


def _left_out(site: Site, page: Page) -> str | None:
    """Why ``page`` is not published in this build ('draft', 'future',
    'expired'; ``SKIPPED``), or None. A page due or expiring later is a
    change the site will see then without any file changing (``changes_at``)."""
    if page.draft and not site.include_drafts:
        return "draft"
    now = site.build_time
    due = page.publish_date or page.date
    if due and now and due > now and not site.include_future:
        site.changes_at(due)
        return "future"
    if page.expiry_date and now and not site.include_expired:
        if page.expiry_date <= now:
            return "expired"
        site.changes_at(page.expiry_date)
    return None


def new_section(site: Site, name: str) -> Section:
    url = join_base(site.config.base_path, f"/{name}/")
    last = name.rpartition("/")[2]
    return Section(name=name, title=last.replace("-", " ").replace("_", " ").title(), url=url,
                   output_path=f"{name}/index.html")


def build_sections(site: Site, names: Iterable[str]) -> None:
    """The section tree: a section for each of ``names`` (the folders that
    hold pages) and for every folder they are in, besides those ``site``
    has already (for their _index.md); each with its parent, its children
    (by their _index.md's weight, then name) and its pages (in the site's
    order), titled by its _index.md. ``site.sections`` is then ordered by
    name: a parent before its children."""
    sections = site.sections
    for name in [*names, *sections]:
        while name:
            if name not in sections:
                sections[name] = new_section(site, name)
            name = name.rpartition("/")[0]
    site.sections = {name: sections[name] for name in sorted(sections)}
    for section in site.sections.values():
        section.children = []
        if section.index is not None and section.index.title:
            section.title = section.index.title
    for section in site.sections.values():
        parent = section.parent = site.sections.get(section.name.rpartition("/")[0])
        if parent is not None:
            parent.children.append(section)
    for section in site.sections.values():
        section.children.sort(key=lambda child: (child.index.weight if child.index is not None else 0, child.name))
    fill_sections(site, check=True)


def fill_sections(site: Site, *, check: bool = False) -> None:
    """Each section's pages, in the order its _index.md asks for (else the
    site's). ``check``: an order ssg does not know is an error."""
    for section in site.sections.values():
        section.pages = []
    for page in site.pages:
        if page.section:
            site.sections[page.section].pages.append(page)
    local = [page for page in site.unlisted if page.listed == "local" and page.section]
    for page in local:
        site.sections[page.section].pages.append(page)
    for section in site.sections.values():
        order = section_order(section, site if check else None)
        if order != "weight" or local:
            section.pages.sort(key=SORTS[order][0])


def load_data(folder: Path, site: Site) -> dict[str, Any]:
    """data/*.{yaml,yml,json,toml}, nested by sub-folder: data/team/people.yaml
    is ``data.team.people`` in templates."""
    data: dict[str, Any] = {}
    if not folder.is_dir():
        return data
    owners: dict[tuple[str, ...], Path] = {}
    for path in walk(folder, site):
        if path.suffix not in DATA_SUFFIXES:
            continue
        rel = path.relative_to(folder)
        keys = rel.parts[:-1] + (path.stem,)
        # team.yaml beside team.json, or beside a team/ folder, would overwrite or
        # merge into one another depending on the file system's order.
        clash = next((other for other in owners if other[:len(keys)] == keys or keys[:len(other)] == other), None)
        if clash is not None:
            name = ".".join(keys[:min(len(keys), len(clash))])
            site.errors.append(ContentError(
                f"{owners[clash].relative_to(site.root)} and {path.relative_to(site.root)} both define data.{name}",
                where=Location(str(path.relative_to(site.root))), hint="rename or merge one of them"))
            continue
        owners[keys] = path
        target = data
        for part in rel.parts[:-1]:
            target = target.setdefault(part, {})
        try:
            target[path.stem] = _read_data(path, site.root)
        except SsgError as error:
            site.errors.append(error)
    return data


def _read_data(path: Path, root: Path) -> Any:
    source = str(path.relative_to(root))
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError("data file is not valid UTF-8", where=Location(source), hint="save it as UTF-8") from None
    except OSError as error:
        raise unreadable(error, source) from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        if path.suffix == ".toml":
            return tomllib.loads(text)
        return yaml.load(text, Loader=YamlLoader)
    except RecursionError:
        raise ContentError("data nested too deeply to read", where=Location(source), hint=_DATA_HINT) from None
    except json.JSONDecodeError as error:
        raise ContentError(f"invalid JSON: {error.msg}", where=Location(source, error.lineno),
                           hint=_DATA_HINT) from None
    except tomllib.TOMLDecodeError as error:
        message, line = toml_error_position(error, text)
        raise ContentError(f"invalid TOML: {message}", where=Location(source, line), hint=_DATA_HINT) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ContentError(f"invalid YAML: {getattr(error, 'problem', None) or error}",
                           where=Location(source, mark.line + 1 if mark else None), hint=_DATA_HINT) from None


def find_static_files(site: Site) -> list[tuple[str, Path]]:
    """The theme's static/ then the site's static/; the site's file wins."""
    chosen: dict[str, Path] = {}
    for folder in (theme_dir(site.root, site.config.theme, site.config.path) / "static", site.root / "static"):
        if folder.is_dir():
            for path in walk(folder, site):
                chosen[path.relative_to(folder).as_posix()] = path
    return sorted(chosen.items())
