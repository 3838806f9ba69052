"""Reading content files: bytes -> front matter + markdown -> ``Page``.

Front matter is YAML (``---``) or TOML (``+++``), detected and split by
python-frontmatter; parse errors keep the file:line of the offending line.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler
from markupsafe import Markup, escape

from ssg.config.schema import toml_error_position
from ssg.errors import ContentError, Location
from ssg.model import Page
from ssg.sources.fields import (  # noqa: F401 (re-exported)
    DATE_HINT,
    FieldReader,
    dated_name,
    decode,
    field_line,
    shown,
    to_datetime,
)
from ssg.sources.markdown import render_markdown, rendered_as
from ssg.sources.urls import name_words
from ssg.speedups import switch as speedups
from ssg.speedups.simpleyaml import load_simple

_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A content file or its front matter beyond these sizes is refused before it is
# parsed: libyaml needs minutes for tens of megabytes of front matter, and a page
# of that size is an accident (a log, a dump, a binary with a .md name).
MAX_CONTENT_BYTES = 10 * 1024 * 1024
MAX_FRONT_MATTER_BYTES = 1024 * 1024
# libyaml composes nested collections recursively in C: a few ten thousand
# levels overflow the C stack and kill the process (a segfault, not an error).
MAX_YAML_DEPTH = 100


_INDICATORS = {str: tuple("-?:[{"), bytes: tuple(c.encode() for c in "-?:[{")}


class YamlTooDeep(yaml.MarkedYAMLError):
    pass


def _check_yaml_depth(stream: Any) -> None:
    """Refuse YAML nested deeper than MAX_YAML_DEPTH, with the position of the
    first level too many. Reads events only up to that point (cheap)."""
    if not isinstance(stream, (str, bytes)):
        return
    # Every level opens at an indicator of its own ('-', '?', ':', '[' or '{'):
    # with fewer of those than the limit, no event needs reading.
    if sum(map(stream.count, _INDICATORS[type(stream)])) < MAX_YAML_DEPTH:
        return
    try:
        _walk_depth(stream, _YAML_LOADER)
    except YamlTooDeep:
        raise
    except yaml.YAMLError as error:
        # Newer libyaml stops at a nesting limit of its own, reading ahead of the
        # events: the pure-Python parser (no limit; run only on this error) tells
        # whether nesting is what is wrong, so the message is ssg's on every version.
        try:
            _walk_depth(stream, yaml.SafeLoader)
        except YamlTooDeep as too_deep:
            raise too_deep from None
        except yaml.YAMLError:
            pass
        raise error


def _walk_depth(stream: str | bytes, loader: type) -> None:
    depth = 0
    for event in yaml.parse(stream, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise YamlTooDeep(None, None, f"lists or mappings nested more than {MAX_YAML_DEPTH} levels deep",
                                  event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class YamlLoader(_YAML_LOADER):
    """The safe loader, but an impossible date such as 2024-13-45 is a YAML error
    with a position instead of a bare ValueError from the date constructor, and
    absurdly deep nesting is a YAML error instead of a crash."""

    def __init__(self, stream: Any):
        _check_yaml_depth(stream)
        super().__init__(stream)


class InvalidDate(yaml.constructor.ConstructorError):
    pass


def _timestamp(loader: YamlLoader, node: yaml.Node) -> Any:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError as error:
        raise InvalidDate(None, None, f"'{node.value}' is not a valid date ({error})", node.start_mark) from None
    except (AttributeError, TypeError):   # an explicit !!timestamp tag on text that is no timestamp at all
        raise InvalidDate(None, None, f"'{node.value}' is not a valid date", node.start_mark) from None


YamlLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class UnknownTag(yaml.constructor.ConstructorError):
    pass


def _unknown_tag(loader: YamlLoader, node: yaml.Node) -> Any:
    """A tag the safe loader does not know (``!!python/object:...``, ``!custom``):
    ssg's own message naming the tag, not the library's."""
    tag = node.tag.replace("tag:yaml.org,2002:", "!!", 1)
    raise UnknownTag(None, None, f"the tag '{tag}' is not allowed: ssg reads plain values, lists and mappings",
                     node.start_mark)


YamlLoader.add_constructor(None, _unknown_tag)


class _YAML(YAMLHandler):
    def load(self, fm: str, **kwargs: object) -> Any:
        # Flat front matter without PyYAML's parser (the same values), unless speed-ups are off.
        simple = load_simple(fm, YamlLoader) if speedups.enabled() else None
        return simple if simple is not None else yaml.load(fm, Loader=YamlLoader)


class _TOML(BaseHandler):
    """python-frontmatter's own TOMLHandler needs the third-party ``toml``
    package; this one has the same delimiters and uses the standard library."""

    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str, **kwargs: object) -> Any:
        return tomllib.loads(fm)


_HANDLERS = (_YAML(), _TOML())


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
    if len(fm.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        raise ContentError(f"front matter is larger than {MAX_FRONT_MATTER_BYTES // 1024 // 1024} MB",
                           where=Location(source, 1),
                           hint="keep front matter to a few fields; put large data in data/ files")
    body = body.lstrip("\n")
    body_line = text[: len(text) - len(body)].count("\n") + 1
    # Line numbers inside ``fm`` count from the line of the opening delimiter.
    opening = handler.FM_BOUNDARY.search(text)
    fm_line = text[: opening.end()].count("\n") + 1 if opening else 1
    try:
        meta = handler.load(fm)
    except RecursionError:   # tomllib parses nested arrays and tables recursively
        raise ContentError("front matter is nested too deeply", where=Location(source, fm_line),
                           hint="front matter holds a few plain fields; put structured data in data/ files") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = fm_line + mark.line if mark is not None else 1
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        context, context_mark = getattr(error, "context", None), getattr(error, "context_mark", None)
        if context and context_mark is not None and context_mark.line != getattr(mark, "line", None):
            problem += f" ({context} that starts on line {fm_line + context_mark.line})"
        hint = (DATE_HINT if isinstance(error, InvalidDate)
                else "put structured data in data/ files" if isinstance(error, YamlTooDeep)
                else "remove the tag, or quote the value to keep it as text" if isinstance(error, UnknownTag)
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


def parse_page(raw: bytes, source: str, *, section: str, slug: str, kind: str,
               markdown_options: Mapping, before: Page | None = None) -> Page:
    """Parse one content file. ``source`` is its site-relative posix path.
    ``before``: the page as parsed from an earlier version of the file with
    the same markdown options; when its body is this one's and called no
    shortcode, its HTML and table of contents are this one's too (markdown
    is then a function of the body and the options), and are not made again.

    Front matter written for other generators keeps its meaning: the names
    they give ssg's fields are read (``FIELD_NAMES``), Jekyll's ``published:
    false`` is a draft, and a page without a date takes the one its file
    name starts with ('2024-05-01-my-title.md')."""
    if len(raw) > MAX_CONTENT_BYTES:
        raise ContentError(f"file is {len(raw) / 1024 / 1024:.1f} MB; content files over "
                           f"{MAX_CONTENT_BYTES // 1024 // 1024} MB are refused", where=Location(source),
                           hint="split it into several pages, or put large files in static/, which is copied as is")
    text = decode(raw, source)
    meta, body, body_line = split_front_matter(text, source)
    values = front_matter_fields(FieldReader(meta, text, source), source=source, slug=slug, kind=kind)
    if before is not None and before.body == body and not before.made_with:
        rendered = rendered_as(body, markdown_options, before.content, before.toc)
        made_with, notes = before.made_with, before.notes
    else:
        # what shortcode templates see of the page (its params with what its sections cascade: shortcodes.py)
        view = {**values, "params": meta, "source": source, "section": section, "kind": kind}
        rendered = render_markdown(body, markdown_options, source=source, first_line=body_line, page=view)
        made_with, notes = rendered.made_with, rendered.notes
    if values["summary"] is None:
        values["summary"] = rendered.summary
    return Page(source=source, section=section, content=rendered.html, toc=rendered.toc, params=meta, body=body,
                kind=kind, line_offset=body_line, made_with=made_with, notes=notes, **values)


def front_matter_fields(fields: FieldReader, *, source: str, slug: str, kind: str) -> dict[str, Any]:
    """The fields of a page its front matter sets (``fields`` reads it): all
    but its text, which comes from the body. ``summary`` is None when the
    front matter has none (the body's then). A value of the wrong type is a
    ContentError at its file:line."""
    meta = fields.meta
    title = fields.string("title")
    published = meta.get("published")    # Jekyll's flag (false: a draft), or Hugo's publish date
    publish_date = fields.date(fields.named("publish_date"))
    if publish_date is None and published is not None and not isinstance(published, bool):
        publish_date = fields.date("published")
    name_date, name = dated_name(_file_name(source))
    if title is None:
        title = name_words(name).capitalize() if kind == "page" else ""
    summary_text = fields.string("summary")
    render, listed, publish_resources = _build_options(fields)
    return {
        # Paths are NFC: 'café' typed on macOS (NFD) and on Linux (NFC) is one URL, so
        # two pages spelling it differently collide instead of overwriting each other.
        "slug": _nfc(fields.string("slug", slug)) or slug,
        "title": title,
        "date": fields.date("date") or publish_date or (name_date if kind == "page" else None),
        "updated": fields.date(fields.named("updated")),
        "draft": fields.boolean("draft") or published is False,
        "summary": Markup(escape(summary_text)) if summary_text is not None else None,
        "weight": fields.integer("weight"),
        "aliases": tuple(_nfc(alias) for alias in fields.string_list("aliases")),
        "template": fields.string("template"),
        "url": _nfc(fields.string("url")) or "",
        "link_title": fields.string(fields.named("link_title")) or title,
        "description": fields.string("description") or "",
        "keywords": fields.string_list("keywords", commas=True),
        "publish_date": publish_date,
        "expiry_date": fields.date(fields.named("expiry_date")),
        "render": render,
        "listed": listed,
        "publish_resources": publish_resources,
    }


_BUILD_VALUES = {"render": ("always", "never", "link"), "list": ("always", "never", "local")}


def _build_options(fields: FieldReader) -> tuple[str, str, bool]:
    """Whether the page gets its own file, is listed, and has its bundle's
    files published: Hugo's ``build`` table (``render``: always, never or
    link; ``list``: always, never or local; ``publishResources``), after
    ``headless: true`` (none of the three)."""
    headless = fields.boolean("headless")
    render, listed, resources = ("never", "never", False) if headless else ("always", "always", True)
    build = fields.meta.get("build")
    if build is None:
        return render, listed, resources
    if not isinstance(build, dict):
        raise fields.fail("build", f"must be a table, got {shown(build)}", "write build: {render: never, list: never}")
    for key, value in build.items():
        if key in _BUILD_VALUES:
            value = {True: "always", False: "never"}.get(value, value) if isinstance(value, bool) else value
            if value not in _BUILD_VALUES[key]:
                raise fields.fail("build", f"'{key}' must be one of {', '.join(_BUILD_VALUES[key])}, got {shown(value)}",
                                  f"write build: {{{key}: never}}")
            render, listed = (value, listed) if key == "render" else (render, value)
        elif key in ("publishResources", "publish_resources"):
            if not isinstance(value, bool):
                raise fields.fail("build", f"'{key}' must be true or false, got {shown(value)}",
                                  f"write build: {{{key}: false}}")
            resources = value
        else:
            raise fields.fail("build", f"has no setting '{key}'", "its settings are render, list and publishResources")
    return render, listed, resources


def inherit(page: Page, inherited: Mapping[str, Any], text: Any) -> None:
    """Give ``page`` the front matter values the sections it is in cascade
    down (``inherited``, the nearest section's winning), where its own front
    matter has none: its fields are made again from the merged front matter.
    ``text`` reads the page's file (for the line of a bad value)."""
    added = {name: value for name, value in inherited.items() if name not in page.params}
    if not added:
        return
    meta = {**added, **page.params}
    values = front_matter_fields(FieldReader(meta, text, page.source), source=page.source, slug=page.slug,
                                 kind=page.kind)
    if values["summary"] is None:
        del values["summary"]       # the body's, as parsed
    for name, value in values.items():
        setattr(page, name, value)
    page.params = meta


def _file_name(source: str) -> str:
    """The name a page's file gives it: its own without '.md', or its folder's for a bundle's index.md."""
    path = PurePosixPath(source)
    return path.parent.name if path.name == "index.md" else path.stem


def _nfc(text: str | None) -> str | None:
    return unicodedata.normalize("NFC", text) if text else text
