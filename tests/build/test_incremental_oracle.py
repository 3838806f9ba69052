"""The oracle: after any sequence of edits, an incremental build's output tree is
byte-identical to a clean build of the same sources in a fresh folder, and the
files it wrote are exactly the files whose bytes changed. Edits: posts, their
fields and bodies (shortcode calls among them), section indexes, templates,
shortcode templates, an included snippet, data, settings, static files."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssg.build.entry import BuildOptions, build
from ssg.build.sources.kept import Warm

NAMES = ["a", "b", "c", "d", "e"]
TAGS = ["red", "green", "blue"]
CONFIG = 'title = "Oracle"\nbase_url = "https://example.org/"\n[pagination]\nper_page = 2\n'
PAGE_TEMPLATES = [
    None,   # the theme's own
    '{% extends "theme/page.html" %}'
    '{% block page_kicker %}{% if data.site %}<p>{{ data.site.motto }}</p>{% endif %}{% endblock %}',
    '{% extends "theme/page.html" %}{% block page_kicker %}<p>{{ site.pages|length }} posts</p>{% endblock %}',
    # reads its page and its section only: body edits are rebuilt narrowly (ssg/build/sources/partial.py)
    '<h1>{{ page.title }}</h1><p>{{ section.title }}</p>{{ page.content }}{{ page.toc|length }}\n',
]


def post_text(title: str, day: int, tags: list[str], body: str) -> str:
    return (f"---\ntitle: \"{title}\"\ndate: 2024-02-{day:02d}\ntags: [{', '.join(tags)}]\nweight: 0\naliases: []\n"
            f"menu: []\n---\n{body}\n")


# content/posts/_index.md: none, a title, a link title and intro, an order of its own, cascades (issue 21)
SECTION_INDEXES = [
    None,
    "---\ntitle: Posts\n---\n",
    "---\ntitle: Writing\nlinkTitle: Blog\nmenu: main\n---\nIntro.\n",
    "---\ntitle: Posts\nsort_by: title\n---\n",
    "---\ntitle: Posts\ncascade:\n  keywords: [kept]\n---\n",
    "---\ntitle: Posts\ncascade:\n  build: {list: local}\n---\n",
]


titles = st.sampled_from(["Alpha", "Beta", "Gamma", "Delta", "Same"])
days = st.integers(min_value=1, max_value=28)
tag_lists = st.lists(st.sampled_from(TAGS), unique=True, max_size=2)
bodies = st.sampled_from(["One.", "Two words.", "## Head\n\nText.", "Link to [a](a.md).", "<!--more-->Tail.",
                          # the same (empty) summary: ssg serve rebuilds these warm
                          "<!--more-->Other.", "<!--more-->## Head\n\nSee [b](b.md).", "<!--more-->[Gone](zz.md).",
                          # shortcodes (issue 21): a call, a pair, an include, an unknown one
                          "Call {{< sc 1 >}}.", "<!--more-->{{% box %}}*In* {{< sc 2 >}}{{% /box %}}",
                          '{{< include "/snippets/s.md" >}}', "{{< nosuch >}} x"])
# templates/shortcodes/NAME.html: its versions, None for none
SHORTCODES = {"sc": ["<b>sc {{ args[0] }}</b>", "<i>{{ page.title }}</i>", None],
              "box": ['<div class="box">{{ inner }}</div>', "<section>{{ inner }}</section>", None]}

operations = st.one_of(
    st.tuples(st.just("write"), st.sampled_from(NAMES), titles, days, tag_lists, bodies),
    st.tuples(st.just("body"), st.sampled_from(NAMES), bodies),
    # one front matter field: ssg serve rebuilds a title, and a date that keeps the post's place, warm
    st.tuples(st.just("field"), st.sampled_from(NAMES), st.just("title"), titles.map(lambda t: f'"{t}"')),
    st.tuples(st.just("field"), st.sampled_from(NAMES), st.just("date"), days.map(lambda d: f"2024-02-{d:02d}")),
    # weights, alias sets (one claiming another page's address, or its own), menu entries (issue 21)
    st.tuples(st.just("field"), st.sampled_from(NAMES), st.just("weight"), st.sampled_from(["0", "1", "2"])),
    st.tuples(st.just("field"), st.sampled_from(NAMES), st.just("aliases"),
              st.sampled_from(["[]", "[/old/]", "[/posts/a/]", "[/about/, /old/]"])),
    st.tuples(st.just("field"), st.sampled_from(NAMES), st.just("menu"),
              st.sampled_from(["[]", "main", "{main: {weight: 1, parent: Blog}}"])),
    st.tuples(st.just("index"), st.integers(min_value=0, max_value=len(SECTION_INDEXES) - 1)),
    st.tuples(st.just("nested"), st.sampled_from(NAMES[:2]), st.sampled_from(["Deep.", None])),
    st.tuples(st.just("delete"), st.sampled_from(NAMES)),
    st.tuples(st.just("shortcode"), st.sampled_from(sorted(SHORTCODES)), st.integers(min_value=0, max_value=2)),
    # (never deleted: an include of no file fails the page, whose last good version then stays, unlike a clean build)
    st.tuples(st.just("snippet"), st.sampled_from(["Snippet one.", "Snippet {{< sc 3 >}}.", "Two\n\nparagraphs."])),
    st.tuples(st.just("rename"), st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.tuples(st.just("template"), st.integers(min_value=0, max_value=len(PAGE_TEMPLATES) - 1)),
    st.tuples(st.just("data"), st.sampled_from(["Be kind.", "Ship it.", None])),
    st.tuples(st.just("config"), st.sampled_from(["Oracle", "Renamed"])),
    st.tuples(st.just("static"), st.sampled_from(["x.txt", "css/extra.css", "css/style.css"]),
              st.sampled_from(["1", "2", None])),
)


def apply(site: Path, op: tuple) -> set[str]:
    """Make the edit; the files it may have touched (as a file watcher reports them)."""
    _apply(site, op)
    posts = site / "content/posts"
    touched = {
        "write": lambda: [posts / f"{op[1]}.md"], "body": lambda: [posts / f"{op[1]}.md"],
        "field": lambda: [posts / f"{op[1]}.md"],
        "delete": lambda: [posts / f"{op[1]}.md"], "rename": lambda: [posts / f"{op[1]}.md", posts / f"{op[2]}.md"],
        "template": lambda: [site / "templates/page.html"], "data": lambda: [site / "data/site.yaml"],
        "config": lambda: [site / "ssg.toml"], "static": lambda: [site / "static" / op[1]],
        "index": lambda: [posts / "_index.md"], "nested": lambda: [posts / "sub" / f"{op[1]}.md"],
        "shortcode": lambda: [site / f"templates/shortcodes/{op[1]}.html"],
        "snippet": lambda: [site / "content/snippets/s.md"],
    }[op[0]]()
    return {str(path) for path in touched}


def _apply(site: Path, op: tuple) -> None:
    kind = op[0]
    posts = site / "content/posts"
    if kind == "write":
        _, name, title, day, tags, body = op
        (posts / f"{name}.md").write_text(post_text(title, day, tags, body))
    elif kind == "body":
        path = posts / f"{op[1]}.md"
        if path.exists():
            front, _, _ = path.read_text().rpartition("---\n")
            path.write_text(front + "---\n" + op[2] + "\n")
    elif kind == "field":
        path = posts / f"{op[1]}.md"
        if path.exists():
            lines = path.read_text().split("\n")
            at = next(n for n, line in enumerate(lines) if line.startswith(f"{op[2]}: "))
            lines[at] = f"{op[2]}: {op[3]}"
            path.write_text("\n".join(lines))
    elif kind == "delete":
        (posts / f"{op[1]}.md").unlink(missing_ok=True)
    elif kind == "rename":
        source, target = posts / f"{op[1]}.md", posts / f"{op[2]}.md"
        if source.exists() and not target.exists():
            source.rename(target)
    elif kind == "template":
        path = site / "templates/page.html"
        template = PAGE_TEMPLATES[op[1]]
        if template is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(template)
    elif kind == "data":
        path = site / "data/site.yaml"
        if op[1] is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(f"motto: {op[1]}\n")
    elif kind == "index":
        text = SECTION_INDEXES[op[1]]
        if text is None:
            (posts / "_index.md").unlink(missing_ok=True)
        else:
            (posts / "_index.md").write_text(text)
    elif kind == "nested":
        path = posts / "sub" / f"{op[1]}.md"
        if op[2] is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(exist_ok=True)
            path.write_text(post_text(op[1].upper(), 3, ["red"], op[2]))
    elif kind == "shortcode":
        write_or_delete(site / f"templates/shortcodes/{op[1]}.html", SHORTCODES[op[1]][op[2]])
    elif kind == "snippet":
        write_or_delete(site / "content/snippets/s.md", snippet(op[1]))
    elif kind == "config":
        (site / "ssg.toml").write_text(CONFIG.replace('"Oracle"', f'"{op[1]}"'))
    elif kind == "static":
        path = site / "static" / op[1]
        if op[2] is None:
            path.unlink(missing_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(op[2])


def snippet(text: str) -> str:
    return f"---\nheadless: true\n---\n{text}\n"


def write_or_delete(path: Path, text: str | None) -> None:
    if text is None:
        path.unlink(missing_ok=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def check_sequence(ops: list[tuple], *, warm: bool = False) -> tuple[int, int]:
    """Apply ``ops`` one by one, each followed by a build checked against the
    oracle. ``warm``: the builds are those of ``ssg serve``, which keeps the
    model between builds and is told which files changed; after each, a cold
    ``ssg build`` must find nothing to do. Returns how many builds were warm,
    and how many narrow."""
    kept = Warm() if warm else None
    warm_builds = narrow_builds = 0
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        (site / "content/posts").mkdir(parents=True)
        (site / "ssg.toml").write_text(CONFIG)
        (site / "content/posts/a.md").write_text(post_text("Alpha", 1, ["red"], "First."))
        (site / "content/about.md").write_text("---\ntitle: About\n---\nHi.\n")
        write_or_delete(site / "content/snippets/s.md", snippet("Snippet one."))
        build(site, warm=kept)
        for step, op in enumerate(ops):
            changed = apply(site, op)
            before = tree(site / "public")
            result = build(site, warm=kept, changed=frozenset(changed) if warm else None)
            warm_builds += result.warm
            narrow_builds += result.narrow
            after = tree(site / "public")
            changed = {rel for rel, data in after.items() if before.get(rel) != data}
            assert set(result.written) == changed, (step, op)
            assert set(result.deleted) == set(before) - set(after), (step, op)
            fresh = Path(tmp) / f"fresh{step}"
            shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("public", ".ssg"))
            clean = build(fresh)
            assert [str(e).replace(str(site), "") for e in result.errors] == \
                [str(e).replace(str(fresh), "") for e in clean.errors], (step, op)
            assert tree(fresh / "public") == after, f"after step {step} {op}: incremental != clean build"
            if (warm or result.narrow) and not result.errors:
                cold = build(site)
                assert (cold.written, cold.deleted, "load" in cold.timings) == ([], [], False), \
                    f"after step {step} {op}: the state a warm or narrow build left is not what the files are"
    return warm_builds, narrow_builds


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, min_size=1, max_size=5))
def test_incremental_equals_clean_build(ops):
    check_sequence(ops)


@pytest.mark.slow
@pytest.mark.timeout(900)   # 25 sequences of up to 10 edits: 45 s alone, several times that on a loaded machine
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, min_size=3, max_size=10))
def test_incremental_equals_clean_build_long_sequences(ops):
    check_sequence(ops)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operations, min_size=1, max_size=5))
def test_warm_builds_equal_clean_builds(ops):
    """ssg serve's builds: the same oracle, and the state they leave is exact."""
    check_sequence(ops, warm=True)


def test_warm_builds_happen_in_an_edit_sequence():
    """The oracle above is not only checking full builds: body edits that keep
    the summary (the feeds read it) are built warm."""
    ops = [("write", "b", "Beta", 2, ["red"], "<!--more-->Tail."), ("body", "b", "<!--more-->One."),
           ("body", "a", "First.\n\nSecond paragraph."), ("body", "b", "<!--more-->Link to [a](a.md).")]
    assert check_sequence(ops, warm=True) == (3, 0)


def test_title_and_date_edits_are_built_warm_in_an_edit_sequence():
    """The oracle checks warm builds of title and date edits too: a new title,
    a date that keeps the post's place, and one that moves it (the kept site is
    planned again); only the new post is a full build."""
    ops = [("write", "b", "Beta", 5, ["red"], "One."), ("field", "b", "title", '"Beta two"'),
           ("field", "a", "title", '"Alpha & more"'), ("field", "a", "date", "2024-02-03"),
           ("field", "a", "date", "2024-02-09")]
    assert check_sequence(ops, warm=True) == (4, 0)


def test_narrow_builds_happen_in_an_edit_sequence():
    """``ssg build`` rebuilds body edits narrowly when the page template reads
    only its page and section; the oracle checks those builds too."""
    ops = [("template", 3), ("write", "b", "Beta", 2, ["red"], "<!--more-->Tail."), ("body", "b", "<!--more-->One."),
           ("body", "a", "First.\n\n## Second\n\nparagraph."), ("body", "b", "<!--more-->Link to [a](a.md)."),
           ("body", "b", "<!--more-->[Gone](zz.md).")]
    assert check_sequence(ops) == (0, 4)


def test_options_are_part_of_the_state(make_site):
    """--drafts then a normal build: the draft's page goes away again."""
    site = make_site({"content/posts/a.md": post_text("A", 1, [], "x"),
                      "content/posts/d.md": "---\ntitle: D\ndraft: true\n---\nx\n"})
    assert "posts/d/index.html" in build(site, BuildOptions(drafts=True)).written
    result = build(site)
    assert "posts/d/index.html" in result.deleted and not (site / "public/posts/d").exists()
