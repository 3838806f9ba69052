"""What is where: the local output's hashes and the target's manifest.

``local_manifest`` is the one place that hashes the output folder; it takes
the hashes the last build recorded (``build_state_hashes``) for files whose
size and mtime are still what the build wrote, and the last deploy's record
(hashcache.py) for the others.
The target's manifest is written last by every deploy that changes
anything, in shards (shards.py); journal.py reads it together with the
journal of an interrupted deploy. ``encode`` and ``decode`` are the JSON
both are written in."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ssg.deploy.hashcache import HashRecord, stamp
from ssg.deploy.target import STATE_DIR, DeployError
from ssg.errors import UsageError
from ssg.graph.state import output_hashes

FORMAT = 1


@dataclass(frozen=True)
class Entry:
    sha256: str
    size: int


Manifest = dict[str, Entry]


def excluded(path: str, globs: list[str] | tuple[str, ...]) -> bool:
    return path == STATE_DIR or path.startswith(STATE_DIR + "/") or any(fnmatch.fnmatch(path, g) for g in globs)


def build_state_hashes(site_root: Path, output_root: Path) -> dict[str, tuple[str, int, int]]:
    """(sha256, size, mtime_ns) per output path as the last build wrote it."""
    return output_hashes(site_root / ".ssg", output_root)


def local_manifest(output_root: Path, exclude: list[str] | tuple[str, ...] = (),
                   known: dict[str, tuple[str, int, int]] | None = None,
                   record: HashRecord | None = None) -> Manifest:
    """sha256 and size of every file under the output folder (POSIX paths); a file
    whose size and mtime match ``known`` (the build's record of what it wrote),
    or whose stamp matches ``record`` (the last deploy's, hashcache.py), is not
    read again. A missing or empty output folder is refused: publishing it
    would wipe the site."""
    if not output_root.is_dir():
        raise UsageError(f"output folder '{output_root}' does not exist", hint="run `ssg build` first")
    known = known or {}
    result: Manifest = {}
    for rel, path in _files(str(output_root)):
        if excluded(rel, exclude):
            continue
        stat = os.stat(path)
        built = known.get(rel)
        if built is not None and built[1:] == (stat.st_size, stat.st_mtime_ns):
            result[rel] = Entry(built[0], stat.st_size)
            continue
        seen = stamp(stat)
        sha = record.lookup(rel, seen) if record is not None else None
        if sha is None:
            sha = _sha256(path, stat.st_size)
            if record is not None:
                record.note(rel, sha, seen)
        result[rel] = Entry(sha, stat.st_size)
    if not result:
        raise UsageError(f"output folder '{output_root}' holds no files to publish",
                         hint="run `ssg build` first; an empty folder is never deployed, it would delete the site")
    return result


def _files(root: str) -> list[tuple[str, str]]:
    """(POSIX path relative to ``root``, path) of every file under it, sorted; as
    os.walk, folders reached through a symbolic link are not entered."""
    found: list[tuple[str, str]] = []
    pending = [("", root)]
    while pending:
        prefix, folder = pending.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.is_dir():
                    found.append((prefix + entry.name, entry.path))
                elif not entry.is_symlink():
                    pending.append((f"{prefix}{entry.name}/", entry.path))
    found.sort()
    return found


def _sha256(path: str, size: int) -> str:
    with open(path, "rb") as handle:
        if size <= 1 << 22:
            return hashlib.sha256(handle.read()).hexdigest()
        digest = hashlib.sha256()
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
        return digest.hexdigest()


def encode(files: Manifest, **extra: object) -> bytes:
    body = {"format": FORMAT, **extra, "files": {p: [e.sha256, e.size] for p, e in sorted(files.items())}}
    return json.dumps(body, indent=0, sort_keys=False).encode()


def decode(data: bytes, what: str) -> dict:
    """A manifest or journal segment as the target holds it. It is input like
    any other (anyone with write access to the server can change it): what is
    not the shape ssg writes is unreadable; its paths are checked where they
    are used (journal.set_aside_unsafe)."""
    try:
        body = json.loads(data)
        files = {str(p): Entry(str(v[0]), int(v[1])) for p, v in body.get("files", {}).items()}
        if type(body.get("token", 0)) is not int:
            raise TypeError("token")
        for key in ("touching", "pending"):
            listed = body.get(key, [])
            if type(listed) is not list or not all(type(p) is str for p in listed):
                raise TypeError(key)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise DeployError(f"the target's {what} is unreadable", hint="delete it on the server to upload "
                          "everything again, or run with --verify") from None
    return {**body, "files": files}
