"""Deciding which planned outputs must be rendered: the dirty check.

An output is rendered when it is new, when its plan changed (template
candidates, its page, the pages it lists and their order, its context), when
the file on disk is not what ssg last wrote there (edited or deleted by hand),
when it failed last time, or when any dependency it recorded while rendering
now fingerprints differently. Everything else keeps its file untouched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from ssg.graph.deps import Evaluator, describe, text_key
from ssg.graph.fingerprint import Fingerprinter, digest
from ssg.graph.state import OutputRecord
from ssg.model import Output, Page, Section


def plan_fingerprint(output: Output, context: dict[str, Any] | None, fingerprint: Fingerprinter) -> str:
    """What an output is, before rendering: its kind, source, templates and
    render context (pages by identity: what is read from them is a dependency)."""
    if output.data is not None:
        return "data:" + digest(output.data)
    if output.copy_from is not None:
        return "copy:" + str(output.copy_from)
    if output.make is not None:
        return "make:" + digest(repr([output.path, output.url, output.origin, output.sitemap, output.page,
                                      fingerprint(output.basis)]))
    assert context is not None
    parts: list[Any] = [output.path, output.url, output.templates, output.title, output.origin, output.sitemap,
                        None if output.page is None else output.page.source,
                        None if output.items is None else fingerprint(output.items)]
    for name in sorted(context):
        if name != "output":
            value = context[name]
            kind = type(value)
            parts += (name, ("page", value.source) if kind is Page else value if kind in _BY_REPR else
                      fingerprint(value))
    return digest(repr(parts))


_BY_REPR = (str, int, float, bool, type(None), Section)   # short reprs: no need to memoise (a page: its source)


@dataclass
class Decision:
    dirty: list[int] = field(default_factory=list)          # indexes into the planned outputs
    reasons: dict[str, str] = field(default_factory=dict)    # output path -> why it is rendered
    clean: dict[str, OutputRecord] = field(default_factory=dict)


def decide(outputs: list[Output], plans: list[str], records: dict[str, OutputRecord],
           deps: dict[int, tuple[str, str]], evaluate: Evaluator, root: os.PathLike, *, everything: str | None,
           checked: bool = False) -> Decision:
    """``everything``: a reason that makes every output dirty (settings changed),
    or None. ``deps`` is the state's id -> (key text, fingerprint).
    ``checked``: this build already found every recorded output file as the
    last build left it (size and mtime), so they are not looked at again."""
    decision = Decision()
    changed = set() if everything else _changed_ids(deps, records, evaluate)
    folder = None if checked else f"{os.fspath(root)}/"
    for index, (output, plan) in enumerate(zip(outputs, plans, strict=True)):
        reason = everything or _reason(output, plan, records.get(output.path), deps, changed, folder, evaluate)
        if reason is None:
            decision.clean[output.path] = records[output.path]
        else:
            decision.dirty.append(index)
            decision.reasons[output.path] = reason
    return decision


def _changed_ids(deps: dict[int, tuple[str, str]], records: dict[str, OutputRecord], evaluate: Evaluator) -> set[int]:
    """Ids of the recorded keys that fingerprint differently now, and of keys
    an output recorded that the state no longer knows. Each key is evaluated
    once; outputs are then checked against this set (a list page recorded tens
    of thousands of keys)."""
    changed = {dep for dep, (text, fp) in deps.items() if evaluate.changed(text, fp)}
    return changed | (set().union(*(record.deps for record in records.values())) - deps.keys())


def _reason(output: Output, plan: str, record: OutputRecord | None, deps: dict[int, tuple[str, str]],
            changed: set[int], folder: str | None, evaluate: Evaluator) -> str | None:
    if record is None:
        return "new output"
    if not record.plan:
        return "it failed or was interrupted last time"
    if record.plan != plan:
        return "its plan changed (templates, page, listed pages or context)"
    if folder is not None and (reason := hand_edit(folder + output.path, record)):    # None: checked already
        return reason
    if changed.isdisjoint(record.deps):
        return None
    return dirty_reason(record.deps, deps, changed, evaluate)


def hand_edit(path: str, record: OutputRecord) -> str | None:
    """Why the output file at ``path`` is not what ssg last wrote there
    (``record``: its size and mtime then), or None when it is."""
    try:
        stat = os.stat(path)
    except OSError:
        return "the file is missing from the output folder"
    if stat.st_size != record.size or stat.st_mtime_ns != record.mtime_ns:
        return "the file in the output folder was changed since ssg wrote it"
    return None


def dirty_reason(read: tuple[int, ...], deps: dict[int, tuple[str, str]], changed: set[int],
                 evaluate: Evaluator) -> str:
    """Why an output that read the keys ``read`` is dirty: the first changed
    one (of a key of several fields, the fields that changed)."""
    entry = deps.get(next(dep for dep in read if dep in changed))
    if entry is None:
        return "a dependency changed"
    key = text_key(entry[0])
    return f"{describe(key, entry[1], evaluate(key) if key[0] == 'field' else None)} changed"
