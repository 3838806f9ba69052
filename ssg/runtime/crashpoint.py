"""A test hook: ``SSG_TEST_CRASH=write:N`` (after the Nth file a process
writes), ``announce:N`` (after the Nth file is journaled, before it is
written) or ``stage:NAME`` (after the build stage NAME, as --json's timings
name them) kills the build's whole process group with SIGKILL, as a kill -9
would. tests/build/test_fault_catalogue_state.py enumerates crash points with it.
Unset (always, outside tests), ``reached`` is one dictionary lookup."""

from __future__ import annotations

import os
import signal

ENV = "SSG_TEST_CRASH"
_counts: dict[str, int] = {}


def reached(kind: str, name: str = "") -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    want_kind, _, want = spec.partition(":")
    if want_kind != kind:
        return
    if kind == "stage":
        if name != want:
            return
    else:
        _counts[kind] = _counts.get(kind, 0) + 1
        if str(_counts[kind]) != want:
            return
    os.killpg(os.getpgrp(), signal.SIGKILL)
