"""The fault catalogue of issue 19, classes 3, 5 and 6: ssg's own state is
untrusted input; `ssg clean` and prune delete only what ssg wrote, inside the
output folder; an incremental build equals a clean build after any crash or
output folder switch.

Every case is played as it happens: a site builds cleanly, then something
goes bad, and ssg runs again as a user runs it (a subprocess, with a timeout
far above what it needs). Each checks the exit code, the message (what,
where, what to do), that nothing outside the output folder was touched, that
the previous good output is intact, and that the next build equals a clean
build of the same sources, byte for byte.
"""

from __future__ import annotations

import json
import marshal
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ssg.build.entry import build
from ssg.cli import app
from ssg.errors import SsgError
from ssg.runtime.crashpoint import ENV as CRASH_ENV

TIMEOUT = 120     # seconds: far above what any of these builds takes
CONFIG = 'title = "Faults"\nbase_url = "https://example.org/"\n[pagination]\nper_page = 3\n'


def post(number: int, title: str = "First") -> str:
    return (f"---\ntitle: \"{title} {number}\"\ndate: 2024-01-{number % 28 + 1:02d}T10:00:00Z\n"
            f"tags: [t{number % 3}]\n---\nBody of post {number}.\n")


def make_site(tmp_path: Path, posts: int = 12, config: str = CONFIG) -> Path:
    site = tmp_path / "site"
    (site / "content/posts").mkdir(parents=True)
    (site / "ssg.toml").write_text(config)
    for number in range(posts):
        (site / f"content/posts/p{number}.md").write_text(post(number))
    (tmp_path / "victim.txt").write_text("not ssg's\n")      # beside the site: must never be touched
    (site / "victim.txt").write_text("not ssg's either\n")
    return site


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()}


def outside(tmp_path: Path, *outputs: str) -> dict[str, bytes]:
    """Every file under ``tmp_path`` but the output folders, ssg's state and the clean builds' copies."""
    skip = (*(f"site/{output}/" for output in outputs or ("public",)), "site/.ssg/", "fresh/")
    return {rel: data for rel, data in tree(tmp_path).items() if not rel.startswith(skip)}


def ssg(site: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`ssg ARGS -s SITE`: in this process (the CLI as the console script runs
    it, under the suite's timeout), or with ``env`` in a process group of its
    own (a crash point kills the group), with a timeout."""
    if env is None:
        run = CliRunner().invoke(app, [*args, "-s", str(site)], catch_exceptions=False)
        return subprocess.CompletedProcess(args, run.exit_code, run.stdout, run.stderr)
    command = [sys.executable, "-m", "ssg", *args, "-s", str(site)]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, start_new_session=True,
                          env={**os.environ, **env})


def built(site: Path, *args: str) -> dict:
    """A build that must succeed; its --json summary."""
    run = ssg(site, "build", "--json", *args)
    assert run.returncode == 0, run.stderr + run.stdout
    assert "Traceback" not in run.stderr
    return json.loads(run.stdout)


CLEAN_TREES: dict[str, dict[str, bytes]] = {}    # clean builds of sources many cases share


def assert_equals_clean(site: Path, tmp_path: Path, output: str = "public", shared: str = "") -> None:
    """The output equals a clean build of the same sources (``shared``: the
    sources are those of other cases with that name, built clean once), and
    a build after it finds nothing to do."""
    if not shared or shared not in CLEAN_TREES:
        fresh = tmp_path / "fresh"
        shutil.rmtree(fresh, ignore_errors=True)
        shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("public", "alt", ".ssg"), symlinks=True)
        assert build(fresh).ok
        CLEAN_TREES[shared] = tree(fresh / "public")
    clean = CLEAN_TREES[shared] if shared else CLEAN_TREES.pop("")
    assert tree(site / output) == clean, "incremental output differs from a clean build"
    again = built(site)
    assert again["files_written"] == 0 and again["files_deleted"] == 0 and not again["warnings"]


def no_false_claims(summary: dict) -> None:
    for warning in summary["warnings"]:
        assert "left in place" not in warning and "not written by ssg" not in warning, warning


# --- class 3: ssg's own state is untrusted input ---------------------------------------------------------

def header(site: Path) -> str:
    return f"root\t{(site / 'public').resolve()}\n"


def write_journal(text: str | bytes):
    def damage(site: Path) -> None:
        data = text.replace("{header}", header(site)) if isinstance(text, str) else \
            text.replace(b"{header}", header(site).encode())
        (site / ".ssg/journal").write_bytes(data.encode() if isinstance(data, str) else data)
    return damage


def sql(statement: str, *values: object):
    def damage(site: Path) -> None:
        db = sqlite3.connect(site / ".ssg/state.db")
        db.execute(statement, tuple(v(site) if callable(v) else v for v in values))
        db.commit()
        db.close()
    return damage


def symlinked_journal(site: Path) -> None:
    """A folder in the output is a symlink to a folder outside; the journal names a file through it."""
    (site / "public/escape").symlink_to(site.parent)
    write_journal("{header}escape/victim.txt\n")(site)


def as_folder(site: Path) -> None:
    (site / ".ssg/journal").mkdir()
    (site / ".ssg/journal/x").write_text("x")


def output_row(path: str):
    return sql("INSERT OR REPLACE INTO outputs VALUES (?, 'plan', '', 0, 0, ?)", path, marshal.dumps(()))


STATE_CASES = {
    # (damage, what the build's warning says)
    "journal-dotdot": (write_journal("{header}../../victim.txt\n../victim.txt\n"), "journal was set aside"),
    "journal-legacy-no-header": (write_journal("../../../victim.txt\n"), "journal was set aside"),
    "journal-absolute": (write_journal("{header}" + "/" * 1 + "tmp/victim.txt\n"), "journal was set aside"),
    "journal-backslash": (write_journal("{header}..\\..\\victim.txt\n"), "journal was set aside"),
    "journal-nul-inside": (write_journal("{header}posts/p1/index.html\x00../victim.txt\n"), "journal was set aside"),
    "journal-long-name": (write_journal("{header}" + "x" * 300 + "\n"), "journal was set aside"),
    "journal-not-utf8": (write_journal(b"{header}posts/\xff\xfe\n"), "journal was set aside"),
    "journal-a-folder": (as_folder, "journal was set aside"),
    "journal-nul-tail": (write_journal(b"{header}posts/p1/index.html\n" + b"\x00" * 4096), "ended in NUL bytes"),
    "journal-nul-only": (write_journal(b"\x00" * 8192), "journal was set aside"),
    "journal-through-symlink": (symlinked_journal, "symlink leading out of the output folder"),
    "outputs-dotdot": (output_row("../../victim.txt"), "state.db was damaged"),
    "outputs-absolute": (output_row(str(Path("/tmp/victim.txt"))), "state.db was damaged"),
    "outputs-dot-segment": (output_row("posts/./../../../victim.txt"), "state.db was damaged"),
    "outputs-not-text": (sql("INSERT INTO outputs VALUES (x'2e2e2f76696374696d2e747874', 'plan', '', 0, 0, x'')"),
                         "state.db was damaged"),
    "outputs-size-not-number": (sql("UPDATE outputs SET size = 'big'"), "state.db was damaged"),
    "folders-dotdot": (sql("INSERT INTO folders VALUES ('../..', 1)"), "state.db was damaged"),
    "sources-dotdot": (sql("INSERT INTO sources VALUES ('../../victim.txt', x'00', 'x', NULL)"),
                       "state.db was damaged"),
    "sources-stamp-garbage": (sql("UPDATE sources SET stamp = x'deadbeef'"), "state.db was damaged"),
    "strays-not-json": (sql("UPDATE meta SET value = '[not json' WHERE key = 'strays'"), "state.db was damaged"),
    "next-change-garbage": (sql("UPDATE meta SET value = 'tomorrow' WHERE key = 'next_change'"),
                            "state.db was damaged"),
    "roots-dotdot": (sql("INSERT INTO roots VALUES (?, '../../victim.txt', '', -1, -1)",
                         lambda site: str((site / "public").resolve())), "state.db was damaged"),
}


@pytest.mark.parametrize("name", sorted(STATE_CASES))
def test_state_paths_are_checked_before_use(tmp_path, name):
    """Class 3: a path read from .ssg/ (journal, state rows) never leads the
    build outside the output folder; a damaged part is set aside with a
    warning naming it, and the build goes on (exit 0, never 3)."""
    damage, warned = STATE_CASES[name]
    site = make_site(tmp_path, posts=5)
    built(site)
    (site / "templates").mkdir(exist_ok=True)       # a file added: a full build, every state table is read
    (site / "templates/unused.html").write_text("not used\n")
    good, before = tree(site / "public"), outside(tmp_path)
    damage(site)
    if name == "roots-dotdot":        # rows of another output folder are read when the build goes there
        sql("UPDATE meta SET value = '/elsewhere' WHERE key = 'output_root'")(site)
    run = ssg(site, "build", "--json")
    assert run.returncode == 0, run.stderr + run.stdout
    assert "Traceback" not in run.stderr
    summary = json.loads(run.stdout)
    named = "public/escape/victim.txt" if name == "journal-through-symlink" else str(site / ".ssg")
    assert any(warned in w and named in w for w in summary["warnings"]), summary["warnings"]
    assert outside(tmp_path) == before, "a file outside the output folder was touched"
    assert (tmp_path / "victim.txt").read_text() == "not ssg's\n"
    assert tree(site / "public") == good, "the previous good output changed"
    (site / "public/escape").unlink(missing_ok=True)
    assert_equals_clean(site, tmp_path)


JOURNAL_LINES = st.one_of(
    st.sampled_from(["../victim.txt", "../../victim.txt", "/tmp/x", "posts/p1/index.html", "index.html", "",
                     "a/../../victim.txt", "..", ".", "escape/victim.txt", "page/2/index.html", "\\", "x" * 300]),
    st.text(max_size=20))
SMALL = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.function_scoped_fixture])


def fuzz_once(tmp_path: Path, damage) -> None:
    """Build a small site, damage its state, build again in this process:
    the build succeeds or fails with ssg's own error, touches nothing
    outside the output folder, and a build after it equals a clean build."""
    root = tmp_path / "fuzz"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    site = make_site(root, posts=4)
    assert build(site).ok
    (site / "public/escape").symlink_to(root)
    before = outside(root)
    damage(site)
    try:
        build(site)
    except SsgError:
        pass
    assert outside(root) == before
    result = build(site)
    assert result.ok, result.errors
    assert outside(root) == before
    if "clean" not in CLEAN:
        fresh = root / "fresh"
        shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("public", ".ssg"))
        assert build(fresh).ok
        CLEAN["clean"] = tree(fresh / "public")
    assert tree(site / "public") == CLEAN["clean"]


CLEAN: dict[str, dict[str, bytes]] = {}     # the clean build of the fuzzed site (the same every time)


@pytest.mark.slow
@given(lines=st.lists(JOURNAL_LINES, max_size=6), headed=st.booleans(), tail=st.binary(max_size=16))
@SMALL
def test_fuzz_journal(tmp_path, lines, headed, tail):
    def damage(site: Path) -> None:
        text = (header(site) if headed else "") + "\n".join(lines) + "\n"
        (site / ".ssg/journal").write_bytes(text.encode("utf-8", "surrogatepass") + tail)
    fuzz_once(tmp_path, damage)


ROW_VALUES = st.one_of(st.none(), st.integers(-2**63, 2**63 - 1), st.text(max_size=12), st.binary(max_size=12),
                       st.sampled_from(["../victim.txt", "/tmp/x", "index.html", "", "a//b", "escape/x"]))


@pytest.mark.slow
@given(table=st.sampled_from(["outputs", "folders", "sources", "meta", "deps", "roots"]),
       values=st.lists(ROW_VALUES, min_size=6, max_size=6))
@SMALL
def test_fuzz_state_rows(tmp_path, table, values):
    columns = {"outputs": 6, "folders": 2, "sources": 4, "meta": 2, "deps": 3, "roots": 5}[table]

    def damage(site: Path) -> None:
        db = sqlite3.connect(site / ".ssg/state.db")
        try:
            db.execute(f"INSERT OR REPLACE INTO {table} VALUES ({', '.join('?' * columns)})", values[:columns])
        except sqlite3.IntegrityError:
            pass
        db.commit()
        db.close()
    fuzz_once(tmp_path, damage)


# --- class 5: `ssg clean` and prune delete only what ssg wrote ----------------------------------------------

def git_folder(site: Path) -> None:
    (site / ".git").mkdir()
    (site / ".git/HEAD").write_text("ref: refs/heads/main\n")


def theme_folder(site: Path) -> None:
    (site / "themes/mine/templates").mkdir(parents=True)
    for name in ("page", "list", "index", "terms", "term", "404"):
        (site / f"themes/mine/templates/{name}.html").write_text(f"{name} {{{{ title }}}}\n")


def symlink_to_content(site: Path) -> None:
    (site / "pub").symlink_to("content")


def symlink_to_site_parent(site: Path) -> None:
    (site / "up").symlink_to("..")


OUTPUT_CASES = {
    # output_dir value (or --out), extra setup, a word of the message
    "git": ('".git"', git_folder, "'.git' folder"),
    "inside-git": ('".git/site"', git_folder, "'.git' folder"),
    "inside-hg": ('".hg/out"', None, "'.hg' folder"),
    "svn": ('".svn"', None, "'.svn' folder"),
    "themes-holds-theme": ('"themes"\ntheme = "themes/mine"', theme_folder, "would hold the site's"),
    "theme-itself": ('"themes/mine"\ntheme = "themes/mine"', theme_folder, "would hold the site's"),
    "dot": ('"."', None, "must name a folder"),
    "dot-slash": ('"./"', None, "must name a folder"),
    "parent": ('".."', None, "is the site folder or contains it"),
    "absolute-parent": ("ABS_PARENT", None, "is the site folder or contains it"),
    "content": ('"content"', None, "would hold the site's content/ folder"),
    "inside-content": ('"content/out"', None, "lies inside the site's content/ folder"),
    "state": ('".ssg"', None, "'.ssg' folder"),
    "symlink-to-content": ('"pub"', symlink_to_content, "would hold the site's content/ folder"),
    "symlink-to-parent": ('"up"', symlink_to_site_parent, "is the site folder or contains it"),
    "roundabout-site": ('"static/.."', None, "is the site folder or contains it"),
}


@pytest.mark.parametrize("name", sorted(OUTPUT_CASES))
def test_output_folder_never_holds_the_site(tmp_path, name):
    """Class 5: an output_dir that is, holds or lies in the site's sources,
    theme, state, ssg.toml or a VCS folder is refused at config time (exit 2,
    ssg.toml:LINE of output_dir), by `ssg build` and `ssg clean`; nothing is
    deleted and the good output stays."""
    value, setup, words = OUTPUT_CASES[name]
    site = make_site(tmp_path, posts=5)
    (site / "static").mkdir()
    (site / "static/site.css").write_text("body {}\n")
    if setup is not None:
        setup(site)
    built(site)
    good = tree(site / "public")
    if value == "ABS_PARENT":
        value = json.dumps(str(site.parent))
    (site / "ssg.toml").write_text(f"{CONFIG.split('[pagination]')[0]}output_dir = {value}\n[pagination]\nper_page = 3\n")
    before = outside(tmp_path)
    for command in ("build", "clean"):
        run = ssg(site, command)
        assert run.returncode == 2, (command, run.stderr, run.stdout)
        assert "Traceback" not in run.stderr and "internal error" not in run.stderr
        assert f"{site / 'ssg.toml'}:3" in run.stderr, run.stderr      # output_dir is line 3
        assert "output_dir" in run.stderr and words in run.stderr, run.stderr
        assert "such as 'public'" in run.stderr or "inside or beside the site" in run.stderr, run.stderr
        assert outside(tmp_path) == before, f"`ssg {command}` touched the site"
        assert tree(site / "public") == good
    (site / "ssg.toml").write_text(CONFIG)
    assert_equals_clean(site, tmp_path)


@pytest.mark.parametrize("out", [".git", "content", ".", "..", ".ssg", "static/x"])
def test_out_option_is_checked_like_output_dir(tmp_path, out):
    site = make_site(tmp_path, posts=5)
    git_folder(site)
    (site / "static").mkdir()
    built(site)
    good, before = tree(site / "public"), outside(tmp_path)
    run = ssg(site, "build", "--out", str(site / out))
    assert run.returncode == 2, run.stderr
    assert "--out" in run.stderr and "such as 'public'" in run.stderr, run.stderr
    assert outside(tmp_path) == before and tree(site / "public") == good
    assert_equals_clean(site, tmp_path)


def test_clean_keeps_a_version_control_folder_in_the_output(tmp_path):
    """A gh-pages worktree in public/ has a .git file: clean empties public/ but keeps it."""
    site = make_site(tmp_path)
    built(site)
    (site / "public/.git").write_text("gitdir: ../.git/worktrees/public\n")
    (site / "public/escape").symlink_to(tmp_path)          # a link is removed, never followed
    run = ssg(site, "clean")
    assert run.returncode == 0, run.stderr
    assert "keeping .git" in run.stdout
    assert sorted(os.listdir(site / "public")) == [".git"]
    assert (tmp_path / "victim.txt").read_text() == "not ssg's\n"
    assert not (site / ".ssg").exists()
    (site / "public/.git").unlink()
    built(site)
    assert_equals_clean(site, tmp_path)


# --- class 6: incremental equals clean after any crash or output switch ----------------------------------

STAGES = ["check", "load", "links, site hooks", "plan", "dirty check", "render", "prune", "before commit"]
# A title edit alone is built from the partial site of every page (ssg/build/sources/partial.py).
PARTIAL_STAGES = ["partial site declined", "check edits", "partial site", "dirty check", "render", "before commit"]


def crash_then_delete(tmp_path: Path, point: str, *, full: bool = True) -> None:
    """A good build; every title changes (every list page is overwritten) in a
    build killed at ``point``; then posts are deleted (pages 3 and 4 of the
    lists go) and the next build must equal a clean build, with no false
    'left in place' or 'not written by ssg'. ``full``: a data file no template
    reads changes too, so the killed build is a full load, not a partial site."""
    site = make_site(tmp_path)
    built(site)
    for number in range(12):
        (site / f"content/posts/p{number}.md").write_text(post(number, "Second"))
    if full:
        (site / "data").mkdir(exist_ok=True)
        (site / "data/unused.yaml").write_text("read: never\n")
    before = outside(tmp_path)
    killed = ssg(site, "build", "-q", env={CRASH_ENV: point})
    assert killed.returncode == -signal.SIGKILL, f"the crash point {point} was never reached: {killed.stderr}"
    assert outside(tmp_path) == before
    for number in range(5, 12):
        (site / f"content/posts/p{number}.md").unlink()
    before = outside(tmp_path)
    summary = built(site)
    no_false_claims(summary)
    assert not (site / "public/page/3").exists() and not (site / "public/posts/page/3").exists()
    assert outside(tmp_path) == before
    assert_equals_clean(site, tmp_path, shared="crash then delete")


QUICK_POINTS = ["stage:render", "write:4", "announce:7"]


@pytest.mark.parametrize("point", QUICK_POINTS)
def test_crash_then_deleted_posts_equals_a_clean_build(tmp_path, point):
    """Class 6 (a), a few crash points (all of them: the slow test below)."""
    crash_then_delete(tmp_path, point)


WRITES = 30     # files the build that changes every title writes (test_every_write_is_a_crash_point checks)
EVERY_WRITE = [f"{kind}:{n}" for n in range(1, WRITES + 1) for kind in ("announce", "write")]
EVERY_POINT = [f"stage:{stage}" for stage in STAGES] + EVERY_WRITE


@pytest.mark.slow
@pytest.mark.parametrize("point", EVERY_POINT)
def test_crash_at_every_point_then_deleted_posts_equals_a_clean_build(tmp_path, point):
    """Class 6 (a): every stage boundary, and every write of the build (after
    it is journaled, and after it is renamed into place), enumerated."""
    crash_then_delete(tmp_path, point)


@pytest.mark.slow
@pytest.mark.parametrize("point", [f"stage:{stage}" for stage in PARTIAL_STAGES] + EVERY_WRITE)
def test_crash_at_every_point_of_a_partial_site_build_then_deleted_posts_equals_a_clean_build(tmp_path, point):
    """Class 6 (a) for the build the title edits make without loading the
    site: every stage boundary and every write, enumerated."""
    crash_then_delete(tmp_path, point, full=False)


@pytest.mark.slow
@pytest.mark.parametrize("full", [True, False], ids=["full load", "partial site"])
def test_every_write_is_a_crash_point(tmp_path, full):
    """EVERY_WRITE covers every write of the crashed build: it writes WRITES files."""
    site = make_site(tmp_path)
    built(site)
    for number in range(12):
        (site / f"content/posts/p{number}.md").write_text(post(number, "Second"))
    if full:
        (site / "data").mkdir(exist_ok=True)
        (site / "data/unused.yaml").write_text("read: never\n")
    summary = built(site)
    assert summary["files_written"] == WRITES
    assert ("load" in summary["timings"]) is full and ("check edits" in summary["timings"]) is not full


@pytest.mark.parametrize("member", ["out-elsewhere", "out-then-crash-elsewhere", "out-back-and-forth"])
def test_another_output_folder_never_makes_the_main_one_forget(tmp_path, member):
    """Class 6 (b): each output folder keeps its own record."""
    site = make_site(tmp_path)
    built(site)
    if member == "out-then-crash-elsewhere":
        for number in range(12):
            (site / f"content/posts/p{number}.md").write_text(post(number, "Second"))
        killed = ssg(site, "build", "-q", "--out", str(site / "alt"), env={CRASH_ENV: "write:5"})
        assert killed.returncode == -signal.SIGKILL
    else:
        built(site, "--out", str(site / "alt"))
    if member == "out-back-and-forth":
        built(site)
        built(site, "--out", str(site / "alt"))
    for number in range(5, 12):
        (site / f"content/posts/p{number}.md").unlink()
    before = outside(tmp_path, "public", "alt")
    summary = built(site)
    no_false_claims(summary)
    assert summary["warnings"] == []
    assert not list((site / "public/posts").glob("p[5-9]")) and not list((site / "public/posts").glob("p1[01]"))
    assert outside(tmp_path, "public", "alt") == before
    assert_equals_clean(site, tmp_path)
    # and the other folder, built again, forgets nothing either
    summary = built(site, "--out", str(site / "alt"))
    no_false_claims(summary)
    assert tree(site / "alt") == tree(site / "public")
