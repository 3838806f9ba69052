"""URL paths to output files, and the guarantee that every output stays inside
the output folder.

A page URL is site-relative ("/posts/hello/"); the served URL adds the base
path of ``base_url``. ``output_path`` maps a site-relative URL to a posix path
relative to the output folder, refusing anything that could escape it.
"""

from __future__ import annotations

import posixpath
import re
import unicodedata
from datetime import datetime
from functools import lru_cache

from ssg.errors import PathError

_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
_SLUG_DASH = re.compile(r"[\s_-]+")
_SLUG_ALREADY = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def name_words(name: str) -> str:
    """The words of a file or folder name: '_my-first_post' -> 'my first post'."""
    return " ".join(name.replace("-", " ").replace("_", " ").split())


def slugify(text: str, keep: str = "") -> str:
    """Lower-case, NFKC-normalised, punctuation dropped (except characters in
    ``keep``), spaces to dashes. Non-ASCII letters are kept (browsers show them
    in the address bar)."""
    if type(text) is str and _SLUG_ALREADY.fullmatch(text):   # most file names: nothing to do
        return text
    text = unicodedata.normalize("NFKC", str(text)).strip().lower()
    drop = _slug_drop(keep)
    return _SLUG_DASH.sub("-", drop.sub("", text)).strip("-")


@lru_cache(maxsize=8)
def _slug_drop(keep: str) -> re.Pattern:
    return re.compile(rf"[^\w\s{re.escape(keep)}-]", re.UNICODE)


def printable(text: str) -> str:
    """``text`` for an error message: NUL and control characters shown escaped."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def check_segment(segment: str, *, what: str) -> None:
    """Refuse one path segment that is unsafe as a file or folder name."""
    if segment in ("", ".", ".."):
        raise PathError(f"{what} contains an empty, '.' or '..' path segment")
    if "\x00" in segment or "\\" in segment or any(ord(c) < 32 for c in segment):
        raise PathError(f"{what} contains NUL, a backslash or a control character")
    if "/" in segment:
        raise PathError(f"{what} contains '/'", hint="a slug is one path segment; set url: to choose a full path")
    stem = segment.split(".")[0].lower()
    if stem in _WINDOWS_RESERVED:
        raise PathError(f"{what} uses the reserved file name '{segment}'",
                        hint="such names break checkouts and uploads on Windows hosts; choose another slug")


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_~-][A-Za-z0-9._~-]*")


MAX_NAME_BYTES = 255     # one file or folder name, on Linux, macOS and Windows file systems
_PLAIN_FOLDER_URL = re.compile(r"/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/)*")   # "/" or "/a/b.c/", plain segments


def plain_segment(segment: str) -> bool:
    """A path segment that passes ``check_segment`` at a glance (most do)."""
    return _PLAIN_SEGMENT.fullmatch(segment) is not None and segment.split(".")[0].lower() not in _WINDOWS_RESERVED


def output_path(url: str, *, what: str) -> str:
    """Map a site-relative URL path to the output file that serves it.

    "/posts/a/" -> "posts/a/index.html"; "/feed.xml" -> "feed.xml"; "/" -> "index.html".
    Raises PathError for '..', NUL, backslashes, control characters, reserved
    names, query strings or a scheme."""
    if type(url) is str and len(url) <= MAX_NAME_BYTES and _PLAIN_FOLDER_URL.fullmatch(url):   # the common case
        inner = url[1:-1]
        if not inner or all(map(plain_segment, inner.split("/"))):
            return f"{inner}/index.html" if inner else "index.html"
    if not isinstance(url, str) or not url:
        raise PathError(f"{what} is empty")
    if "://" in url or url.startswith("//") or "?" in url or "#" in url:
        raise PathError(f"{what} '{printable(url)}' must be a path such as '/posts/hello/', not a full URL",
                        hint="write the path only; base_url is added for you")
    path = url if url.startswith("/") else "/" + url
    segments = [s for s in path.split("/")]
    inner = segments[1:-1] if path.endswith("/") else segments[1:]
    for segment in inner:
        if not plain_segment(segment):
            check_segment(segment, what=f"{what} '{printable(url)}'")
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            raise PathError(f"{what} has a file or folder name of {len(segment.encode('utf-8', 'surrogatepass'))} "
                            f"bytes ('{printable(segment[:40])}...'); file systems allow at most {MAX_NAME_BYTES}",
                            hint="use a shorter slug or url")
    rel = "/".join(inner)
    if path.endswith("/"):
        rel = posixpath.join(rel, "index.html") if rel else "index.html"
    normal = posixpath.normpath(rel)
    if normal.startswith("../") or normal == ".." or normal.startswith("/"):
        raise PathError(f"{what} '{printable(url)}' would leave the output folder")
    return normal


def expand_permalink(pattern: str, *, slug: str, section: str, folder: str, filename: str,
                     date: datetime | None) -> str:
    """Fill ``:year``, ``:month``, ``:day``, ``:slug``, ``:section``, ``:path``
    (the folder under content/) and ``:filename`` into a permalink pattern."""
    values = {
        ":year": f"{date.year:04d}" if date else "",
        ":month": f"{date.month:02d}" if date else "",
        ":day": f"{date.day:02d}" if date else "",
        ":slug": slug,
        ":section": section,
        ":path": folder,
        ":filename": filename,
    }
    url = _PERMALINK_FIELD.sub(lambda m: values[m.group(0)], pattern)
    if "//" in url:
        url = _SLASHES.sub("/", url)
    return url if url.startswith("/") else "/" + url


_PERMALINK_FIELD = re.compile(r":(year|month|day|slug|section|path|filename)")
_SLASHES = re.compile(r"/{2,}")


def join_base(base_path: str, url: str) -> str:
    """'/blog/' + '/posts/a/' -> '/blog/posts/a/'."""
    return base_path.rstrip("/") + "/" + url.lstrip("/") if url.startswith("/") else url


def absolute_url(base_url: str, url: str) -> str:
    """Scheme and host of ``base_url`` + a served path: 'https://example.org/blog/a/'."""
    if "://" in url:
        return url
    scheme, rest = base_url.split("://", 1)
    return f"{scheme}://{rest.split('/', 1)[0]}{url}"


def site_url(base_path: str, path: str) -> str:
    """A site path ('/tags/') with the base path of base_url ('/blog/tags/').
    Full URLs, fragments and mailto: links pass through; a path that already
    starts with the base path is not prefixed twice."""
    if "://" in path or path.startswith(("#", "mailto:", "//", "data:", "tel:")):
        return path
    if base_path != "/" and path.startswith(base_path):
        return path
    return join_base(base_path, path if path.startswith("/") else "/" + path)
