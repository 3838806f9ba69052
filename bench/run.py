#!/usr/bin/env python3
"""The build benchmark: ssg against Hugo on the same corpus, in one run.

    python bench/run.py [--sizes 1000,10000] [--shapes posts,notes,docs] [--theme bench|default] [--rounds 3]
                        [--hugo-site ../shared/bench/hugo-site] [--work bench/work]

For each corpus shape (bench/gen_corpus.py: ``posts``, the reference corpus;
``notes``, short untagged notes; ``docs``, long pages with code, tables and
images in a deep section tree) and each size N: generate N pages into an ssg
site and into a copy of the Hugo reference site, then time, as whole processes:

    hugo      cold build (Hugo has no incremental mode: every build is this)
    ssg       cold build, no-op rebuild, one body edit, one title edit, one tag
              edit (a tag replaced by a new one, where pages have tags); then CI's
              case, a fresh checkout: the sources copied anew (new mtimes),
              .ssg/ and the output restored from a cache with their mtimes
              ("fresh no-op") or the output without them ("fresh, no times"),
              and a fresh checkout with one post edited ("fresh edit")

The ssg site is bench/site (``--theme bench``: the page set of the Hugo
reference site, so both tools build the same pages) or the site ``ssg new``
makes (``--theme default``: the default theme, with its pagination, feeds
and sitemap, a larger page set than Hugo's reference).

It prints wall seconds, peak RSS (the largest process of the build) and files
written (counted the same way for both tools: files whose inode or mtime
changed), with each ssg figure as a ratio to Hugo's build. ``--rounds R``
repeats the whole sequence R times and reports medians: on a shared machine
one run of Hugo's build varies by a third. Results are also
written to WORK/results.json.

Old output folders are moved aside into WORK/.trash and deleted only after the
last run: on ext4, creating files right after deleting tens of thousands makes
the kernel's inode allocator skip every recently freed inode, which doubled or
tripled the system time of whichever build came next (Hugo's or ssg's,
depending on the order). For the same reason every run starts after ``sync``:
the kernel writes back what the run before wrote (Hugo's two builds write
20,000 files just before ssg's cold build) before the clock starts, not while
the next run is timed. Needs `hugo` on PATH (apt-get install hugo).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from gen_corpus import SHAPES, generate  # noqa: E402

sys.path.insert(0, str(HERE.parent / "tests"))
from checkouts import checkout_again  # noqa: E402

# Python caches compiled modules (__pycache__) on a user's machine; a shell that
# sets PYTHONDONTWRITEBYTECODE would make every run compile ssg again.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def files_state(root: Path) -> dict[str, tuple[int, int]]:
    state = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            stat = os.stat(os.path.join(folder, name))
            state[os.path.join(folder, name)] = (stat.st_ino, stat.st_mtime_ns)
    return state


def run(command: list[str], cwd: Path, output: Path) -> dict:
    """Run ``command``; wall seconds, peak RSS in MiB and files written under ``output``."""
    before = files_state(output)
    os.sync()     # what the run before wrote is flushed now, not while this one runs
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(command)}\n{proc.stderr.read().decode()}")
    after = files_state(output)
    written = sum(1 for path, stamp in after.items() if before.get(path) != stamp)
    return {"seconds": round(seconds, 3), "rss_mib": round(usage.ru_maxrss / 1024, 1), "written": written,
            "files": len(after)}


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def discard(path: Path, work: Path) -> None:
    """Move ``path`` out of the way, into WORK/.trash (deleted by ``empty_trash``
    after the last run), so that no run follows a mass deletion."""
    if path.exists():
        trash = work / ".trash"
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{time.monotonic_ns()}-{path.name}")


def empty_trash(work: Path) -> None:
    shutil.rmtree(work / ".trash", ignore_errors=True)


def new_site(folder: Path) -> None:
    """The site ``ssg new`` makes, without its sample pages."""
    subprocess.run([sys.executable, "-m", "ssg", "new", "site", str(folder)], check=True, env=ENV,
                   stdout=subprocess.DEVNULL)
    for sample in ("posts/hello-world.md", "about.md"):
        (folder / "content" / sample).unlink()


def bench(n: int, work: Path, hugo_site: Path, with_hugo: bool = True, rounds: int = 1, shape: str = "posts",
          theme: str = "bench") -> dict:
    """The runs for ``n`` pages of ``shape``, ``rounds`` times over on the same
    corpus (each round from a clean output folder and state, editing another
    page); each figure is the median of the rounds, each ratio the median of
    the rounds' ratios (every round measures Hugo and ssg side by side)."""
    folder = work / f"{shape}-{n}"
    discard(folder, work)
    ssg_site, hugo = folder / "ssg", folder / "hugo"
    if theme == "default":
        new_site(ssg_site)
    else:
        shutil.copytree(HERE / "site", ssg_site)
    pages = generate(ssg_site / "content", n, shape)
    shutil.copytree(hugo_site, hugo)
    shutil.copytree(ssg_site / "content", hugo / "content", ignore=shutil.ignore_patterns("_index.md"))
    with_hugo = with_hugo and shutil.which("hugo") is not None
    runs = [_round(pages[n // 2 + index], ssg_site, hugo, with_hugo, work) for index in range(rounds)]
    results: dict = {"n": n, "shape": shape, "theme": theme, "rounds": rounds}
    for name in runs[0]:
        rows = [run[name] for run in runs]
        results[name] = {**rows[-1], "seconds": round(statistics.median(r["seconds"] for r in rows), 3),
                         "rss_mib": max(r["rss_mib"] for r in rows), "each": [r["seconds"] for r in rows]}
        if with_hugo:
            results[name]["x_hugo"] = round(statistics.median(
                run[name]["seconds"] / run["hugo build"]["seconds"] for run in runs), 3)
    return results


def _round(middle: Path, ssg_site: Path, hugo: Path, with_hugo: bool, work: Path) -> dict:
    ssg = [sys.executable, "-m", "ssg", "build", "-s", str(ssg_site), "--future", "-q"]
    results = {}
    if with_hugo:
        discard(hugo / "public", work)
        (hugo / "public").mkdir()
        results["hugo build"] = run(["hugo", "--quiet", "-d", "public"], hugo, hugo / "public")
        results["hugo rebuild"] = run(["hugo", "--quiet", "-d", "public"], hugo, hugo / "public")
    public = ssg_site / "public"
    discard(public, work)
    discard(ssg_site / ".ssg", work)
    public.mkdir()
    results["ssg cold"] = run(ssg, ssg_site, public)
    results["ssg no-op"] = run(ssg, ssg_site, public)
    text = middle.read_text()
    paragraph = text.rindex("\n\n") + 2     # the last paragraph's start
    middle.write_text(text[:paragraph] + "An edited sentence. " + text[paragraph:])
    results["ssg body edit"] = run(ssg, ssg_site, public)
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    edit(middle, title, title[:-1] + ', retitled"')
    results["ssg title edit"] = run(ssg, ssg_site, public)
    tags = next((line for line in text.splitlines() if line.startswith("tags: [")), None)
    if tags is not None:     # one tag replaced by a new one: a term page appears, one list loses the post
        edit(middle, tags, tags[:-1].rpartition(",")[0] + ", retagged]" if "," in tags else "tags: [retagged]")
        results["ssg tag edit"] = run(ssg, ssg_site, public)
    # CI's case: a fresh clone (every source a new mtime, ctime and inode), .ssg/ and the output from a cache
    fresh_checkout(ssg_site, work, keep_output_times=True)
    results["ssg fresh no-op"] = run(ssg, ssg_site, public)
    fresh_checkout(ssg_site, work, keep_output_times=False)
    results["ssg fresh, no times"] = run(ssg, ssg_site, public)
    fresh_checkout(ssg_site, work, keep_output_times=True)
    text = middle.read_text()
    paragraph = text.rindex("\n\n") + 2
    middle.write_text(text[:paragraph] + "Another edited sentence. " + text[paragraph:])
    results["ssg fresh edit"] = run(ssg, ssg_site, public)
    return results


def fresh_checkout(site: Path, work: Path, *, keep_output_times: bool) -> None:
    discard(checkout_again(site, keep_output_times=keep_output_times), work)


def report(results: dict) -> str:
    rounds = results.get("rounds", 1)
    lines = [f"{results.get('shape', 'posts')}, N = {results['n']:,}, ssg theme {results.get('theme', 'bench')}"
             + (f" (median of {rounds} rounds)" if rounds > 1 else ""),
             f"  {'run':<20}{'seconds':>9}{'x Hugo':>9}{'peak MiB':>10}{'written':>9}{'files':>8}"]
    for name, row in results.items():
        if not isinstance(row, dict):
            continue
        ratio = f"{row['x_hugo']:.3f}" if "x_hugo" in row else "-"
        lines.append(f"  {name:<20}{row['seconds']:>9.2f}{ratio:>9}{row['rss_mib']:>10.0f}{row['written']:>9}"
                     f"{row['files']:>8}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--shapes", default=",".join(SHAPES), help=f"corpus shapes, of {', '.join(SHAPES)}")
    parser.add_argument("--theme", choices=("bench", "default"), default="bench",
                        help="bench/site (Hugo's page set) or the default theme of `ssg new`")
    parser.add_argument("--hugo-site", type=Path, default=HERE.parent.parent / "shared/bench/hugo-site")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--no-hugo", action="store_true", help="ssg figures only (e.g. for 100,000 posts)")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the runs and report medians (machines vary)")
    args = parser.parse_args()
    if not shutil.which("hugo"):
        print("hugo not found (apt-get install hugo): ssg figures only, no ratios", file=sys.stderr)
    everything = []
    empty_trash(args.work)
    try:
        for shape in args.shapes.split(","):
            for n in (int(s) for s in args.sizes.split(",")):
                results = bench(n, args.work, args.hugo_site, with_hugo=not args.no_hugo, rounds=args.rounds,
                                shape=shape, theme=args.theme)
                everything.append(results)
                print(report(results), flush=True)
    finally:
        empty_trash(args.work)
    name = f"results-{args.theme}-{args.shapes.replace(',', '-')}-{args.sizes.replace(',', '-')}.json"
    (args.work / name).write_text(json.dumps(everything, indent=2))


if __name__ == "__main__":
    main()
