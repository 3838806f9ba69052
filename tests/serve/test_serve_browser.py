"""`ssg serve` live reload in a real browser: Debian's headless Chromium driven
by Playwright (``executable_path``; no ``playwright install``). Each test
changes a file and waits for the page to change by itself."""

from __future__ import annotations

import signal

import pytest
from conftest import MINIMAL_CONFIG, write_files
from serve_helpers import ServeProcess

pytestmark = pytest.mark.slow

pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")

CSS = "body { background-color: rgb(%d, %d, %d); }\n"
SITE = {
    "ssg.toml": MINIMAL_CONFIG,
    "content/posts/a.md": "---\ntitle: Alpha\ndate: 2024-01-01\n---\nAlpha body.\n",
    "content/posts/b.md": "---\ntitle: Beta\ndate: 2024-01-02\n---\nBeta body.\n",
    "templates/page.html": '{% extends "theme/page.html" %}\n',
    "static/css/style.css": CSS % (1, 2, 3),
}
WAIT_MS = 10_000


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


def test_an_edit_reloads_the_page_once_when_its_file_is_written(browser, site):
    """The page reloads on the build's ``written`` event (its file is final)
    and not again on the ``build`` event that follows, whether it arrives
    before or after the reloaded page connected."""
    with ServeProcess(site) as server:
        page = open_page(browser, server.url + "posts/a/")
        loads = []
        page.on("load", lambda _page: loads.append(1))
        events = server.events()
        for n in range(3):
            (site / "content/posts/a.md").write_text(f"---\ntitle: Alpha\ndate: 2024-01-01\n---\nAlpha, edit {n}.\n")
            page.get_by_text(f"Alpha, edit {n}.").wait_for(timeout=WAIT_MS)
            final = events.until(lambda e: "/posts/a/" in e["changed"])[0]["build"]
            connected(page)
            page.wait_for_function(f"window.__ssgLiveReload.seen >= {final}", timeout=WAIT_MS)
            assert page.evaluate("window.__ssgLiveReload.reloads") == 0
            assert len(loads) == n + 1, f"edit {n}: {len(loads) - n} reloads"
        events.close()


def test_a_template_error_shows_an_overlay_and_fixing_it_restores_the_page(browser, site):
    with ServeProcess(site) as server:
        page = open_page(browser, server.url + "posts/a/")
        (site / "templates/page.html").write_text('{% extends "theme/page.html" %}\n'
                                                  '{% block main %}<b>{{ page.title }</b>{% endblock %}\n')
        overlay = page.locator("#ssg-error-overlay .error")      # in the overlay's shadow root
        overlay.first.wait_for(state="visible", timeout=WAIT_MS)
        assert "page.html:2" in overlay.first.inner_text()
        assert page.locator("#ssg-error-overlay b").count() == 0   # shown as text
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


# --- the error overlay: readable whatever the theme, one error said once ---------------------------------

# A theme whose rules would make the overlay unreadable if they reached it (issue 22: near-white text
# on light grey from the theme's `pre` rule).
HOSTILE_CSS = ("pre, .error { color: #f4f4f4 !important; background: #e6e6e6 !important; font-size: 6px; }\n"
               "div, h1, strong { color: #f0f0f0 !important; background: #fafafa !important; }\n"
               "body { color: #fff; }\n")

PIXELS = """async (png) => {
  const image = new Image();
  image.src = "data:image/png;base64," + png;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width; canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const data = context.getImageData(0, 0, image.width, image.height).data, counts = {};
  for (let i = 0; i < data.length; i += 4) {
    const key = data[i] + "," + data[i + 1] + "," + data[i + 2];
    counts[key] = (counts[key] || 0) + 1;
  }
  return counts;
}"""


def luminance(rgb: tuple[int, ...]) -> float:
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def text_contrast(page, locator) -> float:
    """From a screenshot of ``locator``: its background (the commonest colour)
    against its text (the colour farthest from it that covers a few pixels: the
    glyphs' full strokes, not their anti-aliased edges)."""
    import base64

    counts = page.evaluate(PIXELS, base64.b64encode(locator.screenshot()).decode())
    colours = {tuple(map(int, key.split(","))): n for key, n in counts.items()}
    background = max(colours, key=colours.get)
    strokes = [c for c, n in colours.items() if n >= 20 and c != background]
    assert strokes, "no text in the screenshot"
    return max(contrast(c, background) for c in strokes)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_error_overlay_is_readable_whatever_the_themes_styles_and_says_an_error_once(browser, site, scheme):
    write_files(site, {"static/css/style.css": HOSTILE_CSS,
                       **{f"content/posts/p{i}.md": f"---\ntitle: P{i}\ndate: 2024-02-0{i}\n---\nP{i}.\n"
                          for i in range(1, 6)}})
    with ServeProcess(site) as server:
        context = browser.new_context(color_scheme=scheme, viewport={"width": 1000, "height": 700})
        page = context.new_page()
        page.goto(server.url + "posts/a/")
        connected(page)
        (site / "templates/page.html").write_text('{% extends "theme/page.html" %}\n'
                                                  '{% block main %}{{ page.title }</b>{% endblock %}\n')
        errors = page.locator("#ssg-error-overlay .error")
        errors.first.wait_for(state="visible", timeout=WAIT_MS)
        texts = errors.all_inner_texts()
        assert len(texts) == 1, texts                                   # 7 pages failed: one error shown
        assert "page.html:2" in texts[0] and "while rendering 7 pages: " in texts[0] and "and 4 more" in texts[0]
        for part in (errors.first, page.locator("#ssg-error-overlay h1")):
            ratio = text_contrast(page, part)
            assert ratio >= 4.5, f"{scheme}: overlay text contrast {ratio:.2f}:1"
        assert page.evaluate("getComputedStyle(document.querySelector('#ssg-error-overlay').shadowRoot"
                             ".querySelector('.error')).fontSize") == "14px"     # the theme's 6px did not reach it
        context.close()
