"""What the tests of warm rebuilds (ssg serve's kept model) share: a small
site, builds made as ``ssg serve`` makes them, and the checks of their result."""

from __future__ import annotations

import shutil
from pathlib import Path

from ssg.build.entry import BuildOptions, build
from ssg.build.sources.kept import Warm


def post(title: str, body: str, *, summary: str = "Fixed summary.", tags: str = "x", day: int = 1) -> str:
    return f"---\ntitle: {title}\ndate: 2024-03-{day:02d}\ntags: [{tags}]\nsummary: {summary}\n---\n{body}\n"


SITE = {
    "content/posts/a.md": post("Alpha", "Alpha body.", day=1),
    "content/posts/b.md": post("Beta", "Beta body.\n\n## Part\n\nMore.", tags="x, y", day=2),
    "content/posts/c.md": post("Gamma", "Gamma body, linking [Alpha](a.md).", day=3),
    "content/about.md": "---\ntitle: About\n---\nWho we are.\n",
}


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class Serving:
    """Builds as ``ssg serve`` makes them: one Warm kept across builds, told which files changed."""

    def __init__(self, root: Path, options: BuildOptions = BuildOptions()):
        self.root, self.options, self.warm = root, options, Warm()
        first = build(root, options, warm=self.warm)
        assert first.ok, first.errors
        assert self.warm.model is not None
        self.warm.prepare()     # as ssg serve does after each build (the oracle test builds without it)

    def edit(self, rel: str, text: str):
        path = self.root / rel
        path.write_text(text)
        result = build(self.root, self.options, warm=self.warm, changed=frozenset([str(path)]))
        self.warm.prepare()
        return result


def assert_like_a_clean_build(root: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(root, fresh, ignore=shutil.ignore_patterns("public", ".ssg"))
    assert build(fresh).ok
    assert tree(fresh / "public") == tree(root / "public")


def assert_state_is_exact(root: Path) -> None:
    """A cold ``ssg build`` after the warm ones takes the nothing-changed path: nothing loaded, nothing written."""
    cold = build(root)
    assert (cold.written, cold.deleted, cold.errors) == ([], [], [])
    assert "load" not in cold.timings and not cold.restamped, "the state the warm build committed does not match the files"


KICKER = '{% extends "theme/page.html" %}{% block page_kicker %}<p>longest: {{ longest }}</p>{% endblock %}'
