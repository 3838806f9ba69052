"""What is where: the local output's hashes and the target's manifest.

``local_manifest`` is the one place that hashes the output folder; it takes
the hashes the last build recorded (``build_state_hashes``) for files whose
size and mtime are still what the build wrote.
The remote manifest (``.ssg-deploy/manifest.json``) is written last by every
deploy; journal segments (``.ssg-deploy/journal/``) record uploads since then,
so an interrupted deploy is completed by the next one without re-uploading."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ssg.deploy.target import STATE_DIR, DeployError, Target
from ssg.errors import UsageError
from ssg.state import output_hashes

MANIFEST = f"{STATE_DIR}/manifest.json"
JOURNAL_DIR = f"{STATE_DIR}/journal"
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
                   known: dict[str, tuple[str, int, int]] | None = None) -> Manifest:
    """sha256 and size of every file under the output folder (POSIX paths); a file
    whose size and mtime match ``known`` (the build's record of what it wrote)
    is not read again. A missing or empty output folder is refused: publishing
    it would wipe the site."""
    if not output_root.is_dir():
        raise UsageError(f"output folder '{output_root}' does not exist", hint="run `ssg build` first")
    result: Manifest = {}
    for folder, dirs, files in os.walk(output_root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            rel = path.relative_to(output_root).as_posix()
            if excluded(rel, exclude):
                continue
            stat = path.stat()
            record = (known or {}).get(rel)
            if record is not None and record[1:] == (stat.st_size, stat.st_mtime_ns):
                result[rel] = Entry(record[0], stat.st_size)
                continue
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            result[rel] = Entry(digest.hexdigest(), stat.st_size)
    if not result:
        raise UsageError(f"output folder '{output_root}' holds no files to publish",
                         hint="run `ssg build` first; an empty folder is never deployed, it would delete the site")
    return result


def encode(files: Manifest, **extra: object) -> bytes:
    body = {"format": FORMAT, **extra, "files": {p: [e.sha256, e.size] for p, e in sorted(files.items())}}
    return json.dumps(body, indent=0, sort_keys=False).encode()


def decode(data: bytes, what: str) -> dict:
    try:
        body = json.loads(data)
        files = {p: Entry(str(v[0]), int(v[1])) for p, v in body.get("files", {}).items()}
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise DeployError(f"the target's {what} is unreadable", hint="delete it on the server to upload "
                          "everything again, or run with --verify") from None
    return {**body, "files": files}


@dataclass
class RemoteState:
    """What the target holds as far as ssg knows: the committed manifest plus
    uploads journaled by deploys that did not finish."""

    manifest: Manifest = field(default_factory=dict)
    files: Manifest = field(default_factory=dict)         # manifest + journaled uploads
    last_deploy: dict = field(default_factory=dict)
    journal_segments: list[str] = field(default_factory=list)
    leftover_temps: list[str] = field(default_factory=list)


def read_state(target: Target) -> RemoteState:
    state = RemoteState()
    data = target.read(MANIFEST)
    if data is not None:
        body = decode(data, MANIFEST)
        state.manifest = body.pop("files")
        state.last_deploy = body
    state.files = dict(state.manifest)
    segments = sorted(target.list_folder(JOURNAL_DIR))
    for name in segments:
        data = target.read(f"{JOURNAL_DIR}/{name}")
        if data is None:
            continue
        body = decode(data, f"{JOURNAL_DIR}/{name}")
        state.files.update(body["files"])
        state.leftover_temps.extend(str(t) for t in body.get("pending", []))
    state.journal_segments = [f"{JOURNAL_DIR}/{name}" for name in segments]
    return state
