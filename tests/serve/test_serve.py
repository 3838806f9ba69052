"""`ssg serve`: the real server as a subprocess on 127.0.0.1, spoken to over
HTTP and its server-sent events. Incidents 2 and 3 of shared/INCIDENTS.md
(one build running, at most one pending, every change built by some build,
errors shown and not lost) are what the coalescing and error tests check."""

from __future__ import annotations

import filecmp
import os
import shutil
import signal
import socket
import threading
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from conftest import MINIMAL_CONFIG, write_files
from serve_helpers import WAIT, ServeProcess, wait_until

from ssg.errors import UsageError
from ssg.serve.events import Broker
from ssg.serve.http import bind
from ssg.serve.watch import Scheduler, relevant

SECRET = "TOP-SECRET-BYTES-6d1f"


def post(title: str, body: str, date: str = "2024-01-01") -> str:
    return f"---\ntitle: {title}\ndate: {date}\ntags: [x]\n---\n{body}\n"


SITE = {
    "ssg.toml": MINIMAL_CONFIG + f"# {SECRET}\n",
    "secret.txt": SECRET + "\n",
    "content/posts/a.md": post("Alpha", "Alpha body."),
    "content/posts/b.md": post("Beta", "Beta body.", "2024-01-02"),
    "content/about.md": "---\ntitle: About\n---\nWho we are.\n",
    "static/files/data.json": '{"x": 1}\n',
    "static/files/notes.txt": "plain\n",
    "templates/page.html": '{% extends "theme/page.html" %}\n',
}


# A post whose summary is fixed (the feeds show summaries): a body edit is rebuilt warm (ssg/build/sources/kept.py).
GAMMA = "---\ntitle: Gamma\ndate: 2024-01-03\nsummary: Fixed.\n---\n{body}\n"


def deface(path: Path) -> None:
    """Edit an output file by hand in one write: the watcher never sees it half done."""
    with path.open("a") as file:
        file.write("<p>defaced by hand</p>\n")


def make(tmp_path: Path, name: str = "site", extra: dict | None = None) -> Path:
    root = tmp_path / name
    write_files(root, {**SITE, **(extra or {})})
    return root


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One server for the read-only HTTP tests (and a pristine copy of its site)."""
    base = tmp_path_factory.mktemp("serve")
    site = make(base)
    shutil.copytree(site, base / "copy")
    server = ServeProcess(site)
    yield server, site, base / "copy"
    assert server.stop() == 0


# -- HTTP ---------------------------------------------------------------------

def test_folders_serve_index_html_with_the_script_injected_only_in_the_response(served):
    server, site, _ = served
    page = server.request("/posts/a/")
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Alpha body." in page.text
    assert page.text.count('<script src="/_ssg/livereload.js"></script></body>') == 1
    assert int(page.headers["Content-Length"]) == len(page.body)
    on_disk = (site / "public/posts/a/index.html").read_bytes()
    assert b"livereload" not in on_disk and page.body.replace(b'<script src="/_ssg/livereload.js"></script>', b"") == on_disk
    redirect = server.request("/posts/a?x=1")
    assert redirect.status == 301 and redirect.headers["Location"] == "/posts/a/?x=1"
    script = server.request("/_ssg/livereload.js")
    assert script.status == 200 and script.headers["Content-Type"] == "text/javascript; charset=utf-8"
    assert b"EventSource" in script.body


def test_output_is_byte_identical_to_ssg_build(served, cli):
    server, site, copy = served
    assert cli("build", "-s", str(copy), "-q").exit_code == 0
    compared = filecmp.dircmp(site / "public", copy / "public")
    assert not compared.left_only and not compared.right_only
    files = [p.relative_to(copy / "public") for p in (copy / "public").rglob("*") if p.is_file()]
    match, mismatch, errors = filecmp.cmpfiles(site / "public", copy / "public", [str(f) for f in files], shallow=False)
    assert not mismatch and not errors and len(match) > 5


def test_content_types(served):
    server, _, _ = served
    assert server.request("/files/data.json").headers["Content-Type"] == "application/json; charset=utf-8"
    assert server.request("/files/notes.txt").headers["Content-Type"] == "text/plain; charset=utf-8"
    css = server.request("/css/style.css")
    assert css.headers["Content-Type"] == "text/css; charset=utf-8" and b"script" not in css.body[-200:]
    assert server.request("/index.xml").headers["Content-Type"] == "application/xml; charset=utf-8"


def test_head_has_the_headers_of_get_and_no_body(served):
    server, _, _ = served
    get, head = server.request("/posts/a/"), server.request("/posts/a/", "HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    assert head.headers["ETag"] == get.headers["ETag"]


def test_a_miss_gets_the_sites_404_page_with_status_404(served):
    server, site, _ = served
    miss = server.request("/no/such/page/")
    assert miss.status == 404
    assert "Page not found" in miss.text and "/_ssg/livereload.js" in miss.text
    assert (site / "public/404.html").read_bytes() in miss.body.replace(b'<script src="/_ssg/livereload.js"></script>', b"")


def test_etag_and_last_modified_answer_conditional_gets_with_304(served):
    server, _, _ = served
    page = server.request("/posts/a/")
    etag, modified = page.headers["ETag"], page.headers["Last-Modified"]
    assert etag and modified
    assert server.request("/posts/a/", headers={"If-None-Match": etag}).status == 304
    assert server.request("/posts/a/", headers={"If-None-Match": '"other"'}).status == 200
    assert server.request("/posts/a/", headers={"If-Modified-Since": modified}).status == 304
    assert server.request("/posts/a/", headers={"If-Modified-Since": formatdate(0, usegmt=True)}).status == 200
    css = server.request("/css/style.css")
    assert server.request("/css/style.css", headers={"If-None-Match": css.headers["ETag"]}).status == 304
    assert css.headers["ETag"] != page.headers["ETag"]


@pytest.mark.parametrize("path", ["/../ssg.toml", "/%2e%2e/ssg.toml", "/..%2fssg.toml", "/%2E%2E%2Fsecret.txt",
                                  "/..\\secret.txt", "/..%5csecret.txt", "/posts/../../secret.txt",
                                  "/%2e%2e/%2e%2e/secret.txt", "/secret.txt%00.html", "//../secret.txt"])
def test_paths_leaving_the_output_folder_are_refused(served, path):
    server, _, _ = served
    answer = server.request(path)
    assert answer.status in (400, 404)
    assert SECRET.encode() not in answer.body


def test_symlinks_and_temporary_files_in_the_output_are_not_served(served):
    server, site, _ = served
    public = site / "public"
    os.symlink(site / "secret.txt", public / "leak.txt")
    os.symlink(site, public / "leakdir")
    os.symlink(public / "about", public / "inside")     # a link within the output is fine
    (public / ".ssgtmp-123-x.html").write_text("half written")
    try:
        for path in ("/leak.txt", "/leakdir/secret.txt", "/leakdir/", "/.ssgtmp-123-x.html"):
            answer = server.request(path)
            assert answer.status == 404, path
            assert SECRET.encode() not in answer.body and b"half written" not in answer.body
        assert "Who we are." in server.request("/inside/").text
    finally:
        for name in ("leak.txt", "leakdir", "inside", ".ssgtmp-123-x.html"):
            (public / name).unlink()


def test_304_for_a_page_after_a_rebuild_that_did_not_change_it(served):
    server, site, _ = served
    before = server.request("/posts/a/")
    events = server.events()
    try:
        path = site / "content/posts/b.md"
        path.write_text(path.read_text().replace("Beta body.", "Beta body, edited."))
        event, _ = events.until(lambda e: "/posts/b/" in e["changed"])
        assert event["ok"] and "/posts/a/" not in event["changed"]
        assert "Beta body, edited." in server.request("/posts/b/").text
        again = server.request("/posts/a/", headers={"If-None-Match": before.headers["ETag"]})
        assert again.status == 304 and again.headers["ETag"] == before.headers["ETag"]
    finally:
        events.close()


def test_a_busy_explicit_port_is_an_error_naming_it(tmp_path):
    site = make(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        import subprocess
        import sys

        run = subprocess.run([sys.executable, "-m", "ssg", "serve", "-s", str(site), "--port", str(port)],
                             capture_output=True, text=True, timeout=30)
    assert run.returncode == 2
    assert f"port {port} on 127.0.0.1 is in use" in run.stderr


def test_a_busy_default_port_moves_to_the_next_free_one():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        told = []
        try:
            server = bind("127.0.0.1", None, Broker(), default_port=port, on_busy=lambda *a: told.append(a))
        except UsageError:
            pytest.skip("the ports after the taken one are taken too")
        try:
            chosen = server.server_address[1]
            assert chosen > port and told == [(port, chosen)]
        finally:
            server.server_close()


# -- watching, coalescing, errors ---------------------------------------------

def test_a_burst_of_50_edits_is_coalesced_and_serves_the_last(tmp_path, cli):
    """How few builds a burst makes is the Scheduler's, checked below on a
    clock the test moves: here the machine may be busy, the saves late and
    the watcher's reports too."""
    site = make(tmp_path)
    post_file = site / "content/posts/a.md"
    with ServeProcess(site) as server:
        events = server.events()
        initial = server.builds
        started = time.monotonic()
        for n in range(50):
            post_file.write_text(post("Alpha", f"Edit number {n}."))
            time.sleep(0.02)    # the burst's shape: 50 saves spread over about a second
        seconds = time.monotonic() - started
        event, seen = events.until(lambda e: e["ok"] and "/posts/a/" in e["changed"]
                                   and "Edit number 49." in server.request("/posts/a/").text)
        # Anything of the burst still pending is built before a later change's build.
        (site / "content/about.md").write_text("---\ntitle: About\n---\nSentinel.\n")
        _, after = events.until(lambda e: "/about/" in e["changed"])
        burst_builds = len(seen) + len(after) - 1
        # About one build a second of saves, and the last; one more if the busy machine paused the saves or the watcher.
        assert 1 <= burst_builds <= 2 + int(seconds), ([e["changed"] for e in seen + after], seconds)
        assert server.wait_for_builds(initial + burst_builds + 1) == initial + burst_builds + 1
        assert "Edit number 49." in server.request("/posts/a/").text
        events.close()
        assert server.stop(signal.SIGINT) == 0
    server.wait_for_line(r"^stopped$")
    # Stopped cleanly: the build state agrees with the output folder, nothing left to do.
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0 and " 0 written" in result.stdout


def test_editor_temporary_files_start_no_build(tmp_path):
    site = make(tmp_path)
    with ServeProcess(site) as server:
        events = server.events()
        posts = site / "content/posts"
        for name in (".a.md.swp", "a.md~", "4913", "#a.md#", ".#a.md", "a.md.bck", ".a.md.tmp"):
            (posts / name).write_text("junk")
        (site / ".git").mkdir()
        (site / ".git/index").write_text("x")
        (site / "public/stray.html").write_text("x")
        # A pause, not a wait for anything: it gives a build the junk wrongly started the time to show up
        # before the edit's. A busy machine can only make the junk share the edit's build (and pass).
        time.sleep(0.4)
        (posts / "b.md").write_text(post("Beta", "Beta after the junk.", "2024-01-02"))
        event, seen = events.until(lambda e: "/posts/b/" in e["changed"])
        assert len(seen) == 1, "a temporary file started a build"
        events.close()
        assert server.stop(signal.SIGTERM) == 0


def test_an_atomic_save_is_seen(tmp_path):
    """Editors write a temporary file and rename it over the original."""
    site = make(tmp_path)
    with ServeProcess(site) as server:
        events = server.events()
        temp = site / "content/posts/.a.md.tmp"
        temp.write_text(post("Alpha", "Saved atomically."))
        os.replace(temp, site / "content/posts/a.md")
        events.until(lambda e: "/posts/a/" in e["changed"])
        assert "Saved atomically." in server.request("/posts/a/").text
        events.close()


def test_an_edit_of_page_text_is_built_warm_from_the_kept_model(tmp_path, cli):
    """ssg/build/sources/kept.py: the body of a post with a fixed summary (the feeds show
    summaries) is rebuilt from the model the server keeps, atomic save or not."""
    site = make(tmp_path, extra={"content/posts/c.md": GAMMA.format(body="Gamma body.")})
    with ServeProcess(site) as server:
        events = server.events()
        (site / "content/posts/c.md").write_text(GAMMA.format(body="Gamma, edited in place."))
        event, _ = events.until(lambda e: "/posts/c/" in e["changed"])
        assert event["changed"] == ["/posts/c/"]
        temp = site / "content/posts/.c.md.tmp"
        temp.write_text(GAMMA.format(body="Gamma, saved atomically."))
        os.replace(temp, site / "content/posts/c.md")
        events.until(lambda e: "/posts/c/" in e["changed"])
        assert "Gamma, saved atomically." in server.request("/posts/c/").text
        first = server.wait_for_line(r"^built in [\d.]+ s: 1 written, 0 deleted, 0 errors \(warm\)$")
        server.wait_for_line(r"^built in [\d.]+ s: 1 written, 0 deleted, 0 errors \(warm\)$",
                             start=server.lines.index(first.string) + 1)
        events.close()
        assert server.stop() == 0
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0 and " 0 written" in result.stdout


def test_output_files_edited_moved_or_deleted_by_hand_are_rebuilt_warm_and_own_writes_start_no_build(tmp_path, cli):
    """The output folder is watched: a page or a copied static file not as the
    last build left it is built again from the kept model, a file put there by
    hand is left alone, and the builds' own writes start no build."""
    site = make(tmp_path)
    public = site / "public"
    with ServeProcess(site) as server:
        events = server.events()
        initial = server.builds
        original = {rel: (public / rel).read_bytes() for rel in ("posts/a/index.html", "files/notes.txt",
                                                                 "posts/b/index.html", "index.html", "about/index.html")}
        stamp = (public / "index.html").stat().st_mtime_ns
        # One hand edit at a time, each after the last one's repair: one build each, its own writes start none.
        for edit, url in ((lambda: deface(public / "posts/a/index.html"), "/posts/a/"),
                          (lambda: (public / "files/notes.txt").unlink(), "/files/notes.txt"),
                          (lambda: (public / "posts/b").rename(tmp_path / "b-moved"), "/posts/b/")):
            edit()
            event, seen = events.until(lambda e: e["changed"])
            assert event["changed"] == [url] and len(seen) == 1, seen
        assert {rel: (public / rel).read_bytes() for rel in original} == original
        assert (public / "index.html").stat().st_mtime_ns == stamp, "a page not touched by hand was rewritten"
        server.wait_for_builds(initial + 3)
        repairs = [line for line in server.stdout if line.startswith("built in ")][initial:]
        assert len(repairs) == 3 and all(line.endswith("1 written, 0 deleted, 0 errors (warm)") for line in repairs)
        (public / "stray.html").write_text("mine")
        # A pause, not a wait for anything: a build the stray file wrongly started has the time to show up
        # before the next repair's (a busy machine can only make them one build, and pass).
        time.sleep(0.4)
        deface(public / "about/index.html")
        event, seen = events.until(lambda e: e["changed"])
        assert event["changed"] == ["/about/"] and len(seen) == 1, "the stray file started a build"
        assert server.wait_for_builds(initial + 4) == initial + 4, "the builds' own writes started a build"
        assert (public / "about/index.html").read_bytes() == original["about/index.html"]
        events.close()
        assert server.stop() == 0
    assert (public / "stray.html").read_text() == "mine"
    result = cli("build", "-s", str(site), "--json")
    assert result.exit_code == 0 and '"files_written": 0' in result.stdout, result.stdout


def test_a_deleted_output_folder_is_built_again(tmp_path):
    site = make(tmp_path)
    public = site / "public"

    def files() -> dict | None:
        try:
            return {p.relative_to(public): p.read_bytes() if p.is_file() else None for p in public.rglob("*")}
        except FileNotFoundError:
            return None      # a build is writing

    with ServeProcess(site) as server:
        events = server.events()
        before = files()
        # Moved away, then deleted: the server sees it gone at once. An `rm -rf` the server sees
        # half done races it: the files it puts back can make rm fail ("Directory not empty").
        public.rename(tmp_path / "gone")
        shutil.rmtree(tmp_path / "gone")
        events.until(lambda e: "/posts/a/" in e["changed"] or e["everything"])
        wait_until(lambda: files() == before, "the output folder built again as it was")
        deface(public / "index.html")          # the folder that came back is watched
        events.until(lambda e: "/" in e["changed"])
        wait_until(lambda: files() == before, "the page defaced by hand built again")
        events.close()


def test_a_site_built_before_is_served_at_once_and_its_model_loaded_after(tmp_path, cli):
    """The first build finds nothing to do and loads nothing (0.4 s, not 4 s, at
    10,000 posts); the model is loaded once serving, so the first edit is warm."""
    site = make(tmp_path, extra={"content/posts/c.md": GAMMA.format(body="Gamma body.")})
    assert cli("build", "-s", str(site)).exit_code == 0
    with ServeProcess(site, merged=True) as server:       # one pipe: the lines in the order written
        first = server.wait_for_line(r"^built in [\d.]+ s: 0 written, 0 deleted, 0 errors$")
        ready = server.wait_for_line(r"^ready: the site model is loaded \([\d.]+ s\); edits of page text are "
                                     r"rebuilt from it$")
        assert server.lines.index(first.string) < server.lines.index(ready.string)
        assert server.builds == 1, "loading the model is not reported as a build"
        events = server.events()
        (site / "content/posts/c.md").write_text(GAMMA.format(body="Gamma, the first edit."))
        events.until(lambda e: "/posts/c/" in e["changed"])
        server.wait_for_line(r"^built in [\d.]+ s: 1 written, 0 deleted, 0 errors \(warm\)$")
        events.close()


def test_a_build_announces_its_written_files_before_it_prunes_and_commits(tmp_path):
    """A warm build sends ``written`` (the pages it wrote: the files are final)
    as soon as they are written, then ``build`` of the same number when it has
    pruned and committed, saying when the files were written. A build that
    fails sends no ``written``: its page shows the error instead."""
    site = make(tmp_path)
    with ServeProcess(site) as server:
        events = server.events()
        post = site / "content/posts/b.md"
        post.write_text(post.read_text().replace("Beta body.", "Beta body, edited."))
        kinds = until_build(events)
        (_, early), (_, final) = kinds[-2:]
        assert [kind for kind, _ in kinds] == ["written", "build"], kinds
        assert early["build"] == final["build"] and early["ok"] and final["ok"]
        assert "/posts/b/" in early["changed"] and early["changed"] == final["changed"]
        assert final["written_at"] == early["finished"] <= final["finished"]
        late = server.events()      # a page opened now learns of both
        assert late.hello["written"] == early and late.hello["last"] == final
        late.close()
        post.write_text("---\ntitle: [unclosed\n---\nBroken.\n")
        kinds = until_build(events)
        assert [kind for kind, _ in kinds] == ["build"] and not kinds[0][1]["ok"], kinds
        assert "written_at" not in kinds[0][1]
        events.close()


def until_build(events) -> list[tuple[str, dict]]:
    """Every event (kind, data) up to the next ``build`` one."""
    kinds = []
    while not kinds or kinds[-1][0] != "build":
        kinds.append(events.queue.get(timeout=30))
    return kinds


def test_a_template_error_is_sent_to_the_page_and_fixing_it_recovers(tmp_path):
    site = make(tmp_path)
    template = site / "templates/page.html"
    with ServeProcess(site) as server:
        events = server.events()
        template.write_text('{% extends "theme/page.html" %}\n{% block main %}{% if %}{% endblock %}\n')
        failed, _ = events.until(lambda e: not e["ok"])
        text = "\n".join(e["text"] for e in failed["errors"])
        assert "page.html" in text and ":2" in text
        server.wait_for_line(r"^error: .*page\.html:2")
        assert "Alpha body." in server.request("/posts/a/").text      # the last good output is still served
        template.write_text('{% extends "theme/page.html" %}\n')
        fixed, _ = events.until(lambda e: e["ok"])
        assert "/posts/a/" in fixed["changed"] or fixed["changed"] == []
        assert "Alpha body." in server.request("/posts/a/").text
        # A page opened now learns the state from the hello of its stream.
        late = server.events()
        assert late.hello["last"]["ok"] and late.hello["last"]["build"] == fixed["build"]
        late.close()
        events.close()


def test_a_broken_ssg_toml_keeps_the_server_serving_and_a_fix_rebuilds(tmp_path):
    site = make(tmp_path)
    config = site / "ssg.toml"
    with ServeProcess(site) as server:
        events = server.events()
        config.write_text('title = "Test site\nbase_url = "https://example.org/"\n')
        failed, _ = events.until(lambda e: not e["ok"])
        assert "ssg.toml:1" in failed["errors"][0]["text"] and "invalid TOML" in failed["errors"][0]["text"]
        assert "Alpha body." in server.request("/posts/a/").text
        config.write_text('title = "Renamed site"\nbase_url = "https://example.org/"\n')
        fixed, _ = events.until(lambda e: e["ok"])
        assert "/posts/a/" in fixed["changed"]
        assert "Renamed site" in server.request("/posts/a/").text
        events.close()


def test_a_site_plugin_edit_is_loaded_by_the_next_build(tmp_path):
    plugin = ("from ssg.api import hookimpl\n\n@hookimpl\ndef ssg_jinja_environment(env, site):\n"
              "    env.globals['greeting'] = '{}'\n")
    site = make(tmp_path, extra={
        "plugins/greet.py": plugin.format("Hello v1"),
        "templates/page.html": '{% extends "theme/page.html" %}{% block page_kicker %}<p>{{ greeting }}</p>'
                               '{% endblock %}\n'})
    with ServeProcess(site) as server:
        assert "Hello v1" in server.request("/posts/a/").text
        events = server.events()
        (site / "plugins/greet.py").write_text(plugin.format("Hello v2"))
        events.until(lambda e: "/posts/a/" in e["changed"])
        assert "Hello v2" in server.request("/posts/a/").text
        events.close()


def test_a_new_input_folder_is_watched(tmp_path):
    site = make(tmp_path)
    with ServeProcess(site) as server:
        events = server.events()
        write_files(site, {"data/menu.json": '{"x": 1}', "content/notes/n.md": "---\ntitle: Note\n---\nA note.\n"})
        events.until(lambda e: "/notes/n/" in e["changed"])
        (site / "content/notes/n.md").write_text("---\ntitle: Note\n---\nA note, edited.\n")
        events.until(lambda e: "/notes/n/" in e["changed"])
        assert "A note, edited." in server.request("/notes/n/").text
        events.close()


def test_no_watch_serves_without_rebuilding(tmp_path):
    site = make(tmp_path)
    with ServeProcess(site, "--no-watch") as server:
        server.wait_for_line(r"^serving http://\S+ \(not watching for changes\)$")
        assert server.request("/posts/a/").status == 200


def test_poll_rebuilds_an_edit_and_repairs_the_output(tmp_path):
    """``--poll``: every watcher polls, for network mounts and containers where file events never arrive."""
    site = make(tmp_path)
    with ServeProcess(site, "--poll") as server:
        events = server.events()
        # Early in a second, so that the second save is likely within the same second as the first:
        # the poller of watchfiles compares modification times in whole seconds; ssg/serve/watch.py makes up for it.
        wait_until(lambda: time.time() % 1 < 0.2, "the start of a second")
        for text in ("Seen by polling.", "Seen by polling, saved again."):
            (site / "content/posts/a.md").write_text(post("Alpha", text))
            events.until(lambda e: "/posts/a/" in e["changed"])
        assert "Seen by polling, saved again." in server.request("/posts/a/").text
        assert "Seen by polling, saved again." in (site / "public/posts/a/index.html").read_text()
        (site / "public/files/notes.txt").unlink()
        events.until(lambda e: "/files/notes.txt" in e["changed"])
        assert server.request("/files/notes.txt").body == (site / "static/files/notes.txt").read_bytes()
        events.close()
        assert server.stop() == 0


def inotify_limited(name: str, value: int) -> tuple[str, ...]:
    """A command prefix: the rest runs in a user namespace whose inotify limit ``name`` is ``value``
    (skips the test where there are no user namespaces to make)."""
    import subprocess

    wrapper = ("unshare", "--user", "--map-root-user", "sh", "-c",
               f'echo {value} > /proc/sys/user/{name} && exec "$@"', "sh")
    try:
        usable = subprocess.run([*wrapper, "true"], capture_output=True, timeout=WAIT).returncode == 0
    except FileNotFoundError:
        usable = False
    if not usable:
        pytest.skip("no user namespaces here (unshare) to limit inotify in")
    return wrapper


def test_without_file_events_serve_says_so_and_poll_rebuilds(tmp_path):
    """No inotify instance allowed: file events never arrive, as on some network mounts."""
    no_events = inotify_limited("max_inotify_instances", 0)
    site = make(tmp_path)
    with ServeProcess(site, wrapper=no_events) as server:
        server.wait_for_line(r"^changes are not watched \(.+\); `ssg serve --poll` watches by polling instead$")
        assert server.stop() == 0
    with ServeProcess(site, "--poll", wrapper=no_events) as server:
        events = server.events()
        (site / "content/posts/a.md").write_text(post("Alpha", "Polled, with no file events."))
        events.until(lambda e: "/posts/a/" in e["changed"])
        assert "Polled, with no file events." in server.request("/posts/a/").text
        events.close()
        assert server.stop() == 0
    assert not any("not watched" in line for line in server.lines)


def test_folders_beyond_the_inotify_watch_limit_are_said_not_watched(tmp_path):
    site = make(tmp_path)
    with ServeProcess(site, wrapper=inotify_limited("max_inotify_watches", 1)) as server:
        server.wait_for_line(r"^some input folders are not watched, their changes are not built \(.+\); on Linux, "
                             r"fs\.inotify\.max_user_watches raises the limit; `ssg serve --poll` watches by polling instead$")
        server.wait_for_line(r"^the output folder is not watched for edits by hand \(.+\); `ssg build` repairs them; "
                             r"on Linux, fs\.inotify\.max_user_watches raises the limit; `ssg serve --poll` watches")
        assert server.stop() == 0


# -- the scheduler and the filter, without HTTP ------------------------------

def test_ipv6_loopback(tmp_path):
    site = make(tmp_path)
    with ServeProcess(site, "--host", "::1") as server:
        assert server.url == f"http://[::1]:{server.port}/"
        response = server.request("/posts/a/")
        assert response.status == 200 and "Alpha body." in response.text


def test_open_starts_the_users_browser_on_the_site_url(tmp_path):
    site = make(tmp_path)
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser.sh"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    with ServeProcess(site, "--open", env={"BROWSER": f"{browser} %s"}) as server:
        wait_until(lambda: opened.exists() and opened.read_text().strip(), "the browser started")
        assert opened.read_text().strip() == server.url == f"http://127.0.0.1:{server.port}/"


SLOW_PLUGIN = """
import time

def ssg_site_loaded(site):
    if (site.root / "slow").exists():
        (site.root / "sleeping").write_text("")
        time.sleep(30)
"""


def test_a_second_ctrl_c_abandons_the_running_build_and_the_state_stays_consistent(tmp_path, cli):
    site = make(tmp_path, extra={"plugins/slow.py": SLOW_PLUGIN})
    with ServeProcess(site) as server:
        (site / "slow").write_text("")
        (site / "content/posts/a.md").write_text(post("Alpha", "Edited while the build is slow."))
        wait_until((site / "sleeping").exists, "the build running, asleep in the plugin")
        server.process.send_signal(signal.SIGINT)
        server.wait_for_line(r"stopping after the running build \(press Ctrl-C again to abandon it\)")
        started = time.monotonic()
        assert server.stop(signal.SIGINT, timeout=20) == 0
        assert time.monotonic() - started < 20, "the second Ctrl-C did not abandon the 30 s build"
    server.wait_for_line("build abandoned")
    (site / "slow").unlink()
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert "Edited while the build is slow." in (site / "public/posts/a/index.html").read_text()


def test_scheduler_one_build_running_one_pending_every_change_built():
    """Each build runs until the test lets it end, so nothing depends on how fast the machine is."""
    scheduler = Scheduler(quiet=0.01, longest=0.05)
    batches = []
    running, ended = threading.Semaphore(0), threading.Semaphore(0)

    def builder():
        while (batch := scheduler.wait()) is not None:
            batches.append(batch)
            running.release()
            ended.acquire()

    thread = threading.Thread(target=builder)
    thread.start()
    try:
        scheduler.mark(["first"])
        assert running.acquire(timeout=WAIT)
        during = {f"during-{n}" for n in range(200)}
        for path in sorted(during):
            scheduler.mark([path])
        ended.release()
        assert running.acquire(timeout=WAIT)        # one more build: every change made during the first
        scheduler.mark(["last"])
        ended.release()
        assert running.acquire(timeout=WAIT)
    finally:
        scheduler.stop()
        ended.release()
        thread.join(WAIT)
    assert [batch.paths for batch in batches] == [{"first"}, during, {"last"}]


def test_scheduler_a_steady_stream_of_saves_is_built_about_once_a_second():
    """The defaults, on a clock the test moves: saves spread over less than
    ``longest`` make at most two builds, a longer stream one build per
    ``longest``, and every save is in exactly one build."""
    for seconds, most in ((1, 2), (3, 3)):
        now = [0.0]
        scheduler = Scheduler(clock=lambda now=now: now[0])
        builds = []
        saves = [f"save-{n}" for n in range(50 * seconds)]
        for n, path in enumerate(saves):
            now[0] = n * 0.02
            if (due := scheduler.due()) is not None and due <= now[0]:
                builds.append(scheduler.wait())
            scheduler.mark([path])
        now[0] = scheduler.due()
        builds.append(scheduler.wait())
        assert len(builds) <= most
        assert sorted(path for batch in builds for path in batch.paths) == sorted(saves)


def test_scheduler_a_lone_save_waits_less_than_a_burst():
    """On a clock the test moves: one change is due ``lone`` after it; a second
    within that makes a burst, due ``quiet`` after its last change; each batch
    starts counting again."""
    now = [0.0]
    scheduler = Scheduler(clock=lambda: now[0])
    scheduler.mark(["a"])
    assert scheduler.due() == pytest.approx(scheduler.lone) and scheduler.lone < scheduler.quiet
    now[0] = 0.02
    scheduler.mark(["b"])
    assert scheduler.due() == pytest.approx(0.02 + scheduler.quiet)
    now[0] = 0.02 + scheduler.quiet
    assert scheduler.wait().paths == {"a", "b"}
    now[0] = 5.0
    scheduler.mark(["c"])
    assert scheduler.due() == pytest.approx(5.0 + scheduler.lone)
    now[0] += scheduler.lone
    assert scheduler.wait().paths == {"c"}


@pytest.mark.parametrize("rel", ["content/posts/.a.md.swp", "content/posts/a.md~", "content/4913", "content/.#a.md",
                                 "content/a.md.bck", "content/.a.md.tmp", "plugins/__pycache__/x.cpython-311.pyc",
                                 "content/.git/HEAD", "content/x/.hg/store", "public/index.html", ".ssg/state.db"])
def test_ignored_paths(tmp_path, rel):
    assert not relevant(tmp_path / rel, tmp_path, [tmp_path / "public", tmp_path / ".ssg"])


def test_relevant_paths(tmp_path):
    for rel in ("content/posts/a.md", "templates/page.html", "static/css/a.css", "plugins/p.py", "data/x.json"):
        assert relevant(tmp_path / rel, tmp_path, [tmp_path / "public"])
