"""Everything a build reads from the site folder, summed up in one fingerprint
from file stats alone: when it equals the last build's (and the output folder
is as ssg left it), nothing needs to be loaded, parsed or rendered."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ssg.fingerprint import MISSING, digest
from ssg.state import SourceRecord, stamp_of

INPUT_FOLDERS = ("content", "templates", "static", "data", "plugins")


def is_ignored(name: str) -> bool:
    """Hidden files, editor backups, swap and lock files never count as site files."""
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".bck", ".tmp")) or name == "4913"


def input_fingerprint(site_root: Path, theme: Path, config_path: Path | None) -> str:
    listing: list[str] = []
    for label, folder in [*((name, f"{site_root}/{name}") for name in INPUT_FOLDERS), ("theme", str(theme))]:
        _scan(folder, label, listing)
    listing.sort()
    if config_path is not None:
        listing.append(f"config {stamp_of(os.stat(config_path))}")
    return digest("\n".join(listing))


def _scan(folder: str, label: str, listing: list[str]) -> None:
    """Appends 'LABEL/REL STAMP' for every file under ``folder`` (the caller sorts)."""
    try:
        entries = os.scandir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    with entries:
        for entry in entries:
            name = entry.name
            if is_ignored(name):
                continue
            if entry.is_dir(follow_symlinks=False):
                _scan(entry.path, f"{label}/{name}", listing)
                continue
            try:
                listing.append(f"{label}/{name} {stamp_of(entry.stat())}")
            except FileNotFoundError:
                continue


class FileDigests:
    """sha256 of input files by absolute path, read only when the file's stat
    changed since the last build (rows of the state's ``sources`` table)."""

    def __init__(self, records: dict[str, SourceRecord]):
        self.records = records
        self.updated: dict[str, SourceRecord] = {}
        self.used: set[str] = set()

    def __call__(self, path: str) -> str:
        self.used.add(path)
        try:
            stamp = stamp_of(os.stat(path))
        except OSError:
            return MISSING
        record = self.updated.get(path) or self.records.get(path)
        if record is not None and record.stamp == stamp:
            return record.sha
        try:
            sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError:
            return MISSING
        self.updated[path] = SourceRecord(stamp, sha)
        return sha
