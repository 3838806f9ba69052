"""Scanning a site folder into the model: content pages, sections, page bundles,
data files and static files. Parse failures are collected, not fatal."""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ssg.config.schema import toml_error_position
from ssg.config.themes import theme_dir
from ssg.errors import ContentError, Location, PathError, SsgError
from ssg.model import Page, Site
from ssg.plugins.manager import Plugins
from ssg.sources import sections
from ssg.sources.content import (
    YamlLoader,
    dated_name,
    decode,
    field_line,
    inherit,
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
    folders = Folders.of(files)
    resources: dict[str, list[str]] = {}
    jobs: list[ParseJob] = []
    bundles: list[str | None] = []
    for rel in files:
        bundle = _bundle_of(rel, folders.bundles)
        name = rel.rpartition("/")[2]
        if not name.endswith(".md") or (bundle is not None and name != "index.md"):
            if _unbuilt_markdown(site, rel, name, bundle):
                continue
            if bundle is None:
                site.static_files.append((rel, content / rel))
            else:
                resources.setdefault(bundle, []).append(f"content/{rel}")
            continue
        job = _job(site, f"{content}/{rel}", rel, f"content/{rel}", folders)
        if job is not None:
            jobs.append(job)
            bundles.append(bundle)
    regular: list[Page] = []
    options = site.config.markdown if cache.options is None else cache.options
    parsed = list(zip(jobs, bundles, cache.pages(jobs, options), strict=True))
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
            site.sections.setdefault(page.section, sections.new_section(site, page.section)).index = page
        else:
            regular.append(page)
    site.errors.extend(cache.stale)    # pages that failed, built from their last good version
    regular.sort(key=sections.sort_key)
    site.pages = [page for page in regular if page.listed == "always"]
    site.unlisted = [page for page in regular if page.listed != "always"]
    sections.build_sections(site, {page.section for page in regular})
    site.data = load_data(root / "data", site)
    site.static_files = find_static_files(site) + site.static_files
    for page in list(site.all_pages()):
        try:
            plugins.hook.ssg_page_parsed(page=page, site=site)
        except SsgError as error:   # one page's failure must not stop the others
            site.errors.append(error)


_KINDS = {"home": 0, "section": 1, "page": 2}


_OTHER_MARKDOWN = (".markdown", ".mdown", ".mkdn", ".mkd")   # what other generators read as Markdown too


def _unbuilt_markdown(site: Site, rel: str, name: str, bundle: str | None) -> bool:
    """Whether the file ``rel`` of content/ is Markdown that is not built: a
    .md file inside a page bundle, or Markdown under another extension. Such
    a file is warned about and not published either (it would be its source
    text, a draft's included)."""
    if name.endswith(".md"):
        site.warn(f"content/{rel}: not built and not published: it is inside the page bundle content/{bundle}/ "
                  "(a folder with an index.md); to make the folder a section of pages, rename that index.md to "
                  "_index.md")
        return True
    if name.lower().endswith(_OTHER_MARKDOWN):
        site.warn(f"content/{rel}: not built and not published: ssg reads Markdown from .md files; rename it to "
                  f"{name.rpartition('.')[0]}.md")
        return True
    return False


def _bundle_of(rel: str, bundle_dirs: Container[str]) -> str | None:
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


@dataclass(frozen=True)
class Folders:
    """What the folders of content/ are, as paths under it: page bundles
    (a folder holding index.md: 'posts/trip') and those with an _index.md."""

    bundles: frozenset[str]
    indexed: frozenset[str]

    @classmethod
    def of(cls, files: Iterable[str]) -> Folders:
        """The folders of ``files`` (paths under content/)."""
        bundles, indexed = set(), set()
        for rel in files:
            folder, _, name = rel.rpartition("/")
            if not folder:        # content/index.md is a page, not a bundle of the whole site
                continue
            if name == "index.md":
                bundles.add(folder)
            elif name == "_index.md":
                indexed.add(folder)
        return cls(frozenset(bundles), frozenset(indexed))


def page_job(site: Site, source: str, folders: Folders) -> ParseJob | None:
    """The parse job of the content file ``source`` ('content/posts/a.md'),
    as a scan of content/ makes it (None: not a page file)."""
    return _job(site, f"{site.root}/{source}", source[len("content/"):], source, folders)


def _job(site: Site, path: str, rel: str, source: str, folders: Folders) -> ParseJob | None:
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
    generated = site.config.build["generated_sections"]
    while section in folders.bundles or not generated and "/" in section and section not in folders.indexed:
        section = section.rpartition("/")[0]     # a bundle within a bundle; as Hugo, a folder without _index.md
    return ParseJob(path=path, source=source, section=section, slug=slugify(slug) or slug, kind=kind, folder=folder)


def place(site: Site, page: Page, job: ParseJob) -> bool:
    """Decide whether a parsed page is published in this build (drafts, pages
    whose publish date or date is still to come, pages whose expiry date has
    passed) and give it its URL and output path. False: left out."""
    def text() -> str:    # the file, read only for the line of a bad value
        return decode(Path(job.path).read_bytes(), job.source)

    if page.kind != "page":
        sections.check_cascade(page, text)
    inherited = sections.inherited(site, page)
    if inherited:
        inherit(page, inherited, text)
    reason = _left_out(site, page)
    if reason is not None:
        site.skipped[reason] = site.skipped.get(reason, 0) + 1
        return False
    for note in page.notes:      # what parsing it found: unknown shortcodes, malformed calls
        if note not in site.warnings:     # (a snippet's, once: it and each page including it hold it)
            site.warn(note)
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
