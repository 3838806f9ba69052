"""Planning the site again without loading it: after an edit of a field the
plan or a site hook reads (a tag, a date that moves a page), a site source
that holds every page (the kept model, ssg/build/sources/kept.py; the partial
site of every page, ssg/build/sources/partial.py) plans every output as a full
load would, and compares each plan with its record."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from ssg.build.dirty import Decision, dirty_reason, plan_fingerprint
from ssg.graph.deps import BY_BUILD
from ssg.graph.fingerprint import Fingerprinter

if TYPE_CHECKING:
    from ssg.graph.deps import Evaluator
    from ssg.graph.state import OutputRecord
    from ssg.model import Output

# Keys of pages (evaluated for the edited pages only: no other page changed) and of files (no file changed).
_NOT_SITE_WIDE = ("page\x1f", "field\x1f", *(f"{kind}\x1f" for kind in BY_BUILD))


def changed_keys(deps: Mapping[int, tuple[str, str]], edited_ids: Collection[int], evaluate: Evaluator) -> set[int]:
    """Of the recorded keys (``deps``: id -> (text, fingerprint)), those that
    fingerprint differently now: among the edited pages' (``edited_ids``) and
    the site-wide ones (the site's, its sections', what plugins track, such
    as the term lists)."""
    ids = [*edited_ids, *(dep_id for dep_id, (text, _fp) in deps.items() if not text.startswith(_NOT_SITE_WIDE))]
    return {dep_id for dep_id in ids if evaluate.changed(*deps[dep_id])}


def compare_plans(outputs: list[Output], contexts: list[dict[str, Any] | None], records: Mapping[str, OutputRecord],
                  deps: Mapping[int, tuple[str, str]], changed: set[int], evaluate: Evaluator,
                  by_hand: Mapping[str, str] | None = None) -> tuple[list[str], Decision]:
    """Every output's plan fingerprint, and the outputs to render, each with
    its reason: new, failed last time, planned otherwise, edited by hand
    (``by_hand``: path -> why), or reading a ``changed`` key."""
    fingerprint = Fingerprinter()
    plans = [plan_fingerprint(output, context, fingerprint) for output, context in zip(outputs, contexts, strict=True)]
    decision, by_hand = Decision(), by_hand or {}
    for at, output in enumerate(outputs):
        record = records.get(output.path)
        if record is None:
            reason = "new output"
        elif not record.plan:
            reason = "it failed or was interrupted last time"
        elif record.plan != plans[at]:
            reason = "its plan changed (templates, page, listed pages or context)"
        elif output.path in by_hand:
            reason = by_hand[output.path]
        elif not changed.isdisjoint(record.deps):
            reason = dirty_reason(record.deps, deps, changed, evaluate)
        else:
            continue
        decision.dirty.append(at)
        decision.reasons[output.path] = reason
    return plans, decision
