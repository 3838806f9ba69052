"""Site configuration: ``ssg.toml`` parsed, validated against the core schema and the
schemas plugins register, and exposed as a read-only ``SiteConfig``."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from ssg.config.schema import Option, Table, TomlLocator, toml_error_position, validate
from ssg.errors import ConfigError, Location, UsageError
from ssg.runtime import limits
from ssg.sources.files import irregular, read_bytes

CONFIG_NAME = "ssg.toml"
PERMALINK_TOKENS = (":year", ":month", ":day", ":slug", ":section", ":path", ":filename")


def _check_base_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return "must be an absolute http(s) URL such as 'https://example.org/'"
    if parts.query or parts.fragment:
        return "must not have a query or fragment"
    return None


def _check_output_dir(value: str) -> str | None:
    if not value or value.strip() in (".", "./") or "\x00" in value:
        return "must name a folder inside or beside the site, not the site itself"
    return None


def _check_permalink(value: str) -> str | None:
    if not value.startswith("/"):
        return "must start with '/' (e.g. '/:section/:slug/')"
    if ".." in value.split("/") or "\\" in value or "\x00" in value:
        return "must not contain '..', backslashes or NUL"
    return None


def _check_date_format(value: str) -> str | None:
    from datetime import datetime

    try:
        datetime(2000, 1, 2).strftime(value)
    except ValueError as error:
        return f"is not a valid strftime format ({error})"
    return None


def _not_negative(value: float) -> str | None:
    return "must not be negative" if value < 0 else None


CORE_SCHEMA = Table({
    "title": Option(str, "My site", "the site's name, shown in templates and feeds"),
    "base_url": Option(str, "http://localhost:8000/", "the public URL the site is served from",
                       check=_check_base_url),
    "language": Option(str, "en", "language code for <html lang> and feeds"),
    "description": Option(str, "", "one line describing the site (feeds, meta tags)"),
    "author": Option(str, "", "default author name"),
    "output_dir": Option(str, "public", "where the built site is written, relative to the site",
                         check=_check_output_dir),
    "theme": Option(str, "default", "a packaged theme name or a folder relative to the site"),
    "main_sections": Option(list, None, "sections listed on the home page (default: all)", items=str),
    "date_format": Option(str, "%Y-%m-%d", "default format of the `date` filter (strftime)",
                          check=_check_date_format),
    "permalinks": Table(doc="URL pattern per section, e.g. posts = '/:year/:month/:slug/'",
                        open=True, values=Option(str, check=_check_permalink)),
    "markdown": Table({
        "unsafe_html": Option(bool, True, "pass raw HTML in markdown through (content authors are trusted)"),
        "smart_punctuation": Option(bool, False, "curly quotes and dashes"),
        "hard_breaks": Option(bool, False, "treat single newlines as <br>"),
        "highlight": Option(bool, True, "highlight fenced code blocks with Pygments CSS classes"),
        "toc_levels": Option(list, [2, 3], "heading levels included in page.toc", items=int),
        "alerts": Option(bool, True, "GitHub's > [!NOTE] (TIP, IMPORTANT, WARNING, CAUTION) blockquotes as alerts"),
        "admonitions": Option(bool, True, "MkDocs' !!! note \"Title\" blocks (??? folded) as admonitions"),
        "heading_attributes": Option(bool, True, "## Title {#id .class} sets the heading's id and classes"),
        "math": Option(bool, True, "$...$ and $$...$$ kept as written for KaTeX or MathJax"),
        "mermaid": Option(bool, True, "mermaid code blocks as pre.mermaid, for Mermaid's script"),
        "task_lists": Option(bool, True, "- [ ] and - [x] list items as checkboxes"),
        "definition_lists": Option(bool, True, "Term / : definition paragraphs as dl, dt and dd"),
        "shortcodes": Option(bool, True, "{{< name args >}} calls rendered by templates/shortcodes/NAME.html"),
    }),
    "params": Table(doc="free-form values available to templates as site.params", open=True),
    "build": Table({
        "page_timeout": Option((int, float), limits.PAGE_TIMEOUT, "seconds one page may take in each stage "
                               "(one output's render, one file's parse, one page's links) before it fails "
                               "(0: no limit); --page-timeout overrides it", check=_not_negative),
        "page_memory": Option(int, limits.PAGE_MEMORY, "MiB a render process may grow by while it "
                              "renders before the output fails (0: no limit); --page-memory overrides it",
                              check=_not_negative),
        "hook_timeout": Option((int, float), limits.HOOK_TIMEOUT, "seconds one plugin's hook may run before "
                               "the build stops (0: no limit)", check=_not_negative),
        "generated_sections": Option(bool, True, "a folder without _index.md below a top-level section is a "
                                     "section of its own with a made list page; false: as in Hugo, its pages "
                                     "belong to the section above"),
        "empty_site": Option(bool, False, "the site has no pages on purpose: build it when content/ is missing "
                             "or holds no page (otherwise that is an error, so that a lost content/ folder "
                             "never deletes the published pages)"),
    }),
    "plugins": Table({
        "disable": Option(list, [], "names of plugins not to load (see `ssg plugins`)", items=str),
    }),
    # One table per target; its keys depend on the URL's scheme and are checked by
    # `ssg deploy` (ssg/deploy/settings.py) with the same file:line errors.
    "deploy": Table(doc="deploy targets: [deploy.<name>] with a url and options (docs/deploy.md)",
                    open=True, values=Table(open=True)),
})


def url_base_path(base_url: str) -> str:
    """The path part of a base URL, always ending in '/': '/' or '/blog/'."""
    path = urlsplit(base_url).path or "/"
    return path if path.endswith("/") else path + "/"


@dataclass(frozen=True)
class SiteConfig:
    """Validated configuration. Core keys are attributes; plugin tables are in
    ``tables`` keyed by table name (read them with ``config.table(name)``)."""

    path: Path | None
    title: str
    base_url: str
    language: str
    description: str
    author: str
    output_dir: str
    theme: str
    main_sections: tuple[str, ...] | None
    date_format: str
    permalinks: Mapping[str, str]
    markdown: Mapping[str, Any]
    params: Mapping[str, Any]
    disabled_plugins: tuple[str, ...]
    build: Mapping[str, Any]
    tables: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @cached_property
    def base_path(self) -> str:
        """The path part of base_url, always ending in '/': '/' or '/blog/'."""
        return url_base_path(self.base_url)

    def table(self, name: str) -> Mapping[str, Any]:
        return self.tables.get(name, MappingProxyType({}))


@dataclass
class RawConfig:
    """ssg.toml parsed but not yet validated against plugin schemas."""

    path: Path | None
    data: dict
    locator: TomlLocator

    @property
    def disabled_plugins(self) -> list[str]:
        plugins = self.data.get("plugins", {})
        disabled = plugins.get("disable", []) if isinstance(plugins, dict) else []
        if not isinstance(disabled, list) or not all(isinstance(n, str) for n in disabled):
            raise ConfigError("'plugins.disable' must be a list of plugin names",
                              where=self.locator.where(("plugins", "disable")))
        return disabled


def read_config(site_dir: Path) -> RawConfig:
    """Parse ``ssg.toml`` in ``site_dir``. A missing file is a usage error."""
    path = site_dir / CONFIG_NAME
    if not site_dir.is_dir():
        raise UsageError(f"site folder '{site_dir}' does not exist",
                         hint="pass --site DIR or run `ssg new DIR` to create a site")
    kind = irregular(path)
    if kind is not None:
        raise ConfigError(f"is {kind}, not a regular file", where=Location(str(path)),
                          hint=f"make {CONFIG_NAME} a regular file")
    if not path.is_file():
        raise UsageError(f"no {CONFIG_NAME} in '{site_dir}'",
                         hint="run ssg inside a site folder, pass --site DIR, or create one with `ssg new DIR`")
    try:
        text = read_bytes(path).decode("utf-8-sig")
    except OSError as error:
        raise ConfigError(f"cannot be read: {error.strerror or error}", where=Location(str(path)),
                          hint="check the file's permissions") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"not valid UTF-8 (byte {error.start})", where=Location(str(path)),
                          hint="save the file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message, line = toml_error_position(error, text)
        raise ConfigError(f"invalid TOML: {message}", where=Location(str(path), line),
                          hint="fix the syntax; see docs/configuration.md") from None
    except RecursionError:   # tomllib parses nested arrays and inline tables recursively
        raise ConfigError("invalid TOML: arrays or inline tables nested too deeply", where=Location(str(path)),
                          hint="fix the syntax; see docs/configuration.md") from None
    return RawConfig(path, data, TomlLocator(str(path), text))


def build_config(raw: RawConfig, plugin_tables: Mapping[str, Table], overrides: Mapping[str, Any] | None = None) -> SiteConfig:
    """Validate ``raw`` against the core schema plus ``plugin_tables`` and apply
    command-line ``overrides`` (validated the same way)."""
    schema = Table({**CORE_SCHEMA.options, **plugin_tables})
    data = dict(raw.data)
    for key, value in (overrides or {}).items():
        if value is not None:
            # A bad flag value is reported against the flag, not against ssg.toml.
            flag = TomlLocator(f"--{key.replace('_', '-')}", "")
            validate(Table({key: CORE_SCHEMA.options[key]}), {key: value}, flag)
            data[key] = value
    disabled = set(raw.disabled_plugins)
    for key in data:
        if key not in schema.options and key in disabled:
            raise ConfigError(f"unknown key '{key}': plugin '{key}' is disabled, so its table is not read",
                              where=raw.locator.where((key,)),
                              hint=f"remove the [{key}] table, or take '{key}' out of plugins.disable")
    values = validate(schema, data, raw.locator)
    if values["theme"].strip() == "":
        raise ConfigError("'theme' must not be empty", where=raw.locator.where(("theme",)))
    return SiteConfig(
        path=raw.path,
        title=values["title"],
        base_url=values["base_url"] if values["base_url"].endswith("/") else values["base_url"] + "/",
        language=values["language"],
        description=values["description"],
        author=values["author"],
        output_dir=values["output_dir"],
        theme=values["theme"],
        main_sections=tuple(values["main_sections"]) if values["main_sections"] is not None else None,
        date_format=values["date_format"],
        permalinks=MappingProxyType(values["permalinks"]),
        markdown=MappingProxyType(values["markdown"]),
        params=MappingProxyType(values["params"]),
        disabled_plugins=tuple(values["plugins"]["disable"]),
        build=MappingProxyType(values["build"]),
        tables=MappingProxyType({name: MappingProxyType(values[name]) for name in plugin_tables}),
    )
