"""What the target holds as far as ssg knows: the committed manifest (a base
``.ssg-deploy/manifest.json`` plus the deltas of the deploys since it,
``.ssg-deploy/deltas/<lease token>.json``), then the journal of deploys that
did not finish (``.ssg-deploy/journal/``).

A deploy commits by writing its delta (the paths whose entry changed, and
the paths it removed), so the state it sends grows with what changed, not
with the site. When the deltas pile up (``compaction``), the committing
deploy writes a *folded* delta instead: its changes relative to the base
rather than to the last delta (``"folds": <base token>``), which makes every
older delta redundant (they are removed; a reader stops at the newest folded
delta). Its size grows with the distinct paths changed since the base, not
with the site or the number of deploys. Only when a folded delta would hold
more than half the base's bytes is the whole manifest written as a new base
with its own token; deltas whose token is not above the base's are then
obsolete (only removed), like old journal segments. The first deploy to a
target writes the base directly.

The journal is written ahead: before a deploy changes any path on the target
(a rename into place, a delete), a segment naming that path as *touched* is
committed; the next segment records the paths it completed, with their hash.
Reading the manifest and then the segments in order gives, per path, either
what it holds (sha256 and size) or nothing known: a path touched and not
confirmed may hold the old bytes, the new ones, or nothing. The next deploy
uploads every unknown path its build has and deletes every unknown path its
build has not, so no page of an interrupted deploy survives a rollback, and
the manifest it commits says only what it put there.

Segments are named ``<lease token>-<sequence>.json``: sorted by name they are
in the order they were written, across deployers (the token grows with every
takeover). A manifest records the token of the deploy that committed it; a
segment whose token is not above it was written before that commit (by the
committing deploy, or by one it completed) and is obsolete: it is only
removed. Temporary files of ssg's own in ``.ssg-deploy/`` and the journal
(a write interrupted between upload and rename) are never read as state;
the next deploy removes them under the lock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ssg.deploy.crashpoints import max_deltas
from ssg.deploy.manifest import Manifest, decode
from ssg.deploy.target import STATE_DIR, DeployError, Target, temp_of
from ssg.relpaths import bad_paths

MANIFEST = f"{STATE_DIR}/manifest.json"
JOURNAL_DIR = f"{STATE_DIR}/journal"
DELTA_DIR = f"{STATE_DIR}/deltas"
MAX_DELTAS = 32                  # a deploy folds when there would be more deltas than this ...
DELTA_SHARE = 0.5                # ... or when they hold more than this share of the base's bytes; a folded
                                 # delta over this share of the base's bytes is written as the base instead
_SEGMENT = re.compile(r"(?P<token>\d{10})-(?P<seq>\d{5})\.json")
_DELTA = re.compile(r"(?P<token>\d{10})\.json")
_LEGACY_SEGMENT = re.compile(r"[0-9a-f]{32}-\d{5}\.json")     # ssg before the token-named journal


def segment_path(token: int, sequence: int) -> str:
    return f"{JOURNAL_DIR}/{token:010d}-{sequence:05d}.json"


def delta_path(token: int) -> str:
    return f"{DELTA_DIR}/{token:010d}.json"


@dataclass
class RemoteState:
    manifest: Manifest = field(default_factory=dict)      # as committed
    base: Manifest = field(default_factory=dict)          # the base alone (a folded delta is relative to it)
    base_token: int = 0
    files: Manifest = field(default_factory=dict)         # known to be there: manifest + journal
    unknown: set[str] = field(default_factory=set)        # touched by an interrupted deploy, not confirmed
    last_deploy: dict = field(default_factory=dict)
    journal_segments: list[str] = field(default_factory=list)
    leftover_temps: list[str] = field(default_factory=list)
    base_bytes: int = 0                                   # size of the base manifest
    deltas: list[str] = field(default_factory=list)       # live deltas, in order
    delta_bytes: int = 0                                  # their total size
    obsolete_deltas: list[str] = field(default_factory=list)   # folded into the base already: only removed

    def compaction(self, new_delta_bytes: int) -> bool:
        """Whether the deploy committing a delta of that size folds the deltas instead."""
        return (len(self.deltas) + 1 > max_deltas(MAX_DELTAS)
                or self.delta_bytes + new_delta_bytes > DELTA_SHARE * max(self.base_bytes, 1))

    def rebase(self, folded_bytes: int) -> bool:
        """Whether a folded delta of that size is better written as the whole base."""
        return folded_bytes > DELTA_SHARE * max(self.base_bytes, 1)

    @property
    def interrupted(self) -> bool:
        return bool(self.unknown) or self.files != self.manifest


def read_state(target: Target) -> RemoteState:
    state = RemoteState()
    data = target.read(MANIFEST)
    if data is not None:
        body = decode(data, MANIFEST)
        state.manifest = body.pop("files")
        state.base = dict(state.manifest)
        state.last_deploy = body
        state.base_bytes = len(data)
        state.base_token = int(body.get("token") or 0)
    state.leftover_temps = [f"{STATE_DIR}/{name}" for name in target.list_folder(STATE_DIR)
                            if temp_of(name) is not None]
    _apply_deltas(target, state)
    state.files = dict(state.manifest)
    committed = int(state.last_deploy.get("token") or 0)
    for name in sorted(target.list_folder(JOURNAL_DIR)):
        path = f"{JOURNAL_DIR}/{name}"
        if temp_of(name) is not None:
            state.leftover_temps.append(path)
            continue
        segment, legacy = _SEGMENT.fullmatch(name), _LEGACY_SEGMENT.fullmatch(name)
        if segment is None and legacy is None:
            continue                                 # not ssg's: left alone
        state.journal_segments.append(path)
        if segment is not None and int(segment["token"]) <= committed:
            continue                                 # obsolete: that deploy's work is in the manifest
        data = target.read(path)
        if data is None:
            continue
        body = decode(data, path)
        pending = [str(t) for t in body.get("pending", [])]
        state.leftover_temps.extend(pending)
        if legacy is not None:                       # batch granularity unknown: all of it is unknown
            _touch(state, [*body["files"], *(p for p in map(temp_of, pending) if p is not None)])
            continue
        for rel, entry in body["files"].items():
            state.files[rel] = entry
            state.unknown.discard(rel)
        _touch(state, [str(p) for p in body.get("touching", [])])
    return state


def _apply_deltas(target: Target, state: RemoteState) -> None:
    """The live deltas, read newest first down to the newest folded one (which
    holds every change since the base: the deltas below it are redundant and
    only removed), then applied oldest first."""
    live: list[tuple[str, int]] = []
    for name in sorted(target.list_folder(DELTA_DIR)):
        path = f"{DELTA_DIR}/{name}"
        found = _DELTA.fullmatch(name)
        if temp_of(name) is not None:
            state.leftover_temps.append(path)
        if found is None:
            continue                                 # a temporary file, or not ssg's
        if int(found["token"]) <= state.base_token:
            state.obsolete_deltas.append(path)
        else:
            live.append((path, int(found["token"])))
    bodies: list[tuple[str, dict, int]] = []
    for index in range(len(live) - 1, -1, -1):
        path = live[index][0]
        data = target.read(path)
        if data is None:
            continue
        body = decode(data, path)
        deleted, folds = body.pop("deleted", []), body.pop("folds", None)
        if (type(deleted) is not list or not all(type(rel) is str for rel in deleted)
                or folds is not None and type(folds) is not int):
            raise DeployError(f"the target's {path} is unreadable", hint="delete it on the server to upload "
                              "everything again, or run with --verify")
        bodies.append((path, {**body, "deleted": deleted}, len(data)))
        if folds == state.base_token:
            state.obsolete_deltas.extend(p for p, _token in live[:index])
            break
    for path, body, size in reversed(bodies):
        state.manifest.update(body.pop("files"))
        for rel in body.pop("deleted"):
            state.manifest.pop(rel, None)
        state.last_deploy = body
        state.deltas.append(path)
        state.delta_bytes += size


def _touch(state: RemoteState, paths: list[str]) -> None:
    for rel in paths:
        state.files.pop(rel, None)
        state.unknown.add(rel)


def set_aside_unsafe(state: RemoteState) -> list[str]:
    """Drop from ``state`` every path that is not a safe relative path (ssg/
    relpaths.py): the manifest and journal come from the target, where anyone
    with write access could have changed them, so a path read there is
    checked before it is uploaded over or deleted. Returns the dropped paths
    (as reprs, for a warning): nothing is done to them."""
    unsafe = bad_paths({*state.manifest, *state.files, *state.unknown, *state.leftover_temps})
    if not unsafe:      # the usual case: one pass over all the paths
        return []
    safe = lambda path: not bad_paths([path])   # noqa: E731
    state.manifest = {p: e for p, e in state.manifest.items() if safe(p)}
    state.files = {p: e for p, e in state.files.items() if safe(p)}
    state.unknown = {p for p in state.unknown if safe(p)}
    state.leftover_temps = [p for p in state.leftover_temps if safe(p)]
    return sorted(unsafe)
