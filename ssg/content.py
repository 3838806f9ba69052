"""Reading content files: bytes -> front matter + markdown -> ``Page``.

Front matter is YAML (``---``) or TOML (``+++``), detected and split by
python-frontmatter; parse errors keep the file:line of the offending line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler
from markupsafe import Markup, escape

from ssg.errors import ContentError, Location
from ssg.markdown import render_markdown
from ssg.model import Page
from ssg.schema import toml_error_position

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DATE_HINT = "use ISO 8601, e.g. 2024-05-01 or 2024-05-01T09:30:00+02:00"


class YamlLoader(_YAML_LOADER):
    """The safe loader, but an impossible date such as 2024-13-45 is a YAML error
    with a position instead of a bare ValueError from the date constructor."""


class InvalidDate(yaml.constructor.ConstructorError):
    pass


def _timestamp(loader: YamlLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as error:
        raise InvalidDate(None, None, f"'{node.value}' is not a valid date ({error})", node.start_mark) from None


YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class _YAML(YAMLHandler):
    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=YamlLoader)


class _TOML(BaseHandler):
    """python-frontmatter's own TOMLHandler needs the third-party ``toml``
    package; this one has the same delimiters and uses the standard library."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


_HANDLERS = (_YAML(), _TOML())


def decode(raw: bytes, source: str) -> str:
    """UTF-8 (a BOM is dropped), CRLF and CR normalised to LF."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ContentError(f"not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start})",
                           where=Location(source, line), hint="save the file as UTF-8") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def split_front_matter(text: str, source: str) -> tuple[dict, str, int]:
    """Return (front matter mapping, markdown body, line number of the body's first line)."""
    handler = frontmatter.detect_format(text, _HANDLERS)
    if handler is None:
        return {}, text, 1
    try:
        fm, body = handler.split(text)
    except ValueError:
        raise ContentError(f"front matter opened with '{handler.START_DELIMITER}' is never closed",
                           where=Location(source, 1),
                           hint=f"add a line '{handler.END_DELIMITER}' after the last front matter field") from None
    body = body.lstrip("\n")
    body_line = text[: len(text) - len(body)].count("\n") + 1
    # Line numbers inside ``fm`` count from the line of the opening delimiter.
    opening = handler.FM_BOUNDARY.search(text)
    fm_line = text[: opening.end()].count("\n") + 1 if opening else 1
    try:
        meta = handler.load(fm)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = fm_line + mark.line if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and context_mark is not None and context_mark.line != getattr(mark, "line", None):
            problem += f" ({context} that starts on line {fm_line + context_mark.line})"
        hint = (DATE_HINT if isinstance(error, InvalidDate)
                else "check quoting and indentation; values with ':' need quotes")
        raise ContentError(f"invalid YAML front matter: {problem}", where=Location(source, line), hint=hint) from None
    except tomllib.TOMLDecodeError as error:
        message, line = toml_error_position(error, fm)
        raise ContentError(f"invalid TOML front matter: {message}",
                           where=Location(source, fm_line + line - 1 if line else 1),
                           hint="check the TOML syntax of the +++ block") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise ContentError(f"front matter must be a mapping of fields, got {type(meta).__name__}",
                           where=Location(source, fm_line + 1), hint="write fields as 'title: My post'")
    return meta, body, body_line


def field_line(text: str, name: str) -> int | None:
    """Best-effort line of a front matter field, for error messages."""
    pattern = re.compile(rf"^[ \t]*{re.escape(name)}[ \t]*[:=]", re.MULTILINE)
    match = pattern.search(text)
    return text[: match.start()].count("\n") + 1 if match else None


def to_datetime(value: Any) -> datetime:
    """YAML dates, datetimes and ISO 8601 strings; naive values are taken as UTC."""
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        result = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(f"expected a date, got {type(value).__name__}")
    return result if result.tzinfo else result.replace(tzinfo=UTC)


class FieldReader:
    """Typed access to front matter fields, raising ContentError with file:line.

    ``text`` is the file's text, used only to find the line of a bad field;
    plugins pass a page and its site through ``FieldReader.for_page``."""

    def __init__(self, meta: dict, text: str | Callable[[], str], source: str):
        self.meta, self._text, self.source = meta, text, source

    @classmethod
    def for_page(cls, page: Page, site_root: Path) -> FieldReader:
        return cls(page.params, lambda: decode((site_root / page.source).read_bytes(), page.source), page.source)

    def fail(self, name: str, message: str, hint: str) -> ContentError:
        text = self._text if isinstance(self._text, str) else self._text()
        return ContentError(f"front matter field '{name}' {message}",
                            where=Location(self.source, field_line(text, name)), hint=hint)

    def string(self, name: str, default: str | None = None) -> str | None:
        value = self.meta.get(name, default)
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise self.fail(name, f"must be text, got {type(value).__name__}", f"write {name}: \"...\"")

    def boolean(self, name: str) -> bool:
        value = self.meta.get(name, False)
        if not isinstance(value, bool):
            raise self.fail(name, f"must be true or false, got {value!r}", f"write {name}: true")
        return value

    def integer(self, name: str) -> int:
        value = self.meta.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"must be a whole number, got {value!r}", f"write {name}: 10")
        return value

    def date(self, name: str) -> datetime | None:
        value = self.meta.get(name)
        if value is None:
            return None
        try:
            return to_datetime(value)
        except (ValueError, TypeError):
            raise self.fail(name, f"is not a date: {value!r}", DATE_HINT) from None

    def string_list(self, name: str) -> tuple[str, ...]:
        value = self.meta.get(name)
        if value is None:
            return ()
        if isinstance(value, str):
            raise self.fail(name, f"must be a list, got the text {value!r}",
                            f"write {name}: [{value}] or one '- item' per line")
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                                  for v in value):
            raise self.fail(name, f"must be a list of text values, got {value!r}", f"write {name}: [a, b]")
        return tuple(str(v) for v in value)


def parse_page(raw: bytes, source: str, *, section: str, slug: str, kind: str,
               markdown_options: Mapping) -> Page:
    """Parse one content file. ``source`` is its site-relative posix path."""
    text = decode(raw, source)
    meta, body, body_line = split_front_matter(text, source)
    fields = FieldReader(meta, text, source)
    title = fields.string("title")
    slug = fields.string("slug", slug) or slug
    rendered = render_markdown(body, markdown_options)
    summary_text = fields.string("summary")
    if title is None:
        title = PurePosixPath(source).stem.replace("-", " ").replace("_", " ").capitalize() if kind == "page" else ""
    return Page(
        source=source,
        section=section,
        slug=slug,
        title=title,
        date=fields.date("date"),
        updated=fields.date("updated"),
        draft=fields.boolean("draft"),
        summary=Markup(escape(summary_text)) if summary_text is not None else rendered.summary,
        weight=fields.integer("weight"),
        aliases=fields.string_list("aliases"),
        template=fields.string("template"),
        url=fields.string("url") or "",
        content=rendered.html,
        toc=rendered.toc,
        params=meta,
        body=body,
        kind=kind,
        line_offset=body_line,
    )
