"""The dev server's HTTP side: files of the output folder, with the live-reload
script injected into HTML responses (never into the files), conditional GETs,
the site's 404 page, and no path that leaves the output folder."""

from __future__ import annotations

import errno
import hashlib
import mimetypes
import os
import queue
import socket
import sys
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from ssg.errors import UsageError
from ssg.serve.events import Broker

RESERVED = "/_ssg/"                      # never mapped to the output folder
EVENTS_PATH = "/_ssg/events"
SCRIPT_PATH = "/_ssg/livereload.js"
SCRIPT_TAG = f'<script src="{SCRIPT_PATH}"></script>'.encode()
KEEPALIVE_SECONDS = 15.0

TYPES = {   # the common ones fixed here, not left to the machine's /etc/mime.types
    ".html": "text/html", ".htm": "text/html", ".css": "text/css", ".js": "text/javascript",
    ".mjs": "text/javascript", ".json": "application/json", ".xml": "application/xml", ".txt": "text/plain",
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif", ".ico": "image/x-icon",
    ".woff": "font/woff", ".woff2": "font/woff2", ".wasm": "application/wasm", ".map": "application/json",
    ".pdf": "application/pdf", ".webmanifest": "application/manifest+json",
}
TEXTUAL = ("application/json", "application/xml", "image/svg+xml", "application/manifest+json",
           "application/atom+xml", "application/rss+xml")


@dataclass(frozen=True)
class Mount:
    """What is served: the output folder (None before a first successful
    build) at the site's base path. Replaced whole by the main thread."""

    root: Path | None
    base_path: str = "/"


@dataclass(frozen=True)
class Resolved:
    status: int                  # 200, 301 (redirect to ``location``), 400, 404
    file: Path | None = None
    location: str | None = None


def content_type(path: Path | str) -> str:
    suffix = os.path.splitext(str(path))[1].lower()
    kind = TYPES.get(suffix) or mimetypes.guess_type(str(path))[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith("text/") or kind in TEXTUAL else kind


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve(raw_path: str, query: str, mount: Mount) -> Resolved:
    """Which file a request path names. Encoded slashes, backslashes, NUL,
    dot segments and temporary files are refused; the file's real path (links
    followed) must lie inside the output folder."""
    lowered = raw_path.lower()
    if "\\" in raw_path or "\x00" in raw_path or any(code in lowered for code in ("%2f", "%5c", "%00")):
        return Resolved(400)
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return Resolved(400)
    if not path.startswith("/") or any(ord(c) < 32 for c in path):
        return Resolved(400)
    base = mount.base_path
    if not path.startswith(base):
        return Resolved(301, location=base) if path in ("/", base.rstrip("/")) else Resolved(404)
    segments = path[len(base):].split("/")
    if any(s in (".", "..") for s in segments):
        return Resolved(400)
    if any(s.startswith(".ssgtmp-") for s in segments) or mount.root is None:
        return Resolved(404)
    root = os.path.realpath(mount.root)
    target = os.path.realpath(os.path.join(root, *segments))
    if not _inside(target, root):
        return Resolved(404)
    if os.path.isdir(target):
        if not path.endswith("/"):
            return Resolved(301, location=quote(path + "/") + (f"?{query}" if query else ""))
        target = os.path.realpath(os.path.join(target, "index.html"))
        if not _inside(target, root):
            return Resolved(404)
    elif path.endswith("/"):
        return Resolved(404)
    return Resolved(200, file=Path(target)) if os.path.isfile(target) else Resolved(404)


def inject(body: bytes) -> bytes:
    """The live-reload script before the last ``</body>``, or at the end."""
    at = body.lower().rfind(b"</body>")
    return body + SCRIPT_TAG if at < 0 else body[:at] + SCRIPT_TAG + body[at:]


def not_modified(headers, etag: str, mtime: float) -> bool:
    """If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
    match = headers.get("If-None-Match")
    if match is not None:
        tags = [t.strip().removeprefix("W/") for t in match.split(",")]
        return "*" in tags or etag in tags
    since = headers.get("If-Modified-Since")
    if since:
        try:
            return int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
    return False


def _script() -> bytes:
    return resources.files("ssg.serve").joinpath("livereload.js").read_bytes()


class Handler(BaseHTTPRequestHandler):
    server: DevServer
    protocol_version = "HTTP/1.1"

    def version_string(self) -> str:
        return "ssg-serve"

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def log_message(self, format: str, *args) -> None:
        if self.server.verbose:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")

    def _answer(self, head: bool) -> None:
        split = urlsplit(self.path)
        if split.path == EVENTS_PATH and not head:
            return self._events()
        if split.path == SCRIPT_PATH:
            script = self.server.script
            etag = f'"{hashlib.sha256(script).hexdigest()[:16]}"'
            if self.headers.get("If-None-Match") == etag:
                return self._status_only(304, {"ETag": etag})
            return self._send(200, script, content_type(SCRIPT_PATH), {"ETag": etag}, head)
        if split.path.startswith(RESERVED):
            return self._not_found(head)
        mount = self.server.mount
        found = resolve(split.path, split.query, mount)
        if found.status == 301:
            return self._status_only(301, {"Location": found.location, "Content-Length": "0"})
        if found.status == 400:
            return self.send_error(400, "Bad request path")
        if found.status == 404 or found.file is None:
            return self._not_found(head)
        try:
            handle = open(found.file, "rb")
        except OSError:
            return self._not_found(head)
        with handle:
            stat = os.fstat(handle.fileno())
            kind = content_type(found.file)
            html = kind.startswith("text/html")
            etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}{"-lr" if html else ""}"'
            headers = {"ETag": etag, "Last-Modified": formatdate(stat.st_mtime, usegmt=True)}
            if not_modified(self.headers, etag, stat.st_mtime):
                return self._status_only(304, headers)
            if html:
                return self._send(200, inject(handle.read()), kind, headers, head)
            self._start(200, kind, stat.st_size, headers)
            if not head:
                while chunk := handle.read(1 << 16):
                    self.wfile.write(chunk)

    def _not_found(self, head: bool) -> None:
        root = self.server.mount.root
        body = None
        if root is not None:
            page = resolve(self.server.mount.base_path + "404.html", "", self.server.mount)
            if page.file is not None:
                try:
                    body = page.file.read_bytes()
                except OSError:
                    pass
        if body is None:
            body = (b"<!doctype html><meta charset=utf-8><title>Not found</title>"
                    b"<h1>Not found</h1><p>No file at this address in the output folder.</p>")
        self._send(404, inject(body), "text/html; charset=utf-8", {}, head)

    def _start(self, status: int, kind: str, length: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-cache")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str], head: bool) -> None:
        self._start(status, kind, len(body), headers)
        if not head:
            self.wfile.write(body)

    def _status_only(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Cache-Control", "no-cache")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _events(self) -> None:
        inbox = self.server.broker.subscribe()
        self.close_connection = True
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"retry: 500\n\n")
            while True:
                try:
                    message = inbox.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    message = b": keep-alive\n\n"
                if message is None:
                    return
                self.wfile.write(message)
        except OSError:
            pass   # the page went away
        finally:
            self.server.broker.unsubscribe(inbox)


class DevServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], broker: Broker, *, verbose: bool = False):
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.broker = broker
        self.mount = Mount(None)
        self.verbose = verbose
        self.script = _script()
        super().__init__(address, Handler)

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def bind(host: str, port: int | None, broker: Broker, *, verbose: bool = False,
         on_busy=None, default_port: int = 8000, tries: int = 20) -> DevServer:
    """A server bound to ``host``:``port``. An explicit port that is taken is an
    error; without one, the next of ``tries`` ports from ``default_port`` that
    is free is taken and ``on_busy(taken, chosen)`` told."""
    ports = [port] if port is not None else list(range(default_port, default_port + tries))
    for candidate in ports:
        try:
            server = DevServer((host, candidate), broker, verbose=verbose)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise UsageError(f"cannot listen on {host}:{candidate}: {error.strerror}",
                                 hint="check --host") from None
            continue
        if candidate != ports[0] and on_busy is not None:
            on_busy(ports[0], server.server_address[1])
        return server
    if port is not None:
        raise UsageError(f"port {port} on {host} is in use",
                         hint="pass another --port, or --port 0 for any free port")
    raise UsageError(f"ports {ports[0]}-{ports[-1]} on {host} are all in use", hint="pass a free --port")
