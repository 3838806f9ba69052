"""ssg/runtime/parallel.py: results in order, and given as they come in (the build
places parsed pages while the workers are still parsing)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ssg.runtime.parallel import pool_imap, pool_map

_MARK: Path | None = None    # set before the pool forks: the workers inherit it


def _square(n: int) -> int:
    return n * n


def _last_waits_for_the_caller(n: int) -> str:
    """The last item waits (up to 10 s) for the caller to have taken the first result."""
    if n < 199:
        return "early"
    assert _MARK is not None
    deadline = time.monotonic() + 10
    while not _MARK.exists():
        if time.monotonic() > deadline:
            return "the caller got nothing before the last item was done"
        time.sleep(0.01)
    return "the caller had the first result while this item ran"


def test_results_are_in_order_in_workers_and_in_process():
    items = list(range(500))
    assert pool_map(_square, items, workers=2) == [n * n for n in items]
    assert list(pool_imap(_square, items, workers=2)) == [n * n for n in items]
    assert list(pool_imap(_square, items, workers=1)) == [n * n for n in items]


def test_results_are_given_while_the_workers_go_on(tmp_path):
    global _MARK
    _MARK = tmp_path / "first-result-taken"
    results = pool_imap(_last_waits_for_the_caller, list(range(200)), workers=2, chunksize=10)
    assert next(results) == "early"
    _MARK.touch()
    rest = list(results)
    assert rest[-1] == "the caller had the first result while this item ran"
    assert rest[:-1] == ["early"] * 198


def test_closing_early_stops_the_workers():
    results = pool_imap(_square, list(range(1000)), workers=2, chunksize=10)
    assert next(results) == 0
    results.close()
    try:        # the workers were this process's children, reaped by close(): none is left
        os.waitpid(-1, os.WNOHANG)
    except ChildProcessError:
        return
    raise AssertionError("a worker process is still running after the iterator was closed")


def _waits_for(mark: Path, what: str) -> str:
    deadline = time.monotonic() + 30
    while not mark.exists():
        if time.monotonic() > deadline:
            return f"{what} did not happen while this item ran"
        time.sleep(0.01)
    return "done"


def _first_waits_for_the_count(n: int) -> str:
    """Item 0 waits (up to 30 s) until the caller has counted others done."""
    assert _MARK is not None
    return _waits_for(_MARK, "the count moving") if n == 0 else "done"


def test_the_count_moves_while_the_first_item_is_still_worked_on(tmp_path):
    """``on_done`` counts results as they come in, in any order: the render
    count of a build that begins with a long list page moves at once."""
    global _MARK
    _MARK = tmp_path / "counted"
    counted = [0]

    def on_done(done: int) -> None:
        counted[0] += done
        if counted[0] >= 50:
            _MARK.touch()

    results = list(pool_imap(_first_waits_for_the_count, list(range(400)), workers=2, chunksize=10,
                             on_done=on_done))
    assert results == ["done"] * 400 and counted[0] == 400


def _heavy_ones_meet(n: int) -> str:
    """Items 0 and 1 (the heavy ones) each wait (up to 30 s) for the other to have started."""
    assert _MARK is not None
    if n > 1:
        return "done"
    (_MARK / f"started-{n}").touch()
    return _waits_for(_MARK / f"started-{1 - n}", "the other heavy item starting")


def test_items_handed_out_alone_spread_over_the_workers(tmp_path):
    """``alone``: the first items (the heaviest) go one to a worker, not all
    in one batch behind which every other result waits."""
    global _MARK
    _MARK = tmp_path
    assert list(pool_imap(_heavy_ones_meet, list(range(400)), workers=2, alone=2)) == ["done"] * 400
