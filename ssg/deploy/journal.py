"""What the target holds as far as ssg knows: the committed manifest (the
commit record ``.ssg-deploy/manifest.json`` and the shards it names,
shards.py), then the journal of deploys that did not finish
(``.ssg-deploy/journal/``).

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
takeover). The commit record holds the token of the deploy that wrote it; a
segment whose token is not above it was written before that commit (by the
committing deploy, or by one it completed) and is obsolete: it is only
removed. A segment above it belongs to a deploy that never wrote its record,
and overrides what the shards say (some of which that deploy may have
rewritten). Temporary files of ssg's own in ``.ssg-deploy/`` and the journal
(a write interrupted between upload and rename) are never read as state;
the next deploy removes them under the lock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ssg.deploy.manifest import Manifest, decode
from ssg.deploy.shardcache import ShardCache
from ssg.deploy.shards import Stored, read_stored
from ssg.deploy.target import STATE_DIR, Target, temp_of
from ssg.graph.relpaths import bad_paths

JOURNAL_DIR = f"{STATE_DIR}/journal"
_SEGMENT = re.compile(r"(?P<token>\d{10})-(?P<seq>\d{5})\.json")
_LEGACY_SEGMENT = re.compile(r"[0-9a-f]{32}-\d{5}\.json")     # ssg before the token-named journal


def segment_path(token: int, sequence: int) -> str:
    return f"{JOURNAL_DIR}/{token:010d}-{sequence:05d}.json"


@dataclass
class RemoteState:
    manifest: Manifest = field(default_factory=dict)      # as committed
    files: Manifest = field(default_factory=dict)         # known to be there: manifest + journal
    unknown: set[str] = field(default_factory=set)        # touched by an interrupted deploy, not confirmed
    journal_segments: list[str] = field(default_factory=list)
    leftover_temps: list[str] = field(default_factory=list)
    stored: Stored = field(default_factory=Stored)        # the record and shards (shards.py)

    @property
    def last_deploy(self) -> dict:
        """The last commit's stamp: deploy_id, token, deployed_at."""
        return self.stored.record

    @property
    def interrupted(self) -> bool:
        return bool(self.unknown) or self.files != self.manifest


def read_state(target: Target, cache: ShardCache | None = None) -> RemoteState:
    stored = read_stored(target, cache)
    state = RemoteState(manifest=stored.manifest, stored=stored,
                        leftover_temps=[*stored.temps, *(f"{STATE_DIR}/{name}" for name in
                                                         target.list_folder(STATE_DIR) if temp_of(name) is not None)])
    state.files = dict(state.manifest)
    _touch(state, sorted(stored.legacy_unknown))
    committed = stored.token
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
