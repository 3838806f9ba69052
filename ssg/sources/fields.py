"""Typed access to front matter fields, with file:line errors: what plugins use
to read a page's own fields (``ssg.api.FieldReader``). Kept free of the YAML,
front matter and markdown libraries, so loading plugins stays cheap."""

from __future__ import annotations

import re
import reprlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ssg.errors import ContentError, Location

if TYPE_CHECKING:
    from ssg.model import Page

DATE_HINT = "use ISO 8601, e.g. 2024-05-01 or 2024-05-01T09:30:00+02:00"
# The names other generators give ssg's own front matter fields (Hugo's linkTitle, lastmod, publishDate and
# expiryDate, Jekyll's last_modified_at...): a page written for them keeps its meaning here. The first name a
# page uses is read: ssg's own name first.
FIELD_NAMES = {
    "link_title": ("link_title", "linkTitle", "linktitle"),
    "updated": ("updated", "lastmod", "lastMod", "modified", "last_modified_at"),
    "publish_date": ("publish_date", "publishDate", "publishdate", "pubdate", "pubDate"),
    "expiry_date": ("expiry_date", "expiryDate", "expirydate", "unpublishdate"),
}
_DATED_NAME = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})-(.+)")   # Jekyll reads 2014-3-3-hello too
_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother, _SHOWN.maxlist, _SHOWN.maxdict = 3, 80, 80, 6, 6


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


def field_line(text: str, name: str) -> int | None:
    """Best-effort line of a front matter field, for error messages."""
    pattern = re.compile(rf"^[ \t]*{re.escape(name)}[ \t]*[:=]", re.MULTILINE)
    match = pattern.search(text)
    return text[: match.start()].count("\n") + 1 if match else None


def shown(value: Any) -> str:
    """A field's value for an error message, cut short: a YAML alias bomb must
    not turn into a gigabyte-long message."""
    return _SHOWN.repr(value)


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


def dated_name(name: str) -> tuple[datetime | None, str]:
    """A file or folder name's date prefix and the rest: '2024-05-01-my-title'
    is dated 2024-05-01 (midnight, UTC) and named 'my-title', the convention
    Jekyll and Pelican users bring. A name without a valid date before a dash
    is (None, name)."""
    match = _DATED_NAME.fullmatch(name)
    if match is None:
        return None, name
    try:
        return datetime(*map(int, match.group(1, 2, 3)), tzinfo=UTC), match.group(4)
    except ValueError:     # 2024-13-45: a name, not a date
        return None, name


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
        return ContentError(f"front matter field '{name}' {message}", where=self.location(name), hint=hint)

    def location(self, name: str) -> Location:
        """Where the field ``name`` is written (file:line), for a message about it."""
        text = self._text if isinstance(self._text, str) else self._text()
        return Location(self.source, field_line(text, name))

    def named(self, field: str) -> str:
        """The name a page gives the field ``field`` (``FIELD_NAMES``): the first it uses, else ssg's own."""
        names = FIELD_NAMES[field]
        return next((name for name in names if name in self.meta), names[0])

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
            raise self.fail(name, f"must be true or false, got {shown(value)}", f"write {name}: true")
        return value

    def integer(self, name: str) -> int:
        value = self.meta.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"must be a whole number, got {shown(value)}", f"write {name}: 10")
        return value

    def date(self, name: str) -> datetime | None:
        value = self.meta.get(name)
        if value is None:
            return None
        try:
            return to_datetime(value)
        except (ValueError, TypeError):
            raise self.fail(name, f"is not a date: {shown(value)}", DATE_HINT) from None

    def string_list(self, name: str, *, commas: bool = False) -> tuple[str, ...]:
        """A list of text values; with ``commas``, text is taken as a list separated by commas
        ('keywords: ssg, static sites', as Pelican writes it)."""
        value = self.meta.get(name)
        if value is None:
            return ()
        if type(value) is list and all(type(v) is str for v in value):   # the common case, checked fast
            return tuple(value)
        if isinstance(value, str) and commas:
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, str):
            words = value.split()
            hint = (f"write {name}: [{', '.join(words)}] for {len(words)} values (Jekyll's words separated by "
                    f"spaces), {name}: [{value}] for one, or one '- item' per line") \
                if len(words) > 1 and "," not in value else f"write {name}: [{value}] or one '- item' per line"
            raise self.fail(name, f"must be a list, got the text {shown(value)}", hint)
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                                  for v in value):
            raise self.fail(name, f"must be a list of text values, got {shown(value)}", f"write {name}: [a, b]")
        return tuple(str(v) for v in value)
