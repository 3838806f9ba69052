"""The example site builds cleanly through the CLI, and what a visitor, a feed
reader or a search engine would check holds: every internal link resolves,
feeds and the sitemap parse, bundles, highlighting, aliases, pagination, data
files, the site plugin and drafts behave, and builds are reproducible. Its
handbook (content/handbook/) shows the docs features: nested sections with
breadcrumbs and weights, cascade, a headless snippet, menus, shortcodes, the
Markdown extensions and front matter written for other generators.

The site is copied to a temporary folder first, so tests never write into
the repository's example-site/ (and parallel workers do not share state)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import yaml
from typer.testing import CliRunner

from ssg.cli import app

EXAMPLE = Path(__file__).resolve().parent.parent / "example-site"
BASE_URL = "https://example.org/"
HOST = "example.org"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

GAUGE_POST = "posts/2024/photographing-the-tide-gauge/index.html"
DOCS_POST = "posts/2024/what-we-learned-writing-api-docs/index.html"
CRON_POST = "posts/2024/moving-nightly-jobs-off-cron/index.html"
DRAFT_POST = "posts/2025/offline-first-sync/index.html"

MODELS = "handbook/operations/forecasting/models/"
HARMONIC = MODELS + "harmonic-constants/index.html"
SURGE = MODELS + "surge-model/index.html"
NEW_HARBOUR = MODELS + "checking-a-new-harbour/index.html"
SUMMER_FREEZE = MODELS + "freezing-the-models-for-summer/index.html"
EXPIRED = MODELS + "winter-surge-override/index.html"
PAGING = "handbook/on-call/paging/index.html"
HANDOVER = "handbook/on-call/handover/index.html"
DEPLOYS = "handbook/operations/deploys/index.html"
GLOSSARY = "handbook/glossary/index.html"
DATA_SOURCES = "handbook/operations/forecasting/data-sources/index.html"


# --- helpers -----------------------------------------------------------------

class PageParser(HTMLParser):
    """What the link checker needs from one HTML file: every URL attribute,
    every id (fragment target), the visible text, and the meta refresh."""

    URL_ATTRS = {"href", "src", "action", "poster", "data"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []      # (tag, attribute, value)
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.refresh: str | None = None
        self.imgs: list[dict[str, str | None]] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name in self.URL_ATTRS and value is not None:
                self.urls.append((tag, name, value))
            elif name == "srcset" and value:
                self.urls.extend((tag, name, part.split()[0]) for part in value.split(",") if part.strip())
            elif name == "id" and value:
                self.ids.add(value)
            elif name == "name" and tag == "a" and value:
                self.ids.add(value)
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.refresh = values.get("content")
        if tag == "img":
            self.imgs.append(values)
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)

    @property
    def visible_text(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))


def parse(path: Path) -> PageParser:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser


def served_url(rel: str) -> str:
    """The URL path a web server answers with the output file ``rel``."""
    if rel == "index.html":
        return "/"
    if rel.endswith("/index.html"):
        return "/" + rel[: -len("index.html")]
    return "/" + rel


def output_file(out: Path, url_path: str) -> Path:
    """The file a static web server sends for ``url_path`` (folders -> index.html)."""
    rel = unquote(url_path).lstrip("/")
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    return out / rel


def internal_target(page_rel: str, value: str) -> tuple[str, str] | None:
    """(path, fragment) when ``value`` on page ``page_rel`` points inside the
    site; None for external URLs and non-navigable schemes."""
    if value.startswith(("mailto:", "tel:", "data:")):
        return None
    absolute = urljoin(BASE_URL.rstrip("/") + served_url(page_rel), value)
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or parts.netloc != HOST:
        return None
    return parts.path, parts.fragment


def html_files(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))


def html_of(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


def between(html: str, start: str, end: str) -> str:
    """The HTML from the first ``start`` to the first ``end`` after it."""
    assert start in html, start
    rest = html.split(start, 1)[1]
    return rest.split(end, 1)[0]


def anchors(html: str) -> list[tuple[str, str | None, str]]:
    """(href, aria-current, text without tags) of each <a> in ``html``, in order."""
    found = re.findall(r'<a href="([^"]*)"(?: aria-current="([^"]*)")?>(.*?)</a>', html, re.DOTALL)
    return [(href, current or None, re.sub(r"<[^>]+>", "", text)) for href, current, text in found]


def text_of(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).strip())


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def meta(html: str, name: str) -> str | None:
    found = re.search(rf'<meta name="{name}" content="([^"]*)">', html)
    return found.group(1) if found else None


def build(site: Path, out: Path, *extra: str):
    return CliRunner().invoke(app, ["build", "-s", str(site), "-o", str(out), "--json", *extra],
                              catch_exceptions=False)


def assert_clean(result) -> dict:
    assert result.exit_code == 0, result.output
    assert result.stderr == "", result.stderr
    summary = json.loads(result.stdout)
    assert summary["warnings"] == [] and summary["errors"] == [], summary
    return summary


# --- fixtures ----------------------------------------------------------------

@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("example") / "site"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("public", ".ssg", "__pycache__"))
    return folder


@pytest.fixture(scope="module")
def built(site: Path, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("public")
    return out, assert_clean(build(site, out))


@pytest.fixture(scope="module")
def out(built) -> Path:
    return built[0]


@pytest.fixture(scope="module")
def pages(out: Path) -> dict[str, PageParser]:
    return {rel: parse(out / rel) for rel in html_files(out)}


# --- the build ---------------------------------------------------------------

def test_example_site_builds_without_warnings_or_errors(built):
    _out, summary = built
    assert summary["pages_rendered"] > 40
    assert summary["files_written"] > 80


def test_example_site_builds_as_is_in_place_with_the_documented_command(site):
    """`ssg build -s example-site` with no --out writes into public/ beside ssg.toml."""
    result = CliRunner().invoke(app, ["build", "-s", str(site), "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert (site / "public" / "index.html").is_file()


def broken_links(out: Path, pages: dict[str, PageParser]) -> tuple[list[str], int]:
    """Every internal href/src that names no output file, or a fragment that
    is no id on its target page; and how many internal links were checked."""
    broken = []
    checked = 0
    for rel, parser in pages.items():
        for tag, attr, value in parser.urls:
            target = internal_target(rel, value)
            if target is None:
                continue
            path, fragment = target
            checked += 1
            file = output_file(out, path)
            where = f"{rel}: <{tag} {attr}={value!r}>"
            if not file.is_file():
                broken.append(f"{where} -> missing {file.relative_to(out).as_posix()}")
            elif fragment:
                target_rel = file.relative_to(out).as_posix()
                ids = pages[target_rel].ids if target_rel in pages else set()
                if unquote(fragment) not in ids:
                    broken.append(f"{where} -> no id {fragment!r} in {target_rel}")
    return broken, checked


def test_every_internal_link_resolves_to_a_file_and_every_fragment_to_an_id(out, pages):
    broken, checked = broken_links(out, pages)
    assert not broken, "\n".join(broken)
    assert checked > 500  # the check really ran over navigation, lists, pages and feeds links


def test_the_link_checker_reports_missing_files_and_fragments(make_site, tmp_path):
    site = make_site({
        "content/a.md": "[ok](/b/) [gone](/nowhere/) [rel](../b/#top) [frag](/b/#missing) "
                        "[abs](https://example.org/b/) [abs gone](https://example.org/gone.png) "
                        "[ext](https://elsewhere.example/x/) <mail@example.org>\n",
        "content/b.md": "# Top\n\n## Real heading\n",
    })
    out = tmp_path / "out"
    assert build(site, out).exit_code == 0
    pages = {rel: parse(out / rel) for rel in html_files(out)}
    broken, _checked = broken_links(out, pages)
    mine = sorted(b.split(": ", 1)[1] for b in broken if b.startswith("a/index.html"))
    assert mine == ["<a href='/b/#missing'> -> no id 'missing' in b/index.html",
                    "<a href='/nowhere/'> -> missing nowhere/index.html",
                    "<a href='https://example.org/gone.png'> -> missing gone.png"]


def test_every_html_page_is_reachable_by_a_link_from_another_page(pages):
    linked = set()
    for rel, parser in pages.items():
        for _tag, _attr, value in parser.urls:
            target = internal_target(rel, value)
            if target is not None and target[0] != served_url(rel):
                linked.add(target[0])
    redirects = {rel for rel, parser in pages.items() if parser.refresh}
    orphans = [rel for rel in pages if served_url(rel) not in linked and rel not in redirects | {"404.html"}]
    assert orphans == []


# --- feeds and sitemap ---------------------------------------------------------

@pytest.mark.parametrize("folder", ["", "posts/", "notes/", "tags/rust/"])
def test_rss_feeds_parse_and_every_item_links_to_a_built_page(out, folder):
    root = ET.parse(out / folder / "index.xml").getroot()
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel is not None
    assert channel.findtext("link") == BASE_URL + folder
    self_link = channel.find(f"{ATOM}link")
    assert self_link is not None and self_link.get("href") == f"{BASE_URL}{folder}index.xml"
    items = channel.findall("item")
    assert items
    for item in items:
        link = item.findtext("link")
        assert link and link.startswith(BASE_URL) and item.findtext("guid") == link
        assert output_file(out, urlsplit(link).path).is_file(), link
        assert item.findtext("title") and item.findtext("pubDate")


@pytest.mark.parametrize("folder", ["", "posts/", "notes/", "tags/rust/"])
def test_atom_feeds_parse_and_every_entry_links_to_a_built_page(out, folder):
    root = ET.parse(out / folder / "atom.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title")
    assert root.findtext(f"{ATOM}updated")
    self_links = [link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_links == [f"{BASE_URL}{folder}atom.xml"]
    entries = root.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        link = entry.find(f"{ATOM}link").get("href")
        assert link.startswith(BASE_URL) and entry.findtext(f"{ATOM}id") == link
        assert output_file(out, urlsplit(link).path).is_file(), link


def test_site_feed_lists_every_published_post_and_note_newest_first(out):
    channel = ET.parse(out / "index.xml").getroot().find("channel")
    links = [item.findtext("link") for item in channel.findall("item")]
    assert len(links) == 16  # 10 posts + 6 notes; the draft is left out
    assert links[0] == BASE_URL + "posts/2025/six-months-of-on-call/"
    assert links[-1] == BASE_URL + "posts/2024/rewriting-the-predictor-in-rust/"
    assert not any("offline-first-sync" in link for link in links)


def test_tag_feed_lists_exactly_the_tagged_pages(out):
    channel = ET.parse(out / "tags" / "rust" / "index.xml").getroot().find("channel")
    links = sorted(item.findtext("link") for item in channel.findall("item"))
    assert links == [BASE_URL + "notes/rust-must-use/", BASE_URL + "posts/2024/rewriting-the-predictor-in-rust/"]


def test_sitemap_lists_every_html_page_except_redirects_and_the_404_page(out, pages):
    root = ET.parse(out / "sitemap.xml").getroot()
    assert root.tag == f"{SITEMAP}urlset"
    locs = [url.findtext(f"{SITEMAP}loc") for url in root.findall(f"{SITEMAP}url")]
    assert len(locs) == len(set(locs))
    expected = {BASE_URL.rstrip("/") + served_url(rel) for rel, parser in pages.items()
                if not parser.refresh and rel != "404.html"}
    assert set(locs) == expected
    assert (out / "robots.txt").read_text().endswith(f"Sitemap: {BASE_URL}sitemap.xml\n")


# --- content features ----------------------------------------------------------

def test_bundle_images_are_copied_beside_their_page_and_shown_with_alt_text(site, out, pages):
    source = site / "content" / "posts" / "photographing-the-tide-gauge"
    folder = out / GAUGE_POST.rsplit("/", 1)[0]
    for name in ("tide-chart.png", "gauge-diagram.svg"):
        assert (folder / name).read_bytes() == (source / name).read_bytes()
    assert (folder / "tide-chart.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    images = {img["src"]: img.get("alt") for img in pages[GAUGE_POST].imgs}
    page_url = "/" + GAUGE_POST.rsplit("/", 1)[0] + "/"
    assert set(images) == {page_url + "tide-chart.png", page_url + "gauge-diagram.svg"}
    assert all(alt and len(alt) > 20 for alt in images.values())
    assert not (out / "tide-chart.png").exists()  # resolved beside the page, not at the root


@pytest.mark.parametrize("page, languages", [
    ("posts/2024/rewriting-the-predictor-in-rust/index.html", ("python", "rust")),
    (CRON_POST, ("toml", "python")),
    ("posts/2024/postgres-16-upgrade/index.html", ("bash",)),
    ("posts/2025/feature-flags-without-a-vendor/index.html", ("go", "javascript")),
])
def test_fenced_code_is_highlighted_with_pygments_classes(out, page, languages):
    html = (out / page).read_text(encoding="utf-8")
    assert html.count('<div class="highlight">') == len(languages)
    assert re.search(r'<span class="(k|kd|kn|nb|nf|nv)">', html)  # keywords / names got token classes
    assert '<pre lang="' not in html  # nothing left unhighlighted


def test_double_braces_in_a_post_body_render_literally(pages, out):
    text = pages[DOCS_POST].visible_text
    assert "A page that said {{ not_a_template }} rendered as an empty string" in text
    assert "so {{ harbour_id }} and {% if %} show up exactly as written" in text
    assert "{{ harbour_id }}?days=${days}" in text  # inside a highlighted code block too


def test_markdown_extensions_render(pages):
    postgres = pages["posts/2024/postgres-16-upgrade/index.html"]
    assert {"fn-quiet", "fn-sequences", "fnref-quiet", "fnref-sequences"} <= postgres.ids
    html_numbers = pages["posts/2024/2024-in-numbers/index.html"]
    assert "Median prediction error (cm)" in html_numbers.visible_text
    reading = pages["notes/reading-list-tides/index.html"]
    hrefs = {value for tag, _attr, value in reading.urls if tag == "a"}
    assert "https://tidesandcurrents.noaa.gov/publications/glossary2.pdf" in hrefs  # autolink
    assert "http://www.admiralty.co.uk" in hrefs                                     # www. autolink


def test_strikethrough_and_tables_reach_the_html(out):
    html = (out / "posts" / "2024" / "2024-in-numbers" / "index.html").read_text(encoding="utf-8")
    assert "<del>a half-day ceremony</del>" in html
    assert '<th align="right">2024</th>' in html


def test_long_post_has_a_table_of_contents_linking_to_its_headings(pages):
    page = pages["posts/2024/how-we-run-incident-reviews/index.html"]
    toc = [value[1:] for tag, _attr, value in page.urls if tag == "a" and value.startswith("#")
           and value != "#main" and not value.startswith("#fn")]
    assert len(toc) >= 10
    assert "before-the-review" in toc and "write-the-timeline-first" in toc
    assert set(toc) <= page.ids


def test_more_divider_cuts_the_summary_on_list_pages(pages):
    listing = pages["posts/index.html"]
    assert "Our 2024 in numbers" in listing.visible_text
    assert "Four people, one app, and a year of tides." in listing.visible_text
    assert "What the numbers hide" not in listing.visible_text
    assert "Median prediction error" not in listing.visible_text


def test_alias_redirects_to_the_moved_post(out, pages):
    alias = pages["blog/moving-off-cron/index.html"]
    target = BASE_URL + CRON_POST[: -len("index.html")]
    assert alias.refresh == f"0; url={target}"
    assert ("link", "href", target) in alias.urls  # rel=canonical
    assert output_file(out, urlsplit(target).path).is_file()


def test_lists_paginate_five_entries_per_page(out, pages):
    for folder, count in (("", 4), ("posts/", 2), ("notes/", 2)):
        for number in range(2, count + 1):
            assert (out / folder / "page" / str(number) / "index.html").is_file()
        assert not (out / folder / "page" / str(count + 1)).exists()
    entries = []
    for rel in ("index.html", "page/2/index.html", "page/3/index.html", "page/4/index.html"):
        listed = [value for tag, _attr, value in pages[rel].urls
                  if tag == "a" and re.fullmatch(r"/(posts/\d{4}|notes)/[a-z0-9-]+/", value)]
        entries.append(list(dict.fromkeys(listed)))
    assert [len(e) for e in entries] == [5, 5, 5, 1]
    flat = [url for page in entries for url in page]
    assert len(flat) == len(set(flat)) == 16


def test_data_files_appear_through_the_site_templates(site, pages):
    team = yaml.safe_load((site / "data" / "team.yaml").read_text(encoding="utf-8"))
    about = pages["about/index.html"].visible_text
    for person in team:
        assert person["name"] in about and person["role"] in about
    blogroll = yaml.safe_load((site / "data" / "blogroll.yaml").read_text(encoding="utf-8"))
    for rel in ("index.html", CRON_POST, "tags/index.html"):
        hrefs = {value for _tag, _attr, value in pages[rel].urls}
        assert {blog["url"] for blog in blogroll} <= hrefs


def test_site_plugin_reading_time_is_shown_on_every_dated_page(pages):
    shown = {}
    for rel, parser in pages.items():
        if rel.startswith(("posts/", "notes/")) and "/page/" not in rel and rel.count("/") >= 2:
            found = re.search(r"(\d+) min read", parser.visible_text)
            assert found, f"{rel} shows no reading time"
            shown[rel] = int(found.group(1))
    assert len(shown) == 16
    assert shown["notes/pin-your-ci-images/index.html"] == 1
    assert shown["posts/2024/how-we-run-incident-reviews/index.html"] >= 2


def test_section_template_override_applies_to_notes_only(out):
    note = (out / "notes" / "sqlite-strict-tables" / "index.html").read_text(encoding="utf-8")
    post = (out / CRON_POST).read_text(encoding="utf-8")
    assert '<p class="kicker"><a href="/notes/">Note</a></p>' in note
    assert 'class="kicker"' not in post


def test_params_from_the_config_reach_the_theme(pages):
    home = pages["index.html"]
    assert "Tide forecasts for small boats, and what we learn building them." in home.visible_text
    hrefs = [value for tag, _attr, value in home.urls if tag == "a"]
    assert {"/about/", "/colophon/", "/contact/"} <= set(hrefs)
    assert ("link", "href", "/favicon.svg") in home.urls


# --- the handbook: a docs section ------------------------------------------------

def test_handbook_sections_nest_four_folders_deep_with_breadcrumbs_of_link_titles(site, out):
    folders = ["handbook", "handbook/operations", "handbook/operations/forecasting", MODELS.rstrip("/")]
    ancestors = []
    for folder in folders:
        index = front_matter(site / "content" / folder / "_index.md")
        assert {"title", "linkTitle", "weight"} <= set(index)
        html = html_of(out, folder + "/index.html")
        assert f"<h1>{index['title']}</h1>" in html
        if ancestors:   # a list's trail leaves itself out; the top-level handbook has none
            crumbs = anchors(between(html, '<nav class="breadcrumbs" aria-label="Breadcrumb">', "</nav>"))
            assert [(href, text) for href, _current, text in crumbs] == ancestors, folder
        else:
            assert 'class="breadcrumbs"' not in html
        ancestors.append((f"/{folder}/", index["linkTitle"]))
    assert [text for _href, text in ancestors] == ["Handbook", "Operations", "Forecasting", "Models"]
    for rel in (HARMONIC, SURGE, NEW_HARBOUR, SUMMER_FREEZE):  # a page's trail ends at its own section
        crumbs = anchors(between(html_of(out, rel), '<nav class="breadcrumbs" aria-label="Breadcrumb">', "</nav>"))
        assert [(href, text) for href, _current, text in crumbs] == ancestors, rel
    paging = anchors(between(html_of(out, PAGING), '<nav class="breadcrumbs"', "</nav>"))
    assert [text for _href, _current, text in paging] == ["Handbook", "On call"]


def test_handbook_lists_order_pages_and_child_sections_by_weight(out):
    def entries(rel: str) -> list[str]:
        return [href for href, _current, _text in anchors("".join(
            re.findall(r'<h\d class="post-card-title">.*?</h\d>', html_of(out, rel))))]

    def children(rel: str) -> list[tuple[str, str]]:
        section_list = between(html_of(out, rel), '<ul class="section-list">', "</ul>")
        return [(href, text) for href, _current, text in anchors(section_list)]

    # weights 10, 20, 30, then the page without one; newest first would be the reverse
    assert entries(MODELS + "index.html") == ["/" + rel[: -len("index.html")] for rel in
                                              (HARMONIC, SURGE, NEW_HARBOUR, SUMMER_FREEZE)]
    # Operations (weight 10) before On call (20), though "On call" comes first by name
    assert children("handbook/index.html") == [("/handbook/operations/", "Operations"), ("/handbook/on-call/", "On call")]
    assert children("handbook/operations/index.html") == [("/handbook/operations/forecasting/", "Forecasting")]
    assert children("handbook/operations/forecasting/index.html") == [("/" + MODELS, "Models")]
    assert entries("handbook/on-call/index.html") == ["/handbook/on-call/paging/", "/handbook/on-call/handover/"]


def test_handbook_pages_are_not_on_the_home_page_or_in_the_site_feed(out):
    post_list = between(html_of(out, "index.html"), '<ul class="post-list">', "</ul>")
    listed = [href for href, _current, _text in anchors(post_list)]
    assert listed and not any(href.startswith("/handbook/") for href in listed)
    assert "/handbook/" not in (out / "index.xml").read_text(encoding="utf-8")


def test_cascade_hands_keywords_down_to_every_handbook_page(out, pages):
    below = [rel for rel in pages if rel.startswith("handbook/") and rel not in ("handbook/index.html", GLOSSARY)]
    assert len(below) >= 12 and HARMONIC in below and "handbook/operations/forecasting/index.html" in below
    for rel in below:
        assert meta(html_of(out, rel), "keywords") == "tidewater handbook, operations, tides", rel
    assert meta(html_of(out, GLOSSARY), "keywords") == "glossary, chart datum, tidal constituents"  # its own wins
    assert meta(html_of(out, CRON_POST), "keywords") is None   # nothing outside the handbook


def test_headless_snippet_is_included_by_two_pages_and_has_no_page_of_its_own(out, pages):
    snippet = "If you are stuck after 30 minutes, escalate. Call Tom for anything on the servers"
    assert [rel for rel, parser in pages.items() if snippet in parser.visible_text] == [HANDOVER, PAGING]
    assert "<strong>If you are stuck after 30 minutes, escalate.</strong>" in html_of(out, PAGING)
    assert not (out / "handbook" / "on-call" / "escalation-contacts").exists()
    assert "escalation-contacts" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "Escalation contacts" not in pages["handbook/on-call/index.html"].visible_text


def test_main_menu_is_the_navigation_and_marks_where_the_reader_is(out):
    def nav(rel: str) -> list[tuple[str, str | None, str]]:
        return anchors(between(html_of(out, rel), '<nav class="site-nav" aria-label="Main">', "</nav>"))

    top = ["/posts/", "/notes/", "/handbook/", "/tags/", "/categories/", "/about/"]  # by weight; About has none
    child = "/handbook/on-call/paging/"                                               # a child of Handbook
    assert [href for href, _current, _text in nav("index.html")] == top[:3] + [child] + top[3:]
    assert [current for _href, current, _text in nav("index.html")] == [None] * 7
    assert nav(PAGING)[2:4] == [("/handbook/", "true", "Handbook"), (child, "page", "If you are paged")]
    assert {href: current for href, current, _text in nav(HARMONIC) if current} == {"/handbook/": "true"}
    assert {href: current for href, current, _text in nav("about/index.html") if current} == {"/about/": "page"}

    def footer(rel: str) -> list[tuple[str, str | None, str]]:
        return anchors(between(html_of(out, rel), '<nav class="footer-menu"', "</nav>"))

    assert footer(HARMONIC) == [("/colophon/", None, "Colophon"), ("/contact/", None, "Contact")]
    assert footer("colophon/index.html")[0] == ("/colophon/", "page", "Colophon")


def test_figure_shortcode_shows_the_bundle_image_with_a_caption(site, out):
    figure = between(html_of(out, NEW_HARBOUR), "<figure>", "</figure>")
    src = "/" + MODELS + "checking-a-new-harbour/residuals.svg"
    assert re.search(rf'<img src="{src}" alt="Residuals of a year of predictions for Mylor[^"]+" width="640" height="240">',
                     figure)
    assert "<figcaption>\n<p>Residuals for <strong>Mylor</strong>, 2023" in figure
    source = site / "content" / MODELS / "checking-a-new-harbour" / "residuals.svg"
    assert output_file(out, src).read_bytes() == source.read_bytes()


def test_relref_shortcode_gives_the_target_pages_url(out):
    links = {text: href for href, _current, text in anchors(html_of(out, HARMONIC))}
    assert links["storm surge model"] == served_url(SURGE)
    assert links["checking a new harbour"] == served_url(NEW_HARBOUR)      # a bundle, by its folder
    links = {text: href for href, _current, text in anchors(html_of(out, NEW_HARBOUR))}
    assert links["harmonic constants"] == served_url(HARMONIC)              # relative to the page's folder


def test_highlight_shortcode_numbers_lines_and_marks_the_chosen_ones(out):
    block = between(html_of(out, DEPLOYS), '<div class="highlight"><table class="highlighttable">', "</table>")
    numbers = between(block, '<td class="linenos">', "</td>")
    assert re.findall(r'<span class="normal">(\d+)</span>', numbers) == ["1", "2", "3", "4", "5", "6"]
    marked = [text_of(line) for line in re.findall(r'<span class="hll">(.*?)\n</span>', block)]
    assert marked == ["./scripts/migrate.sh --check", "./scripts/migrate.sh"]
    assert '<span class="nb">set</span>' in block    # highlighted as bash


def test_details_shortcode_folds_markdown_under_a_summary(out):
    details = between(html_of(out, DEPLOYS), "<details>", "</details>")
    assert details.startswith("\n<summary>Rolling back <strong>without</strong> the pipeline</summary>")
    assert "<ol>\n<li><code>ls -t /srv/tidewater/releases | head -2</code>" in details


def test_site_shortcodes_render_with_arguments_and_with_markdown_inside(out, pages):
    html = html_of(out, SURGE)
    assert ('<span class="tide tide-high" title="High water">HW 06:42 · 5.1 m (surge +0.3 m)</span>'
            in html)
    assert '<span class="tide tide-low" title="Low water">LW 12:58 · 0.9 m</span>.</p>' in html  # inline
    notice = between(html, '<aside class="tide-notice tide-low">', "</aside>")
    assert '<p class="tide-label"><span class="tide tide-low" title="Low water">LW 12:58 · 0.6 m</span></p>' in notice
    assert "<p>The slip at <strong>Mylor</strong> dries below 0.8 m" in notice
    assert '<a href="/handbook/glossary/">Words we use</a>' in notice   # a link inside resolves too
    for rel, parser in pages.items():   # no call is left shown as written
        assert "{{<" not in parser.visible_text and "{{%" not in parser.visible_text, rel


def test_github_alerts_and_a_mkdocs_admonition_render(out):
    paging, deploys = html_of(out, PAGING), html_of(out, DEPLOYS)
    for kind, title, html in (("important", "Important", paging), ("warning", "Warning", paging),
                              ("note", "Note", paging), ("caution", "Caution", deploys)):
        assert f'<div class="alert alert-{kind}">\n<p class="alert-title">{title}</p>\n<p>' in html, kind
    assert "[!" not in paging + deploys
    admonition = between(html_of(out, HARMONIC), '<div class="admonition tip">', "</div>")
    assert admonition.startswith('\n<p class="admonition-title">Check the phase units</p>\n<p>Published constants')
    assert "!!!" not in html_of(out, HARMONIC)


def test_definition_lists_and_a_custom_heading_id_that_links_reach(out, pages):
    glossary = html_of(out, GLOSSARY)
    terms = re.findall(r"<dt>(.*?)</dt>", glossary)
    assert terms == ["Chart datum", "LAT", "HAT", "Mean sea level", "Constituent", "Spring tide", "Neap tide", "Surge"]
    assert glossary.count("<dl>") == 2 and glossary.count("<dd>") == 7
    constituent = between(glossary, "<dt>Constituent</dt>\n<dd>", "</dd>")   # a definition of three blocks
    assert constituent.startswith("<p>One periodic part of the tide") and \
        "<p>Each one is an amplitude and a phase, published per harbour:</p>\n<div class=\"highlight\">" in constituent
    assert '<h2 id="datums">Chart datum and friends</h2>' in glossary
    assert ("a", "href", "#datums") in pages[GLOSSARY].urls
    assert ("a", "href", "/handbook/glossary/#datums") in pages[HARMONIC].urls


def test_task_lists_render_as_disabled_checkboxes(out):
    paging = between(html_of(out, PAGING), '<h2 id="the-first-ten-minutes">', "</ul>")
    assert paging.count('<li><input type="checkbox" checked="" disabled="" /> ') == 2
    assert paging.count('<li><input type="checkbox" disabled="" /> ') == 3
    assert "[ ]" not in html_of(out, PAGING) and "[x]" not in html_of(out, PAGING)


def test_math_is_kept_as_written_inline_and_on_display(site, out):
    html = html_of(out, HARMONIC)
    source = (site / "content" / MODELS / "harmonic-constants.md").read_text(encoding="utf-8")
    display = re.search(r"\$\$.*?\$\$", source, re.DOTALL).group(0)
    assert f'<div class="math display">{display}</div>' in html
    assert r"\sum_{i=1}^{N}" in display
    for inline in ("$H_i$", r"$\omega_i$", "$(V_0 + u)_i$"):
        assert f'<span class="math inline">{inline}</span>' in html


def test_mermaid_diagram_is_kept_as_its_source(out):
    diagram = between(html_of(out, DEPLOYS), '<pre class="mermaid">', "</pre>")
    assert diagram.startswith("flowchart LR\n    PR[Pull request] --&gt; CI{CI green?}")
    assert "<span" not in diagram   # not highlighted


def test_fenced_code_attributes_give_a_title_line_numbers_and_a_marked_line(out):
    block = between(html_of(out, DEPLOYS), '<div class="code-block">\n<div class="code-title">smoke/compare.py</div>',
                    "</pre>")
    numbers = re.findall(r'<span class="linenos">(\d+)</span>', block)
    assert numbers == ["1", "2", "3", "4", "5", "6"]
    marked = [text_of(line) for line in re.findall(r'<span class="hll">(.*?)\n</span>', block)]
    assert len(marked) == 1 and marked[0].startswith("4 if abs(height - production.heights[at]) > 0.02:")


def test_front_matter_names_from_hugo_are_read(out, pages):
    paging = html_of(out, PAGING)
    assert meta(paging, "description") == "The first ten minutes after an alert, step by step."      # description
    assert "22 January 2024 · updated 14 October 2024" in pages[PAGING].visible_text                  # lastmod
    assert '<time datetime="2024-10-14T00:00:00+00:00">' in paging
    assert "10 June 2024 · updated 02 November 2024" in pages[DATA_SOURCES].visible_text               # publishDate
    assert '<time datetime="2024-06-10T00:00:00+00:00">10 June 2024</time>' in html_of(out, DATA_SOURCES)
    surge = [text for href, _current, text in anchors(html_of(out, "handbook/glossary/index.html"))
             if href == served_url(SURGE)]
    assert surge == ["surge model"]


def test_jekyll_dated_file_name_gives_the_date_and_a_url_without_it(out, pages):
    assert '<time datetime="2024-05-01T00:00:00+00:00">01 May 2024</time>' in html_of(out, SUMMER_FREEZE)
    assert "Freezing the models for the summer" in pages[SUMMER_FREEZE].visible_text
    assert not list(out.rglob("2024-05-01-*"))
    listing = html_of(out, MODELS + "index.html")
    card = between(listing, f'<a href="{served_url(SUMMER_FREEZE)}">', "</article>")
    assert '<time datetime="2024-05-01T00:00:00+00:00">01 May 2024</time>' in card


def test_expired_page_is_not_built_and_is_counted(site, built, tmp_path):
    out, summary = built
    assert summary["pages_skipped"] == {"draft": 1, "expired": 1}
    assert not (out / EXPIRED).exists()
    assert "winter-surge-override" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "winter-surge-override" not in html_of(out, MODELS + "index.html")

    with_expired = tmp_path / "expired"
    assert assert_clean(build(site, with_expired, "--expired"))["pages_skipped"] == {"draft": 1}
    assert "Temporary: surge override for the Fal estuary" in parse(with_expired / EXPIRED).visible_text


def test_handbook_alias_redirects_to_the_moved_page(out, pages):
    alias = pages["ops/deploying/index.html"]
    target = BASE_URL + DEPLOYS[: -len("index.html")]
    assert alias.refresh == f"0; url={target}"
    assert ("link", "href", target) in alias.urls


# --- drafts and reproducibility --------------------------------------------------

def test_draft_is_built_only_with_drafts(site, out, tmp_path):
    assert not (out / DRAFT_POST).exists()
    assert "offline-first-sync" not in (out / "sitemap.xml").read_text()
    assert "offline-first-sync" not in (out / "tags" / "architecture" / "index.html").read_text()

    with_drafts = tmp_path / "drafts"
    assert_clean(build(site, with_drafts, "--drafts"))
    assert "Notes on offline-first sync" in parse(with_drafts / DRAFT_POST).visible_text
    assert "offline-first-sync" in (with_drafts / "tags" / "architecture" / "index.html").read_text()


def test_two_builds_into_different_folders_are_byte_identical(site, out, tmp_path):
    again = tmp_path / "again"
    assert_clean(build(site, again))
    first = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    second = {p.relative_to(again).as_posix(): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert sorted(first) == sorted(second)
    different = [rel for rel in first if first[rel] != second[rel]]
    assert different == []
