"""The committed manifest on the target, split into shards so that a commit
rewrites only the part of it that changed.

The entries (path -> sha256, size) are spread over ``count`` shards by a hash
of the path (``.ssg-deploy/manifest/<count>-<index>-<token>-<deploy id>.json``),
and a commit writes anew each shard holding a path whose entry changed,
appeared or went, under its own name (its lease token and deploy id), then
the commit record ``.ssg-deploy/manifest.json`` (the deploy's id, time and
token, and ``count``), then removes the shards it replaced. Of the shards of
one index, the one with the highest token is read. No deploy writes a name
twice, so what a name holds never changes, and a deploy reads only the shards
its site folder has not seen (shardcache.py). A shard holds about
``SHARD_BYTES`` when the manifest is split, so a one-file deploy rewrites one
small shard whatever the size of the site. The manifest is split again, every
shard of another count written and the old ones removed, when the mean shard
has grown past ``GROW`` times that size or shrunk under ``SHRINK`` times it:
once per half as many files again, about.

A shard may be ahead of the commit record: an interrupted deploy wrote it
and never wrote its record. What it says is then true of every path that
deploy did not touch, and every path it touched is named in its journal,
which stays live until a record with a later token is written (journal.py),
so the journal overrides it. The shards of a re-split are written under
their own count's names, all of them, before the record names that count, so
the shards the record names are always complete; those of another count are
an interrupted re-split's or the last one's, removed under the lock.

A target written by an ssg before shards holds the whole manifest in the
record (no ``count``) and the deltas of the deploys since it
(``.ssg-deploy/deltas/``): the paths a delta names are read as unknown (each
uploaded again or deleted, as the build says), and the next commit splits
the manifest and removes the deltas."""

from __future__ import annotations

import math
import posixpath
import re
import zlib
from dataclasses import dataclass, field

from ssg.deploy.crashpoints import shard_bytes
from ssg.deploy.manifest import Manifest, decode
from ssg.deploy.shardcache import ShardCache
from ssg.deploy.target import STATE_DIR, DeployError, Target, temp_of

RECORD = f"{STATE_DIR}/manifest.json"
SHARD_DIR = f"{STATE_DIR}/manifest"
LEGACY_DELTA_DIR = f"{STATE_DIR}/deltas"
SHARD_BYTES = 3000          # a split aims at shards of about this many bytes of JSON
GROW = 1.5                  # split again when the mean shard is over GROW * SHARD_BYTES...
SHRINK = 1 / 3              # ... or under SHRINK * SHARD_BYTES
_SHARD = re.compile(r"(?P<count>[1-9]\d{0,5})-(?P<index>\d{1,6})-(?P<token>\d{10})-[0-9a-f]{12}\.json")
_LEGACY_DELTA = re.compile(r"\d{10}\.json")
_ENTRY_BYTES = 82           # an entry's JSON beyond its path: quotes, hash, size, separators


def shard_of(path: str, count: int) -> int:
    return zlib.crc32(path.encode("utf-8", "surrogatepass")) % count


def shard_path(count: int, index: int, token: int, deploy_id: str) -> str:
    return f"{SHARD_DIR}/{count}-{index}-{token:010d}-{deploy_id[:12]}.json"


@dataclass
class Stored:
    """What the target's record and shards say."""

    record: dict = field(default_factory=dict)            # the last commit's stamp: deploy_id, token, deployed_at
    count: int = 0                                        # shards the record names (0: none)
    manifest: Manifest = field(default_factory=dict)
    shards: dict[int, str] = field(default_factory=dict)  # index -> the shard read for it
    legacy_unknown: set[str] = field(default_factory=set)  # named by a delta of an ssg before shards
    obsolete: list[str] = field(default_factory=list)     # shards of another count or replaced, deltas
    temps: list[str] = field(default_factory=list)        # temporary files of ssg's own among them

    @property
    def token(self) -> int:
        return int(self.record.get("token") or 0)


def read_stored(target: Target, cache: ShardCache | None = None) -> Stored:
    """The record and the shards it names (those in ``cache`` are not read again)."""
    stored = Stored()
    data = target.read(RECORD)
    if data is not None:
        body = decode(data, RECORD)
        files, count = body.pop("files"), body.pop("shards", None)
        if count is None:                            # an ssg before shards: the record holds the files
            stored.manifest = files
        elif type(count) is not int or count < 1:
            raise _unreadable(RECORD)
        stored.record, stored.count = body, count or 0
    found: dict[int, list[tuple[int, str]]] = {}
    for name in target.list_folder(SHARD_DIR):
        path, match = f"{SHARD_DIR}/{name}", _SHARD.fullmatch(name)
        if temp_of(name) is not None:
            stored.temps.append(path)
        elif match is not None and (int(match["count"]) != stored.count or int(match["index"]) >= stored.count):
            stored.obsolete.append(path)
        elif match is not None:
            found.setdefault(int(match["index"]), []).append((int(match["token"]), path))
    cache = cache if cache is not None else ShardCache(None)
    for index, versions in sorted(found.items()):
        versions.sort()
        stored.obsolete.extend(path for _token, path in versions[:-1])   # replaced: a commit's removal cut short
        stored.shards[index] = path = versions[-1][1]
        stored.manifest.update(_shard_entries(target, path, index, stored.count, cache))
    cache.keep({posixpath.basename(path) for path in stored.shards.values()})
    for name in target.list_folder(LEGACY_DELTA_DIR):
        path = f"{LEGACY_DELTA_DIR}/{name}"
        if temp_of(name) is not None:
            stored.temps.append(path)
        elif _LEGACY_DELTA.fullmatch(name):
            stored.obsolete.append(path)
            _read_legacy_delta(target, path, stored)
    return stored


def _shard_entries(target: Target, path: str, index: int, count: int, cache: ShardCache) -> Manifest:
    """Its entries, from the cache or the target; one that belongs in another
    shard (not ssg's doing) is left out, as unknown to the manifest as a path
    never deployed."""
    name = posixpath.basename(path)
    files = cache.get(name)
    if files is None:
        data = target.read(path)
        files = {} if data is None else {rel: entry for rel, entry in decode(data, path)["files"].items()
                                         if shard_of(rel, count) == index}
        if data is not None:
            cache.put(name, files)
    return files


def _read_legacy_delta(target: Target, path: str, stored: Stored) -> None:
    data = target.read(path)
    if data is None:
        return
    body = decode(data, path)
    deleted = body.get("deleted", [])
    if type(deleted) is not list or not all(type(rel) is str for rel in deleted):
        raise _unreadable(path)
    stored.legacy_unknown.update(body["files"], deleted)


def _unreadable(path: str) -> DeployError:
    return DeployError(f"the target's {path} is unreadable",
                       hint="delete it on the server to upload everything again, or run with --verify")


@dataclass(frozen=True)
class Commit:
    """What a commit writes: ``shards`` (path -> entries) before the record naming
    ``count``; after the record, the shards they replace are removed."""

    count: int
    shards: dict[str, Manifest]
    replaced: list[str]


def plan_commit(stored: Stored, local: Manifest, token: int, deploy_id: str) -> Commit:
    """The shards that ``local`` changes (all of them when the manifest is split anew)."""
    count = stored.count
    size = sum(len(path) + _ENTRY_BYTES for path in local)
    if not count or not SHRINK <= size / (count * shard_bytes(SHARD_BYTES)) <= GROW:
        count = max(1, math.ceil(size / shard_bytes(SHARD_BYTES)))
    if count != stored.count:
        touched = set(range(count))
        replaced = list(stored.shards.values())
    else:
        touched = {shard_of(path, count) for path in local.keys() | stored.manifest.keys()
                   if local.get(path) != stored.manifest.get(path)}
        replaced = [stored.shards[index] for index in sorted(touched) if index in stored.shards]
    parts: dict[int, Manifest] = {index: {} for index in touched}
    for path, entry in local.items():
        index = shard_of(path, count)
        if index in parts:
            parts[index][path] = entry
    return Commit(count, {shard_path(count, index, token, deploy_id): files for index, files in sorted(parts.items())},
                  replaced)
