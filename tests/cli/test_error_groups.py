"""One template typo that fails many pages is said once, "in N pages" with
the first few named: in `ssg build`'s and `ssg serve`'s terminal output and in
the live-reload event (issue 22). `--json` still lists every error."""

from __future__ import annotations

import json

from conftest import MINIMAL_CONFIG, write_files
from serve_helpers import ServeProcess

BROKEN_TEMPLATE = '{% extends "theme/page.html" %}\n{% block main %}{{ page.title }</b>{% endblock %}\n'
SITE = {"ssg.toml": MINIMAL_CONFIG, "templates/page.html": BROKEN_TEMPLATE,
        **{f"content/posts/p{i}.md": f"---\ntitle: P{i}\ndate: 2024-01-{i:02d}\n---\nP{i}.\n" for i in range(1, 20)},
        "content/posts/bad.md": "---\ntitle: Bad\ndate: soon\n---\n"}


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("error: ")]


def test_build_says_a_template_error_once_with_its_page_count(tmp_path, cli):
    write_files(tmp_path, SITE)
    result = cli("build", "-s", str(tmp_path))
    assert result.exit_code == 1
    lines = error_lines(result.stderr)
    template = [line for line in lines if "page.html:2" in line]
    assert len(template) == 1, lines
    assert "while rendering 19 pages: posts/p" in template[0] and "and 16 more" in template[0]
    assert any("bad.md" in line for line in lines)                     # a different error is still said
    summary = json.loads(cli("build", "-s", str(tmp_path), "--json").stdout)
    assert sum("page.html" in (e["file"] or "") for e in summary["errors"]) == 19     # --json lists each


def test_serve_says_it_once_in_the_terminal_and_in_the_event(tmp_path):
    write_files(tmp_path, SITE)
    with ServeProcess(tmp_path) as server:
        events = server.events()
        last = events.hello["last"]
        server.wait_for_builds(1)
        template = [e for e in last["errors"] if "page.html" in (e["file"] or "")]
        assert len(template) == 1 and len(template[0]["pages"]) == 19
        assert "while rendering 19 pages: " in template[0]["text"]
        lines = [line for line in error_lines("\n".join(server.lines)) if "page.html:2" in line]
        assert len(lines) == 1 and "while rendering 19 pages: " in lines[0]
        events.close()
