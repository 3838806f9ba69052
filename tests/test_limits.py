"""Runaway renders: a template or a plugin's filter that loops without end fails
its own page, named with the line it was running, and the build completes."""

from __future__ import annotations

import subprocess
import sys
import time

GOOD = {"content/good.md": "---\ntitle: Good\n---\nFine.\n"}


def build(site, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site), *args],
                          capture_output=True, text=True, timeout=120)


def test_a_template_looping_forever_fails_only_its_page(make_site):
    site = make_site({**GOOD, "content/slow.md": "---\ntitle: Slow\ntemplate: slow.html\n---\nx\n",
                      "templates/slow.html": "<p>\n{% for i in range(10**12) %}{% endfor %}\n</p>\n"})
    started = time.monotonic()
    result = build(site, "--page-timeout", "1")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert "error: templates/slow.html:2: rendering slow/index.html (content/slow.md) took longer than 1 s" \
        in result.stderr.replace(str(site) + "/", "")
    assert "raise [build] page_timeout or pass --page-timeout" in result.stderr
    assert (site / "public/good/index.html").is_file() and not (site / "public/slow").exists()


def test_a_plugin_filter_looping_forever_is_named(make_site):
    site = make_site({**GOOD, "content/spin.md": "---\ntitle: Spin\ntemplate: spin.html\n---\nx\n",
                      "templates/spin.html": "{{ page.title|spin }}\n",
                      "plugins/spinner.py": "from ssg.api import hookimpl\n\n\ndef spin(value):\n    while True:\n"
                                            "        pass\n\n\n@hookimpl\ndef ssg_jinja_environment(env):\n"
                                            "    env.filters['spin'] = spin\n"},
                     config='title = "T"\nbase_url = "https://example.org/"\n[build]\npage_timeout = 1\n')
    result = build(site)
    assert result.returncode == 1
    assert "rendering spin/index.html (content/spin.md) took longer than 1 s; it was running " in result.stderr
    assert "plugins/spinner.py:5 in spin" in result.stderr
    assert (site / "public/good/index.html").is_file()


def test_a_negative_page_timeout_is_a_config_error(make_site, cli):
    site = make_site(GOOD, config='title = "T"\nbase_url = "https://example.org/"\n[build]\npage_timeout = -1\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert "page_timeout" in result.stderr and "must not be negative" in result.stderr
