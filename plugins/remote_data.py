"""Remote data, fail-open: JSON, YAML or CSV fetched over http(s) into ``data.NAME``.

    [remote_data.team]
    url = "https://api.example.org/team.json"
    format = "json"      # json, yaml or csv; default: from the URL's extension
    timeout = 10         # seconds one attempt may take, answer included
    retries = 2          # further attempts after a network error, a timeout or HTTP 5xx/408/429
    backoff = 0.5        # seconds before the first retry, doubled for each next one

Every good answer is kept as the last-good copy in ``.ssg/remote-data/NAME.json``
(written atomically). When the source is down, hangs, answers 5xx or sends
garbage, the build uses that copy and warns, naming the source and the copy's
age (``--strict`` makes the warning fatal). Without a copy it is an error: the
build goes on (templates see ``data.NAME`` as undefined) and exits 1.
``--offline`` reads the copy only and never opens a connection. One source
never takes longer than ``timeout × (retries + 1)`` seconds, backoff included.
"""

from __future__ import annotations

import base64
import io
import json
import posixpath
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from ssg.api import ConfigError, ContentError, Location, Option, Site, Table, atomic_write, hookimpl, read_regular_file


@hookimpl
def ssg_page_fields_read(config):
    return ()   # its site hooks read no page field (docs/plugins.md)

FORMATS = ("json", "yaml", "csv")
MAX_BYTES = 16 * 1024 * 1024
_EXTENSIONS = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".csv": "csv"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RETRY_STATUS = {408, 429}
_CACHE_HINT = "once the source answers, a build stores a copy in .ssg/remote-data/ to fall back on"


def _check_url(value: str) -> str | None:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http(s) URL such as 'https://example.org/data.json'"
    return None


def _positive(value: float) -> str | None:
    return None if value > 0 else "must be more than 0"


@hookimpl
def ssg_config_schema(register):
    register("remote_data", Table(doc="remote data sources: [remote_data.NAME] becomes data.NAME", open=True,
                                  values=Table({
        "url": Option(str, None, "the http(s) URL to fetch", check=_check_url),
        "format": Option(str, None, "json, yaml or csv (default: from the URL's extension)",
                         check=lambda v: None if v in FORMATS else f"must be one of {', '.join(FORMATS)}"),
        "timeout": Option(float, 10.0, "seconds one attempt may take", check=_positive),
        "retries": Option(int, 2, "further attempts after a failure",
                          check=lambda v: None if 0 <= v <= 10 else "must be 0 to 10"),
        "backoff": Option(float, 0.5, "seconds before the first retry, doubled for each next one",
                          check=lambda v: None if v >= 0 else "must be 0 or more"),
    })))


@hookimpl
def ssg_site_loaded(site: Site) -> None:
    status: dict[str, dict[str, Any]] = {}
    site.state["remote_data"] = status
    sources = sorted(site.config.table("remote_data").items())
    if sources:
        # The source may change at any moment without any file of the site
        # changing: the next build must ask again rather than find "nothing changed".
        now = site.build_time or datetime.now(UTC)
        site.changes_at(now)
    for name, options in sources:
        source = _Source(site, name, options)
        if name in site.data:
            site.errors.append(ContentError(
                f"remote_data.{name} and a file in data/ both define data.{name}", where=source.where,
                hint=f"rename the [remote_data.{name}] table or the data file"))
            continue
        try:
            site.data[name], status[name] = source.load()
        except ContentError as error:   # this source is missing; everything else still builds
            site.errors.append(error)


class _Unavailable(Exception):
    """The source did not give usable data; ``str()`` says why. ``retry``:
    whether asking again may help (not for a 404 or for garbage)."""

    def __init__(self, message: str, *, retry: bool = True):
        super().__init__(message)
        self.retry = retry


class _Source:
    def __init__(self, site: Site, name: str, options: Any):
        self.site, self.name = site, name
        self.where = _table_location(site, name)
        if not _NAME.match(name):
            raise ConfigError(f"remote_data name '{name}' is not usable as data.{name}", where=self.where,
                              hint="use letters, digits and '_', e.g. [remote_data.team_members]")
        if not options.get("url"):
            raise ConfigError(f"remote_data.{name} has no url", where=self.where,
                              hint='add url = "https://..." to the table')
        self.url: str = options["url"]
        self.shown = _redacted(self.url)
        self.format = options.get("format") or _EXTENSIONS.get(posixpath.splitext(urlsplit(self.url).path)[1].lower())
        if self.format is None:
            raise ConfigError(f"remote_data.{name}: cannot tell the format of {_redacted(self.url)} from its name",
                              where=self.where, hint=f'add format = "json" (or {", ".join(FORMATS[1:])})')
        self.timeout, self.retries, self.backoff = options["timeout"], options["retries"], options["backoff"]
        self.cache = site.state_dir / "remote-data" / f"{name}.json"

    def load(self) -> tuple[Any, dict[str, Any]]:
        """(data, status) from the source, else from the last-good copy."""
        if self.site.offline:
            cached = self._cached()
            if cached is None:
                raise ContentError(f"remote data '{self.name}' ({self.shown}): --offline and no cached copy",
                                   where=self.where, hint="build once without --offline to store a copy")
            return cached[0], {"url": self.url, "fetched": cached[1], "cached": True}
        try:
            body = self._fetch()
            data = _parse(body, self.format)
        except _Unavailable as problem:
            cached = self._cached()
            if cached is None:
                raise ContentError(f"remote data '{self.name}' ({self.shown}) is unavailable: {problem}; "
                                   "no cached copy to fall back on", where=self.where, hint=_CACHE_HINT) from None
            data, fetched = cached
            self.site.warn(f"{self.where}: remote data '{self.name}' ({self.shown}) is unavailable: {problem}; "
                           f"using the copy cached {_age(fetched)} ago ({fetched:%Y-%m-%d %H:%M} UTC)")
            return data, {"url": self.url, "fetched": fetched, "cached": True}
        fetched = datetime.now(UTC)
        self._store(body, fetched)
        return data, {"url": self.url, "fetched": fetched, "cached": False}

    def _fetch(self) -> bytes:
        """The body of a 2xx answer. Retries network errors, timeouts and
        5xx/408/429 with backoff, all within timeout × (retries + 1) seconds."""
        deadline = time.monotonic() + self.timeout * (self.retries + 1)
        attempts, delay = 0, self.backoff
        while True:
            attempts += 1
            budget = min(self.timeout, deadline - time.monotonic())
            try:
                return _fetch_once(self.url, budget, self.timeout)
            except _Unavailable as problem:
                left = deadline - time.monotonic()
                if not problem.retry or attempts > self.retries or left <= delay + 0.05:
                    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                    raise _Unavailable(f"{problem}{tries}") from None
            time.sleep(delay)
            delay *= 2

    def _cached(self) -> tuple[Any, datetime] | None:
        """The last-good copy of this URL, or None (missing, another URL, unreadable)."""
        try:
            record = json.loads(read_regular_file(self.cache).decode("utf-8"))   # a FIFO would hang the build
            if record.get("url") != self.url or record.get("format") != self.format:
                return None
            fetched = datetime.fromisoformat(record["fetched"])
            return _parse(record["body"].encode("utf-8"), self.format), fetched.replace(tzinfo=fetched.tzinfo or UTC)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, _Unavailable):
            return None

    def _store(self, body: bytes, fetched: datetime) -> None:
        record = {"url": self.url, "format": self.format, "fetched": fetched.isoformat(),
                  "body": body.decode("utf-8-sig")}
        try:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.cache, json.dumps(record, ensure_ascii=False).encode("utf-8"))
        except OSError as error:
            self.site.warn(f"{self.where}: remote data '{self.name}': cannot store the last-good copy in "
                           f"{self.cache}: {error.strerror or error}")


def _fetch_once(url: str, timeout: float, configured: float) -> bytes:
    """One request. The socket timeout bounds each read; the thread join bounds
    the whole answer, so a server trickling one byte at a time cannot hold the
    build (the abandoned thread ends at its own socket timeout or at MAX_BYTES)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["body"] = _request(url, timeout, configured)
        except BaseException as error:  # handed to the waiting thread
            outcome["error"] = error

    worker = threading.Thread(target=run, name="ssg-remote-data", daemon=True)
    worker.start()
    worker.join(max(timeout, 0.01))
    if worker.is_alive():
        raise _too_slow(configured)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["body"]


def _too_slow(configured: float) -> _Unavailable:
    """One message whichever timer fires first: the socket's (no byte for the
    timeout) or the join's (no whole answer within it); a hanging server can
    trip either, so they must read the same."""
    return _Unavailable(f"no complete answer within {configured:g} s")


def _request(url: str, timeout: float, configured: float) -> bytes:
    import urllib.error  # here, not at the top: a build without remote data never needs them (start-up time)
    import urllib.request

    parts = urlsplit(url)
    request = urllib.request.Request(urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path,
                                                 parts.query, "")),
                                     headers={"User-Agent": "ssg remote_data",
                                              "Accept": "application/json, application/yaml, text/csv, */*"})
    if parts.username is not None:   # user:password@ in the URL: HTTP basic auth, never sent on to a redirect
        login = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        request.add_unredirected_header("Authorization", "Basic " + base64.b64encode(login).decode("ascii"))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            if (response.headers.get_content_type() or "") == "text/html":
                raise _Unavailable("the server answered with an HTML page, not data", retry=False)
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        raise _Unavailable(f"HTTP {error.code} {error.reason}",
                           retry=error.code >= 500 or error.code in _RETRY_STATUS) from None
    except urllib.error.URLError as error:
        raise _Unavailable(f"cannot connect: {getattr(error.reason, 'strerror', None) or error.reason}") from None
    except TimeoutError:
        raise _too_slow(configured) from None
    except (OSError, ValueError, EOFError) as error:   # connection reset, incomplete or malformed answer
        raise _Unavailable(f"broken answer: {type(error).__name__}: {error}") from None
    if len(body) > MAX_BYTES:
        raise _Unavailable(f"the answer is larger than {MAX_BYTES // 1024 // 1024} MB", retry=False)
    return body


def _parse(body: bytes, fmt: str) -> Any:
    """Parsed data: for json and yaml a mapping or a list, for csv a list of
    rows (mappings keyed by the header). Anything else is garbage."""
    import yaml  # here, not at the top: a build without remote data never needs it (start-up time)

    try:
        text = body.decode("utf-8-sig")
        if not text.strip():
            raise _Unavailable("the answer was empty")
        if fmt == "csv":
            return _parse_csv(text)
        # The pure-Python loader: deep nesting is a RecursionError here, where
        # libyaml would overflow the C stack and kill the build.
        data = json.loads(text) if fmt == "json" else yaml.load(text, Loader=yaml.SafeLoader)
    except _Unavailable:
        raise
    except Exception as error:   # untrusted bytes: whatever a parser trips over (even its own bugs) is garbage
        problem = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise _Unavailable(f"the answer is not valid {fmt.upper()} ({problem[:200]})") from None
    if not isinstance(data, (dict, list)):
        raise _Unavailable(f"the answer is not {fmt.upper()} data (a mapping or a list), got {type(data).__name__}")
    return data


def _parse_csv(text: str) -> list[dict[str, str]]:
    import csv

    rows = list(csv.reader(io.StringIO(text, newline="")))
    header, records = rows[0], [row for row in rows[1:] if row]
    if not header or any(not column.strip() for column in header):
        raise _Unavailable("the answer is not valid CSV (its first line must name every column)")
    for number, row in enumerate(records, start=2):
        if len(row) != len(header):
            raise _Unavailable(f"the answer is not valid CSV (row {number} has {len(row)} fields, "
                               f"the header {len(header)})")
    return [dict(zip(header, row, strict=True)) for row in records]


def _redacted(url: str) -> str:
    """``url`` for messages: a password and query values (API keys) replaced by ***."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = urlencode([(key, "***") for key, _ in parse_qsl(parts.query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _age(fetched: datetime) -> str:
    seconds = max(0, int((datetime.now(UTC) - fetched).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _table_location(site: Site, name: str) -> Location:
    """ssg.toml:LINE of [remote_data.NAME] (or of the key inside [remote_data])."""
    path = site.config.path
    shown = path.name if path is not None else "ssg.toml"
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines() if path is not None else []
    except (OSError, UnicodeDecodeError):
        lines = []
    quoted = rf"(?:{re.escape(name)}|\"{re.escape(name)}\"|'{re.escape(name)}')"
    patterns = (rf"^\s*\[\s*remote_data\s*\.\s*{quoted}\s*\]", rf"^\s*(?:remote_data\s*\.\s*)?{quoted}\s*=")
    for pattern in patterns:
        for number, line in enumerate(lines, start=1):
            if re.match(pattern, line):
                return Location(shown, number)
    return Location(shown)
