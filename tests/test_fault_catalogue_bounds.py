"""The fault catalogue of issue 19, classes 1, 2 and 7: every stage has a
bound, and no failure exits 0.

1. No per-page pass takes time in the square of one page's size: each is run
   on an input and on one doubled twice, and the time must grow about
   fourfold (a ratio of two timings, each the best of a few runs, so a loaded
   machine does not fail it; quadratic code grows sixteenfold).
2. A plugin or a template filter that ends the process (``sys.exit(0)``,
   ``raise SystemExit``, ``os._exit(0)``, ``KeyboardInterrupt``), in the
   build process or in a worker, is a build error naming the plugin and the
   page, exit 1; ``--json`` always prints its summary.
7. A hook that does not die (catches every exception, or blocks SIGALRM) is
   stopped by the watchdog and reported, exit 1.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

import pytest

from ssg.content import parse_page
from ssg.links import rewrite_links


def _best(function: Callable[[], object], runs: int = 3) -> float:
    """The shortest of ``runs`` timings, with the cycle collector off as in a
    build (ssg/build.py): its passes over pytest's heap, set off by how many
    objects a pass makes, would add time that grows with the heap."""
    best = float("inf")
    enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(runs):
            started = time.perf_counter()
            function()
            best = min(best, time.perf_counter() - started)
    finally:
        if enabled:
            gc.enable()
    return best


def _growth(make: Callable[[int], Callable[[], object]], n: int) -> float:
    """How many times longer the pass takes on the input doubled twice (n,
    2n, 4n: linear 4, quadratic 16): two doublings keep the ratio clear of
    the noise of a loaded machine."""
    small, large = make(n), make(4 * n)
    small()     # warm caches (compiled patterns, lexers) before timing
    return _best(large) / max(_best(small), 1e-6)


def _parsing(body: Callable[[int], str]) -> Callable[[int], Callable[[], object]]:
    def make(n: int) -> Callable[[], object]:
        raw = ("---\ntitle: Big\n---\n" + body(n)).encode()
        return lambda: parse_page(raw, "content/big.md", section="", slug="big", kind="page", markdown_options={})
    return make


def _rewriting(text: Callable[[int], str]) -> Callable[[int], Callable[[], object]]:
    def make(n: int) -> Callable[[], object]:
        page = text(n)
        return lambda: rewrite_links(page, lambda url: url + "/")
    return make


LINEAR = {
    # links.rewrite_links: href= found, src= absent (each link rescanned the rest)
    "links-href-only": (_rewriting(lambda n: "".join(f'<p><a href="p{i}.md">x</a></p>\n' for i in range(n))), 8000),
    "links-src-only": (_rewriting(lambda n: "".join(f'<img src="p{i}.png">\n' for i in range(n))), 8000),
    "links-unclosed-quote": (_rewriting(lambda n: ' href="x' * n), 20000),
    "links-quote-on-next-line": (_rewriting(lambda n: '<p> href="x\n' * n), 20000),
    # markdown.py: heading ids, code blocks, the summary (raw HTML left unclosed)
    "headings-unclosed": (_parsing(lambda n: "<div>\n" + "<h2>x\n" * n + "</div>\n"), 10000),
    "paragraphs-unclosed": (_parsing(lambda n: "<div>\n" + "<p>x\n" * n + "</div>\n"), 10000),
    "code-unclosed": (_parsing(lambda n: "<div>\n" + '<pre lang="py"><code>x\n' * n + "</div>\n"), 10000),
    "heading-of-brackets": (_parsing(lambda n: "<h2>" + "<" * n + "</h2>\n"), 20000),
    "footnote-refs-unclosed": (_parsing(lambda n: '<div>\n' + '<sup class="footnote-ref">\n' * n + "</div>\n\n"
                                        "<!--more-->\n"), 10000),
    # members that were linear already, kept linear
    "links-in-markdown": (_parsing(lambda n: "".join(f"[a{i}](other.md)\n\n" for i in range(n))), 4000),
    "many-headings": (_parsing(lambda n: "## Heading\n\npara\n\n" * n), 4000),
    "code-block": (_parsing(lambda n: "```python\n" + 'x = f(1, "a") + b[2]  # c\n' * n + "```\n"), 2000),
}


@pytest.mark.parametrize("case", sorted(LINEAR))
def test_no_pass_takes_time_in_the_square_of_a_page(case):
    make, n = LINEAR[case]
    growth = _growth(make, n)
    if growth >= 8:     # one retry: a burst of load on the other core during one timing
        growth = min(growth, _growth(make, n))
    assert growth < 8, f"{case}: four times the input took {growth:.1f} times as long (linear: 4, quadratic: 16)"
