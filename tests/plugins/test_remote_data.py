"""Remote data, fail-open (incident 5: a plugin's outside server must not stop
anyone's work). A real HTTP server on 127.0.0.1 is switched between answering,
hanging, failing with 500, sending garbage and coming back; the builds are
judged by their pages, warnings, errors, exit codes and the last-good copy."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

TEAM_V1 = {"members": [{"name": "Ann"}, {"name": "Bob"}]}
TEAM_V2 = {"members": [{"name": "Cy"}]}
PAGE = "{% for m in data.team.members %}{{ m.name }};{% endfor %}|{{ data.team is defined }}"
FILES = {
    "content/about.md": "---\ntitle: About\n---\nx\n",
    "content/other.md": "---\ntitle: Other\n---\ny\n",
    "templates/page.html": PAGE,
}
# Templates that cope with data.team being missing (a source down with no copy).
MISSING_OK = {**FILES, "templates/page.html": "{{ page.title }}|{{ data.team is defined }}"}
TIMEOUT, RETRIES = 0.5, 1


class DataServer:
    """What the server does next: ``mode`` is ok, hang, 500, 404, garbage or
    html; ``body`` and ``content_type`` are what ``ok`` serves."""

    def __init__(self):
        self.mode = "ok"
        self.body = json.dumps(TEAM_V1).encode()
        self.content_type = "application/json"
        self.requests: list[str] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                server.authorization = self.headers.get("Authorization")
                mode = server.mode
                if mode == "hang":
                    server.release.wait(15)
                    return
                status, body, kind = {
                    "ok": (200, server.body, server.content_type),
                    "500": (500, b"Internal Server Error", "text/plain"),
                    "404": (404, b"Not Found", "text/plain"),
                    "garbage": (200, b'{"members": [{"name": "Ann"', "application/json"),
                    "html": (200, b"<html><body>Sign in to the Wi-Fi</body></html>", "text/html"),
                }[mode]
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    running = DataServer()
    yield running
    running.stop()


def config(url: str, extra: str = "", *, name: str = "team") -> str:
    return ('title = "T"\nbase_url = "https://example.org/"\n\n'
            f'[remote_data.{name}]\nurl = "{url}"\ntimeout = {TIMEOUT}\nretries = {RETRIES}\nbackoff = 0.05\n{extra}')


@pytest.fixture
def site(make_site, server):
    return make_site(FILES, config=config(server.url + "/team.json"))


def build(cli, site, *flags):
    started = time.monotonic()
    result = cli("build", "-s", str(site), *flags)
    result.seconds = time.monotonic() - started
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def page(site) -> str:
    return (site / "public/about/index.html").read_text()


def warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


def errors(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error: ")]


def good_build(cli, site):
    result = build(cli, site)
    assert result.exit_code == 0, result.output
    assert page(site) == "Ann;Bob;|True"
    assert warnings(result) == []
    return result


# --- the source answers -----------------------------------------------------------------------------

def test_data_from_the_source_reaches_templates_and_is_cached(cli, site, server):
    good_build(cli, site)
    assert server.requests == ["/team.json"]
    cached = json.loads((site / ".ssg/remote-data/team.json").read_text())
    assert cached["url"] == server.url + "/team.json"
    assert json.loads(cached["body"]) == TEAM_V1
    assert [p.name for p in (site / ".ssg/remote-data").iterdir()] == ["team.json"], "no temporary files left"
    assert not (site / "public/.ssg").exists() and "remote-data" not in {p.name for p in (site / "public").rglob("*")}


@pytest.mark.parametrize("path, extra, body, kind", [
    pytest.param("/team.yaml", "", b"members:\n  - name: Ann\n  - name: Bob\n", "application/yaml", id="yaml"),
    pytest.param("/team.csv", "", b"name,role\r\nAnn,dev\r\nBob,ops\r\n", "text/csv", id="csv"),
    pytest.param("/api/team", 'format = "yaml"\n', b"members: [{name: Ann}, {name: Bob}]\n", "text/plain",
                 id="explicit-format"),
])
def test_yaml_and_csv_sources(make_site, cli, server, path, extra, body, kind):
    server.body, server.content_type = body, kind
    template = ("{% for m in data.team %}{{ m.name }}={{ m.role }};{% endfor %}" if path.endswith(".csv")
                else "{% for m in data.team.members %}{{ m.name }};{% endfor %}")
    site = make_site({**FILES, "templates/page.html": template}, config=config(server.url + path, extra))
    result = build(cli, site)
    assert result.exit_code == 0, result.output
    assert page(site) == ("Ann=dev;Bob=ops;" if path.endswith(".csv") else "Ann;Bob;")


# --- the source fails: the last-good copy is used, with a warning --------------------------------------

@pytest.mark.parametrize("mode, reason, attempts", [
    pytest.param("500", "HTTP 500 Internal Server Error (after 2 attempts)", 2, id="http-500"),
    pytest.param("hang", f"no complete answer within {TIMEOUT:g} s (after 2 attempts)", 2, id="hang"),
    pytest.param("garbage", "the answer is not valid JSON", 1, id="garbage"),
    pytest.param("html", "the server answered with an HTML page, not data", 1, id="html-page"),
    pytest.param("404", "HTTP 404 Not Found", 1, id="http-404"),
])
def test_failing_source_falls_back_to_the_cached_copy(cli, site, server, mode, reason, attempts):
    good_build(cli, site)
    before = (site / "public/about/index.html").stat().st_mtime_ns
    server.mode, server.requests[:] = mode, []
    result = build(cli, site)
    assert result.exit_code == 0, result.output
    assert page(site) == "Ann;Bob;|True", "templates get the cached copy"
    assert (site / "public/about/index.html").stat().st_mtime_ns == before, "the page is not even rewritten"
    [warning] = warnings(result)
    assert warning.startswith(f"warning: ssg.toml:4: remote data 'team' ({server.url}/team.json) is unavailable: "
                              f"{reason}")
    assert re.search(r"; using the copy cached \d+ seconds? ago \(\d{4}-\d\d-\d\d \d\d:\d\d UTC\)$", warning), warning
    assert len(server.requests) == attempts, "garbage and 404 are not asked again; network failures are"
    assert result.seconds < TIMEOUT * (RETRIES + 1) + 3, "never waits longer than timeout x attempts"


def test_the_age_of_the_copy_is_named(cli, site, server):
    good_build(cli, site)
    cache = site / ".ssg/remote-data/team.json"
    record = json.loads(cache.read_text())
    record["fetched"] = "2024-03-01T08:15:00"   # hand-edited, no time zone: taken as UTC
    cache.write_text(json.dumps(record))
    server.mode = "500"
    result = build(cli, site)
    assert result.exit_code == 0
    [warning] = warnings(result)
    assert "; using the copy cached " in warning and " days ago (2024-03-01 08:15 UTC)" in warning


def test_hanging_source_never_hangs_the_build(make_site, cli, server):
    """Incident 4's lesson: total wait is bounded by timeout x (retries + 1)."""
    server.mode = "hang"
    site = make_site(FILES, config=config(server.url + "/team.json").replace(f"retries = {RETRIES}", "retries = 3"))
    result = build(cli, site)
    assert result.exit_code == 1
    assert result.seconds < TIMEOUT * 4 + 3
    assert len(server.requests) >= 2


def test_source_coming_back_is_used_again_and_refreshes_the_copy(cli, site, server):
    good_build(cli, site)
    server.mode = "500"
    assert build(cli, site).exit_code == 0
    server.mode, server.body = "ok", json.dumps(TEAM_V2).encode()
    result = build(cli, site)
    assert result.exit_code == 0, result.output
    assert warnings(result) == []
    assert page(site) == "Cy;|True"
    assert json.loads(json.loads((site / ".ssg/remote-data/team.json").read_text())["body"]) == TEAM_V2
    server.mode = "garbage"
    assert build(cli, site).exit_code == 0
    assert page(site) == "Cy;|True", "the newest good copy is the one kept"


def test_garbage_never_replaces_the_good_copy(cli, site, server):
    good_build(cli, site)
    cache = (site / ".ssg/remote-data/team.json").read_bytes()
    for mode in ("garbage", "html", "500"):
        server.mode = mode
        build(cli, site)
        assert (site / ".ssg/remote-data/team.json").read_bytes() == cache


# --- no copy to fall back on -------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["500", "garbage", "hang"])
def test_failing_source_without_a_copy_is_an_error_but_the_rest_builds(make_site, cli, server, mode):
    server.mode = mode
    site = make_site(MISSING_OK, config=config(server.url + "/team.json"))
    result = build(cli, site)
    assert result.exit_code == 1
    [error] = errors(result)
    assert error.startswith(f"error: ssg.toml:4: remote data 'team' ({server.url}/team.json) is unavailable: ")
    assert "no cached copy to fall back on (once the source answers, a build stores a copy" in error
    assert (site / "public/about/index.html").read_text() == "About|False"
    assert (site / "public/other/index.html").read_text() == "Other|False"
    assert not (site / ".ssg/remote-data/team.json").exists()


def test_unreachable_port_is_an_error_naming_the_source(make_site, cli, server):
    url = server.url + "/team.json"
    server.stop()
    site = make_site(MISSING_OK, config=config(url))
    result = build(cli, site)
    assert result.exit_code == 1
    [error] = errors(result)
    assert f"remote data 'team' ({url}) is unavailable: cannot connect" in error


def test_a_copy_of_another_url_is_not_used(cli, site, server):
    good_build(cli, site)
    toml = (site / "ssg.toml").read_text()
    (site / "ssg.toml").write_text(toml.replace("/team.json", "/people.json"))
    server.mode = "500"
    result = build(cli, site)
    assert result.exit_code == 1
    assert "/people.json) is unavailable: HTTP 500" in result.stderr and "no cached copy" in result.stderr


def test_a_damaged_copy_counts_as_no_copy(cli, site, server):
    good_build(cli, site)
    (site / ".ssg/remote-data/team.json").write_text('{"url": "half a fi')
    server.mode = "500"
    result = build(cli, site)
    assert result.exit_code == 1
    assert "no cached copy to fall back on" in result.stderr


# --- --strict and --offline ---------------------------------------------------------------------------

def test_strict_makes_the_fallback_fatal(cli, site, server):
    good_build(cli, site)
    server.mode = "500"
    result = build(cli, site, "--strict")
    assert result.exit_code == 1
    assert any("remote data 'team'" in e and "using the copy cached" in e and "fatal with --strict" in e
               for e in errors(result)), result.stderr


def test_offline_uses_the_copy_and_never_connects(cli, site, server):
    good_build(cli, site)
    server.body, server.requests[:] = json.dumps(TEAM_V2).encode(), []
    result = build(cli, site, "--offline")
    assert result.exit_code == 0, result.output
    assert page(site) == "Ann;Bob;|True"
    assert warnings(result) == []
    assert server.requests == []
    assert build(cli, site, "--offline", "--strict").exit_code == 0


def test_offline_without_a_copy_is_an_error_and_never_connects(make_site, cli, server):
    site = make_site(MISSING_OK, config=config(server.url + "/team.json"))
    result = build(cli, site, "--offline")
    assert result.exit_code == 1
    [error] = errors(result)
    assert f"error: ssg.toml:4: remote data 'team' ({server.url}/team.json): --offline and no cached copy" in error
    assert "build once without --offline" in error
    assert server.requests == []
    assert (site / "public/other/index.html").is_file()


# --- configuration -------------------------------------------------------------------------------------

@pytest.mark.parametrize("table, line, message", [
    pytest.param('[remote_data.team]\nurl = "ftp://example.org/x.json"\n', 4,
                 "'remote_data.team.url': must be an http(s) URL", id="scheme"),
    pytest.param('[remote_data.team]\nurl = "https:///x.json"\n', 4, "must be an http(s) URL", id="no-host"),
    pytest.param('[remote_data.team]\nurl = "https://example.org/x.json"\ntimeout = 0\n', 5,
                 "'remote_data.team.timeout': must be more than 0", id="timeout"),
    pytest.param('[remote_data.team]\nurl = "https://example.org/x.json"\nretries = 1000\n', 5,
                 "'remote_data.team.retries': must be 0 to 10", id="retries"),
    pytest.param('[remote_data.team]\nurl = "https://example.org/x.json"\nformat = "xml"\n', 5,
                 "must be one of json, yaml, csv", id="format"),
    pytest.param('[remote_data.team]\nurl = "https://example.org/x.json"\ntimout = 3\n', 5,
                 "unknown key 'remote_data.team.timout' (did you mean 'timeout'?)", id="typo"),
    pytest.param('[remote_data.team]\nformat = "json"\n', 3, "remote_data.team has no url", id="no-url"),
    pytest.param('[remote_data.team]\nurl = "https://example.org/api/team"\n', 3,
                 "cannot tell the format of https://example.org/api/team from its name", id="no-format"),
    pytest.param('[remote_data."../../evil"]\nurl = "https://example.org/x.json"\n', 3,
                 "remote_data name '../../evil' is not usable", id="unsafe-name"),
])
def test_bad_remote_data_config_is_refused_before_any_request(make_site, cli, table, line, message):
    site = make_site(FILES, config='title = "T"\nbase_url = "https://example.org/"\n' + table)
    result = build(cli, site)
    assert result.exit_code == 2, result.output
    assert f"ssg.toml:{line}: " in result.stderr and message in result.stderr
    assert not (site / ".ssg/remote-data").exists() and not (site.parent / "evil.json").exists()


def test_a_data_file_of_the_same_name_is_an_error(make_site, cli, server):
    site = make_site({**FILES, "data/team.yaml": "members: []\n"}, config=config(server.url + "/team.json"))
    result = build(cli, site)
    assert result.exit_code == 1
    assert "error: ssg.toml:4: remote_data.team and a file in data/ both define data.team" in result.stderr
    assert server.requests == []


def test_secrets_in_the_url_are_never_printed(make_site, cli, server):
    """An API key in the query or a password in the URL must not reach CI logs."""
    url = server.url.replace("http://", "http://reader:pa55word@") + "/team.json?api_key=s3cr3t-k3y&v=2"
    site = make_site(MISSING_OK, config=config(url))
    first = build(cli, site)
    assert first.exit_code == 0, first.output
    assert server.requests == ["/team.json?api_key=s3cr3t-k3y&v=2"]
    assert server.authorization == "Basic " + base64.b64encode(b"reader:pa55word").decode()
    server.mode = "500"
    for flags in ((), ("--offline",), ("--json",)):
        result = build(cli, site, *flags)
        assert "s3cr3t-k3y" not in result.output and "pa55word" not in result.output, result.output
    warning = build(cli, site).stderr
    assert "(http://reader:***@127.0.0.1:" in warning and "/team.json?api_key=***&v=***) is unavailable" in warning


@pytest.mark.parametrize("body", [
    pytest.param(b"when: !!timestamp tomorrow\n", id="bad-timestamp"),
    pytest.param(b"run: !!python/object/apply:os.getcwd []\n", id="python-tag"),
    pytest.param(b"x: " + b"[" * 50_000 + b"\n", id="nested-too-deep"),
    pytest.param(b"just a sentence\n", id="scalar"),
    pytest.param(b"\xff\xfe\x00", id="not-utf8"),
])
def test_hostile_yaml_is_garbage_not_a_crash(make_site, cli, server, body):
    server.body, server.content_type = body, "application/yaml"
    site = make_site(MISSING_OK, config=config(server.url + "/team.yaml"))
    result = build(cli, site)
    assert result.exit_code == 1
    [error] = errors(result)
    assert "remote data 'team'" in error and "is unavailable: the answer is not" in error
    assert (site / "public/about/index.html").read_text() == "About|False"
