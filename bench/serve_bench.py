#!/usr/bin/env python3
"""The live reload benchmark: from saving an edit of one post to the browser showing the new page.

    python bench/serve_bench.py [--posts 10000] [--edits 20] [--kinds body,title,tag,date]
                                [--work bench/work] [--atomic]

Generates the corpus (bench/gen_corpus.py) into a copy of bench/site, starts
`python -m ssg serve --port 0 --future` on it, opens the middle post in
headless Chromium (Debian's, driven by Playwright) and waits for its live
reload event stream. Then, for each edit kind (``--kinds``, ``body`` by
default), one edit at a time: makes the kind's edit of the post with a
unique marker, takes the time when the write returns, and waits for the page
to show the marker. The kinds:

    body    a marker word in the body (under the "Details" heading)
    title   the title with a marker word appended
    tag     the post's last tag replaced by a marker tag (a new term)
    date    the date moved to a day of its own in 1990 (the page shows it)

The latency is measured against the page's own clock: the first animation
frame after the reloaded document was parsed (an init script records it), so
Playwright's polling adds nothing. Prints, per kind, p50 (median), p95
(nearest rank), min and max in ms and the server's `built in X s` figures;
writes WORK/serve-results.json (one entry per kind).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from gen_corpus import generate  # noqa: E402

# As in bench/run.py: keep Python's bytecode cache, as an installed ssg has it.
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONUNBUFFERED"] = "1"
FIRST_BUILD_TIMEOUT = 600.0  # seconds; a cold 10,000-post build takes about 15 s
EDIT_TIMEOUT_MS = 60_000     # per edit; a 10,000-post edit build takes about 4 s
GAP = 0.2                    # seconds between the page showing an edit and the next edit
ANCHOR = "### Details\n\n"   # every generated post has it; the marker goes after it
DAY_ONE = datetime(1990, 1, 1)   # date edits: a day each, before every generated date
# Runs in every document the page loads: the wall-clock time of its first frame.
SHOWN_SCRIPT = """document.addEventListener("DOMContentLoaded", function () {
  requestAnimationFrame(function () { window.__benchShown = performance.timeOrigin + performance.now(); });
});"""


class BenchError(Exception):
    pass


class Server:
    """`ssg serve` as a subprocess, its stdout and stderr collected line by line."""

    def __init__(self, site: Path):
        command = [sys.executable, "-m", "ssg", "serve", "-s", str(site), "--port", "0", "--future"]
        self.process = subprocess.Popen(command, cwd=HERE.parent, env=ENV, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for line in self.lines:
                    if match := re.search(pattern, line):
                        return match
                if self.process.poll() is not None and not self.changed.wait(0.5):
                    raise BenchError(f"ssg serve exited with status {self.process.returncode}")
                if time.monotonic() > deadline:
                    raise BenchError(f"no line matching {pattern!r} from ssg serve within {timeout:.0f} s")
                self.changed.wait(0.5)

    def build_seconds(self, start: int = 0) -> list[float]:
        with self.changed:
            return [float(m.group(1)) for line in self.lines[start:] if (m := re.match(r"built in ([\d.]+) s", line))]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)   # stops after the running build
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def write(path: Path, text: str, atomic: bool) -> None:
    if not atomic:
        path.write_text(text, encoding="utf-8")
        return
    temporary = path.with_name(f".{path.name}.tmp")   # a name the watcher ignores, as editors use
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _line(text: str, key: str) -> str:
    """The front matter line ``key: ...`` of a generated post."""
    found = next((line for line in text.splitlines() if line.startswith(f"{key}: ")), None)
    if found is None:
        raise BenchError(f"the post has no {key!r} line in its front matter")
    return found


def _body(text: str, number: int, marker: str) -> tuple[str, str]:
    if ANCHOR not in text:
        raise BenchError(f"the post has no {ANCHOR.strip()!r} heading")
    return text.replace(ANCHOR, f"{ANCHOR}{marker} ", 1), marker


def _title(text: str, number: int, marker: str) -> tuple[str, str]:
    line = _line(text, "title")     # title: "Post number 5000"
    return text.replace(line, f'{line[:-1]} {marker}"', 1), marker


def _tag(text: str, number: int, marker: str) -> tuple[str, str]:
    line = _line(text, "tags")
    tags = [tag.strip() for tag in line.partition("[")[2].rstrip("]").split(",")]
    return text.replace(line, f"tags: [{', '.join([*tags[:-1], marker])}]", 1), marker


def _date(text: str, number: int, marker: str) -> tuple[str, str]:
    day = DAY_ONE + timedelta(days=number)
    return text.replace(_line(text, "date"), f"date: {day:%Y-%m-%dT%H:%M:%S}Z", 1), f"{day:%Y-%m-%d}"


# kind -> (post text, edit number, marker word) -> (edited text, what the page then shows)
EDITS: dict[str, Callable[[str, int, str], tuple[str, str]]] = {
    "body": _body, "title": _title, "tag": _tag, "date": _date}


def measure(args: argparse.Namespace, server: Server, post: Path, url: str, kind: str) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise BenchError("no chromium on PATH (apt-get install chromium)")
    original = post.read_text(encoding="utf-8")
    edit = EDITS[kind]
    edit(original, 0, "check")     # the post has what this kind edits
    latencies, observed, builds, build_counts = [], [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.add_init_script(SHOWN_SCRIPT)
            page.goto(url, timeout=EDIT_TIMEOUT_MS)
            page.wait_for_function("window.__ssgLiveReload && window.__ssgLiveReload.connected",
                                   timeout=EDIT_TIMEOUT_MS)
            for number in range(1, args.edits + 1):
                marker = f"servebench{number:03d}x{secrets.token_hex(4)}"
                first_line = len(server.lines)
                edited, shows = edit(original, number, marker)
                write(post, edited, args.atomic)
                saved = time.time() * 1000
                page.get_by_text(shows).first.wait_for(timeout=EDIT_TIMEOUT_MS)
                seen = time.time() * 1000
                shown = page.wait_for_function("window.__benchShown", timeout=EDIT_TIMEOUT_MS).json_value()
                latencies.append(round(shown - saved, 1))
                observed.append(round(seen - saved, 1))
                time.sleep(GAP)
                seconds = server.build_seconds(first_line)
                builds.append(sum(seconds))
                build_counts.append(len(seconds))
                print(f"  {kind} edit {number:>3}: {latencies[-1]:8.1f} ms  (build {sum(seconds):.2f} s)", flush=True)
        finally:
            browser.close()
            post.write_text(original, encoding="utf-8")
    return {"latency_ms": latencies, "observed_ms": observed, "build_s": builds, "builds_per_edit": build_counts}


def summary(posts: int, first_build: float, kind: str, runs: dict) -> dict:
    ordered = sorted(runs["latency_ms"])
    return {"posts": posts, "kind": kind, "edits": len(ordered), "first_build_s": first_build,
            "p50_ms": round(statistics.median(ordered), 1),
            "p95_ms": ordered[math.ceil(0.95 * len(ordered)) - 1],
            "min_ms": ordered[0], "max_ms": ordered[-1],
            "build_mean_s": round(statistics.mean(runs["build_s"]), 3),
            "build_median_s": round(statistics.median(runs["build_s"]), 3), **runs}


def report(results: list[dict]) -> str:
    names = ("posts", "kind", "edits", "p50 ms", "p95 ms", "min ms", "max ms", "build mean s", "build median s")
    rows = [names] + [(f"{r['posts']:,}", r["kind"], r["edits"], r["p50_ms"], r["p95_ms"], r["min_ms"], r["max_ms"],
                       f"{r['build_mean_s']:.2f}", f"{r['build_median_s']:.2f}") for r in results]
    widths = [max(len(str(row[column])) for row in rows) for column in range(len(names))]
    return "\n".join("  ".join(str(cell).rjust(width) for cell, width in zip(row, widths, strict=True))
                     for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--atomic", action="store_true", help="save as editors do: a temporary file, then rename")
    parser.add_argument("--kinds", default="body", help=f"edit kinds to measure, in turn, of {', '.join(EDITS)}")
    args = parser.parse_args()
    if args.posts < 1 or args.edits < 1:
        parser.error("--posts and --edits must be at least 1")
    kinds = args.kinds.split(",")
    if unknown := [kind for kind in kinds if kind not in EDITS]:
        parser.error(f"unknown edit kind {', '.join(unknown)} (known: {', '.join(EDITS)})")
    site = args.work / f"serve-{args.posts}"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(HERE / "site", site)
    generate(site / "content", args.posts)
    middle = args.posts // 2 or 1
    post = site / f"content/posts/post-{middle:05d}.md"
    print(f"site: {site} ({args.posts:,} posts); editing {post.name}", flush=True)
    server = Server(site)
    try:
        base = server.wait_for(r"serving (http://\S+)", FIRST_BUILD_TIMEOUT).group(1)
        first_build = (server.build_seconds() or [float("nan")])[0]
        print(f"first build {first_build:.2f} s; serving {base}", flush=True)
        url = f"{base}posts/post-{middle:05d}/"
        results = [summary(args.posts, first_build, kind, measure(args, server, post, url, kind)) for kind in kinds]
    except Exception as error:
        tail = "\n".join(server.lines[-30:])
        sys.exit(f"serve_bench failed: {type(error).__name__}: {error}\nlast lines of ssg serve:\n{tail}")
    finally:
        server.stop()
    print(report(results))
    (args.work / "serve-results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {args.work / 'serve-results.json'}")


if __name__ == "__main__":
    main()
