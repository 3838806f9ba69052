#!/usr/bin/env python3
"""The benchmark corpora: one shape to the spec in shared/bench/README.md, and
two more that real sites have.

    python bench/gen_corpus.py OUT_DIR N [SHAPE]

SHAPE (default ``posts``):

- ``posts``: OUT_DIR/posts/post-00001.md ... post-N.md: YAML front matter
  (title, date, 3 tags out of 40, summary) and a body with headings,
  paragraphs, a list, a link to another post and a Python code block.
- ``notes``: OUT_DIR/posts/note-00001.md ...: short untagged notes (a title,
  a date and one to three sentences), as a microblog or a link log has.
- ``docs``: OUT_DIR/docs/<a>/<b>/.../page-00001.md: long pages (about 12 kB: nine parts)
  with many code blocks in five languages, tables and images, in a section
  tree three to five folders deep, each page tagged with one of 40 tags and
  linking to another page.

Deterministic: the same N and shape give the same bytes on every machine (one
seeded RNG, no clock).
"""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta
from pathlib import Path

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore "
         "et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip "
         "ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla "
         "pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim "
         "id est").split()
TAGS = [f"tag{i:02d}" for i in range(40)]
START = datetime(2020, 1, 1)


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def post(rng: random.Random, number: int, total: int) -> str:
    """One post's markdown source."""
    date = START + timedelta(hours=7 * number)
    tags = rng.sample(TAGS, 3)
    other = rng.randrange(1, total + 1)
    summary = sentence(rng, 12)
    front = ["---", f'title: "Post number {number}"', f"date: {date:%Y-%m-%dT%H:%M:%S}Z",
             f"tags: [{', '.join(tags)}]", f'summary: "{summary}"', "---", ""]
    body = [f"## Section {number}", "", sentence(rng, 60), "",
            sentence(rng, 45) + f" See [post {other}](../post-{other:05d}/).", "",
            "- " + sentence(rng, 8), "- " + sentence(rng, 8), "- **" + sentence(rng, 5) + "**", "",
            "```python", f"def f{number}(x):", "    return x * 2", "```", "",
            "### Details", "", sentence(rng, 80), ""]
    return "\n".join(front + body)


def note(rng: random.Random, number: int, total: int) -> str:
    """One short untagged note."""
    date = START + timedelta(hours=7 * number)
    body = " ".join(sentence(rng, rng.randrange(6, 20)) for _ in range(rng.randrange(1, 4)))
    return "\n".join(["---", f'title: "Note number {number}"', f"date: {date:%Y-%m-%dT%H:%M:%S}Z", "---", "",
                      body, ""])


CODE = {
    "python": ["def handler(event, context):", "    items = [x * 2 for x in event['items'] if x]",
               "    return {'status': 200, 'count': len(items)}"],
    "bash": ["set -euo pipefail", "for f in build/*.html; do", '  gzip -k9 "$f"', "done"],
    "yaml": ["server:", "  port: 8080", "  routes:", "    - path: /api", "      timeout: 30s"],
    "json": ['{"name": "site", "version": 3,', ' "plugins": ["feeds", "sitemap"], "draft": false}'],
    "go": ["func main() {", '\tfmt.Println("hello")', "\tos.Exit(run(os.Args[1:]))", "}"],
}
FOLDERS = ("guide", "reference", "howto", "concepts", "api", "setup", "deploy", "admin")


def doc_folder(rng: random.Random) -> str:
    """A folder three to five levels deep under docs/ (8 names a level)."""
    return "/".join(["docs"] + [rng.choice(FOLDERS) for _ in range(rng.randrange(3, 6))])


def doc(rng: random.Random, number: int, folders: list[str]) -> str:
    """One long documentation page: sections with paragraphs, code blocks,
    a table and an image each."""
    date = START + timedelta(hours=7 * number)
    other = rng.randrange(len(folders))
    front = ["---", f'title: "Page number {number}"', f"date: {date:%Y-%m-%dT%H:%M:%S}Z",
             f"tags: [{rng.choice(TAGS)}]", "---", ""]
    body = []
    for part in range(1, 10):
        language = rng.choice(sorted(CODE))
        body += [f"## Part {part} of page {number}", "", sentence(rng, 70), "",
                 f"```{language}", *CODE[language], "```", "",
                 "| option | default | meaning |", "| --- | --- | --- |",
                 *[f"| `opt{part}{row}` | {rng.randrange(100)} | {sentence(rng, 8)} |" for row in range(4)], "",
                 f"![Figure {part}](/images/figure-{(number + part) % 50:02d}.png)", "",
                 sentence(rng, 50) + (f" See [page {other + 1}](/{folders[other]}/page-{other + 1:05d}/)."
                                      if part == 3 else ""), ""]
    return "\n".join(front + body)


SHAPES = ("posts", "notes", "docs")


def generate(out: Path, total: int, shape: str = "posts") -> list[Path]:
    """Write the corpus; its files, in order (the benchmark edits the middle one)."""
    rng = random.Random(1)
    paths = []
    if shape == "docs":
        folders = [doc_folder(rng) for _ in range(total)]
        for number, folder in enumerate(folders, 1):
            path = out / folder / f"page-{number:05d}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(doc(rng, number, folders), encoding="utf-8")
            paths.append(path)
        return paths
    write, name = (note, "note") if shape == "notes" else (post, "post")
    folder = out / "posts"
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(1, total + 1):
        path = folder / f"{name}-{number:05d}.md"
        path.write_text(write(rng, number, total), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4) or (len(sys.argv) == 4 and sys.argv[3] not in SHAPES):
        sys.exit(f"usage: gen_corpus.py OUT_DIR N [{'|'.join(SHAPES)}]")
    generate(Path(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:])
