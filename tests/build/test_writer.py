"""Writing the output: an unchanged file is never rewritten (its mtime, ETag and
deploy diff stay valid), writes are atomic, and the bytes depend only on the
site, not on where or when it was built.

Incident 2 (PowerCMS X, 2024): rebuilt files with identical bytes were
rewritten, so timestamps moved and browsers' conditional GETs missed the cache."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ssg.build.write import OutputWriter
from ssg.errors import PathError, SsgError

SITE = {
    "content/_index.md": "---\ntitle: Home\n---\nWelcome.\n",
    "content/about.md": "---\ntitle: About\n---\nAbout us.\n",
    "content/posts/one.md": "---\ntitle: One\ndate: 2024-01-01\ntags: [x]\n---\nFirst post.\n",
    "content/posts/two.md": "---\ntitle: Two\ndate: 2024-02-01\n---\nSecond post.\n",
    "content/posts/trip/index.md": "---\ntitle: Trip\ndate: 2023-06-01\n---\n![p](p.png)\n",
    "content/posts/trip/p.png": b"\x89PNG\r\n\x1a\nfake",
    "static/robots-extra.txt": "hello",
}


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def summary(cli, site, *args) -> dict:
    result = cli("build", "-s", str(site), "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def age(root: Path, seconds: int = 100) -> None:
    """Move every mtime into the past, so a rewrite shows even on coarse clocks."""
    for path in root.rglob("*"):
        if path.is_file():
            then = path.stat().st_mtime_ns - seconds * 10**9
            os.utime(path, ns=(then, then))


def test_second_build_writes_nothing_and_keeps_mtimes(make_site, cli):
    site = make_site(SITE)
    first = summary(cli, site)
    assert first["files_written"] > 10 and first["files_unchanged"] == 0
    age(site / "public")
    before = mtimes(site / "public")
    second = summary(cli, site)
    assert second["files_written"] == 0
    assert second["files_unchanged"] == first["files_written"]
    assert mtimes(site / "public") == before


def test_editing_one_post_rewrites_only_what_shows_it(make_site, cli):
    site = make_site(SITE)
    summary(cli, site)
    age(site / "public")
    before = mtimes(site / "public")
    post = site / "content/posts/two.md"
    post.write_text(post.read_text().replace("Second post.", "Second post, edited."))
    result = cli("build", "-s", str(site), "--verbose")
    assert result.exit_code == 0, result.output
    written = sorted(line.split()[-1] for line in result.stdout.splitlines() if line.startswith("  wrote "))
    after = mtimes(site / "public")
    changed = sorted(rel for rel in after if after[rel] != before[rel])
    assert changed == written
    assert "posts/two/index.html" in changed
    assert "Second post, edited." in (site / "public/posts/two/index.html").read_text()
    for untouched in ("about/index.html", "posts/one/index.html", "posts/trip/index.html", "posts/trip/p.png",
                      "robots-extra.txt", "tags/x/index.html"):
        assert untouched not in changed


def test_no_temporary_files_are_left_behind(make_site, cli):
    site = make_site(SITE)
    summary(cli, site)
    (site / "content/about.md").write_text("---\ntitle: About\n---\nChanged.\n")
    summary(cli, site)
    leftovers = [p.name for p in (site / "public").rglob("*") if p.name.startswith(".") or p.name.endswith(".tmp")]
    assert leftovers == []


def test_builds_into_two_folders_are_byte_identical(make_site, cli, tmp_path):
    site = make_site(SITE)
    summary(cli, site, "--out", str(tmp_path / "a"))
    summary(cli, site, "--out", str(tmp_path / "b" / "nested"))
    first, second = tree(tmp_path / "a"), tree(tmp_path / "b" / "nested")
    assert first.keys() == second.keys() and len(first) > 10
    assert first == second
    assert not (site / "public").exists(), "--out replaces output_dir"


def test_builds_in_separate_processes_are_byte_identical(make_site, tmp_path):
    """Another process has another string hash seed: set or dict order that leaks
    into a page would make every deploy upload "changed" files."""
    site = make_site({**SITE, "content/posts/three.md": "---\ntitle: Three\ndate: 2024-02-01\n"
                                                         "tags: [zeta, alpha, mid, x]\n---\nThird.\n"})
    for seed, out in (("1", "a"), ("2", "b")):
        command = [sys.executable, "-m", "ssg", "build", "-s", str(site), "-q", "--out", str(tmp_path / out)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60,
                                env={**os.environ, "PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
    assert tree(tmp_path / "a") == tree(tmp_path / "b")


def test_written_files_are_world_readable(make_site, cli):
    """Web servers run as another user; mkstemp's 0600 must not leak into public/."""
    site = make_site(SITE)
    summary(cli, site)
    modes = {stat.S_IMODE(p.stat().st_mode) for p in (site / "public").rglob("*") if p.is_file()}
    assert modes == {0o644}


def test_a_file_in_the_way_of_a_folder_is_reported(make_site, cli):
    site = make_site({"content/posts/a.md": "x", "content/b.md": "x"})
    (site / "public").mkdir()
    (site / "public/posts").write_text("a file where a folder belongs")
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert f"a file is in the way ({site / 'public/posts'})" in result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert (site / "public/b/index.html").is_file()
    assert (site / "public/posts").read_text() == "a file where a folder belongs"


def test_disk_full_is_an_error_not_a_crash(make_site, cli, monkeypatch):
    site = make_site({"content/a.md": "x"})

    def full(src, dst):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "replace", full)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "error: " in result.stderr and f"cannot write 'a/index.html': {os.strerror(errno.ENOSPC)}" in result.stderr
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert [p.name for p in (site / "public").rglob("*") if p.is_file()] == []


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    """Readers see the old bytes or the new bytes, never a partial file."""
    writer = OutputWriter(tmp_path)
    writer.write("page/index.html", b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(SsgError, match="cannot write 'page/index.html': disk full"):
        OutputWriter(tmp_path).write("page/index.html", b"new bytes")
    assert (tmp_path / "page/index.html").read_bytes() == b"old"
    assert sorted(p.name for p in (tmp_path / "page").iterdir()) == ["index.html"]


def test_a_folder_another_worker_makes_meanwhile_is_no_error(tmp_path, monkeypatch):
    """Render workers write side by side: one finds a page's folder missing
    with its parent, makes the parent, and meanwhile the other has made the
    folder for a file of its own. Both files are written."""
    OutputWriter(tmp_path).write("index.html", b"home")
    real_mkdir = os.mkdir

    def other_worker_first(path, *args, **kwargs):
        if os.fsdecode(path).endswith("/page"):     # the other worker gets there between our two tries
            real_mkdir(path, *args, **kwargs)
            real_mkdir(os.path.join(path, "2"))
            (Path(path) / "2/feed.xml").write_bytes(b"feed")
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", other_worker_first)
    OutputWriter(tmp_path).write("page/2/index.html", b"two")
    assert tree(tmp_path) == {"index.html": b"home", "page/2/feed.xml": b"feed", "page/2/index.html": b"two"}


def test_writer_refuses_paths_outside_its_folder(tmp_path):
    writer = OutputWriter(tmp_path / "out")
    for rel in ("../x.html", "/etc/x", "a\\b", "a\x00b"):
        with pytest.raises(PathError):
            writer.write(rel, b"x")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
