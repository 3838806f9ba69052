"""Runaway renders and hooks (incident 4 in shared/INCIDENTS.md: an infinite
loop ate a host's memory and took the service down). A template or a plugin
that loops, recurses or allocates without end, or kills its own process,
fails its own page, named with the template line and the plugin code it was
running; the rest of the build completes, exit 1, and the build never hangs.
A plugin hook that loops stops the build, naming the plugin and the hook."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

GOOD = {"content/good.md": "---\ntitle: Good\n---\nFine.\n"}
CONFIG = 'title = "T"\nbase_url = "https://example.org/"\n'
MANY = 320   # more dirty outputs than ssg/build/render.py's PARALLEL_FROM: rendered by forked workers


def build(site, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site), *args],
                          capture_output=True, text=True, timeout=120)


def errors(result: subprocess.CompletedProcess, site) -> str:
    """stderr with the site's folder left out of paths."""
    return result.stderr.replace(str(site) + "/", "")


def posts(count: int) -> dict[str, str]:
    return {f"content/posts/p{n}.md": f"---\ntitle: Post {n}\n---\nBody {n}.\n" for n in range(count)}


def page(name: str, text: str) -> dict[str, str]:
    return {f"content/{name}.md": f"---\ntitle: {name}\ntemplate: {name}.html\n---\nx\n",
            f"templates/{name}.html": text}


def plugin(name: str, filters: str, body: str) -> dict[str, str]:
    """A site plugin adding the filters ``filters`` (space-separated) defined in ``body``."""
    install = "".join(f"    env.filters['{f}'] = {f}\n" for f in filters.split())
    return {f"plugins/{name}.py": f"{body}\n\n@hookimpl\ndef ssg_jinja_environment(env):\n{install}"}


def all_posts_built(site, count: int = MANY) -> bool:
    return all((site / f"public/posts/p{n}/index.html").is_file() for n in range(count))


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


HOG = """from ssg.api import hookimpl


def hog(value):
    grown = []
    while True:
        grown.append(bytearray(10**7))
"""


@pytest.mark.parametrize("where", ["one render worker", "parallel render workers"])
def test_a_filter_allocating_without_bound_fails_only_its_page(make_site, where):
    """Incident 4: the runaway allocation is stopped at [build] page_memory
    MiB, long before it can take the machine's memory."""
    many = where == "parallel render workers"
    site = make_site({**GOOD, **(posts(MANY) if many else {}), **page("hog", "<p>\n{{ page.title|hog }}\n</p>\n"),
                      **plugin("hogger", "hog", HOG)}, config=CONFIG + "[build]\npage_memory = 200\n")
    started = time.monotonic()
    result = build(site, *(["--jobs", "2"] if many else []))
    assert time.monotonic() - started < 30
    assert result.returncode == 1, result.stderr
    assert ("error: templates/hog.html:2: rendering hog/index.html (content/hog.md) ran out of memory (the limit "
            "is 200 MiB more than the render process had); it was running plugins/hogger.py:7 in hog") \
        in errors(result, site)
    assert "raise [build] page_memory or pass --page-memory" in result.stderr
    assert result.stderr.count("error:") == 1, result.stderr
    assert (site / "public/good/index.html").is_file() and not (site / "public/hog").exists()
    assert not many or all_posts_built(site)


def test_the_page_memory_flag_overrides_the_configuration(make_site):
    site = make_site({**GOOD, **page("hog", "{{ page.title|hog }}\n"), **plugin("hogger", "hog", HOG)},
                     config=CONFIG + "[build]\npage_memory = 100000\n")
    result = build(site, "--page-memory", "150")
    assert result.returncode == 1
    assert "ran out of memory (the limit is 150 MiB more than the render process had)" in result.stderr


CRASHER = """import ctypes
import os
import signal

from ssg.api import hookimpl


def kill(value):
    if os.environ.get("CRASH"):
        os.kill(os.getpid(), signal.SIGKILL)
    return value


def segv(value):
    if os.environ.get("CRASH"):
        ctypes.string_at(0)
    return value
"""


@pytest.mark.parametrize("where", ["one render worker", "parallel render workers"])
def test_a_render_worker_that_dies_fails_only_its_page(make_site, where):
    """A plugin that kills its render worker (as the kernel's OOM killer
    would) or crashes it: the build neither hangs nor stops; the page is named
    with its old file kept, and every other page is built. A small build
    renders in one worker process, so this holds for it too."""
    site = make_site({**GOOD, **page("kill", "<p>{{ page.title|kill }}</p>\n"),
                      **page("segv", "<p>\n{{ page.title|segv }}\n</p>\n"), **plugin("crasher", "kill segv", CRASHER)})
    assert build(site).returncode == 0
    old = (site / "public/kill/index.html").read_bytes()
    (site / "content/posts").mkdir()
    count = MANY if where == "parallel render workers" else 3
    for rel, text in posts(count).items():
        (site / rel).write_text(text)
    for name in ("kill", "segv"):    # changed, so rendered again
        (site / f"content/{name}.md").write_text(f"---\ntitle: {name} again\ntemplate: {name}.html\n---\nx\n")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site), "--jobs", "2"],
                            capture_output=True, text=True, timeout=120, env={**os.environ, "CRASH": "1"})
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    text = errors(result, site)
    assert "error: the render worker died (killed by SIGKILL) while rendering kill/index.html (content/kill.md)" in text
    assert "page_memory" in text
    assert ("error: templates/segv.html:2: the render worker died (killed by SIGSEGV) while rendering segv/index.html "
            "(content/segv.md); it was running plugins/crasher.py:16 in segv") in text
    assert result.stderr.count("error:") == 2
    assert (site / "public/kill/index.html").read_bytes() == old
    assert all_posts_built(site, count) and (site / "public/good/index.html").is_file()
    assert build(site).returncode == 0     # without the crash, the two pages are built again


RECURSIVE = {
    **page("include", "<p>\n{% include 'include.html' %}\n</p>\n"),
    **page("macro", "{% macro down(n) %}{{ down(n + 1) }}{% endmacro %}\n{{ down(1) }}\n"),
    **page("filter", "<p>\n{{ page.title|deeper }}\n</p>\n"),
    **plugin("recursive", "deeper", "from ssg.api import hookimpl\n\n\ndef deeper(value):\n    return deeper(value)\n"),
}


@pytest.mark.parametrize("where", ["one render worker", "parallel render workers"])
def test_endless_recursion_fails_only_its_page(make_site, where):
    many = where == "parallel render workers"
    site = make_site({**GOOD, **(posts(MANY) if many else {}), **RECURSIVE})
    result = build(site, *(["--jobs", "2"] if many else []))
    assert result.returncode == 1
    text = errors(result, site)
    assert "error: templates/include.html:2: template recursion too deep while rendering include/index.html" in text
    assert "error: templates/macro.html:1: template recursion too deep while rendering macro/index.html" in text
    assert ("error: templates/filter.html:2: template recursion too deep while rendering filter/index.html "
            "(content/filter.md); it was running plugins/recursive.py:5 in deeper") in text
    assert result.stderr.count("error:") == 3 and "Traceback" not in result.stderr
    assert (site / "public/good/index.html").is_file()
    assert not many or all_posts_built(site)


def test_a_hook_looping_forever_stops_the_build_and_is_named(make_site):
    site = make_site({**GOOD, "plugins/forever.py": "from ssg.api import hookimpl\n\n\n@hookimpl\n"
                                                    "def ssg_site_loaded(site):\n    while True: pass  # noqa\n"},
                     config=CONFIG + "[build]\nhook_timeout = 1\n")
    started = time.monotonic()
    result = build(site)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert ("error: plugins/forever.py:6: plugin 'forever' ran longer than 1 s in ssg_site_loaded and was stopped"
            in result.stderr)
    assert "raise [build] hook_timeout" in result.stderr


def test_a_per_page_hook_looping_forever_costs_one_time_limit(make_site):
    site = make_site({**GOOD, **{f"content/p{n}.md": f"---\ntitle: P{n}\n---\nx\n" for n in range(20)},
                      "plugins/forever.py": "import time\n\nfrom ssg.api import hookimpl\n\n\n@hookimpl\n"
                                            "def ssg_page_parsed(page):\n    while True:\n        time.sleep(0.01)\n"},
                     config=CONFIG + "[build]\nhook_timeout = 1\n")
    started = time.monotonic()
    result = build(site)
    assert time.monotonic() - started < 10      # not 20 pages x 1 s
    assert result.returncode == 1
    assert "plugin 'forever' ran longer than 1 s in ssg_page_parsed while processing content/" in result.stderr
    assert "plugins/forever.py:9:" in result.stderr
    assert result.stderr.count("error:") == 1, result.stderr


@pytest.mark.parametrize("key", ["page_timeout", "page_memory", "hook_timeout"])
def test_a_negative_limit_is_a_config_error(make_site, cli, key):
    site = make_site(GOOD, config=CONFIG + f"[build]\n{key} = -1\n")
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert key in result.stderr and "must not be negative" in result.stderr


def test_a_negative_page_memory_flag_is_a_usage_error(make_site, cli):
    site = make_site(GOOD)
    result = cli("build", "-s", str(site), "--page-memory", "-1")
    assert result.exit_code == 2 and "--page-memory" in result.stderr
    assert not (site / "public").exists()


@pytest.mark.slow
def test_a_render_worker_the_time_limit_cannot_stop_is_killed(make_site):
    """A filter that blocks SIGALRM and spins (as code stuck in a C extension
    would): its worker is killed after the page time limit plus a grace
    period, and the page is named with the code it was running."""
    stuck = ("import signal\n\nfrom ssg.api import hookimpl\n\n\ndef stuck(value):\n"
             "    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})\n    while True: pass  # noqa\n")
    site = make_site({**GOOD, **posts(MANY), **page("stuck", "<p>\n{{ page.title|stuck }}\n</p>\n"),
                      **plugin("stucker", "stuck", stuck)})
    started = time.monotonic()
    result = build(site, "--jobs", "2", "--page-timeout", "1")
    assert time.monotonic() - started < 60
    assert result.returncode == 1
    assert ("error: templates/stuck.html:2: rendering stuck/index.html (content/stuck.md) did not stop at the page "
            "time limit (1 s)") in errors(result, site)
    assert "it was running plugins/stucker.py:8 in stuck" in errors(result, site)
    assert all_posts_built(site)
