"""The deploy's own record of the output's hashes (``.ssg/deploy-hashes.json``
in the site folder), so a deploy reads again only the output files that
changed since the last deploy from this site folder, also when the output was
not written by ``ssg build`` here (a copy from CI, another generator, a
rebuild without the build state).

An entry is trusted only while the file's size, mtime, ctime and inode are
the ones recorded, as git trusts its index: every write to a file (and every
rename over it) sets its ctime to the current time, which no program can set
back, so a copy that restores the old mtime (``cp -p``, ``rsync -t``, a
reproducible build's fixed mtimes) is hashed again. A file whose ctime is less
than ``RACY_NS`` before the record is written is left out of it (it could
still change within the same clock tick unseen) and is hashed next time.

The record is local input: a file that cannot be read or is not of the
shape written here counts as no record (everything is hashed)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from ssg.build.write import atomic_write

RECORD = "deploy-hashes.json"
FORMAT = 1
RACY_NS = 2_000_000_000

Stamp = tuple[int, int, int, int]           # size, mtime_ns, ctime_ns, inode


def stamp(stat: os.stat_result) -> Stamp:
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino


class HashRecord:
    """sha256 per output path, keyed by the file's stamp; ``save`` writes it
    back (atomically, best effort) when a lookup missed or a path went away."""

    def __init__(self, state_folder: Path | None, output_root: Path):
        self.path = state_folder / RECORD if state_folder is not None else None
        self.output_root = str(output_root)
        self.entries: dict[str, tuple[str, Stamp]] = self._load()
        self.seen: dict[str, tuple[str, Stamp]] = {}
        self.changed = False

    def _load(self) -> dict[str, tuple[str, Stamp]]:
        if self.path is None:
            return {}
        try:
            body = json.loads(self.path.read_bytes())
            if body.get("format") != FORMAT or body.get("output_root") != self.output_root:
                return {}
            entries = {}
            for rel, (sha, *numbers) in body["files"].items():
                if type(sha) is not str or len(numbers) != 4 or not all(type(n) is int for n in numbers):
                    return {}
                entries[rel] = (sha, tuple(numbers))
            return entries
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}

    def lookup(self, rel: str, seen: Stamp) -> str | None:
        """The recorded sha256 of ``rel`` if its stamp is still ``seen``."""
        entry = self.entries.get(rel)
        if entry is None or entry[1] != seen:
            self.changed = True
            return None
        self.seen[rel] = entry
        return entry[0]

    def note(self, rel: str, sha256: str, seen: Stamp) -> None:
        self.seen[rel] = (sha256, seen)

    def save(self) -> None:
        if self.path is None or not (self.changed or self.seen.keys() != self.entries.keys()):
            return
        settled = time.time_ns() - RACY_NS
        files = {rel: [sha, *numbers] for rel, (sha, numbers) in sorted(self.seen.items()) if numbers[2] < settled}
        try:
            self.path.parent.mkdir(exist_ok=True)
            atomic_write(self.path, json.dumps({"format": FORMAT, "output_root": self.output_root, "files": files},
                                               separators=(",", ":")).encode())
        except OSError:          # a read-only site folder: the next deploy hashes everything again
            pass
