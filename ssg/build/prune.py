"""Removing what a build no longer produces: only files ssg wrote (the build
state lists them), never a file someone put in the output folder by hand."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ssg.build.write import TEMP_PREFIX
from ssg.graph.relpaths import bad_paths, inside
from ssg.graph.state import OutputRecord


@dataclass
class Pruned:
    gone: set[str] = field(default_factory=set)       # outputs no longer produced: their records are dropped
    deleted: list[str] = field(default_factory=list)  # files deleted
    strays: list[str] = field(default_factory=list)   # files in the output folder ssg did not write
    told: list[str] = field(default_factory=list)     # the warnings about strays found by this build (said once)
    folders: dict[str, int] = field(default_factory=dict)   # output folder mtimes the stray scan read


def prune_outputs(root: Path, records: dict[str, OutputRecord], planned: Collection[str], failed: Collection[str],
                  reported: list[str], folders: dict[str, int], warn: Callable[[str], None]) -> Pruned:
    """Delete the files ssg wrote (``records``) that are no longer ``planned``
    (and did not fail), and leftovers of interrupted writes; find files ssg did
    not write, and warn about those not ``reported`` before. ``folders``: the
    output folders' mtimes as the last build left them (a folder that kept its
    mtime holds no new stray), or {} to look in every folder."""
    done, pruner = Pruned(), Pruner(root)
    done.gone = {rel for rel in records if rel not in planned and rel not in failed}
    for rel in sorted(done.gone):
        record = records[rel]
        # No bytes recorded: journaled by a killed build, so ssg's whatever they are.
        outcome = pruner.delete(rel, record.sha, record.size, record.mtime_ns, trusted=not record.sha)
        if outcome == "deleted":
            done.deleted.append(rel)
        elif outcome == "edited":
            warn(f"{root.name}/{rel}: no longer produced, but changed since ssg wrote it; "
                 "left in place (delete it by hand)")
        elif outcome == "outside":
            warn(f"{root.name}/{rel}: no longer produced, but a folder on its way is a symlink "
                 "leading out of the output folder; left alone (remove the link)")
    pruner.remove_empty_folders()
    known = set(planned) | set(records)
    still = {rel for rel in reported if rel not in known and not bad_paths([rel]) and os.path.lexists(root / rel)}
    found = pruner.strays(known, folders)
    done.folders = pruner.stamps
    for rel in found:
        if rel not in still:
            done.told.append(f"{root.name}/{rel} was not written by ssg; left alone")
            warn(done.told[-1])
    done.strays = sorted(still | set(found))
    return done


class Pruner:
    def __init__(self, root: Path):
        self.root = root
        self._emptied: set[Path] = set()
        self.stamps: dict[str, int] = {}   # output folder -> mtime, as the stray scan saw them

    def delete(self, rel: str, sha: str, size: int, mtime_ns: int, *, trusted: bool) -> str:
        """Delete ``rel`` if it is still what ssg wrote. ``trusted``: ssg wrote it
        but its bytes were not recorded (an interrupted build). Returns
        'deleted', 'missing', 'edited' (left in place) or 'outside' (a folder
        on the way is a symlink leading out of the output folder: left alone)."""
        path = self.root / rel
        if "/" in rel and not inside(str(self.root), rel):
            return "outside"
        try:
            stat = os.lstat(path)
        except OSError:
            return "missing"
        if not trusted and (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
            try:
                if hashlib.sha256(path.read_bytes()).hexdigest() != sha:
                    return "edited"
            except OSError:
                return "edited"
        try:
            path.unlink()
        except OSError:
            return "edited"
        self._emptied.add(path.parent)
        return "deleted"

    def remove_empty_folders(self) -> None:
        """Folders emptied by deletes, up to (not including) the output folder."""
        for folder in sorted(self._emptied, key=lambda p: len(p.parts), reverse=True):
            while folder != self.root and self.root in folder.parents:
                try:
                    folder.rmdir()
                except OSError:
                    break
                folder = folder.parent

    def strays(self, known: set[str], folders: dict[str, int]) -> list[str]:
        """Files in the output folder that ssg did not write. Temporary files
        of an interrupted write are deleted on the way. ``folders`` are the
        output folders' mtimes after the last build: a folder whose mtime did
        not change had no file added or removed, and is not listed again."""
        found: list[str] = []
        root = str(self.root)
        for folder in changed_folders(root, folders, self.stamps) if folders else [""]:
            prefix = f"{folder}/" if folder else ""
            try:
                entries = os.scandir(f"{root}/{folder}" if folder else root)
            except OSError:
                continue
            with entries:    # read as they come: a folder of 100,000 pages is not held as a list
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        if f"{prefix}{entry.name}" not in folders:    # a folder that is new since the last build
                            self.stamps[f"{prefix}{entry.name}"] = entry.stat(follow_symlinks=False).st_mtime_ns
                            self._check(walk_files(entry.path, f"{prefix}{entry.name}/", self.stamps), known, found)
                    else:
                        self._check([prefix + entry.name], known, found)
        return sorted(found)

    def _check(self, paths: Iterable[str], known: set[str], found: list[str]) -> None:
        for rel in paths:
            if rel.rpartition("/")[2].startswith(TEMP_PREFIX):
                try:
                    os.unlink(os.path.join(self.root, rel))
                except OSError:
                    pass
                self.stamps.pop(rel.rpartition("/")[0], None)   # its mtime just changed
            elif rel not in known:
                found.append(rel)


def outputs_intact(root: str, stamps: list[tuple[str, int, int, bool]], folders: dict[str, int]) -> bool:
    """Every file the last build recorded (``stamps``: path, size, mtime_ns,
    built) is on disk as it left it, and no file was added or removed in its
    folders (their mtimes are unchanged)."""
    if changed_folders(root, folders):
        return False
    stat = os.stat
    try:
        for rel, size, mtime_ns, built in stamps:
            found = stat(f"{root}/{rel}")
            if not built or found.st_size != size or found.st_mtime_ns != mtime_ns:
                return False
    except OSError:
        return False
    return True


def changed_folders(root: str, folders: dict[str, int], seen: dict[str, int] | None = None) -> list[str]:
    """The output folders (relative, "" for the root) whose mtime is not the one
    recorded, or that are gone: a file was added or removed in them since.
    ``seen`` receives the mtime of every folder still there."""
    changed = []
    seen = {} if seen is None else seen
    for rel, mtime_ns in folders.items():
        try:
            now = seen[rel] = os.stat(f"{root}/{rel}" if rel else root).st_mtime_ns
        except OSError:
            changed.append(rel)
            continue
        if now != mtime_ns:
            changed.append(rel)
    return changed


def walk_files(root: str, prefix: str = "", stamps: dict[str, int] | None = None) -> Iterator[str]:
    """Every file (and symlink) under ``root``, as posix paths relative to it
    (``prefix`` before each), as the folders are read. ``stamps`` receives the
    mtime of every folder under it (relative paths, ``prefix`` included): the
    build records them, and they were just read. A file deleted while it is
    read (the caller removes interrupted writes' temporary files) does no harm."""
    try:
        entries = os.scandir(root)
    except (FileNotFoundError, NotADirectoryError):
        return
    with entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                if stamps is not None:
                    stamps[f"{prefix}{entry.name}"] = entry.stat(follow_symlinks=False).st_mtime_ns
                yield from walk_files(entry.path, f"{prefix}{entry.name}/", stamps)
            else:
                yield prefix + entry.name
