"""Parsed pages cached by file content: a content file whose bytes did not change
since the last build is not parsed again (its ``Page``, as parsed before any
hook ran, comes back from the build state). Files that must be parsed are
parsed in parallel when there are many."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from ssg.errors import ContentError, SsgError
from ssg.graph.fingerprint import KnownText, digest
from ssg.graph.state import SourceRecord, stamp_of
from ssg.model import Page, TocEntry, held
from ssg.runtime import limits
from ssg.runtime.parallel import pool_imap
from ssg.runtime.progress import QUIET, Progress
from ssg.sources.content import parse_page
from ssg.sources.files import read_with_stat, unreadable
from ssg.sources.markdown import use_fast_lexers
from ssg.sources.shortcodes import LIBRARY
from ssg.sources.textstore import TextStore

if TYPE_CHECKING:
    from ssg.sources.shortcode_library import ShortcodeLibrary


@dataclass(frozen=True)
class ParseJob:
    path: str             # absolute
    source: str
    section: str
    slug: str
    kind: str
    folder: str = ""      # folders between the section and the file ("" for most pages)


class PageCache:
    """``records`` are the state's source rows; ``usable`` is False when the
    parser or its options changed (then every file is parsed again)."""

    def __init__(self, records: Mapping[str, SourceRecord], usable: bool, workers: int, parser: str = "",
                 seconds: float = 0.0):
        self.records = records if usable else {}
        self.seconds = seconds                # the limit on one file's parse (0: none)
        self.previous = records              # the last good parses, by whatever parser: for files that fail now
        self.workers = workers
        self.parser = parser                  # fingerprint of the parser and its options
        self.updated: dict[str, SourceRecord] = {}
        # where each new parse's row goes (the state stages them as they come: BuildState.stage_sources)
        self.keep: Callable[[str, SourceRecord], None] = self.updated.__setitem__
        self.seen: set[str] = set()
        self.parsed = 0
        self.known: dict[str, KnownText] = {}  # source -> the long fields as parsed, with their digest
        self.jobs: dict[str, ParseJob] = {}    # source -> its job, for every file asked for
        self.shas: dict[str, str] = {}         # source -> sha256 of its bytes as parsed
        self.stale: list[SsgError] = []        # errors of files given as their last good parse instead
        self.progress: Progress = QUIET        # told of each page as it is handed on
        self.store: TextStore | None = None    # where each page's markdown source is kept, if not in memory
        self.options: Mapping[str, Any] | None = None   # what files are parsed with (Build.parse_options); None:
        # the site's [markdown] options, no shortcodes

    def pages(self, jobs: list[ParseJob], markdown_options: Mapping[str, Any]) -> Iterator[Page | SsgError]:
        """One Page (or the error parsing it) per job, in order, each given as
        soon as it is parsed: the caller places pages while the workers parse."""
        self.seen.update(job.source for job in jobs)
        cached: list[SourceRecord | None] = []     # per job: its parse cache row, if the file is as cached
        todo: list[tuple[ParseJob, dict, str | None]] = []   # the rest, with the sha of a cached parse if any
        options = dict(markdown_options)
        library = options.get(LIBRARY)
        for job in jobs:
            record = self.records.get(job.source)
            parsed = record is not None and record.parsed is not None
            made_anew = parsed and library is not None and not _fresh(record.parsed, library)
            cached.append(record if parsed and not made_anew and record.stamp == _stamp(job.path) else None)
            if cached[-1] is None:
                todo.append((job, options, record.sha if parsed and not made_anew else None))
        seconds = self.seconds
        results = pool_imap(partial(parse_file, seconds=seconds), todo,
                            workers=self.workers if len(todo) >= 200 else 1, initializer=use_fast_lexers,
                            item_timeout=seconds + limits.WATCHDOG_GRACE if seconds else None,
                            failed=lambda item, lost: (None, "", parse_too_long(item[0].source, seconds, stopped=True)
                                                       if lost.stalled else ContentError(
                                f"the parse worker died ({lost}) while parsing this file", where=item[0].source,
                                hint="a parser crashed on it; please report it with the file")))
        progress = self.progress
        progress.stage("parse", len(jobs))
        for job, record in zip(jobs, cached, strict=True):
            progress.advance()
            if record is not None:
                blob, sha = record.parsed, record.sha
            else:
                stamp, sha, blob = next(results)
                if blob is None:        # touched, not changed: the cached parse stands
                    blob = self.records[job.source].parsed
                else:
                    self.parsed += 1
                if isinstance(blob, bytes):
                    self.keep(job.source, SourceRecord(stamp, sha, blob))
            self.jobs[job.source], self.shas[job.source] = job, sha
            if isinstance(blob, SsgError):
                blob, sha = self._last_good(job, blob)
            page = decode(blob) if isinstance(blob, bytes) else blob
            if isinstance(page, Page):
                if self.store is not None:
                    page.body = self.store.keep(held(page, "body"))
                self.known[job.source] = parsed_text(page, job, sha, self.parser)
            yield page


    def _last_good(self, job: ParseJob, error: SsgError) -> tuple[bytes | SsgError, str]:
        """A file that fails to read or parse: its page as the last build
        parsed it, when there is one (the error is kept in ``stale``, for the
        build to report): its output and the lists it is on stay as they were
        published, rather than being deleted by this build."""
        record = self.previous.get(job.source)
        if record is None or record.parsed is None:
            return error, ""
        try:
            decode(record.parsed)     # made by another version of the parser, it may not decode
        except Exception:
            return error, ""
        hint = f"{error.hint}; " if error.hint else ""
        self.stale.append(type(error)(error.message, where=error.where,
                                      hint=f"{hint}until then its last good version stays published"))
        self.shas[job.source] = record.sha
        return record.parsed, record.sha


def _fresh(blob: bytes, library: ShortcodeLibrary) -> bool:
    """Whether a cached parse's shortcode templates and included files are
    as they were (only a body holding '{{' can have called one). The page
    decoded here is let go, and decoded again when its turn comes: keeping
    every such page until then would hold their texts at once (what the
    text store keeps out of memory)."""
    return b"{{" not in blob or library.fresh(decode(blob).made_with)


def _stamp(path: str) -> tuple[int, ...] | None:
    try:
        return stamp_of(os.stat(path))
    except OSError:
        return None


def parsed_text(page: Page, job: ParseJob, sha: str, parser: str) -> KnownText:
    """A page's long fields as parsed, with the digest of what made them: the
    parser, the file's bytes, where the file sits (``ParseJob``) and what its
    shortcodes were made with."""
    return KnownText(page.content, page.summary, held(page, "body"), page.toc, digest(
        f"{parser}\0{sha}\0{job.source}\0{job.section}\0{job.slug}\0{job.kind}\0{page.made_with!r}"))


def parse_file(item: tuple[ParseJob, dict, str | None], *, seconds: float,
               before: bytes | None = None) -> tuple[Any, str, bytes | SsgError | None]:
    """Read, hash and (unless the hash is ``known_sha``) parse one file, in
    at most ``seconds`` (0: no limit): a parse that runs longer is that
    file's error; one that does not stop when told to ends the build
    process (``limits.bounded``; in a pool's worker, the pool stops it).
    ``before``: this file's parse (``encode``) with the same options, when
    one is at hand: a body it shares is not rendered again."""
    job, options, known_sha = item
    try:
        raw, status = read_with_stat(job.path)
    except OSError as error:
        return None, "", unreadable(error, job.source)
    stamp = stamp_of(status)
    sha = hashlib.sha256(raw).hexdigest()
    if sha == known_sha:
        return stamp, sha, None
    bound = limits.bounded(seconds, lambda frames: parse_too_long(job.source, seconds, ended=True))
    try:
        with bound as timer:
            page = parse_page(raw, job.source, section=job.section, slug=job.slug, kind=job.kind,
                              markdown_options=options, before=None if before is None else decode(before))
    except SsgError as error:
        return stamp, sha, error
    except limits.Timeout as error:
        if not timer.expired(error):
            raise
        return stamp, sha, parse_too_long(job.source, seconds)
    return stamp, sha, encode(page)


def parse_too_long(source: str, seconds: float, *, ended: bool = False, stopped: bool = False) -> ContentError:
    """The error of a file whose parse ran past its limit; ``ended``: it did
    not stop when told to and the watchdog ends the build process;
    ``stopped``: the pool stopped the parse worker standing still on it."""
    then = ("; it did not stop when told to, so the build process was ended (exit 1) and nothing of this "
            "build was committed" if ended else "; its parse worker was stopped" if stopped else "")
    return ContentError(f"parsing this file took longer than {seconds:g} s{then}", where=source,
                        hint="the Markdown parser or a code block's highlighter loops on it (split the page, or "
                             "mark the block as plain text); if the page is only slow, raise [build] page_timeout "
                             "or pass --page-timeout")


# A parsed page is stored as a tuple of its field values, with its HTML as
# plain text and its table of contents as tuples: half the time of
# unpickling the objects themselves, for the ten thousand unchanged pages
# every build reloads. FORMAT is part of the parser fingerprint.
FORMAT = "4"
_FIELDS = tuple(field.name for field in dataclasses.fields(Page))
_CONTENT, _SUMMARY, _TOC = (_FIELDS.index(name) for name in ("content", "summary", "toc"))


def encode(page: Page) -> bytes:
    values = [getattr(page, name) for name in _FIELDS]
    values[_TOC] = tuple(map(tuple, page.toc))
    marked = (type(page.content) is Markup, type(page.summary) is Markup)
    values[_CONTENT], values[_SUMMARY] = str(page.content), str(page.summary)
    return pickle.dumps((values, marked), protocol=pickle.HIGHEST_PROTOCOL)


def decode(blob: bytes) -> Page:
    values, (content_marked, summary_marked) = pickle.loads(blob)   # noqa: S301 (ssg's own state)
    if content_marked:
        values[_CONTENT] = Markup(values[_CONTENT])
    if summary_marked:
        values[_SUMMARY] = Markup(values[_SUMMARY])
    intern = sys.intern
    values[_TOC] = tuple(TocEntry(level, _one(anchor), _one(title)) for level, anchor, title in values[_TOC])
    values[_SECTION], values[_KIND] = intern(values[_SECTION]), intern(values[_KIND])
    title = values[_TITLE]    # the front matter's very title (one object): left alone, not copied
    values[_PARAMS] = {_one(name): value if value is title else _one_each(value)    # a YAML key may be a number
                       for name, value in values[_PARAMS].items()}
    page = Page.__new__(Page)
    page.__dict__.update(zip(_FIELDS, values, strict=True))
    return page


# Each page's row is unpickled on its own, so the short texts that most pages
# repeat (front matter names, section, kind, tags, heading ids) would be a copy each:
# at 100,000 posts, 50 MB. One copy of each is kept instead (sys.intern's
# strings go when no page holds them).
_SHORT = 64
_SECTION, _KIND, _PARAMS, _TITLE = (_FIELDS.index(name) for name in ("section", "kind", "params", "title"))


def _one(text: Any) -> Any:
    return sys.intern(text) if type(text) is str and len(text) <= _SHORT else text


def _one_each(value: Any) -> Any:
    """A front matter value with its short texts shared: a text, or a list of texts (tags)."""
    if type(value) is list and all(type(item) is str for item in value):
        return list(map(_one, value))
    return _one(value)
