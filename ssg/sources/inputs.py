"""Everything a build reads from the site folder, summed up in one fingerprint
from file stats alone: when it equals the last build's (and the output folder
is as ssg left it), nothing needs to be loaded, parsed or rendered."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from stat import S_ISDIR, S_ISREG

from ssg.graph.fingerprint import MISSING, digest
from ssg.graph.state import SourceRecord, stamp_of
from ssg.sources.files import kind_of, read_bytes

INPUT_FOLDERS = ("content", "templates", "static", "data", "plugins")


def is_ignored(name: str) -> bool:
    """Hidden files, editor backups, swap and lock files never count as site files."""
    return name.startswith((".", "#")) or name.endswith(("~", ".swp", ".swx", ".bck", ".tmp")) or name == "4913"


class Inputs:
    """The listing behind the input fingerprint: one 'LABEL/REL STAMP' line per
    input file, sorted, and the config file's stamp. A warm process updates
    the lines of the files it was told changed instead of scanning again
    (ssg/build/sources/kept.py); the order of lines does not depend on the stamps."""

    def __init__(self, lines: list[str], config: str, irregular: list[tuple[str, str]] | None = None):
        self.lines, self.config = lines, config
        self.irregular = irregular or []    # (path, what it is) of input files that are not regular files
        self._index: dict[str, int] | None = None

    @classmethod
    def scan(cls, site_root: Path, theme: Path, config_path: Path | None) -> Inputs:
        listing: list[str] = []
        irregular: list[tuple[str, str]] = []
        for label, folder in [*((name, f"{site_root}/{name}") for name in INPUT_FOLDERS), ("theme", str(theme))]:
            _scan(folder, label, listing, irregular)
        listing.sort()
        config = f"config {stamp_of(os.stat(config_path))}" if config_path is not None else ""
        return cls(listing, config, sorted(irregular))

    def fingerprint(self) -> str:
        return digest("\n".join([*self.lines, self.config] if self.config else self.lines))

    def text(self) -> str:
        """The listing as stored with the state (a later build compares its own
        with it); a file name that is not UTF-8 is stored with backslash escapes."""
        return storable("\n".join([*self.lines, self.config]))

    def changed_since(self, text: str) -> set[str] | None:
        """The files whose stamp differs from the listing ``text`` (a ``text()``
        of before); None when files were added or removed, or the config file
        changed."""
        before = text.split("\n")
        if len(before) != len(self.lines) + 1 or before[-1] != self.config:
            return None
        changed = set()
        for old, new in zip(before, self.lines, strict=False):
            if old != new and old != storable(new):
                name = new.rpartition(" (")[0]
                if old.rpartition(" (")[0] != name:
                    return None
                changed.add(name)
        return changed

    def names(self) -> list[str]:
        """The listed files ('content/posts/a.md', 'theme/templates/base.html')."""
        return [line.rpartition(" (")[0] for line in self.lines]

    def listed(self, name: str) -> bool:
        """Whether ``name`` ('content/posts/a.md') is a listed file."""
        if self._index is None:
            self._index = {line.rpartition(" (")[0]: at for at, line in enumerate(self.lines)}
        return name in self._index

    def update(self, name: str, stamp: tuple[int, ...]) -> None:
        """Give the listed file ``name`` its new stamp."""
        if not self.listed(name):
            raise KeyError(name)
        assert self._index is not None
        self.lines[self._index[name]] = f"{name} {stamp}"


def storable(text: str) -> str:
    """``text`` as valid UTF-8 (names the file system gave as undecodable bytes, escaped)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text


def _scan(folder: str, label: str, listing: list[str], irregular: list[tuple[str, str]]) -> None:
    """Appends 'LABEL/REL STAMP' for every file under ``folder`` (the caller
    sorts), and to ``irregular`` the files that are not regular files nor
    symlinks to folders (FIFOs, sockets, devices: never read). A folder or a
    file that cannot be listed or stat'ed (no permission, a symlink loop) is
    left out here: reading it reports why."""
    try:
        entries = os.scandir(folder)
    except OSError:
        return
    with entries:
        for entry in entries:
            name = entry.name
            if is_ignored(name):
                continue
            if entry.is_dir(follow_symlinks=False):
                _scan(entry.path, f"{label}/{name}", listing, irregular)
                continue
            try:
                stat = entry.stat()
            except FileNotFoundError:
                if not entry.is_symlink():
                    continue          # deleted since it was listed
                listing.append(f"{label}/{name} (unreadable)")
                continue
            except OSError:           # a symlink loop, no permission: listed, so that it is read and reported
                listing.append(f"{label}/{name} (unreadable)")
                continue
            if not S_ISREG(stat.st_mode) and not S_ISDIR(stat.st_mode):
                irregular.append((entry.path, kind_of(stat.st_mode) or ""))
            listing.append(stamped_line(f"{label}/{name}", stat))


def input_path(name: str, root: Path, theme: Path) -> str:
    """The file a listed name ('content/a.md', 'theme/templates/x.html') stands for."""
    label, _, rest = name.partition("/")
    return f"{theme}/{rest}" if label == "theme" else f"{root}/{name}"


def stamped_line(name: str, stat: os.stat_result) -> str:
    """The listing's line of the file ``name`` of stat ``stat``: stamp_of's
    tuple, written out (its repr costs a tenth of a build where nothing changed)."""
    return f"{name} ({stat.st_mtime_ns}, {stat.st_ctime_ns}, {stat.st_size}, {stat.st_ino})"


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
            sha = hashlib.sha256(read_bytes(path)).hexdigest()
        except OSError:
            return MISSING
        self.updated[path] = SourceRecord(stamp, sha)
        return sha
