"""Scanning a site folder into the model: content pages, sections, page bundles,
data files and static files. Parse failures are collected, not fatal."""

from __future__ import annotations

import json
import os
import tomllib
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from ssg.content import parse_page
from ssg.errors import ContentError, Location, PathError, SsgError
from ssg.model import Page, Section, Site
from ssg.pluginmanager import Plugins
from ssg.urls import absolute_url, check_segment, expand_permalink, join_base, output_path, slugify

DATA_SUFFIXES = (".yaml", ".yml", ".json", ".toml")
DEFAULT_PERMALINK = "/:path/:slug/"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def is_ignored(name: str) -> bool:
    """Hidden files, editor backups, swap and lock files never count as site files."""
    return (name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".bck", ".tmp"))
            or name == "4913")


def walk(root: Path) -> list[Path]:
    """Every non-ignored file under ``root``, sorted, not following symlinked folders."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not is_ignored(d))
        found.extend(Path(folder) / f for f in sorted(files) if not is_ignored(f))
    return found


def load_site(site: Site, plugins: Plugins) -> None:
    """Fill ``site`` from its folder. Pages that fail to parse are reported in
    ``site.errors`` and left out; everything else still builds."""
    root = site.root
    content = root / "content"
    bundle_dirs = {p.parent for p in content.rglob("index.md")} if content.is_dir() else set()
    regular: list[Page] = []
    for path in walk(content) if content.is_dir() else []:
        rel = path.relative_to(content)
        source = str(PurePosixPath("content", *rel.parts))
        bundle = _bundle_of(path, bundle_dirs)
        if path.suffix != ".md" or (bundle is not None and path.name != "index.md"):
            if bundle is None:
                site.static_files.append((rel.as_posix(), path))
            continue
        try:
            page = _parse(site, path, rel, source)
        except SsgError as error:
            site.errors.append(error)
            continue
        if page is None:
            continue
        if bundle is not None:
            page.bundle_files = tuple(str(PurePosixPath("content", *p.relative_to(content).parts))
                                      for p in walk(bundle) if p != path)
        if page.kind == "home":
            site.home = page
        elif page.kind == "section":
            site.sections.setdefault(page.section, _new_section(site, page.section)).index = page
        else:
            regular.append(page)
    regular.sort(key=sort_key)
    site.pages = regular
    for page in regular:
        if page.section:
            site.sections.setdefault(page.section, _new_section(site, page.section)).pages.append(page)
    for section in site.sections.values():
        if section.index is not None and section.index.title:
            section.title = section.index.title
    site.data = load_data(root / "data", site)
    site.static_files = _static_files(site) + site.static_files
    for page in site.all_pages():
        plugins.call("ssg_page_parsed", where=page.source, page=page, site=site)


def sort_key(page: Page) -> tuple:
    """Newest first; undated pages last; then weight, then source path."""
    stamp = (page.date or _EPOCH).timestamp()
    return (page.date is None, -stamp, page.weight, page.source)


def _bundle_of(path: Path, bundle_dirs: set[Path]) -> Path | None:
    for parent in path.parents:
        if parent in bundle_dirs:
            return parent
    return None


def _parse(site: Site, path: Path, rel: Path, source: str) -> Page | None:
    parts = rel.parts
    folder_parts = parts[:-1]
    if path.name == "index.md":
        slug, folder_parts = (folder_parts[-1], folder_parts[:-1]) if folder_parts else ("index", ())
    else:
        slug = path.stem
    if path.name == "_index.md":
        if len(parts) > 2:
            site.warn(f"{source}: _index.md is only used at content/ or content/SECTION/; this one is ignored")
            return None
        kind = "home" if len(parts) == 1 else "section"
    else:
        kind = "page"
    section = parts[0] if len(parts) > 1 else ""
    if kind != "page" and path.name != "_index.md":
        kind = "page"
    raw = path.read_bytes()
    page = parse_page(raw, source, section=section, slug=slugify(slug) or slug, kind=kind,
                      markdown_options=site.config.markdown)
    if page.draft and not site.include_drafts:
        return None
    if page.date and site.build_time and page.date > site.build_time and not site.include_future:
        return None
    where = Location(source)
    if kind == "page":
        if page.url:
            url = page.url if page.url.endswith(("/", ".html", ".xml", ".txt", ".json")) else page.url + "/"
        else:
            pattern = site.config.permalinks.get(section, DEFAULT_PERMALINK) if section else "/:slug/"
            url = expand_permalink(pattern, slug=page.slug, section=section, folder="/".join(folder_parts),
                                   filename=path.stem, date=page.date)
        try:
            check_segment(page.slug, what=f"slug '{page.slug}'") if not page.url else None
            page.output_path = output_path(url, what="url" if page.url else "permalink")
        except PathError as error:
            raise PathError(error.message, where=where, hint=error.hint or "use a plain relative path such as '/about/'") from None
        page.url = join_base(site.config.base_path, url)
    elif kind == "section":
        page.output_path = f"{section}/index.html"
        page.url = join_base(site.config.base_path, f"/{section}/")
    else:
        page.output_path = "index.html"
        page.url = site.config.base_path
    page.permalink = absolute_url(site.config.base_url, page.url)
    return page


def _new_section(site: Site, name: str) -> Section:
    url = join_base(site.config.base_path, f"/{name}/")
    return Section(name=name, title=name.replace("-", " ").replace("_", " ").title(), url=url,
                   output_path=f"{name}/index.html")


def load_data(folder: Path, site: Site) -> dict[str, Any]:
    """data/*.{yaml,yml,json,toml}, nested by sub-folder: data/team/people.yaml
    is ``data.team.people`` in templates."""
    data: dict[str, Any] = {}
    if not folder.is_dir():
        return data
    for path in walk(folder):
        if path.suffix not in DATA_SUFFIXES:
            continue
        rel = path.relative_to(folder)
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
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError("data file is not valid UTF-8", where=Location(source), hint="save it as UTF-8") from None
    try:
        if path.suffix == ".json":
            return json.loads(text)
        if path.suffix == ".toml":
            return tomllib.loads(text)
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except json.JSONDecodeError as error:
        raise ContentError(f"invalid JSON: {error.msg}", where=Location(source, error.lineno)) from None
    except tomllib.TOMLDecodeError as error:
        raise ContentError(f"invalid TOML: {error}", where=Location(source)) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise ContentError(f"invalid YAML: {getattr(error, 'problem', None) or error}",
                           where=Location(source, mark.line + 1 if mark else None)) from None


def _static_files(site: Site) -> list[tuple[str, Path]]:
    """The theme's static/ then the site's static/; the site's file wins."""
    from ssg.templates import theme_dir

    chosen: dict[str, Path] = {}
    for folder in (theme_dir(site.root, site.config.theme, site.config.path) / "static", site.root / "static"):
        if folder.is_dir():
            for path in walk(folder):
                chosen[path.relative_to(folder).as_posix()] = path
    return sorted(chosen.items())
