"""What a deploy will do, decided before anything is written: uploads in a safe
order (assets first, HTML last, so a new page never links to a missing
stylesheet), deletes (only files ssg published before), and the guard on
their number."""

from __future__ import annotations

from dataclasses import dataclass

from ssg.deploy.manifest import Manifest
from ssg.deploy.target import DeployError

HTML_SUFFIXES = (".html", ".htm")


@dataclass(frozen=True)
class Plan:
    uploads: list[str]
    deletes: list[str]
    unchanged: list[str]
    bytes_to_send: int


def upload_order(path: str) -> tuple[bool, str]:
    return path.lower().endswith(HTML_SUFFIXES), path


def make_plan(local: Manifest, remote: Manifest, unknown: set[str] | frozenset[str] = frozenset()) -> Plan:
    """``unknown``: paths an interrupted deploy may have changed (see journal.py); each
    is uploaded when the build has it and deleted when it has not."""
    uploads = sorted((p for p, e in local.items() if p in unknown or remote.get(p) != e), key=upload_order)
    return Plan(uploads=uploads,
                deletes=sorted({p for p in remote if p not in local} | {p for p in unknown if p not in local}),
                unchanged=sorted(p for p, e in local.items() if p not in unknown and remote.get(p) == e),
                bytes_to_send=sum(local[p].size for p in uploads))


def check_deletes(plan: Plan, max_deletes: int) -> None:
    """More deletes than allowed is fatal, and it is checked before the first write."""
    if len(plan.deletes) > max_deletes:
        sample = ", ".join(plan.deletes[:5]) + (", ..." if len(plan.deletes) > 5 else "")
        raise DeployError(f"this deploy would delete {len(plan.deletes)} files ({sample}), more than "
                          f"max_deletes = {max_deletes}; nothing was changed",
                          hint=f"check the build output; if the deletes are intended, pass --max-deletes "
                               f"{len(plan.deletes)}")
