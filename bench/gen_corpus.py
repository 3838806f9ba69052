#!/usr/bin/env python3
"""The benchmark corpus, to the spec in shared/bench/README.md.

    python bench/gen_corpus.py OUT_DIR N

Writes OUT_DIR/posts/post-00001.md ... post-N.md: YAML front matter (title,
date, 3 tags out of 40, summary) and a body with headings, paragraphs, a
list, a link to another post and a Python code block. Deterministic: the
same N gives the same bytes on every machine (one seeded RNG, no clock).
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


def generate(out: Path, total: int) -> list[Path]:
    rng = random.Random(1)
    folder = out / "posts"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(1, total + 1):
        path = folder / f"post-{number:05d}.md"
        path.write_text(post(rng, number, total), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: gen_corpus.py OUT_DIR N")
    generate(Path(sys.argv[1]), int(sys.argv[2]))
