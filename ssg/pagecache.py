"""Parsed pages cached by file content: a content file whose bytes did not change
since the last build is not parsed again (its ``Page``, as parsed before any
hook ran, comes back from the build state). Files that must be parsed are
parsed in parallel when there are many."""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssg.content import parse_page
from ssg.errors import ContentError, SsgError
from ssg.model import Page
from ssg.parallel import pool_map
from ssg.state import SourceRecord, stamp_of


@dataclass(frozen=True)
class ParseJob:
    path: Path
    source: str
    section: str
    slug: str
    kind: str
    folder: str = ""      # folders between the section and the file ("" for most pages)


class PageCache:
    """``records`` are the state's source rows; ``usable`` is False when the
    parser or its options changed (then every file is parsed again)."""

    def __init__(self, records: Mapping[str, SourceRecord], usable: bool, workers: int):
        self.records = records if usable else {}
        self.workers = workers
        self.updated: dict[str, SourceRecord] = {}
        self.seen: set[str] = set()
        self.parsed = 0

    def pages(self, jobs: list[ParseJob], markdown_options: Mapping[str, Any]) -> list[Page | SsgError]:
        """One Page (or the error parsing it) per job, in order."""
        self.seen.update(job.source for job in jobs)
        blobs: list[bytes | SsgError | None] = []
        todo: list[tuple[int, ParseJob, SourceRecord | None]] = []
        for job in jobs:
            record = self.records.get(job.source)
            try:
                stamp = stamp_of(os.stat(job.path))
            except OSError:
                stamp = None
            if record is not None and record.parsed is not None and record.stamp == stamp:
                blobs.append(record.parsed)
            else:
                todo.append((len(blobs), job, record))
                blobs.append(None)
        options = dict(markdown_options)
        known = [record.sha if record is not None and record.parsed is not None else None for _, _, record in todo]
        results = pool_map(_parse, [(job, options, sha) for (_, job, _), sha in zip(todo, known, strict=True)],
                           workers=self.workers if len(todo) >= 200 else 1,
                           failed=lambda item, lost: (None, "", ContentError(
                               f"the parse worker died ({lost}) while parsing this file", where=item[0].source,
                               hint="a parser crashed on it; please report it with the file")))
        for (index, job, record), (stamp, sha, blob) in zip(todo, results, strict=True):
            if blob is None:
                blob = record.parsed           # touched, not changed
            else:
                self.parsed += 1
            if isinstance(blob, bytes):
                self.updated[job.source] = SourceRecord(stamp, sha, blob)
            blobs[index] = blob
        return [pickle.loads(blob) if isinstance(blob, bytes) else blob for blob in blobs]


def _parse(item: tuple[ParseJob, dict, str | None]) -> tuple[Any, str, bytes | SsgError | None]:
    """Read, hash and (unless the hash is ``known_sha``) parse one file."""
    job, options, known_sha = item
    try:
        raw = job.path.read_bytes()
        stamp = stamp_of(os.stat(job.path))
    except OSError as error:
        return None, "", SsgError(f"cannot read {job.source}: {error.strerror or error}", where=job.source)
    sha = hashlib.sha256(raw).hexdigest()
    if sha == known_sha:
        return stamp, sha, None
    try:
        page = parse_page(raw, job.source, section=job.section, slug=job.slug, kind=job.kind,
                          markdown_options=options)
    except SsgError as error:
        return stamp, sha, error
    return stamp, sha, pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL)
