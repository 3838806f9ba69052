#!/usr/bin/env python3
"""What a pure-Python Markdown parser would cost: ssg's renderer (cmark-gfm
and ssg's passes) against markdown-it-py with mdit-py-plugins, on the
benchmark corpora, in one process.

    python bench/parsers.py [--pages 2000] [--rounds 5] [--shapes posts,notes,docs]

Needs markdown-it-py and mdit-py-plugins, which are not dependencies of ssg;
install them in a throwaway environment beside ssg, e.g.::

    python3 -m venv /tmp/venv-mdit
    /tmp/venv-mdit/bin/pip install -e . markdown-it-py mdit-py-plugins
    /tmp/venv-mdit/bin/python bench/parsers.py

For each corpus shape (bench/gen_corpus.py: ``posts``, ``notes``, ``docs``)
it generates ``--pages`` pages into a temporary folder, reads each file's
Markdown body (front matter split by ``ssg.sources.content.split_front_matter``)
and renders every body with four renderers, one after the other in each round
(the order rotated each round), ``--rounds`` times; each figure is the median
of the rounds:

    A   ssg's ``render_markdown(body, {})``: cmark-gfm (tables, strikethrough,
        autolinks, task lists, footnotes), then heading ids and the table of
        contents, Pygments highlighting, alerts, admonitions, math, definition
        lists, code block attributes, the summary
    A0  the same with ``{"highlight": False}``
    B   markdown-it-py ``MarkdownIt("commonmark")`` with table and
        strikethrough, its own alerts and (mdit-py-plugins) footnote, deflist,
        tasklists, dollarmath, attrs_block (``{#id}`` on the line above a
        heading), anchors (ids on h1-h6, slugs by ssg's ``slugify``), admon,
        gfm_autolink (cmark-gfm's autolink, which A has); code highlighted by
        ssg's ``highlight_code`` (and ``code_block`` for a fence with
        attributes), a table of contents taken from the tokens and the first
        paragraph as summary, so that both do the same work
    B0  the same parser and plugins, code not highlighted

Both highlight with ssg's fast lexers (``use_fast_lexers``), as a cold
build's parse workers do; each renderer first renders a few pages untimed
(lexers compiled, caches filled). The extra time B would add to a cold build
of 10,000 pages on 2 cores is (B - A) ms/page * 10,000 / 2 (parsing runs in
two forked workers).

It then compares A's and B's HTML page by page (counts of tables, definition
lists, heading ids, footnote sections, highlighted blocks, images, links,
list items; the text with tags removed) and renders a sample holding one of
each extension's syntax with A and B, to show which each supports out of the
box. Markdown tables on stdout; the load average before and after on stderr
and under the tables (other jobs on the machine change the figures).
"""

from __future__ import annotations

import argparse
import gc
import html
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from gen_corpus import SHAPES, generate  # noqa: E402

PIP = "pip install markdown-it-py mdit-py-plugins"
try:
    from markdown_it import MarkdownIt
    from markdown_it.common.utils import unescapeAll
    from mdit_py_plugins.admon import admon_plugin
    from mdit_py_plugins.anchors import anchors_plugin
    from mdit_py_plugins.attrs import attrs_block_plugin
    from mdit_py_plugins.deflist import deflist_plugin
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.footnote import footnote_plugin
    from mdit_py_plugins.gfm_autolink import gfm_autolink_plugin
    from mdit_py_plugins.tasklists import tasklists_plugin
except ImportError as error:
    sys.exit(f"bench/parsers.py needs markdown-it-py and mdit-py-plugins (not ssg dependencies): {error}\n"
             f"install them beside ssg, e.g. in a throwaway venv: {PIP}")

from ssg.sources.codeblocks import code_block, read_options  # noqa: E402
from ssg.sources.content import split_front_matter  # noqa: E402
from ssg.sources.markdown import highlight_code, render_markdown, use_fast_lexers  # noqa: E402
from ssg.sources.urls import slugify  # noqa: E402

TOC_LEVELS = ("h2", "h3")    # ssg's default [markdown] toc_levels
WARM_UP = 20                 # pages each renderer renders untimed first
PAGES_PER_BUILD, WORKERS = 10_000, 2


# --- B: markdown-it-py -------------------------------------------------------------------------------------

def highlight(code: str, language: str, attributes: str) -> str | None:
    """A fence as ssg highlights it (ssg.sources.markdown._highlight_match): its
    attributes (``{hl_lines="2"}``) through ``code_block``, else ``highlight_code``;
    None (markdown-it-py's plain ``pre``) for a language Pygments does not know."""
    if language == "mermaid":
        return f'<pre class="mermaid">{html.escape(code, quote=False)}</pre>'
    settings = {}
    if attributes:
        try:
            settings = read_options(attributes)
        except ValueError:
            settings = {}
    if settings:
        return code_block(code, language, settings)
    return highlight_code(code, language) if language else None


def make_parser(highlighting: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"highlight": highlight if highlighting else None})
    md.enable(["table", "strikethrough"])
    md.options["alerts"] = True          # markdown-it-py >= 4.1: GitHub's [!NOTE] blockquotes
    md.use(gfm_autolink_plugin).use(footnote_plugin).use(deflist_plugin).use(tasklists_plugin)
    md.use(dollarmath_plugin).use(attrs_block_plugin).use(admon_plugin)
    md.use(anchors_plugin, min_level=1, max_level=6, slug_func=slugify)
    default_fence = md.renderer.rules["fence"]

    def fence(self, tokens, idx, options, env):
        # markdown-it-py wraps a highlighter's output in <pre><code> unless it
        # starts with "<pre"; Pygments' starts with <div class="highlight">.
        if options.highlight:
            token = tokens[idx]
            info = unescapeAll(token.info).strip() if token.info else ""
            language, _, attributes = info.partition(" ")
            out = options.highlight(token.content, language, attributes.strip())
            if out:
                return out + "\n"
        return default_fence(tokens, idx, options, env)

    md.add_render_rule("fence", fence)
    return md


def markdown_it_renderer(highlighting: bool) -> Callable[[str], tuple[str, list, str]]:
    md = make_parser(highlighting)

    def render(body: str) -> tuple[str, list, str]:
        env: dict = {}
        tokens = md.parse(body, env)
        out = md.renderer.render(tokens, md.options, env)
        toc = [(int(token.tag[1]), token.attrGet("id"), tokens[at + 1].content)
               for at, token in enumerate(tokens) if token.type == "heading_open" and token.tag in TOC_LEVELS]
        start = out.find("<p>")
        summary = out[start + 3:out.find("</p>", start)].strip() if start >= 0 else ""
        return out, toc, summary

    return render


def renderers() -> dict[str, Callable[[str], object]]:
    no_highlight = {"highlight": False}
    return {"A": lambda body: render_markdown(body, {}),
            "A0": lambda body: render_markdown(body, no_highlight),
            "B": markdown_it_renderer(True),
            "B0": markdown_it_renderer(False)}


def html_of(result: object) -> str:
    return str(result.html) if hasattr(result, "html") else result[0]


# --- the corpora and the timing ------------------------------------------------------------------------------

def bodies(shape: str, pages: int) -> list[str]:
    with tempfile.TemporaryDirectory(prefix=f"parsers-{shape}-") as folder:
        paths = generate(Path(folder), pages, shape)
        return [split_front_matter(path.read_text(encoding="utf-8"), str(path))[1] for path in paths]


def time_shape(texts: list[str], rounds: int, funcs: dict[str, Callable]) -> tuple[dict, dict]:
    """Seconds of each renderer over ``texts``, each round (order rotated), and
    A's and B's HTML of the last round."""
    names = list(funcs)
    for name in names:
        for text in texts[:WARM_UP]:
            funcs[name](text)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    outputs: dict[str, list[str]] = {}
    for round_ in range(rounds):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            render = funcs[name]
            gc.collect()
            started = time.perf_counter()
            results = [render(text) for text in texts]
            seconds[name].append(time.perf_counter() - started)
            if name in ("A", "B"):
                outputs[name] = [html_of(result) for result in results]
            del results
        print(f"  round {round_ + 1}: " + ", ".join(f"{n} {seconds[n][-1]:.2f}s" for n in names), file=sys.stderr)
    return seconds, outputs


# --- comparing the outputs -----------------------------------------------------------------------------------

_HEADING_ID = re.compile(r'<h[1-6] id="([^"]*)"')
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
FEATURES = {
    "tables": lambda out: out.count("<table"),
    "definition lists": lambda out: out.count("<dl"),
    "headings with id": lambda out: len(_HEADING_ID.findall(out)),
    "footnote sections": lambda out: out.count('<section class="footnotes"'),
    "highlighted code": lambda out: out.count('<div class="highlight"'),
    "code blocks (pre)": lambda out: out.count("<pre"),
    "images": lambda out: out.count("<img"),
    "links": lambda out: out.count("<a href"),
    "list items": lambda out: out.count("<li"),
}


def text_of(out: str) -> str:
    return _SPACE.sub(" ", html.unescape(_TAGS.sub(" ", out))).strip()


def compare(a_pages: list[str], b_pages: list[str]) -> list[tuple]:
    rows = []
    for feature, count in FEATURES.items():
        a_counts, b_counts = [count(p) for p in a_pages], [count(p) for p in b_pages]
        rows.append((feature, sum(a_counts), sum(b_counts), sum(b < a for a, b in zip(a_counts, b_counts, strict=True)),
                     sum(b > a for a, b in zip(a_counts, b_counts, strict=True))))
    ids = sum(_HEADING_ID.findall(a) != _HEADING_ID.findall(b) for a, b in zip(a_pages, b_pages, strict=True))
    text = sum(text_of(a) != text_of(b) for a, b in zip(a_pages, b_pages, strict=True))
    rows.append(("heading id values differ", "", "", ids, ""))
    rows.append(("text (tags removed) differs", "", "", text, ""))
    return rows


SAMPLE = """\
## Plain heading

Text with ~~struck~~ words, a bare link https://example.com/x and a note.[^1]

## Custom heading {#custom}

{#above}
## Heading with id on the line above

| a | b |
| --- | --- |
| 1 | 2 |

- [x] done
- [ ] to do

> [!NOTE]
> An alert.

!!! warning "Careful"
    An admonition.

??? tip
    A folded admonition.

Term
: Its definition.

Inline math $x^2$ here.

$$
a + b
$$

```python {hl_lines="2"}
a = 1
b = 2
```

<div class="raw">raw HTML</div>

[^1]: The footnote.
"""

# What each extension writes, in A's or B's words.
PROBES = {
    "table": lambda o: "<table" in o,
    "strikethrough": lambda o: "<del>struck</del>" in o or "<s>struck</s>" in o,
    "bare URL autolink": lambda o: '<a href="https://example.com/x"' in o,
    "task list": lambda o: 'type="checkbox"' in o,
    "footnote": lambda o: 'class="footnotes"' in o and "[^1]" not in o,
    "heading ids": lambda o: 'id="plain-heading"' in o,
    "`## Title {#id}`": lambda o: 'id="custom"' in o and "{#custom}" not in o,
    "`{#id}` line above a heading": lambda o: 'id="above"' in o and "{#above}" not in o,
    "GitHub alert `> [!NOTE]`": lambda o: "[!NOTE]" not in o and "alert" in o,
    'admonition `!!! warning "Title"`': lambda o: 'class="admonition warning"' in o and "Careful" in o
    and "!!!" not in o,
    "folded admonition `??? tip` as <details>": lambda o: "<details" in o,
    "definition list": lambda o: "<dl>" in o,
    "inline math kept": lambda o: 'class="math inline"' in o,
    "display math kept": lambda o: 'class="math display"' in o or 'class="math block"' in o,
    "highlighted code": lambda o: 'class="highlight"' in o,
    'fence attributes `{hl_lines="2"}`': lambda o: 'class="hll"' in o,
    "raw HTML passed": lambda o: '<div class="raw">' in o,
}


# --- the report ----------------------------------------------------------------------------------------------

def versions() -> str:
    names = ("markdown-it-py", "mdit-py-plugins", "cmarkgfm", "Pygments")
    return ", ".join(f"{name} {metadata.version(name)}" for name in names) + f", Python {platform.python_version()}"


def load() -> str:
    return " ".join(f"{figure:.2f}" for figure in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="pages of each shape (default 2000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; figures are medians (default 5)")
    parser.add_argument("--shapes", default=",".join(SHAPES), help=f"corpus shapes, of {', '.join(SHAPES)}")
    args = parser.parse_args()
    shapes = args.shapes.split(",")
    if unknown := set(shapes) - set(SHAPES):
        parser.error(f"unknown shapes: {', '.join(sorted(unknown))}")
    loads = [load()]
    print(f"load average before: {loads[0]} ({os.cpu_count()} CPUs)", file=sys.stderr)
    use_fast_lexers()
    funcs = renderers()
    rows, checks, rounds_seen = [], {}, {}
    for shape in shapes:
        texts = bodies(shape, args.pages)
        print(f"{shape}: {len(texts)} pages, {sum(map(len, texts)) / len(texts) / 1024:.1f} kB of Markdown each",
              file=sys.stderr)
        seconds, outputs = time_shape(texts, args.rounds, funcs)
        median = {name: statistics.median(each) for name, each in seconds.items()}
        per_page = {name: 1000 * value / len(texts) for name, value in median.items()}
        extra = (per_page["B"] - per_page["A"]) / 1000 * PAGES_PER_BUILD / WORKERS
        rows.append((shape, len(texts), median, per_page, extra, sum(map(len, texts)) / len(texts)))
        rounds_seen[shape] = seconds
        checks[shape] = compare(outputs["A"], outputs["B"])
    loads.append(load())
    print(f"load average after: {loads[1]}", file=sys.stderr)

    print("## Markdown rendering: ssg (A: cmark-gfm + passes) vs markdown-it-py + mdit-py-plugins (B)\n")
    print(f"{args.rounds} rounds, medians; {versions()}. A0/B0: no highlighting.\n")
    print("| shape | pages | kB/page | A s | A ms/page | A0 s | A0 ms/page | B s | B ms/page | B0 s | B0 ms/page "
          f"| B/A | B0/A0 | B adds to a cold build of {PAGES_PER_BUILD:,} pages, {WORKERS} workers |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for shape, pages, median, per_page, extra, size in rows:
        figures = " | ".join(f"{median[n]:.2f} | {per_page[n]:.2f}" for n in ("A", "A0", "B", "B0"))
        print(f"| {shape} | {pages} | {size / 1024:.1f} | {figures} | {median['B'] / median['A']:.1f}x "
              f"| {median['B0'] / median['A0']:.1f}x | {extra:+.1f} s |")
    print("\nSeconds of each round:\n")
    print("| shape | " + " | ".join(funcs) + " |")
    print("|---|" + "---|" * len(funcs))
    for shape, seconds in rounds_seen.items():
        print(f"| {shape} | " + " | ".join(", ".join(f"{s:.2f}" for s in seconds[n]) for n in funcs) + " |")

    print("\n## Output check: A's HTML against B's, page by page\n")
    print("| shape | feature | A total | B total | pages where B has fewer | pages where B has more |")
    print("|---|---|--:|--:|--:|--:|")
    for shape, found in checks.items():
        for feature, a_total, b_total, fewer, more in found:
            print(f"| {shape} | {feature} | {a_total} | {b_total} | {fewer} | {more} |")

    sample_a, sample_b = html_of(funcs["A"](SAMPLE)), html_of(funcs["B"](SAMPLE))
    print("\n## Extensions out of the box (a sample page with one of each)\n")
    print("| syntax | A: ssg | B: markdown-it-py + plugins |")
    print("|---|---|---|")
    for feature, probe in PROBES.items():
        print(f"| {feature} | {'yes' if probe(sample_a) else 'no'} | {'yes' if probe(sample_b) else 'no'} |")
    print(f"\nLoad average (1, 5, 15 min) before: {loads[0]}; after: {loads[1]}; {os.cpu_count()} CPUs.")


if __name__ == "__main__":
    main()
