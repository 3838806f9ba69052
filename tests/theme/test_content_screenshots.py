"""A docs page of the default theme in a real browser, light and dark: its
alerts, admonition, definition list, figure, titled code block and disclosure
show inside the content column, readable (WCAG AA contrast), in colours that
differ between the schemes, and the full-page screenshots hold those colours.

Debian's headless Chromium driven by Playwright (``executable_path``; no
``playwright install``), the built site served on 127.0.0.1 (its stylesheets
are at /css/...). Every other request is refused. The screenshots are kept
in the test's temporary folder, and also written to the folder named by
``SSG_SCREENSHOTS`` when it is set, for a person to look at."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import struct
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import write_files

from ssg.build.entry import build

pytestmark = pytest.mark.slow

pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")

SCHEMES = ("light", "dark")
VIEWPORT = {"width": 900, "height": 1200}
PICTURE_RGB = (200, 60, 40)
PAGE = "docs/guide/"

# The page: one of each block the default theme styles for docs.
SITE = {
    "ssg.toml": 'title = "Screenshot check"\nbase_url = "https://example.org/"\n',
    "content/docs/guide/index.md": """
        ---
        title: Guide
        ---
        Some body text that explains what the guide is about.

        > [!NOTE]
        > A note for readers in a hurry.

        > [!WARNING]
        > Careful: this one bites.

        !!! tip "Handy tip"
            The tip's body, indented four spaces.

        Build
        : Turn the content folder into HTML.

            Run it again and only what changed is written:

            ```sh
            ssg build
            ```

        Serve
        : Preview the site as you write.

        {{< figure src="pic.png" alt="A picture" caption="A *caption*" >}}

        ```python {hl_lines=[2] title="app.py"}
        def main():
            return 42
        ```

        {{< details summary="More" >}}
        Hidden **text**.
        {{< /details >}}
        """,
}

# What a reader sees, by name: each must show, inside the content column.
BLOCKS = {
    "note alert": ".content .alert.alert-note",
    "warning alert": ".content .alert.alert-warning",
    "tip admonition": ".content .admonition.tip",
    "definition list": ".content dl",
    "definition of several blocks": ".content dd:has(> p)",
    "code in a definition": ".content dd .highlight",
    "next term": ".content dt:nth-of-type(2)",
    "figure": ".content figure",
    "figure image": ".content figure img",
    "figure caption": ".content figure figcaption",
    "code title": ".content .code-block .code-title",
    "code block": ".content .code-block .highlight",
    "details": ".content details",
}

# Text that must be readable: WCAG AA, 4.5:1 against what is behind it.
TEXTS = {
    "body text": ".content > p",
    "note alert title": ".alert-note .alert-title",
    "note alert text": ".alert-note > p:not(.alert-title)",
    "warning alert title": ".alert-warning .alert-title",
    "tip admonition title": ".admonition.tip .admonition-title",
    "definition term": ".content dt",
    "definition": ".content dd",
    "figure caption": ".content figcaption",
    "code title": ".content .code-title",
    "code keyword": ".content .highlight code > .k",
    "keyword on the highlighted line": ".content .highlight .hll .k",
    "details summary": ".content details > summary",
}
MIN_CONTRAST = 4.5

MEASURE = """([blocks, texts]) => {
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return {left: r.left + scrollX, top: r.top + scrollY, right: r.right + scrollX, bottom: r.bottom + scrollY,
            width: r.width, height: r.height};
  };
  const ancestors = (el) => { const out = []; for (let e = el; e; e = e.parentElement) out.push(e); return out; };
  const out = {blocks: {}, texts: {}};
  for (const [name, selector] of Object.entries(blocks)) {
    const el = document.querySelector(selector);
    out.blocks[name] = el && {box: box(el), visible: el.checkVisibility({opacityProperty: true, visibilityProperty: true})};
  }
  for (const [name, selector] of Object.entries(texts)) {
    const el = document.querySelector(selector);
    out.texts[name] = el && {
      color: getComputedStyle(el).color,
      text: el.textContent.trim().slice(0, 40),
      backgrounds: ancestors(el).map((e) => [e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''),
                                            getComputedStyle(e).backgroundColor]),
    };
  }
  const main = document.querySelector('main');
  const ms = getComputedStyle(main), mb = box(main);
  out.column = {left: mb.left + parseFloat(ms.paddingLeft), right: mb.right - parseFloat(ms.paddingRight)};
  out.viewportWidth = document.documentElement.clientWidth;
  out.scrollWidth = document.scrollingElement.scrollWidth;
  out.bodyBackground = getComputedStyle(document.body).backgroundColor;
  const alert = document.querySelector('.alert-note'), as = getComputedStyle(alert);
  out.alertBorder = {color: as.borderLeftColor, width: parseFloat(as.borderLeftWidth), style: as.borderLeftStyle};
  const ab = alert.getBoundingClientRect();
  const hit = document.elementFromPoint(2, ab.top + ab.height / 2);
  out.marginElement = hit && hit.tagName.toLowerCase();
  const img = document.querySelector('.content figure img');
  out.image = {complete: img.complete, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight};
  out.scroll = [scrollX, scrollY];
  return out;
}"""


@dataclass
class Rendering:
    scheme: str
    screenshot: Path
    measured: dict
    pixels: Pixels | None = None


@dataclass
class Visit:
    url: str
    refused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    renderings: dict[str, Rendering] = field(default_factory=dict)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A valid PNG of one solid colour (8-bit RGB)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


class Pixels:
    """The pixels of an 8-bit, non-interlaced RGB or RGBA PNG, decoded in pure
    Python: rows up to ``max_y`` and columns up to ``max_x`` (a filter only
    reads the bytes to the left and above, so a prefix decodes exactly)."""

    def __init__(self, data: bytes, max_x: int, max_y: int):
        assert data[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG"
        pos, idat, header = 8, [], None
        while pos < len(data):
            length, kind = struct.unpack(">I4s", data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + length]
            if kind == b"IHDR":
                header = struct.unpack(">IIBBBBB", body)
            elif kind == b"IDAT":
                idat.append(body)
            pos += 12 + length
        self.width, self.height, depth, colour, _, _, interlace = header
        assert depth == 8 and colour in (2, 6) and interlace == 0, f"unexpected PNG format {header}"
        self.bpp = 4 if colour == 6 else 3
        raw = zlib.decompress(b"".join(idat))
        stride = 1 + self.width * self.bpp
        assert len(raw) == stride * self.height, "the PNG's image data has the wrong size"
        ncols = min(max_x + 1, self.width) * self.bpp
        bpp, prev, self.rows = self.bpp, bytearray(ncols), []
        for y in range(min(max_y + 1, self.height)):
            kind, line = raw[y * stride], raw[y * stride + 1:y * stride + 1 + ncols]
            cur = bytearray(line)
            if kind == 1:
                for i in range(bpp, ncols):
                    cur[i] = (cur[i] + cur[i - bpp]) & 255
            elif kind == 2:
                for i in range(ncols):
                    cur[i] = (cur[i] + prev[i]) & 255
            elif kind == 3:
                for i in range(ncols):
                    left = cur[i - bpp] if i >= bpp else 0
                    cur[i] = (cur[i] + ((left + prev[i]) >> 1)) & 255
            elif kind == 4:
                for i in range(ncols):
                    a = cur[i - bpp] if i >= bpp else 0
                    b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    cur[i] = (cur[i] + predictor) & 255
            else:
                assert kind == 0, f"bad PNG filter type {kind} on row {y}"
            self.rows.append(cur)
            prev = cur

    def rgb(self, x: int, y: int) -> tuple[int, int, int]:
        row = self.rows[y]
        return tuple(row[x * self.bpp:x * self.bpp + 3])


def parse_colour(css: str) -> tuple[float, float, float, float]:
    """A computed CSS colour (``rgb()``, ``rgba()`` or ``color(srgb ...)``) as r, g, b in 0-255 and alpha."""
    match = re.fullmatch(r"rgba?\(\s*([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\s*\)", css.strip())
    if match:
        r, g, b, a = match.groups()
        return float(r), float(g), float(b), float(a) if a is not None else 1.0
    match = re.fullmatch(r"color\(srgb\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)(?:\s*/\s*([\d.]+))?\s*\)", css.strip())
    assert match, f"cannot read the computed colour {css!r}"
    r, g, b, a = match.groups()
    return float(r) * 255, float(g) * 255, float(b) * 255, float(a) if a is not None else 1.0


def over(top: tuple[float, ...], below: tuple[float, ...]) -> tuple[float, float, float]:
    alpha = top[3]
    return tuple(top[i] * alpha + below[i] * (1 - alpha) for i in range(3))


def luminance(rgb: tuple[float, ...]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def effective_background(backgrounds: list[list[str]]) -> tuple[float, float, float]:
    """What shows behind an element: its own and its ancestors' background
    colours (nearest first) composited down from the first opaque one."""
    colours = [parse_colour(css) for _, css in backgrounds]
    opaque = next((i for i, colour in enumerate(colours) if colour[3] >= 1), None)
    assert opaque is not None, f"no opaque background behind {backgrounds[0][0]}: {backgrounds}"
    result = colours[opaque][:3]
    for colour in reversed(colours[:opaque]):
        result = over(colour, result)
    return result


def close_to(pixel: tuple[int, ...], colour: tuple[float, ...], tolerance: int = 3) -> bool:
    return all(abs(p - c) <= tolerance for p, c in zip(pixel, colour[:3], strict=True))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The site built with the default theme, served on 127.0.0.1: its URL."""
    site = tmp_path_factory.mktemp("screenshots") / "site"
    write_files(site, SITE)
    (site / "content/docs/guide/pic.png").write_bytes(png(120, 80, PICTURE_RGB))
    result = build(site)
    assert result.ok, f"the build failed: {result.errors}"
    assert not result.warnings, f"the build warned: {result.warnings}"
    handler = functools.partial(QuietHandler, directory=str(result.output_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):   # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="module")
def visit(browser, served, tmp_path_factory) -> Visit:
    """The docs page opened once, measured and screenshotted in each scheme."""
    visit = Visit(served + PAGE)
    shots = tmp_path_factory.mktemp("shots")
    keep = os.environ.get("SSG_SCREENSHOTS")
    origin = urlsplit(served).netloc
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    try:
        page = context.new_page()

        def only_local(route):
            if urlsplit(route.request.url).netloc == origin:
                route.continue_()
            else:
                visit.refused.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.on("response", lambda r: r.status >= 400 and visit.failed.append(f"{r.status} {r.url}"))
        page.on("requestfailed", lambda r: visit.failed.append(f"{r.failure} {r.url}"))
        page.on("pageerror", lambda error: visit.errors.append(str(error)))
        page.on("console", lambda m: m.type == "error" and visit.errors.append(m.text))
        page.goto(visit.url, wait_until="load")
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            measured = page.evaluate(MEASURE, [BLOCKS, TEXTS])
            path = shots / f"docs-guide-{scheme}.png"
            page.screenshot(path=str(path), full_page=True)
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, Path(keep) / path.name)
            visit.renderings[scheme] = Rendering(scheme, path, measured)
    finally:
        context.close()
    return visit


def rendering(visit: Visit, scheme: str) -> Rendering:
    shown = visit.renderings[scheme]
    if shown.pixels is None:
        m = shown.measured
        assert m["scroll"] == [0, 0], f"the page was scrolled when measured: {m['scroll']}"
        image = m["blocks"]["figure image"]["box"]
        alert = m["blocks"]["note alert"]["box"]
        max_x = int(max(image["right"], alert["left"] + m["alertBorder"]["width"])) + 1
        max_y = int(max(image["bottom"], alert["bottom"])) + 1
        shown.pixels = Pixels(shown.screenshot.read_bytes(), max_x, max_y)
    return shown


def test_the_page_loads_everything_from_the_site_alone(visit):
    assert not visit.refused, f"requests outside the site: {visit.refused}"
    assert not visit.failed, f"requests that failed: {visit.failed}"
    assert not visit.errors, f"script errors: {visit.errors}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_each_block_shows_inside_the_content_column(visit, scheme):
    m = visit.renderings[scheme].measured
    column = m["column"]
    for name, block in m["blocks"].items():
        assert block is not None, f"{scheme}: no {name} ({BLOCKS[name]}) in the page"
        assert block["visible"], f"{scheme}: the {name} is hidden"
        b = block["box"]
        assert b["width"] > 0 and b["height"] > 0, f"{scheme}: the {name} is empty: {b}"
        assert b["left"] >= column["left"] - 1 and b["right"] <= column["right"] + 1, \
            f"{scheme}: the {name} ({b['left']:.0f}-{b['right']:.0f}px) sticks out of the content column " \
            f"({column['left']:.0f}-{column['right']:.0f}px)"
    assert m["scrollWidth"] <= m["viewportWidth"], \
        f"{scheme}: the page scrolls sideways: {m['scrollWidth']}px wide in a {m['viewportWidth']}px viewport"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_figure_shows_its_picture(visit, scheme):
    shown = rendering(visit, scheme)
    image = shown.measured["image"]
    assert image["complete"] and image["naturalWidth"] == 120 and image["naturalHeight"] == 80, \
        f"{scheme}: the figure's picture did not load: {image}"
    b = shown.measured["blocks"]["figure image"]["box"]
    x, y = int(b["left"] + b["width"] / 2), int(b["top"] + b["height"] / 2)
    pixel = shown.pixels.rgb(x, y)
    assert close_to(pixel, PICTURE_RGB), f"{scheme}: the screenshot shows {pixel} at the picture's centre, not {PICTURE_RGB}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_text_is_readable(visit, scheme):
    m = visit.renderings[scheme].measured
    poor = []
    for name, text in m["texts"].items():
        assert text is not None, f"{scheme}: no {name} ({TEXTS[name]}) in the page"
        behind = effective_background(text["backgrounds"])
        colour = over(parse_colour(text["color"]), behind)
        ratio = contrast(colour, behind)
        if ratio < MIN_CONTRAST:
            shown = tuple(round(c) for c in colour), tuple(round(c) for c in behind)
            poor.append(f"{name} ({TEXTS[name]}, {text['text']!r}): {ratio:.2f}:1, text {shown[0]} on {shown[1]}")
    assert not poor, f"{scheme}: text below {MIN_CONTRAST}:1 contrast: " + "; ".join(poor)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_term_after_a_definition_of_several_blocks_sits_as_after_one_line(visit, scheme):
    """The space above the next term is the term's own margin (0.75rem), not
    that plus the margin under the definition's last block."""
    blocks = visit.renderings[scheme].measured["blocks"]
    gap = blocks["next term"]["box"]["top"] - blocks["definition of several blocks"]["box"]["bottom"]
    assert 10 <= gap <= 14, f"{scheme}: {gap:.1f}px between a definition and the next term"


def test_light_and_dark_differ(visit):
    light, dark = (visit.renderings[scheme].measured for scheme in SCHEMES)
    assert light["bodyBackground"] != dark["bodyBackground"], \
        f"the page background is {light['bodyBackground']} in both schemes"
    assert light["alertBorder"]["color"] != dark["alertBorder"]["color"], \
        f"the note alert's border is {light['alertBorder']['color']} in both schemes"
    light_bg, dark_bg = luminance(parse_colour(light["bodyBackground"])), luminance(parse_colour(dark["bodyBackground"]))
    assert light_bg > 0.8, f"the light page background {light['bodyBackground']} is not light (luminance {light_bg:.2f})"
    assert dark_bg < 0.2, f"the dark page background {dark['bodyBackground']} is not dark (luminance {dark_bg:.2f})"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_the_screenshot_shows_the_computed_colours(visit, scheme):
    shown = rendering(visit, scheme)
    m = shown.measured
    border, alert = m["alertBorder"], m["blocks"]["note alert"]["box"]
    assert border["style"] == "solid" and border["width"] >= 2, f"{scheme}: the note alert has no left bar: {border}"
    # A pixel wholly inside the bar (clear of its anti-aliased edges), halfway down.
    x, y = int(alert["left"] + border["width"] / 2), int(alert["top"] + alert["height"] / 2)
    pixel, expected = shown.pixels.rgb(x, y), parse_colour(border["color"])
    assert close_to(pixel, expected), \
        f"{scheme}: the note alert's bar is {pixel} in the screenshot at ({x}, {y}), its style says {border['color']}"
    # The page's margin beside the alert: the body's background.
    assert m["marginElement"] in ("body", "html"), f"{scheme}: the left margin is covered by <{m['marginElement']}>"
    pixel, expected = shown.pixels.rgb(2, y), parse_colour(m["bodyBackground"])
    assert close_to(pixel, expected), \
        f"{scheme}: the page background is {pixel} in the screenshot at (2, {y}), its style says {m['bodyBackground']}"


@pytest.mark.parametrize("scheme", SCHEMES)
def test_titles_and_captions_sit_on_what_they_name(visit, scheme):
    """The code title is a tab on its block (no gap), the caption right under its picture."""
    blocks = visit.renderings[scheme].measured["blocks"]
    title, code = blocks["code title"]["box"], blocks["code block"]["box"]
    assert abs(code["top"] - title["bottom"]) <= 1, f"{scheme}: the code title ends at {title['bottom']}, " \
                                                    f"its block starts at {code['top']}"
    image, caption = blocks["figure image"]["box"], blocks["figure caption"]["box"]
    assert 0 <= caption["top"] - image["bottom"] <= 16, f"{scheme}: the caption starts {caption['top'] - image['bottom']}" \
                                                        " px below its picture"
