#!/usr/bin/env python3
"""What shortcodes cost a cold build: N docs pages calling four shortcodes
each (figure, a {{% %}} pair of the site's own, details, relref) against the
same pages with what those calls make written out as HTML and Markdown links.

    python bench/shortcodes.py [--pages 2000] [--rounds 3] [--work bench/work/shortcodes]

Each round builds both sites from nothing (``ssg build -q``, the output and
.ssg/ moved aside first), interleaved; it prints the median wall and user
seconds of each and the difference a page."""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

CONFIG = 'title = "Shortcodes"\nbase_url = "https://example.org/"\n'
NOTE = '<aside class="{{ kwargs.kind }}">{{ inner }}</aside>\n'


def calls(i: int, pages: int) -> str:
    return (f"Intro paragraph {i} with some text.\n\n"
            f'{{{{< figure src="img{i}.png" alt="Figure {i}" caption="A *caption* {i}" >}}}}\n\n'
            f'{{{{% note kind="tip" %}}}}\nSome **markdown** inside, number {i}.\n{{{{% /note %}}}}\n\n'
            f'{{{{< details summary="More" >}}}}\nHidden text {i}.\n{{{{< /details >}}}}\n\n'
            f'See [the next page]({{{{< relref "p{(i + 1) % pages}.md" >}}}}).\n\n## Section {i}\n\nMore text.\n')


def written_out(i: int, pages: int) -> str:
    return (f"Intro paragraph {i} with some text.\n\n"
            f'<figure><img src="img{i}.png" alt="Figure {i}"><figcaption><p>A <em>caption</em> {i}</p>'
            "</figcaption></figure>\n\n"
            f'<aside class="tip">\n\nSome **markdown** inside, number {i}.\n\n</aside>\n\n'
            f"<details><summary>More</summary>\n\nHidden text {i}.\n\n</details>\n\n"
            f"See [the next page](p{(i + 1) % pages}.md).\n\n## Section {i}\n\nMore text.\n")


def make_site(root: Path, pages: int, body) -> None:
    shutil.rmtree(root, ignore_errors=True)
    (root / "content/docs").mkdir(parents=True)
    (root / "templates/shortcodes").mkdir(parents=True)
    (root / "ssg.toml").write_text(CONFIG)
    (root / "templates/shortcodes/note.html").write_text(NOTE)
    for i in range(pages):
        (root / f"content/docs/p{i}.md").write_text(f"---\ntitle: Page {i}\ndate: 2024-01-01\n---\n{body(i, pages)}")


def cold_build(root: Path, trash: Path) -> tuple[float, float]:
    for name in ("public", ".ssg"):
        if (root / name).exists():
            (root / name).rename(trash / f"{root.name}-{name}-{time.monotonic_ns()}")
    subprocess.run(["sync"], check=False)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(root), "-q"], check=True)
    return time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("bench/work/shortcodes"))
    options = parser.parse_args()
    work, trash = options.work.resolve(), options.work.resolve() / ".trash"
    trash.mkdir(parents=True, exist_ok=True)
    sites = {"calls": work / "calls", "written out": work / "written-out"}
    make_site(sites["calls"], options.pages, calls)
    make_site(sites["written out"], options.pages, written_out)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in sites}
    for _ in range(options.rounds):
        for name, root in sites.items():
            times[name].append(cold_build(root, trash))
    shutil.rmtree(trash, ignore_errors=True)
    medians = {name: (statistics.median(t[0] for t in runs), statistics.median(t[1] for t in runs))
               for name, runs in times.items()}
    print(f"{options.pages} pages, 4 calls a page, medians of {options.rounds} cold builds")
    for name, (wall, user) in medians.items():
        print(f"  {name:12} {wall:6.2f} s wall {user:6.2f} s user")
    extra = (medians["calls"][1] - medians["written out"][1]) / options.pages * 1000
    print(f"  shortcodes: {extra:.3f} ms of CPU a page, {extra / 4 * 1000:.0f} us a call")


if __name__ == "__main__":
    main()
