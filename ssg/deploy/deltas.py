"""The deltas of the committed manifest (``.ssg-deploy/deltas/<token>.json``),
kept in levels like an LSM tree's, so that no deploy's state grows with the
site and the number of deltas to read stays small.

A deploy commits a level-0 delta: the entries that changed since the last
commit and the paths removed. When the newest ``FOLD_RUN`` deltas are all of
one level, the committing deploy writes instead one delta of the next level
that *folds* them and its own changes (cascading: eight level-1 deltas and a
level-0 fold into a level-2 one): its entries are every change since the
manifest as it was before the first of them, and it names that point,
``"folds": <token>``. So it replaces the deltas it folds, which are then
removed. A level-k fold holds at most the distinct paths changed over
``FOLD_RUN ** k`` deploys and is written once in that many deploys.

A fold is right whether or not the deltas it replaces are still there (a
crash between its rename and their removal): its entries are the changes from
the point it folds from *and* from the last commit. A reader goes from the
newest delta down and skips every delta a fold covers, so the deltas removed
in part after a crash are never applied. When a fold would hold more than
``DELTA_SHARE`` of the base's bytes (most of the site changed since the base),
the whole manifest is written as the new base instead (``rebase``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ssg.deploy.crashpoints import max_deltas
from ssg.deploy.manifest import Manifest, decode
from ssg.deploy.target import STATE_DIR, DeployError, Target, temp_of

DELTA_DIR = f"{STATE_DIR}/deltas"
FOLD_RUN = 8                     # this many deltas of one level at the newest end are folded into one
MAX_DELTAS = 32                  # more live deltas than this (or DELTA_SHARE of the base's bytes): fold them all
DELTA_SHARE = 0.5                # ... and a fold over this share of the base's bytes is written as the base
_DELTA = re.compile(r"(?P<token>\d{10})\.json")


def delta_path(token: int) -> str:
    return f"{DELTA_DIR}/{token:010d}.json"


@dataclass
class Link:
    """A live delta, with the manifest as it was before it (what a fold starting there is relative to)."""

    path: str
    token: int
    level: int
    size: int
    before: Manifest


@dataclass
class Chain:
    manifest: Manifest                                    # the base with every live delta applied
    links: list[Link] = field(default_factory=list)       # oldest first
    last: dict = field(default_factory=dict)              # the newest delta's stamp (token, deploy_id...)
    obsolete: list[str] = field(default_factory=list)     # at or below the base's token, or folded: only removed
    temps: list[str] = field(default_factory=list)        # temporary files of ssg's own in the folder

    @property
    def paths(self) -> list[str]:
        return [link.path for link in self.links]

    @property
    def size(self) -> int:
        return sum(link.size for link in self.links)


def read_chain(target: Target, base: Manifest, base_token: int) -> Chain:
    chain = Chain(dict(base))
    found: list[tuple[str, int]] = []
    for name in sorted(target.list_folder(DELTA_DIR)):
        path, match = f"{DELTA_DIR}/{name}", _DELTA.fullmatch(name)
        if temp_of(name) is not None:
            chain.temps.append(path)
        if match is None:
            continue                                 # a temporary file, or not ssg's
        if int(match["token"]) <= base_token:
            chain.obsolete.append(path)
        else:
            found.append((path, int(match["token"])))
    kept: list[tuple[str, int, int, dict, int]] = []
    deleted_of: dict[str, list[str]] = {}
    floor = None                                     # the newest fold read so far covers tokens above this
    for path, token in reversed(found):
        if floor is not None and token > floor:
            chain.obsolete.append(path)              # folded into a newer delta
            continue
        data = target.read(path)
        if data is None:
            continue
        body = decode(data, path)
        deleted, folds, level = body.pop("deleted", []), body.pop("folds", None), body.pop("level", 0)
        if (type(deleted) is not list or not all(type(rel) is str for rel in deleted)
                or folds is not None and (type(folds) is not int or folds >= token)
                or type(level) is not int or level < 0):
            raise DeployError(f"the target's {path} is unreadable", hint="delete it on the server to upload "
                              "everything again, or run with --verify")
        deleted_of[path] = deleted
        kept.append((path, token, level, body, len(data)))
        if folds is not None:
            floor = max(folds, base_token)
    for path, token, level, body, size in reversed(kept):
        before = dict(chain.manifest)
        chain.manifest.update(body.pop("files"))
        for rel in deleted_of[path]:
            chain.manifest.pop(rel, None)
        chain.links.append(Link(path, token, level, size, before))
        chain.last = body
    return chain


@dataclass(frozen=True)
class Fold:
    """What the commit writes: a fold of ``links[first:]`` and its own changes, at ``level``."""

    first: int
    level: int


def plan_fold(chain: Chain, delta_bytes: int, base_bytes: int) -> Fold | None:
    """None: commit a plain level-0 delta of that size. Else the fold to write."""
    if len(chain.links) + 1 > max_deltas(MAX_DELTAS) or chain.size + delta_bytes > DELTA_SHARE * max(base_bytes, 1):
        return Fold(0, max((link.level for link in chain.links), default=0) + 1)
    runs = [(link.level, index) for index, link in enumerate(chain.links)] + [(0, len(chain.links))]
    while len(runs) >= FOLD_RUN and len({level for level, _first in runs[-FOLD_RUN:]}) == 1:
        runs[-FOLD_RUN:] = [(runs[-1][0] + 1, runs[-FOLD_RUN][1])]
    level, first = runs[-1]
    return Fold(first, level) if first < len(chain.links) else None


def rebase(fold_bytes: int, base_bytes: int) -> bool:
    """Whether a fold of that size is better written as the whole base."""
    return fold_bytes > DELTA_SHARE * max(base_bytes, 1)


def folds_from(chain: Chain, fold: Fold, base_token: int) -> tuple[Manifest, int]:
    """The manifest a fold is relative to, and the token it names as its starting point."""
    if fold.first == 0:
        return chain.links[0].before if chain.links else chain.manifest, base_token
    return chain.links[fold.first].before, chain.links[fold.first - 1].token
