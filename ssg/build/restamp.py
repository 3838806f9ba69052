"""Files whose times changed but whose bytes did not: a fresh checkout (git
sets every file's time to now), a state and an output folder restored from a
cache (a cache that does not keep times), a copy of the site. Each file
whose stat differs from the last build's is hashed and compared with the
hash the state holds; when they are equal the state takes the new stat, so
the build goes on as if the file had not been touched: a build where
nothing else changed loads nothing, and one with a page's text edited is a
narrow rebuild.

The state keeps the new stat of an input file in the listing of the inputs
(``meta``: what the nothing-changed check and narrow rebuilds compare), not
in its ``sources`` row: that row holds the parsed page (4 KB a post, 0.4 s
to rewrite 10,000), and it stays true (the file's hash at its old stat); a
full build that meets the file reads it again (no parse) and updates it.

Hashing is cheap next to loading (10,000 posts: 0.2 s against 3.5 s), done
in worker processes when there are many files. A file whose bytes are not
known (no row in the state) or differ is left as it is: the build treats it
as changed, as it would have."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from ssg.build.prune import changed_folders
from ssg.graph.state import BuildState
from ssg.runtime.parallel import pool_map
from ssg.sources.files import read_with_stat
from ssg.sources.inputs import Inputs, input_path, storable

Check = tuple    # (function, *arguments): a question about one file or folder, answered True or False


@dataclass
class Restamped:
    inputs: int = 0        # input files with a new stat and the same bytes
    outputs: int = 0       # output files likewise
    folders: int = 0       # output folders with a new mtime and no file ssg does not know
    outputs_intact: bool = False   # every output file and folder is now as the state says


def restamp(state: BuildState, inputs: Inputs, root: Path, theme: Path, output_root: str,
            stamps: list[tuple[str, int, int, bool]], *, outputs_checked: bool, workers: int) -> Restamped:
    """Give the state the new stat of every input and output file (and output
    folder) that changed only in its stat. ``stamps`` are the state's
    ``output_stamps()``; ``outputs_checked``: they were all found as recorded.
    Commits what it learnt (nothing when nothing was learnt)."""
    done = Restamped(outputs_intact=outputs_checked)
    listing = _Listing(state, inputs, root, theme)
    checks: list[Check] = [(_same, *check) for check in listing.checks]
    moved: list[tuple[str, int]] = []
    folders: list[tuple[str, int]] = []
    if not outputs_checked:
        done.outputs_intact, moved = _moved_outputs(output_root, stamps)
        shas = state.output_shas() if moved else {}
        checks += [(_same, f"{output_root}/{rel}", shas.get(rel, ""), f" {mtime_ns}") for rel, mtime_ns in moved]
        folders, folders_intact = _moved_folders(state, output_root)
        done.outputs_intact = done.outputs_intact and folders_intact
        if folders:
            files = {row[0] for row in stamps} | set(state.meta_json("strays", list))
            recorded = state.folders()
            checks += [(_only_known, output_root, rel, files, recorded) for rel, _mtime in folders]
    # In worker processes when there are many: they have ``checks`` by fork (not pickled), and send back booleans.
    same = pool_map(_run, checks, workers=workers if len(checks) >= 2000 else 1, chunksize=500)
    meta = listing.restamped(same[:len(listing.checks)])
    done.inputs = listing.same
    same = same[len(listing.checks):]
    outputs = {rel: mtime_ns for (rel, mtime_ns), ok in zip(moved, same[:len(moved)], strict=True) if ok}
    known = {rel: mtime_ns for (rel, mtime_ns), ok in zip(folders, same[len(moved):], strict=True) if ok}
    done.outputs, done.folders = len(outputs), len(known)
    done.outputs_intact = done.outputs_intact and len(outputs) == len(moved) and len(known) == len(folders)
    if meta or outputs or known:
        state.restamp(meta=meta, outputs=outputs, folders=known)
    return done


def _run(check: tuple) -> bool:
    return check[0](*check[1:])


class _Listing:
    """The listing of the inputs the state has, against the one just scanned:
    the files whose stat changed (``checks``), and the listing to store once
    they are checked."""

    def __init__(self, state: BuildState, inputs: Inputs, root: Path, theme: Path):
        self.inputs, self.checks, self.same = inputs, [], 0
        self.at: list[int] = []           # the listing line of each check
        listing = state.meta("listing")
        self.before = listing.split("\n") if listing else []
        self.config_moved = bool(self.before) and self.before.pop() != inputs.config   # its bytes are in the settings
        changed = self.changed = self._changed()
        if changed is None:
            return
        names = {at: name for at in changed                       # a name that is not UTF-8 has no row
                 if storable(name := inputs.lines[at].rpartition(" (")[0]) == name}
        paths = {at: input_path(name, root, theme) for at, name in names.items()}
        known = state.source_shas([*names.values(), *paths.values()])
        for at in names:
            sha = known.get(names[at]) or known.get(paths[at])
            if sha is not None:     # read at the stat the listing has: not changing while it is read
                self.checks.append((paths[at], sha, inputs.lines[at][len(names[at]):]))
                self.at.append(at)

    def _changed(self) -> list[int] | None:
        """The lines whose stat changed; None when files were added or
        removed (a full check, or a full build, decides then)."""
        if len(self.before) != len(self.inputs.lines):
            return None
        changed = []
        for at, (old, new) in enumerate(zip(self.before, self.inputs.lines, strict=True)):
            if old != new and old != storable(new):
                if old.rpartition(" (")[0] != new.rpartition(" (")[0]:
                    return None
                changed.append(at)
        return changed

    def restamped(self, same: list[bool]) -> dict[str, str]:
        """The meta rows to write (the listing with the new stat of the files
        found the same, and its fingerprint), or {} when nothing is learnt."""
        found = {at for at, ok in zip(self.at, same, strict=True) if ok}
        self.same = len(found)
        if self.changed is None or (not found and not self.config_moved):
            return {}
        changed = set(self.changed)
        lines = [old if at in changed and at not in found else new
                 for at, (old, new) in enumerate(zip(self.before, self.inputs.lines, strict=True))]
        listed = Inputs(lines, self.inputs.config)
        return {"inputs": listed.fingerprint(), "listing": listed.text()}


def _same(path: str, sha: str, stamp: str) -> bool:
    """The file holds bytes of the digest ``sha``, read at the stat ``stamp``
    (`` (m, c, s, i)``: an input's stamp as the listing has it; `` M``: an
    output's mtime)."""
    try:
        data, status = read_with_stat(path)
    except OSError:
        return False
    found = (f" ({status.st_mtime_ns}, {status.st_ctime_ns}, {status.st_size}, {status.st_ino})"
             if stamp.startswith(" (") else f" {status.st_mtime_ns}")
    return found == stamp and hashlib.sha256(data).hexdigest() == sha


def _moved_outputs(output_root: str, stamps: list[tuple[str, int, int, bool]]) -> tuple[bool, list[tuple[str, int]]]:
    """Whether every output file is there with the size the state records
    and was built, and those found with another mtime (path, mtime)."""
    intact = True
    moved: list[tuple[str, int]] = []
    for rel, size, mtime_ns, built in stamps:
        try:
            found = os.stat(f"{output_root}/{rel}")
        except OSError:
            intact = False
            continue
        if found.st_size != size or not built:
            intact = False
        elif found.st_mtime_ns != mtime_ns:
            moved.append((rel, found.st_mtime_ns))
    return intact, moved


def _moved_folders(state: BuildState, output_root: str) -> tuple[list[tuple[str, int]], bool]:
    """Output folders found with a new mtime (path, mtime), and whether every
    other folder is there. None when the last build warned: a warning may be
    about a file removed since (a file left in place, a symlink), and a
    build where nothing changed would say it again."""
    recorded = state.folders()
    seen: dict[str, int] = {}
    changed = changed_folders(output_root, recorded, seen)
    if not changed:
        return [], True
    if state.meta_json("warnings", list):
        return [], False
    return [(rel, seen[rel]) for rel in changed if rel in seen], all(rel in seen for rel in changed)


def _only_known(output_root: str, folder: str, files: set[str], folders: dict[str, int]) -> bool:
    """The output folder ``folder`` holds only files and folders the state knows."""
    prefix = f"{folder}/" if folder else ""
    try:
        with os.scandir(f"{output_root}/{folder}" if folder else output_root) as entries:
            for entry in entries:
                rel = prefix + entry.name
                if rel not in (folders if entry.is_dir(follow_symlinks=False) else files):
                    return False
    except OSError:
        return False
    return True
