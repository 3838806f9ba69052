"""A build after a fresh checkout (issue 22): CI clones the site (every source
gets a new mtime, ctime and inode) and restores .ssg/ and the output folder
from a cache, with their mtimes kept or not. Such a build writes nothing,
renders nothing, loads nothing, and leaves a state that the next build finds
as it is (ssg/build/restamp.py)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import checkouts
import pytest
from conftest import write_files

SITE = {
    "ssg.toml": 'title = "Fresh"\nbase_url = "https://example.org/"\n',
    "content/_index.md": "---\ntitle: Home\n---\nWelcome.\n",
    "content/about.md": "---\ntitle: About\n---\nAbout this site.\n",
    "templates/page.html": ('{% extends "base.html" %}{% block main %}<article>{{ page.content }}'
                            '<p>{{ data.people.name }}, {{ page.minutes }} min</p></article>{% endblock %}'),
    "data/people.yaml": "name: Ada\n",
    "static/css/extra.css": "body { color: black }\n",
    "plugins/minutes.py": ("from ssg.api import hookimpl\n\n\n@hookimpl\ndef ssg_page_parsed(page, site):\n"
                           "    page.minutes = len(page.content) // 100 + 1\n"),
    **{f"content/posts/p{n:02d}.md": (f"---\ntitle: Post {n}\ndate: 2024-01-{n + 1:02d}\ntags: [t{n % 3}]\n---\n"
                                      f"Body of post {n}, linking [the first](p00.md).\n\nMore of post {n}.\n")
       for n in range(12)},
}
KEPT = (".ssg", "public")     # what the cache restores


def ssg(site: Path, *args: str) -> dict:
    """``ssg build --json ARGS`` as a user runs it; its summary (exit 0 asserted)."""
    run = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site), "--json", *args],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr + run.stdout
    return json.loads(run.stdout)


def checkout_again(site: Path, *, keep_output_times: bool) -> None:
    shutil.rmtree(checkouts.checkout_again(site, keep_output_times=keep_output_times))


def stamps(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime) of every file under ``folder``: a file written has another."""
    return {str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    write_files(root, SITE)
    first = ssg(root)
    assert first["files_written"] > 20 and not first["errors"]
    return root


@pytest.mark.parametrize("keep_output_times", [True, False], ids=["output-times-kept", "output-times-lost"])
def test_a_fresh_checkout_writes_renders_and_loads_nothing(site, keep_output_times):
    published = tree(site / "public")
    checkout_again(site, keep_output_times=keep_output_times)
    before = stamps(site / "public")
    result = ssg(site)
    assert (result["files_written"], result["pages_rendered"], result["files_parsed"]) == (0, 0, 0), result
    assert result["files_deleted"] == 0 and not result["errors"] and not result["warnings"]
    assert "load" not in result["timings"], "the site was loaded: files with new times were taken as changed"
    inputs = sum(1 for name in SITE if name != "ssg.toml")
    outputs = len(before) if not keep_output_times else 0
    assert result["files_restamped"] == inputs + outputs
    assert stamps(site / "public") == before, "an output file was written"
    assert tree(site / "public") == published
    again = ssg(site)          # the state took the new times: nothing to check again
    assert again["timings"] == {} and again["files_restamped"] == 0 and again["files_written"] == 0


# How actions/cache (@actions/cache, GNU tar on Linux runners) saves and
# restores: a pax archive (--posix, which keeps nanosecond mtimes) through
# zstd; and a cache in GNU tar's own format, which keeps whole seconds only.
ACTIONS_CACHE_SAVE = ["--posix", "--use-compress-program", "zstd -T0 --long=30", "-cf"]
ACTIONS_CACHE_RESTORE = ["--use-compress-program", "zstd -d --long=30", "-xf"]
WHOLE_SECONDS_SAVE, WHOLE_SECONDS_RESTORE = ["--format=gnu", "-cf"], ["-xf"]


@pytest.mark.parametrize("save, restore", [(ACTIONS_CACHE_SAVE, ACTIONS_CACHE_RESTORE),
                                           (WHOLE_SECONDS_SAVE, WHOLE_SECONDS_RESTORE)],
                         ids=["actions-cache-pax-zstd", "gnu-tar-whole-seconds"])
def test_a_cache_restored_through_a_real_tar_writes_renders_and_loads_nothing(site, tmp_path, save, restore):
    """.ssg/ and the output saved into a tar archive and extracted over a
    fresh checkout, with the ``tar`` (and ``zstd``) CI runs: whatever mtime
    precision the archive keeps, the build takes the restamp path."""
    if shutil.which("tar") is None or ("--posix" in save and shutil.which("zstd") is None):
        pytest.skip("needs GNU tar and zstd (.ci/run installs zstd)")
    published = tree(site / "public")
    kept_ns = {p: p.stat().st_mtime_ns for p in (site / "public").rglob("*")}
    archive = tmp_path / "cache.tar"
    subprocess.run(["tar", *save, str(archive), "-C", str(site), *KEPT], check=True, timeout=60)
    checkout_again(site, keep_output_times=False)
    for name in KEPT:
        shutil.rmtree(site / name)
    subprocess.run(["tar", *restore, str(archive), "-C", str(site)], check=True, timeout=60)
    restored_ns = {site / "public" / p.relative_to(site / "public"): p for p in kept_ns}
    whole = all(p.stat().st_mtime_ns % 1_000_000_000 == 0 for p in restored_ns)
    if "--posix" in save:
        assert {p: p.stat().st_mtime_ns for p in restored_ns} == kept_ns, "the pax archive lost sub-second mtimes"
    else:
        assert whole and any(ns % 1_000_000_000 for ns in kept_ns.values()), "the times were not truncated"
    before = stamps(site / "public")
    result = ssg(site)
    assert (result["files_written"], result["pages_rendered"], result["files_parsed"]) == (0, 0, 0), result
    assert result["files_deleted"] == 0 and not result["errors"] and not result["warnings"]
    assert "load" not in result["timings"], "the site was loaded: the restored cache was not recognised"
    assert "render" not in result["timings"]
    assert stamps(site / "public") == before, "an output file was written"
    assert tree(site / "public") == published
    again = ssg(site)
    assert again["timings"] == {} and again["files_restamped"] == 0 and again["files_written"] == 0


def test_one_post_edited_in_a_fresh_checkout_writes_what_the_edit_alone_would(site, tmp_path):
    post = site / "content/posts/p05.md"
    text = post.read_text()
    post.write_text(text.replace("More of post 5", "More, edited, of post 5"))
    before = stamps(site / "public")
    alone = ssg(site)                                   # the edit, without a fresh checkout
    after = stamps(site / "public")
    edited = sorted(path for path in after if after[path] != before.get(path))
    assert edited == ["posts/p05/index.html"] and "load" not in alone["timings"]
    post.write_text(text)
    ssg(site)

    checkout_again(site, keep_output_times=False)
    post.write_text(text.replace("More of post 5", "More, edited, of post 5"))
    before = stamps(site / "public")
    result = ssg(site)
    assert result["files_written"] == 1 and result["files_parsed"] == 1 and "load" not in result["timings"], result
    after = stamps(site / "public")
    assert sorted(path for path in after if after[path] != before[path]) == edited
    clean = tmp_path / "clean"
    shutil.copytree(site, clean, ignore=shutil.ignore_patterns(*KEPT))
    ssg(clean)
    assert tree(site / "public") == tree(clean / "public"), "the output differs from a clean build's"
    again = ssg(site)
    assert again["timings"] == {} and again["files_written"] == 0


def test_an_output_changed_in_the_cache_is_rebuilt(site):
    """Bytes are compared, not only times: an output whose bytes differ from
    what ssg wrote (same size, new time) is rendered again."""
    checkout_again(site, keep_output_times=False)
    page = site / "public/about/index.html"
    text = page.read_text()
    page.write_text(text.replace("About", "Abort", 1))
    result = ssg(site)
    assert result["files_written"] == 1 and page.read_text() == text


def test_a_file_added_to_the_cached_output_is_still_reported(site):
    """A folder with a new time is taken as unchanged only when it holds
    nothing but what ssg knows: a file put there is reported, and kept."""
    checkout_again(site, keep_output_times=False)
    (site / "public/posts/notes.txt").write_text("mine\n")
    result = ssg(site)
    assert any("public/posts/notes.txt was not written by ssg" in w for w in result["warnings"]), result
    assert (site / "public/posts/notes.txt").read_text() == "mine\n" and result["files_written"] == 0


def test_a_template_with_new_bytes_of_the_same_size_is_read_again(site):
    """The new time of a fresh checkout is not what tells a change: a
    template whose bytes changed (same size, any time) is read again."""
    checkout_again(site, keep_output_times=True)
    template = site / "templates/page.html"
    template.write_text(template.read_text().replace("min</p>", "mn!</p>"))
    result = ssg(site)
    assert "mn!</p>" in (site / "public/about/index.html").read_text()
    assert result["files_written"] >= 13
