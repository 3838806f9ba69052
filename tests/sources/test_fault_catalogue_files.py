"""The second fault catalogue (issue 19), classes 4, 8, 9 and 10: files that
are not regular files, one page's bad value, good output replaced or removed,
and the user's own situation (long names, symlink loops, permissions, a
read-only or full .ssg/) reported as an internal error.

Every case is played as it hurts: a site builds cleanly, one thing goes bad,
and ``ssg build`` runs again in its own process (a hang is a failed
``timeout``, far above any limit of ssg's). Each case then checks

- the exit code (never 3), and the message: where (file:line), what, what to do;
- nothing written outside the output folder (and .ssg/);
- the previous good output intact (byte for byte, or the files named);
- after the break is undone, the next build equals a clean build of the
  same sources (the incremental oracle of tests/build/test_incremental.py).

Decisions recorded here (docs/content.md):
- a FIFO, socket or device node under the site's folders is skipped with a
  warning naming it (an error with --strict); ssg.toml that is one is exit 2;
- a page that fails to read or parse is built from its last good parse:
  its output and the lists it is on stay as published (exit 1);
- a static file colliding with a generated one: the generated file is kept;
- a missing or emptied content/ is exit 2, unless [build] empty_site = true.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from messages import says

from ssg.build.entry import BuildOptions, build

CONFIG = 'title = "Faults"\nbase_url = "https://example.org/"\n'
GOOD = {
    "content/posts/a.md": "---\ntitle: Alpha\ndate: 2024-01-01\ntags: [x]\n---\nAlpha body, see [b](b.md).\n",
    "content/posts/b.md": "---\ntitle: Beta\ndate: 2024-01-02\ntags: [x, y]\n---\nBeta body.\n",
    "content/about.md": "---\ntitle: About\n---\nWho we are.\n",
    "data/team.yaml": "lead: Ann\n",
    "static/site.css": "body { color: black }\n",
}
TIMEOUT = 120     # seconds: ssg's own limits are 30 s (render) and 120 s (hooks) at most, and none applies here


@dataclass(frozen=True)
class Case:
    """``bad(site)`` breaks the built site; ``undo(site)`` puts it back."""

    bad: Callable[[Path], None]
    undo: Callable[[Path], None]
    exit: int
    where: str                       # start of the message after "error: " / "warning: "; {site} is the site
    message: str
    hint: str | None
    level: str = "error"
    args: tuple[str, ...] = ()
    intact: tuple[str, ...] | None = None     # outputs that must keep their bytes (None: every one)
    run: str = "plain"                        # how ssg runs: plain, nobody (a user without root's rights), unshare
    mount: str = ""                           # shell run before ssg in its own mount namespace (run="unshare")
    after: str = "true"                       # and after it
    absent: str | None = None                 # text no output may hold afterwards (a link to a page not written)


def write(site: Path, rel: str, text: str | bytes) -> None:
    path = site / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


def remove(*rels: str) -> Callable[[Path], None]:
    def undo(site: Path) -> None:
        for rel in rels:
            path = site / rel
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif os.path.lexists(path):
                path.unlink()
    return undo


def restore(*rels: str) -> Callable[[Path], None]:
    """Undo: the GOOD files ``rels`` as they were (a removed folder's files too)."""
    def undo(site: Path) -> None:
        remove(*rels)(site)
        for rel, text in GOOD.items():
            if any(rel == r or rel.startswith(r.rstrip("/") + "/") for r in rels):
                write(site, rel, text)
    return undo


def fifo(rel: str) -> Callable[[Path], None]:
    def bad(site: Path) -> None:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(site / rel)
    return bad


def node(rel: str, mode: int, device: int = 0) -> Callable[[Path], None]:
    def bad(site: Path) -> None:
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mknod(site / rel, mode | 0o600, device)
        except PermissionError:
            pytest.skip("making a device node needs root")
    return bad


def files(changes: dict[str, str | bytes]) -> Callable[[Path], None]:
    def bad(site: Path) -> None:
        for rel, text in changes.items():
            write(site, rel, text)
    return bad


def symlinks(links: dict[str, str]) -> Callable[[Path], None]:
    def bad(site: Path) -> None:
        for rel, target in links.items():
            remove(rel)(site)
            (site / rel).symlink_to(target)
    return bad


def steps(*actions: Callable[[Path], None]) -> Callable[[Path], None]:
    def run(site: Path) -> None:
        for action in actions:
            action(site)
    return run


def chmod(rel: str, mode: int) -> Callable[[Path], None]:
    return lambda site: os.chmod(site / rel, mode)


SKIPPED = "not a regular file; skipped (only regular files are read; remove it, or move it out of the site)"

# --- class 4: files that are not regular files -----------------------------------------------------------------
NOT_REGULAR = {
    "fifo-in-content": Case(fifo("content/posts/pipe.md"), remove("content/posts/pipe.md"), 0,
                            "content/posts/pipe.md", f"is a FIFO (named pipe), {SKIPPED}", None, level="warning"),
    "fifo-in-data": Case(fifo("data/pipe.yaml"), remove("data/pipe.yaml"), 0,
                         "data/pipe.yaml", f"is a FIFO (named pipe), {SKIPPED}", None, level="warning"),
    "fifo-in-static": Case(fifo("static/pipe.txt"), remove("static/pipe.txt"), 0,
                           "static/pipe.txt", f"is a FIFO (named pipe), {SKIPPED}", None, level="warning"),
    "fifo-in-plugins": Case(fifo("plugins/pipe.py"), remove("plugins"), 0,
                            "plugins/pipe.py", f"is a FIFO (named pipe), {SKIPPED}", None, level="warning"),
    "fifo-as-template": Case(fifo("templates/page.html"), remove("templates"), 0,
                             "templates/page.html", f"is a FIFO (named pipe), {SKIPPED}", None, level="warning"),
    "fifo-in-bundle": Case(steps(files({"content/posts/bundle/index.md": "---\ntitle: Bundle\n---\nx\n"}),
                                 fifo("content/posts/bundle/pipe.png")), remove("content/posts/bundle"), 0,
                           "content/posts/bundle/pipe.png", f"is a FIFO (named pipe), {SKIPPED}", None,
                           level="warning", intact=("posts/a/index.html", "about/index.html")),
    "symlink-to-fifo": Case(steps(fifo("stuff/pipe"), symlinks({"static/linked.txt": "../stuff/pipe"})),
                            remove("static/linked.txt", "stuff"), 0,
                            "static/linked.txt", f"is a FIFO (named pipe), {SKIPPED}", None, level="warning"),
    "socket-in-content": Case(node("content/sock.md", stat.S_IFSOCK), remove("content/sock.md"), 0,
                              "content/sock.md", f"is a socket, {SKIPPED}", None, level="warning"),
    "device-in-static": Case(node("static/null", stat.S_IFCHR, os.makedev(1, 3)), remove("static/null"), 0,
                             "static/null", f"is a character device, {SKIPPED}", None, level="warning"),
    "fifo-with-strict": Case(fifo("content/posts/pipe.md"), remove("content/posts/pipe.md"), 1,
                             "content/posts/pipe.md", f"is a FIFO (named pipe), {SKIPPED}", None,
                             args=("--strict",)),
    "fifo-as-config": Case(steps(lambda site: (site / "ssg.toml").unlink(), fifo("ssg.toml")),
                           steps(remove("ssg.toml"), files({"ssg.toml": CONFIG})), 2,
                           "{site}/ssg.toml", "is a FIFO (named pipe), not a regular file",
                           "make ssg.toml a regular file"),
}

# --- class 8: one page's bad value ------------------------------------------------------------------------------
RAISES_ON_PRICE = '''
from ssg.api import Output, hookimpl

@hookimpl
def ssg_generate_outputs(site):
    lines = [f"{page.title}: {1000 // page.params.get('price', 1)}" for page in site.pages]
    return [Output(path="prices.txt", data="\\n".join(lines).encode(), sitemap=False)]
'''
RAISES_IN_PLAN = '''
from ssg.api import hookimpl

@hookimpl
def ssg_plan_outputs(site, outputs):
    for page in site.pages:
        page.params["shout"] = page.params.get("motto", "ok").upper()
'''


def post(title: str, date: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: {date}\ntags: [x]\n{extra}---\nBody of {title}.\n"


OWN_PAGES = ("posts/a/index.html", "about/index.html")
ONE_BAD_VALUE = {
    "date-9999-west": Case(files({"content/posts/c.md": post("C", "9999-12-31T23:59:59-12:00")}),
                           remove("content/posts/c.md"), 0, "", "", None, args=("--future",), intact=OWN_PAGES),
    "date-year-1-east": Case(files({"content/posts/c.md": post("C", "0001-01-01T00:00:00+14:00")}),
                             remove("content/posts/c.md"), 0, "", "", None, intact=OWN_PAGES),
    "date-year-1-west": Case(files({"content/posts/c.md": post("C", "0001-01-01T00:00:00-23:59")}),
                             remove("content/posts/c.md"), 0, "", "", None, intact=OWN_PAGES),
    "updated-9999-east": Case(files({"content/posts/c.md": post("C", "2024-03-01", "updated: 9999-12-31T23:59:59+23:59\n")}),
                              remove("content/posts/c.md"), 0, "", "", None, intact=OWN_PAGES),
    "empty-fields": Case(files({"content/posts/c.md": "---\ntitle: ''\ntags: []\nsummary: ''\naliases: []\n---\n"}),
                         remove("content/posts/c.md"), 0, "", "", None, intact=OWN_PAGES),
    "huge-tag-list": Case(files({"content/posts/c.md": post("C", "2024-03-01").replace(
                              "tags: [x]", "tags: [" + ", ".join(f"t{n}" for n in range(400)) + "]")}),
                          remove("content/posts/c.md"), 0, "", "", None, intact=OWN_PAGES),
    # a plugin failing on one page's value: that page's error, at its field's line; the rest is built
    "plugin-generate-on-one-page": Case(
        files({"plugins/prices.py": RAISES_ON_PRICE,
               "content/posts/c.md": post("C", "2024-03-01", "price: 0\n")}),
        remove("plugins", "content/posts/c.md"), 1, "content/posts/c.md",
        "plugin 'prices' failed in ssg_generate_outputs on this page's data: ZeroDivisionError: …; "
        "the page is left out of what 'prices' makes (everything else is built)",
        "report it to the plugin's author", intact=OWN_PAGES),
    "plugin-plan-on-one-page": Case(
        files({"plugins/shout.py": RAISES_IN_PLAN,
               "content/posts/c.md": post("C", "2024-03-01", "motto: 7\n")}),
        remove("plugins", "content/posts/c.md"), 1, "content/posts/c.md",
        "plugin 'shout' failed in ssg_plan_outputs on this page's data: AttributeError: …",
        "report it to the plugin's author", intact=OWN_PAGES),
}

# --- class 9: good output replaced or removed -------------------------------------------------------------------
KEPT = "rename or remove the static file; the generated file is kept"
GOOD_OUTPUT_KEPT = {
    "static-atom-xml": Case(files({"static/atom.xml": "stray"}), remove("static/atom.xml"), 1, "static/atom.xml",
                            "both produce the same output 'atom.xml'", KEPT),
    "static-sitemap-xml": Case(files({"static/sitemap.xml": "stray"}), remove("static/sitemap.xml"), 1,
                               "static/sitemap.xml", "both produce the same output 'sitemap.xml'", KEPT),
    "static-robots-txt": Case(files({"static/robots.txt": "stray"}), remove("static/robots.txt"), 1,
                              "static/robots.txt", "both produce the same output 'robots.txt'", KEPT),
    "static-404-html": Case(files({"static/404.html": "stray"}), remove("static/404.html"), 1, "static/404.html",
                            "both produce the same output '404.html'", KEPT),
    "static-page-path": Case(files({"static/posts/b/index.html": "stray"}), remove("static/posts"), 1,
                             "static/posts/b/index.html", "both produce the same output 'posts/b/index.html'", KEPT),
    # the page's output, its tag page (y has only b) and the lists it is on stay as they were
    "front-matter-breaks": Case(files({"content/posts/b.md": "---\ntitle: Beta\ndate: 2024-01-02\ntags: [x, y\n---\n"}),
                                restore("content/posts/b.md"), 1, "content/posts/b.md:5", "invalid YAML front matter: …",
                                "until then its last good version stays published"),
    "date-breaks": Case(files({"content/posts/b.md": "---\ntitle: Beta\ndate: soon\ntags: [x, y]\n---\n"}),
                        restore("content/posts/b.md"), 1, "content/posts/b.md:3",
                        "front matter field 'date' is not a date", "until then its last good version stays published"),
    "becomes-a-symlink-loop": Case(symlinks({"content/posts/b.md": "b.md"}), restore("content/posts/b.md"), 1,
                                   "content/posts/b.md", "cannot be read: …",
                                   "a symlink leads to itself, directly or through others"),
    "becomes-a-dangling-link": Case(symlinks({"content/posts/b.md": "gone.md"}), restore("content/posts/b.md"), 1,
                                    "content/posts/b.md", "cannot be read: …",
                                    "it is a symlink to a file that does not exist"),
    "becomes-a-fifo": Case(steps(remove("content/posts/b.md"), fifo("content/posts/b.md")),
                           restore("content/posts/b.md"), 1, "content/posts/b.md",
                           "cannot be read: it is a FIFO (named pipe), not a regular file",
                           "until then its last good version stays published"),
    "becomes-unreadable": Case(chmod("content/posts/b.md", 0), chmod("content/posts/b.md", 0o644), 1,
                               "content/posts/b.md", "cannot be read: …", "give the user running ssg read permission",
                               run="nobody"),
    "content-folder-missing": Case(lambda site: shutil.rmtree(site / "content"), restore("content"), 2,
                                   "{site}/content", "the content/ folder is missing (nothing was built, nothing deleted)",
                                   "set empty_site = true in the [build] table of ssg.toml"),
    "content-folder-emptied": Case(steps(remove("content"), lambda site: (site / "content/posts").mkdir(parents=True)),
                                   restore("content"), 2, "{site}/content",
                                   "the content/ folder holds no page, but the last build published pages",
                                   "set empty_site = true in the [build] table of ssg.toml"),
}

# --- class 10: the user's own situation, not an internal error --------------------------------------------------
LONG = "a" * 300
USER_SITUATION = {
    "slug-over-255-bytes": Case(files({"content/posts/long.md": f"---\ntitle: Long\nslug: {LONG}\n---\nx\n"}),
                                remove("content/posts/long.md"), 1, "content/posts/long.md:3",
                                "permalink has a file or folder name of 300 bytes", "use a shorter slug or url",
                                absent=LONG[:100]),
    "url-over-255-bytes": Case(files({"content/posts/long.md": f"---\ntitle: Long\nurl: /x/{'é' * 150}/\n---\nx\n"}),
                               remove("content/posts/long.md"), 1, "content/posts/long.md:3",
                               "url has a file or folder name of 300 bytes", "use a shorter slug or url"),
    "tag-over-255-bytes": Case(files({"content/posts/long.md": f"---\ntitle: Long\ntags: [{LONG}]\n---\nx\n"}),
                               remove("content/posts/long.md"), 0, "", "", None, intact=OWN_PAGES),
    "symlink-loop-between-pages": Case(symlinks({"content/posts/c.md": "d.md", "content/posts/d.md": "c.md"}),
                                       remove("content/posts/c.md", "content/posts/d.md"), 1, "content/posts/c.md",
                                       "cannot be read: …", "a symlink leads to itself"),
    "state-folder-is-a-file": Case(steps(remove(".ssg"), files({".ssg": "x"})), remove(".ssg"), 2, "{site}/.ssg",
                                   ".ssg is not a folder: ssg keeps its build state there", "remove or rename the file"),
    "state-folder-read-only": Case(lambda site: None, lambda site: None, 2, "{site}/.ssg",
                                   "the build state folder .ssg cannot be used: …", "make {site}/.ssg writable",
                                   run="unshare", mount="mount --bind -o ro .ssg .ssg"),
    "disk-full-under-state": Case(files({f"content/posts/p{n}.md": f"---\ntitle: P{n}\n---\n{'word ' * 400}\n"
                                         for n in range(150)}),
                                  remove(*(f"content/posts/p{n}.md" for n in range(150))), 1,
                                  "{site}/.ssg/state.db", "the build state cannot be written: database or disk is full",
                                  "free space on the disk holding it",
                                  # what the build left in the full .ssg/ is put back where it was afterwards;
                                  # room for the last build's state and compiled templates (100 kB), not for
                                  # the parse cache of 150 more pages
                                  run="unshare", mount="cp -a .ssg $HOLD && mount -t tmpfs -o size=400k tmpfs .ssg "
                                  "&& cp -a $HOLD/. .ssg/", after="rm -rf $HOLD && cp -a .ssg $HOLD && umount .ssg "
                                  "&& rm -rf .ssg/* && cp -a $HOLD/. .ssg/ && rm -rf $HOLD",
                                  intact=OWN_PAGES),
    "unreadable-folder": Case(chmod("content/posts", 0), chmod("content/posts", 0o755), 1, "content/posts",
                              "cannot be read: …", "give the user running ssg read permission", run="nobody"),
    "unreadable-template": Case(steps(files({"templates/page.html": "{% extends 'theme/page.html' %}"}),
                                      chmod("templates/page.html", 0)),
                                remove("templates"), 1, "{site}/templates/page.html", "cannot be read: …",
                                "give the user running ssg read permission", run="nobody",
                                intact=("index.html", "posts/index.html", "atom.xml")),
}


# --- the harness ------------------------------------------------------------------------------------------------

def tree(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, bytes | None]:
    found: dict[str, bytes | None] = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if Path(folder, d) not in skip]
        for name in dirs:
            found[os.path.relpath(os.path.join(folder, name), root) + "/"] = None
        for name in names:
            path = Path(folder, name)
            found[os.path.relpath(path, root)] = path.read_bytes() if path.is_file() else b"<special>"
    return found


@pytest.fixture
def shared_tmp(tmp_path) -> Iterator[Path]:
    """A folder every user may enter (pytest's is root's alone), for cases run as nobody."""
    folder = Path(tempfile.mkdtemp(prefix="ssg-faults-"))
    folder.chmod(0o777)
    yield folder
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o777 if path.is_dir() else 0o666)
    shutil.rmtree(folder)


def run_ssg(site: Path, case: Case) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "ssg", "build", "-s", str(site), *case.args]
    if case.run == "nobody" and os.geteuid() == 0:
        for path in [site, *site.rglob("*")]:   # nobody builds: it writes the output and the state
            if not path.is_symlink() and os.stat(path).st_mode & 0o700:
                path.chmod(stat.S_IMODE(os.stat(path).st_mode) | (0o777 if path.is_dir() else 0o666))
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv(1) to run ssg as a user without root's rights")
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    if case.run == "unshare":
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            pytest.skip("needs root and unshare(1) for a private mount")
        script = (f"HOLD=$(mktemp -d) && cd {site} && {case.mount} || exit 99; "
                  f"\"$@\"; status=$?; {case.after} || exit 98; exit $status")
        command = ["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)


def clean_build_equals(site: Path, scratch: Path) -> None:
    """The oracle: a build now (incremental) leaves exactly what a clean build
    of the same sources in a fresh folder makes."""
    result = build(site, BuildOptions())
    assert result.ok, [str(e) for e in result.errors]
    fresh = scratch / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    shutil.copytree(site, fresh, ignore=shutil.ignore_patterns("public", ".ssg"), symlinks=True)
    assert build(fresh, BuildOptions()).ok
    assert tree(site / "public") == tree(fresh / "public"), "incremental output differs from a clean build"


def play(case: Case, root: Path) -> None:
    site = root / "site"
    site.mkdir()
    for rel, text in {**GOOD, "ssg.toml": CONFIG}.items():
        write(site, rel, text)
    first = build(site, BuildOptions())
    assert first.ok, [str(e) for e in first.errors]
    good = tree(site / "public")
    case.bad(site)
    outside = tree(root, (site / "public", site / ".ssg"))

    result = run_ssg(site, case)
    output = result.stdout + result.stderr
    assert result.returncode == case.exit, output
    assert "Traceback" not in output and "internal error" not in output, output
    if case.message:
        where = case.where.format(site=site)
        level = "error" if case.exit else case.level
        lines = [line for line in result.stderr.splitlines() if line.startswith(f"{level}: {where}")]
        matching = [line for line in lines if says(line, case.message)]
        assert matching, f"expected '{level}: {where}: ...{case.message}...' in:\n{result.stderr}"
        if where[-1].isdigit():
            assert matching[0][len(f"{level}: {where}")] == ":", "the line number is exact"
        if case.hint is not None:
            hint = case.hint.format(site=site)
            assert any(hint in line for line in matching), f"hint {hint!r} missing: {matching}"
    else:
        assert "error:" not in result.stderr, result.stderr

    assert tree(root, (site / "public", site / ".ssg")) == outside, "nothing written outside public/ and .ssg/"
    now = tree(site / "public")
    assert [rel for rel in good if rel not in now] == [], "nothing of the good output deleted"
    kept = case.intact if case.intact is not None else list(good)
    assert [rel for rel in kept if now.get(rel) != good[rel]] == [], "the previous good output intact"
    if case.absent is not None:
        assert [rel for rel, data in now.items() if data and case.absent.encode() in data] == [], \
            "no output links to a page that was not written"

    case.undo(site)
    clean_build_equals(site, root)


@pytest.mark.parametrize("case", NOT_REGULAR.values(), ids=NOT_REGULAR.keys())
def test_files_that_are_not_regular_files_are_skipped_never_opened(case, tmp_path):
    play(case, tmp_path)


@pytest.mark.parametrize("case", ONE_BAD_VALUE.values(), ids=ONE_BAD_VALUE.keys())
def test_one_pages_bad_value_fails_that_page_only(case, tmp_path):
    play(case, tmp_path)


@pytest.mark.parametrize("case", GOOD_OUTPUT_KEPT.values(), ids=GOOD_OUTPUT_KEPT.keys())
def test_good_output_is_neither_replaced_nor_removed(case, tmp_path, shared_tmp):
    play(case, shared_tmp if case.run == "nobody" else tmp_path)


@pytest.mark.parametrize("case", USER_SITUATION.values(), ids=USER_SITUATION.keys())
def test_the_users_own_situation_is_a_user_error(case, tmp_path, shared_tmp):
    play(case, shared_tmp if case.run == "nobody" else tmp_path)


def test_explicit_empty_site_builds_and_unpublishes(tmp_path):
    """``[build] empty_site = true`` says a site without pages is meant: the
    build goes on, and the pages it published before are deleted."""
    site = tmp_path / "site"
    for rel, text in {**GOOD, "ssg.toml": CONFIG}.items():
        write(site, rel, text)
    assert build(site, BuildOptions()).ok
    shutil.rmtree(site / "content")
    write(site, "ssg.toml", CONFIG + "[build]\nempty_site = true\n")
    result = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site)], capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (site / "public/posts/a/index.html").exists() and (site / "public/index.html").is_file()
    clean_build_equals(site, tmp_path)


# --- property: any page field value goes through every built-in plugin without raising -------------------------

from datetime import datetime, timedelta, timezone  # noqa: E402

import yaml  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

OFFSETS = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
EXTREMES = [datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-12))),
            datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=23, minutes=59))),
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-23, minutes=-59)))]
DATES = st.one_of(st.sampled_from(EXTREMES),
                  st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=OFFSETS))
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
FIELDS = st.fixed_dictionaries({"title": TEXT, "date": DATES}, optional={
    "updated": DATES, "summary": TEXT, "weight": st.integers(-2**62, 2**62),
    "tags": st.lists(TEXT, max_size=30), "categories": st.lists(TEXT, max_size=3),
    "aliases": st.lists(st.from_regex(r"/[a-z0-9]{1,12}/", fullmatch=True), max_size=3)})
ALL_PLUGINS = CONFIG + ('[pagination]\nper_page = 2\n[feeds]\ntaxonomies = ["tags"]\n')


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.lists(FIELDS, min_size=1, max_size=3))
def test_any_page_values_go_through_every_builtin_plugin(tmp_path, fields):
    """Feeds, sitemap, taxonomies, pagination, aliases, robots and the 404
    page take any dates (years 1 to 9999, offsets to ±23:59), empty or odd
    text and long lists without raising: no plugin error, whatever a page holds."""
    site = tmp_path / "site"
    if not site.exists():
        for rel, text in {**GOOD, "ssg.toml": ALL_PLUGINS}.items():
            write(site, rel, text)
    remove("content/posts/gen")(site)
    for n, values in enumerate(fields):
        values = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}
        write(site, f"content/posts/gen/p{n}.md", "---\n" + yaml.safe_dump(values, allow_unicode=True) + "---\nx\n")
    result = build(site, BuildOptions(future=True))
    failures = [str(e) for e in result.errors if "plugin '" in str(e) or type(e).__name__ == "PluginError"]
    assert failures == []
