"""The example site builds cleanly through the CLI, and what a visitor, a feed
reader or a search engine would check holds: every internal link resolves,
feeds and the sitemap parse, bundles, highlighting, aliases, pagination, data
files, the site plugin and drafts behave, and builds are reproducible.

The site is copied to a temporary folder first, so tests never write into
the repository's example-site/ (and parallel workers do not share state)."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
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
