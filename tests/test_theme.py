"""The default theme: accessible markup on every built page, no requests to
other hosts, light and dark colours with enough contrast, and templates that
still build when the optional plugins (taxonomies, pagination, feeds) are off
or the site lives under a sub-path."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from typer.testing import CliRunner

from ssg.cli import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "example-site"
THEME_CSS = ROOT / "themes" / "default" / "static" / "css"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Attributes whose URL the browser fetches by itself (not links a reader clicks).
FETCHED = {("link", "href"), ("script", "src"), ("img", "src"), ("img", "srcset"), ("source", "src"),
           ("source", "srcset"), ("iframe", "src"), ("video", "src"), ("video", "poster"), ("audio", "src"),
           ("embed", "src"), ("object", "data"), ("input", "src"), ("track", "src")}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parents: tuple[str, ...]):
        self.tag, self.attrs, self.parents = tag, attrs, parents

    def get(self, name: str) -> str | None:
        return self.attrs.get(name)


class Page(HTMLParser):
    """Every start tag of one HTML file with its attributes and ancestors."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.text: list[str] = []
        self._stack: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append(Element(tag, dict(attrs), tuple(self._stack)))
        if tag not in VOID:
            self._stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.elements.append(Element(tag, dict(attrs), tuple(self._stack)))

    def handle_endtag(self, tag):
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[Element]:
        return [e for e in self.elements if e.tag == tag]

    @property
    def ids(self) -> set[str]:
        return {e.get("id") for e in self.elements if e.get("id")}

    @property
    def is_redirect(self) -> bool:
        return any((e.get("http-equiv") or "").lower() == "refresh" for e in self.all("meta"))


def served_url(rel: str) -> str:
    return "/" + rel[: -len("index.html")] if rel.endswith("index.html") else "/" + rel


def load_pages(out: Path) -> dict[str, Page]:
    return {p.relative_to(out).as_posix(): Page(p.read_text(encoding="utf-8")) for p in sorted(out.rglob("*.html"))}


def unresolved_links(out: Path, pages: dict[str, Page], base_url: str) -> list[str]:
    """Internal href/src values (relative or under base_url) that name no
    output file, or whose #fragment is no id on the target page."""
    parts = urlsplit(base_url)
    base_path = parts.path if parts.path.endswith("/") else parts.path + "/"
    problems = []
    for rel, page in pages.items():
        here = f"{parts.scheme}://{parts.netloc}{base_path.rstrip('/')}{served_url(rel)}"
        for element in page.elements:
            for attr in ("href", "src"):
                value = element.get(attr)
                if value is None or value.startswith(("mailto:", "tel:", "data:")):
                    continue
                target = urlsplit(urljoin(here, value))
                if target.netloc != parts.netloc:
                    continue
                if not target.path.startswith(base_path):
                    problems.append(f"{rel}: {value!r} is outside the base path {base_path}")
                    continue
                file_rel = unquote(target.path[len(base_path):])
                if file_rel == "" or file_rel.endswith("/"):
                    file_rel += "index.html"
                if not (out / file_rel).is_file():
                    problems.append(f"{rel}: {value!r} -> missing {file_rel}")
                elif target.fragment and target.fragment not in pages.get(file_rel, page).ids:
                    problems.append(f"{rel}: {value!r} -> no id {target.fragment!r}")
    return problems


def build(site: Path, out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(app, ["build", "-s", str(site), "-o", str(out), "--json", *extra],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stderr == "", result.stderr
    summary = json.loads(result.stdout)
    assert summary["warnings"] == [] and summary["errors"] == [], summary
    return summary


def posts(count: int) -> dict[str, str]:
    """``count`` dated posts with tags and a code block, oldest first."""
    files = {}
    for n in range(1, count + 1):
        files[f"content/posts/post-{n:02d}.md"] = (
            f"---\ntitle: Post number {n}\ndate: 2025-01-{n:02d}\ntags: [alpha, beta-{n % 3}]\n---\n\n"
            f"Paragraph {n} of the test site.\n\n## First part\n\ntext\n\n## Second part\n\n"
            f"```python\nprint({n})\n```\n\n## Third part\n\nmore\n")
    return files


SITE_FILES = {
    "content/_index.md": "---\ntitle: Home\n---\n\nWelcome.\n",
    "content/posts/_index.md": "---\ntitle: Posts\n---\n\nAll of them.\n",
    "content/about.md": "---\ntitle: About\n---\n\nAbout us.\n",
    **posts(12),
}


# --- the example site, as the theme renders it ---------------------------------

@pytest.fixture(scope="module")
def example(tmp_path_factory) -> tuple[Path, dict[str, Page]]:
    root = tmp_path_factory.mktemp("theme")
    site = root / "site"
    shutil.copytree(EXAMPLE, site, ignore=shutil.ignore_patterns("public", ".ssg", "__pycache__"))
    out = root / "out"
    build(site, out)
    return out, load_pages(out)


@pytest.fixture(scope="module")
def themed_pages(example) -> dict[str, Page]:
    """Pages the theme renders (alias redirects are plugin-written stubs)."""
    pages = {rel: page for rel, page in example[1].items() if not page.is_redirect}
    assert len(pages) > 40
    return pages


def test_every_page_declares_its_language(themed_pages):
    for rel, page in themed_pages.items():
        assert [e.get("lang") for e in page.all("html")] == ["en"], rel


def test_every_page_has_one_main_landmark_and_a_skip_link_to_it(themed_pages):
    for rel, page in themed_pages.items():
        mains = page.all("main")
        assert len(mains) == 1 and mains[0].get("id") == "main", rel
        first_link = next(e for e in page.elements if e.tag == "a")
        assert first_link.get("href") == "#main" and "skip-link" in first_link.get("class"), rel


def test_header_nav_main_and_footer_are_page_level_landmarks(themed_pages):
    for rel, page in themed_pages.items():
        top_level = [e.tag for e in page.elements if e.parents == ("html", "body")]
        assert top_level == ["a", "header", "main", "footer"], rel
        assert any(e.tag == "nav" and "header" in e.parents for e in page.elements), rel


def test_every_nav_has_an_accessible_name(themed_pages):
    for rel, page in themed_pages.items():
        for nav in page.all("nav"):
            label, labelled_by = nav.get("aria-label"), nav.get("aria-labelledby")
            assert (label and label.strip()) or (labelled_by and labelled_by in page.ids), rel
        assert "Main" in [nav.get("aria-label") for nav in page.all("nav")], rel


def test_every_page_has_exactly_one_h1(themed_pages):
    for rel, page in themed_pages.items():
        assert len(page.all("h1")) == 1, rel


def test_every_image_has_alt_text(themed_pages):
    images = [(rel, img) for rel, page in themed_pages.items() for img in page.all("img")]
    assert images  # the example site does have pictures
    for rel, img in images:
        assert img.get("alt") is not None, rel
        assert img.get("alt").strip() or img.get("role") == "presentation", rel


def test_main_navigation_marks_the_current_place(themed_pages):
    def current(rel: str) -> dict[str, str]:
        page = themed_pages[rel]
        return {a.get("href"): a.get("aria-current") for a in page.all("a")
                if a.get("aria-current") and ("nav" in a.parents or "site-title" in (a.get("class") or ""))}

    assert current("index.html") == {"/": "page"}
    assert current("posts/index.html") == {"/posts/": "page"}
    assert current("notes/page/2/index.html") == {"/notes/": "true", "/notes/page/2/": "page"}
    assert current("posts/2024/postgres-16-upgrade/index.html") == {"/posts/": "true"}
    assert current("tags/rust/index.html") == {"/tags/": "true"}
    assert current("about/index.html") == {"/about/": "page"}


def test_pages_fetch_nothing_from_other_hosts(example):
    out, pages = example
    fetched = 0
    for rel, page in pages.items():
        for element in page.elements:
            for attr, value in element.attrs.items():
                if (element.tag, attr) not in FETCHED or value is None:
                    continue
                fetched += 1
                if element.tag == "link" and element.get("rel") in ("canonical", "alternate"):
                    continue  # identifiers, not fetched by the browser while rendering
                for url in re.split(r",\s*", value) if attr == "srcset" else [value]:
                    url = url.split()[0] if url.strip() else url
                    assert not re.match(r"(?i)^(https?:)?//", url) or url.startswith("https://example.org/"), \
                        f"{rel}: <{element.tag} {attr}={value!r}> is an external request"
        assert not page.all("script"), f"{rel}: the theme ships no JavaScript"
    assert fetched > 100
    for css in out.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        assert not re.search(r"(?i)@import|url\(\s*['\"]?\s*(https?:)?//", text), css


def test_canonical_and_feed_links_point_at_the_site(themed_pages):
    for rel, page in themed_pages.items():
        canonical = [e.get("href") for e in page.all("link") if e.get("rel") == "canonical"]
        assert canonical == ["https://example.org" + served_url(rel)], rel


def test_lists_link_to_their_own_feeds(themed_pages):
    posts = themed_pages["posts/index.html"]
    alternates = {e.get("href") for e in posts.all("link") if e.get("rel") == "alternate"}
    assert alternates == {"/index.xml", "/atom.xml", "/posts/index.xml", "/posts/atom.xml"}
    tag = themed_pages["tags/rust/index.html"]
    assert "/tags/rust/atom.xml" in {a.get("href") for a in tag.all("a")}


# --- styles -----------------------------------------------------------------------

def custom_properties(block: str) -> dict[str, str]:
    return dict(re.findall(r"(--[\w-]+)\s*:\s*([^;]+);", block))


def contrast(foreground: str, background: str) -> float:
    def luminance(hex_colour: str) -> float:
        channels = [int(hex_colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def colour_schemes() -> dict[str, dict[str, str]]:
    css = (THEME_CSS / "style.css").read_text(encoding="utf-8")
    light = custom_properties(css[css.index(":root"): css.index("}", css.index(":root"))])
    dark_start = css.index("@media (prefers-color-scheme: dark)")
    dark_block = css[dark_start: css.index("}", css.index(":root", dark_start))]
    return {"light": light, "dark": {**light, **custom_properties(dark_block)}}


def test_style_sheet_has_a_dark_colour_scheme(themed_pages):
    schemes = colour_schemes()
    for name in ("--bg", "--fg", "--muted", "--accent", "--border", "--code-bg"):
        assert schemes["dark"][name] != schemes["light"][name], name
    pygments = (THEME_CSS / "pygments.css").read_text(encoding="utf-8")
    assert "@media (prefers-color-scheme: dark)" in pygments
    for rel, page in themed_pages.items():
        assert any(m.get("name") == "color-scheme" and m.get("content") == "light dark"
                   for m in page.all("meta")), rel


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_text_colours_meet_wcag_aa_contrast(scheme):
    colours = colour_schemes()[scheme]
    for name in ("--fg", "--muted", "--accent", "--accent-visited"):
        for background in ("--bg", "--surface", "--code-bg"):
            ratio = contrast(colours[name], colours[background])
            assert ratio >= 4.5, f"{scheme}: {name} on {background} is {ratio:.2f}:1"


def test_style_sheet_is_responsive_and_respects_reduced_motion():
    css = (THEME_CSS / "style.css").read_text(encoding="utf-8")
    assert re.search(r"@media \(max-width: [\d.]+rem\)", css)
    assert "max-width: 100%" in css  # images and tables never overflow a narrow screen
    assert "scroll-behavior: smooth" in css.split("@media (prefers-reduced-motion: no-preference)", 1)[1][:80]


# --- the theme without optional plugins, under a sub-path, and with no content -------

def test_theme_builds_with_taxonomies_pagination_and_feeds_disabled(make_site, tmp_path):
    config = ('title = "Bare"\nbase_url = "https://example.org/"\n\n'
              '[plugins]\ndisable = ["taxonomies", "pagination", "feeds"]\n')
    site = make_site(dict(SITE_FILES), config=config)
    out = tmp_path / "out"
    build(site, out)
    pages = load_pages(out)
    assert not (out / "tags").exists() and not (out / "index.xml").exists() and not (out / "page").exists()
    home = pages["index.html"]
    listed = {a.get("href") for a in home.all("a") if re.fullmatch(r"/posts/post-\d\d/", a.get("href") or "")}
    assert len(listed) == 12  # one unpaginated list
    for rel, page in pages.items():
        hrefs = {e.get("href") for e in page.elements if e.get("href")}
        assert not any("/tags/" in h or h.endswith((".xml",)) for h in hrefs), rel
        assert not page.all("nav") or all(n.get("aria-label") != "Pagination" for n in page.all("nav")), rel
    assert unresolved_links(out, pages, "https://example.org/") == []


def test_theme_links_stay_under_the_base_path(make_site, tmp_path):
    site = make_site(dict(SITE_FILES), config=(
        'title = "Sub"\nbase_url = "https://example.org/blog/"\n\n'
        '[pagination]\nper_page = 4\n\n[feeds]\ntaxonomies = ["tags"]\n\n'
        '[params]\nfavicon = "/favicon.svg"\nmenu = [{ name = "About", url = "/about/" }]\n'))
    (site / "static").mkdir()
    (site / "static" / "favicon.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    out = tmp_path / "out"
    build(site, out)
    pages = load_pages(out)
    assert (out / "posts" / "page" / "3" / "index.html").is_file()
    rooted = [(rel, e.get(a)) for rel, p in pages.items() for e in p.elements for a in ("href", "src")
              if (e.get(a) or "").startswith("/")]
    assert rooted and all(value.startswith("/blog/") for _rel, value in rooted), \
        [r for r in rooted if not r[1].startswith("/blog/")]
    assert unresolved_links(out, pages, "https://example.org/blog/") == []


def test_theme_builds_a_site_with_no_content(make_site, tmp_path):
    # without empty_site a missing content/ is an error (tests/sources/test_fault_catalogue_files.py)
    site = make_site({}, config='title = "Test site"\nbase_url = "https://example.org/"\n[build]\nempty_site = true\n')
    out = tmp_path / "out"
    build(site, out)
    home = Page((out / "index.html").read_text(encoding="utf-8"))
    assert "Nothing here yet." in "".join(home.text)
    assert len(home.all("main")) == 1 and len(home.all("h1")) == 1
    assert (out / "404.html").is_file()
