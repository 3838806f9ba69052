"""`ssg serve` live reload in a real browser: Debian's headless Chromium driven
by Playwright (``executable_path``; no ``playwright install``). Each test
changes a file and waits for the page to change by itself."""

from __future__ import annotations

import shutil
import signal

import pytest
from conftest import MINIMAL_CONFIG, write_files
from serve_helpers import ServeProcess

pytestmark = pytest.mark.slow

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

CSS = "body { background-color: rgb(%d, %d, %d); }\n"
SITE = {
    "ssg.toml": MINIMAL_CONFIG,
    "content/posts/a.md": "---\ntitle: Alpha\ndate: 2024-01-01\n---\nAlpha body.\n",
    "content/posts/b.md": "---\ntitle: Beta\ndate: 2024-01-02\n---\nBeta body.\n",
    "templates/page.html": '{% extends "theme/page.html" %}\n',
    "static/css/style.css": CSS % (1, 2, 3),
}
WAIT_MS = 10_000


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (apt-get install chromium; .ci/run does)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def site(tmp_path):
    write_files(tmp_path / "site", SITE)
    return tmp_path / "site"


def open_page(browser, url: str):
    page = browser.new_page()
    page.goto(url)
    connected(page)
    return page


def connected(page) -> None:
    """Wait until the page (just loaded or reloaded) has its live reload
    stream open, then mark the document (the mark is gone after a full reload)."""
    page.wait_for_function("window.__ssgLiveReload && window.__ssgLiveReload.connected", timeout=WAIT_MS)
    page.evaluate("window.__sameDocument = true")


def test_editing_a_post_shows_the_new_text_by_itself(browser, site):
    with ServeProcess(site) as server:
        page = open_page(browser, server.url + "posts/a/")
        assert page.get_by_text("Alpha body.").is_visible()
        (site / "content/posts/a.md").write_text("---\ntitle: Alpha\ndate: 2024-01-01\n---\nAlpha, rewritten.\n")
        page.get_by_text("Alpha, rewritten.").wait_for(timeout=WAIT_MS)
        # Another post's edit leaves this page alone. (The reloaded page's script may not have run
        # yet when its text shows: wait for it.)
        connected(page)
        builds = page.evaluate("window.__ssgLiveReload.builds")
        (site / "content/posts/b.md").write_text("---\ntitle: Beta\ndate: 2024-01-02\n---\nBeta, rewritten.\n")
        page.wait_for_function(f"window.__ssgLiveReload.builds > {builds}", timeout=WAIT_MS)
        assert page.evaluate("window.__sameDocument") is True
        assert not (site / "public/posts/a/index.html").read_text().count("livereload")


def test_a_template_error_shows_an_overlay_and_fixing_it_restores_the_page(browser, site):
    with ServeProcess(site) as server:
        page = open_page(browser, server.url + "posts/a/")
        (site / "templates/page.html").write_text('{% extends "theme/page.html" %}\n'
                                                  '{% block main %}<b>{{ page.title }</b>{% endblock %}\n')
        overlay = page.locator("#ssg-error-overlay")
        overlay.wait_for(state="visible", timeout=WAIT_MS)
        assert "page.html:2" in overlay.inner_text()
        assert "<b>" not in overlay.inner_text() or overlay.locator("b").count() == 0   # shown as text
        (site / "templates/page.html").write_text('{% extends "theme/page.html" %}\n'
                                                  '{% block main %}<p id="fixed">Fixed {{ page.title }}</p>'
                                                  '{% endblock %}\n')
        page.locator("#fixed").wait_for(timeout=WAIT_MS)
        assert page.locator("#ssg-error-overlay").count() == 0
        assert page.locator("#fixed").inner_text() == "Fixed Alpha"


def test_a_css_edit_applies_without_a_full_reload(browser, site):
    with ServeProcess(site) as server:
        page = open_page(browser, server.url + "posts/a/")
        background = "getComputedStyle(document.body).backgroundColor"
        assert page.evaluate(background) == "rgb(1, 2, 3)"
        (site / "static/css/style.css").write_text(CSS % (4, 5, 6))
        page.wait_for_function(f"{background} === 'rgb(4, 5, 6)'", timeout=WAIT_MS)
        assert page.evaluate("window.__sameDocument") is True, "the page was reloaded"
        assert page.evaluate("window.__ssgLiveReload.swaps") >= 1
        assert page.locator('link[rel="stylesheet"][href*="style.css"]').count() == 1


def test_a_page_reloads_once_when_the_server_restarts(browser, site):
    server = ServeProcess(site)
    try:
        page = open_page(browser, server.url + "posts/a/")
        port = server.port
        assert server.stop(signal.SIGTERM) == 0
        (site / "content/posts/a.md").write_text("---\ntitle: Alpha\ndate: 2024-01-01\n---\nAfter the restart.\n")
        server = ServeProcess(site, port=port)
        page.get_by_text("After the restart.").wait_for(timeout=WAIT_MS)
        page.wait_for_function("window.__ssgLiveReload && window.__ssgLiveReload.connected", timeout=WAIT_MS)
        assert page.evaluate("window.__sameDocument") is None
    finally:
        server.stop()
