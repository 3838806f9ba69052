"""The built-in plugins, judged by what they write: taxonomies, pagination,
feeds, sitemap, robots.txt, alias redirects and the 404 page."""

from __future__ import annotations

import re
import textwrap
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def config(extra: str = "", base_url: str = "https://example.org/") -> str:
    return f'title = "Test site"\nbase_url = "{base_url}"\n' + textwrap.dedent(extra)


def post(title: str, day: int, *, tags: list[str] | None = None, extra: str = "", body: str = "") -> str:
    lines = ["---", f"title: {title}", f"date: 2024-05-{day:02d}"]
    if tags is not None:
        lines.append(f"tags: [{', '.join(tags)}]")
    lines += [line for line in extra.splitlines() if line] + ["---", body or f"Body of {title}.", ""]
    return "\n".join(lines)


def posts(count: int, section: str = "posts", **kwargs) -> dict[str, str]:
    return {f"content/{section}/p{n}.md": post(f"{section.title()} {n}", n, **kwargs) for n in range(1, count + 1)}


def build(cli, site: Path, *args: str):
    result = cli("build", "-s", str(site), *args)
    assert result.exit_code == 0, result.output
    return result


def out(site: Path, rel: str) -> str:
    return (site / "public" / rel).read_text(encoding="utf-8")


def html_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.html")}


# --- taxonomies --------------------------------------------------------------------------

TERMS_TEMPLATE = "{% for t in terms %}{{ t.name }}={{ t.count }}@{{ t.url }};{% endfor %}\n"
TERM_TEMPLATE = "{{ taxonomy.title }}/{{ term.name }}: {{ pages|map(attribute='title')|join(',') }}\n"


def test_term_pages_and_terms_index_with_counts(make_site, cli):
    site = make_site({
        "content/posts/a.md": post("A", 1, tags=["python", "web"]),
        "content/posts/b.md": post("B", 2, tags=["python"]),
        "content/posts/c.md": post("C", 3, tags=["rust"]),
        "content/posts/d.md": post("D", 4),
        "templates/terms.html": TERMS_TEMPLATE,
        "templates/term.html": TERM_TEMPLATE,
    })
    build(cli, site)
    # most used first, then by name; each term links to its page
    assert out(site, "tags/index.html") == "python=2@/tags/python/;rust=1@/tags/rust/;web=1@/tags/web/;"
    assert out(site, "tags/python/index.html") == "Tags/python: B,A\n"
    assert out(site, "tags/web/index.html") == "Tags/web: A\n"
    assert sorted(p.name for p in (site / "public/tags").iterdir()) == ["index.html", "python", "rust", "web"]


def test_term_pages_render_with_the_theme_and_pages_link_their_terms(make_site, cli):
    site = make_site({"content/posts/a.md": post("First post", 1, tags=["python"])})
    build(cli, site)
    term = out(site, "tags/python/index.html")
    assert 'href="/posts/p1/"' not in term   # the file is a.md, slug a
    assert 'href="/posts/a/"' in term and "First post" in term
    assert 'href="/tags/python/"' in out(site, "tags/index.html")
    assert 'href="/tags/python/"' in out(site, "posts/a/index.html")


def test_terms_that_slugify_alike_are_one_term(make_site, cli):
    site = make_site({
        "content/posts/a.md": post("A", 1, tags=["Web Dev"]),
        "content/posts/b.md": post("B", 2, tags=["web-dev"]),
        "content/posts/c.md": post("C", 3, tags=["web dev"]),
        "templates/terms.html": TERMS_TEMPLATE,
        "templates/term.html": TERM_TEMPLATE,
    })
    build(cli, site)
    assert [p.name for p in (site / "public/tags").iterdir() if p.is_dir()] == ["web-dev"]
    assert out(site, "tags/index.html").count("=3@/tags/web-dev/;") == 1
    assert out(site, "tags/web-dev/index.html").endswith(": C,B,A\n")


def test_a_second_configured_taxonomy(make_site, cli):
    site = make_site({
        "content/posts/a.md": post("A", 1, tags=["python"], extra="series: [Getting started]"),
        "content/posts/b.md": post("B", 2, extra="series: [Getting started]"),
        "templates/terms.html": TERMS_TEMPLATE,
        "templates/term.html": TERM_TEMPLATE,
    }, config=config("""
        [taxonomies]
        tags = {}
        series = { title = "Series", url = "/collections/" }
        """))
    build(cli, site)
    assert out(site, "collections/index.html") == "Getting started=2@/collections/getting-started/;"
    assert out(site, "collections/getting-started/index.html") == "Series/Getting started: B,A\n"
    assert out(site, "tags/python/index.html") == "Tags/python: A\n"


def test_configured_taxonomies_replace_the_default_tags(make_site, cli):
    site = make_site({"content/posts/a.md": post("A", 1, tags=["python"], extra="series: [s1]")},
                     config=config("[taxonomies]\nseries = {}\n"))
    build(cli, site)
    assert (site / "public/series/s1/index.html").is_file()
    assert not (site / "public/tags").exists()


def test_tags_written_as_a_string_is_an_error_with_file_and_line(make_site, cli):
    site = make_site({
        "content/posts/bad.md": "---\ntitle: Bad\ndate: 2024-05-01\ntags: python, web\n---\nx\n",
        "content/posts/good.md": post("Good", 2, tags=["python"]),
    })
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "content/posts/bad.md:4" in result.output and "'tags' must be a list" in result.output
    assert "tags: [python, web]" in result.output   # the fix, spelled out
    assert (site / "public/tags/python/index.html").is_file()   # the rest of the site still built


def test_taxonomy_url_cannot_leave_the_output_folder(make_site, cli):
    site = make_site({"content/posts/a.md": post("A", 1)},
                     config=config('\n[taxonomies]\ntags = { url = "/../../etc/" }\n'))
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert "ssg.toml:5" in result.output and "taxonomies.tags.url" in result.output


def test_term_without_usable_characters_is_skipped_with_a_warning(make_site, cli):
    site = make_site({"content/posts/a.md": post("A", 1, tags=['"!!!"', "ok"])})
    result = build(cli, site)
    assert "warning:" in result.output and "'!!!'" in result.output
    assert sorted(p.name for p in (site / "public/tags").iterdir()) == ["index.html", "ok"]


# --- pagination ---------------------------------------------------------------------------------

PAGER = ("{{ paginator.number }}/{{ paginator.total_pages }} prev={{ paginator.prev_url }} "
         "next={{ paginator.next_url }} | {{ pages|map(attribute='title')|join(',') }}\n")


def test_section_lists_are_split_into_numbered_pages(make_site, cli):
    site = make_site({**posts(5), "templates/list.html": PAGER}, config=config("[pagination]\nper_page = 2\n"))
    build(cli, site)
    assert out(site, "posts/index.html") == "1/3 prev=None next=/posts/page/2/ | Posts 5,Posts 4\n"
    assert out(site, "posts/page/2/index.html") == "2/3 prev=/posts/ next=/posts/page/3/ | Posts 3,Posts 2\n"
    assert out(site, "posts/page/3/index.html") == "3/3 prev=/posts/page/2/ next=None | Posts 1\n"
    assert not (site / "public/posts/page/4").exists()
    assert not (site / "public/posts/page/1").exists()   # page 1 is the list's own URL


def test_home_and_term_lists_paginate_too(make_site, cli):
    site = make_site({**posts(3, tags=["t"]), "templates/index.html": PAGER, "templates/term.html": PAGER},
                     config=config("[pagination]\nper_page = 2\n"))
    build(cli, site)
    assert out(site, "index.html").startswith("1/2 prev=None next=/page/2/ |")
    assert out(site, "page/2/index.html") == "2/2 prev=/ next=None | Posts 1\n"
    assert out(site, "tags/t/page/2/index.html") == "2/2 prev=/tags/t/ next=None | Posts 1\n"


def test_paginated_urls_carry_the_base_path_and_files_do_not(make_site, cli):
    site = make_site({**posts(3), "templates/list.html": PAGER},
                     config=config("[pagination]\nper_page = 2\npath = \"p\"\n", base_url="https://example.org/blog/"))
    build(cli, site)
    assert out(site, "posts/index.html").startswith("1/2 prev=None next=/blog/posts/p/2/ |")
    assert out(site, "posts/p/2/index.html") == "2/2 prev=/blog/posts/ next=None | Posts 1\n"


def test_per_page_zero_turns_pagination_off(make_site, cli):
    site = make_site({**posts(12), "templates/list.html": PAGER}, config=config("[pagination]\nper_page = 0\n"))
    build(cli, site)
    assert out(site, "posts/index.html").startswith("1/1 prev=None next=None | Posts 12,Posts 11,")
    assert out(site, "posts/index.html").count("Posts ") == 12
    assert not (site / "public/posts/page").exists()


def test_default_is_ten_per_page(make_site, cli):
    site = make_site({**posts(11), "templates/list.html": PAGER})
    build(cli, site)
    assert out(site, "posts/page/2/index.html") == "2/2 prev=/posts/ next=None | Posts 1\n"


def rel_links(html: str, tag: str) -> dict[str, str]:
    """{rel: href} of the prev/next <tag> elements, whatever the attribute order."""
    found = {}
    for element in re.findall(rf"<{tag}\s[^>]*>", html):
        rel, href = re.search(r'rel="([^"]*)"', element), re.search(r'href="([^"]*)"', element)
        if rel and href and rel.group(1) in ("prev", "next"):
            found[rel.group(1)] = href.group(1)
    return found


def test_theme_paginator_links_to_the_neighbouring_pages(make_site, cli):
    site = make_site(posts(5), config=config("[pagination]\nper_page = 2\n"))
    build(cli, site)
    first, middle, last = (out(site, f"posts/{rel}index.html") for rel in ("", "page/2/", "page/3/"))
    assert rel_links(first, "a") == {"next": "/posts/page/2/"}
    assert rel_links(middle, "a") == {"prev": "/posts/", "next": "/posts/page/3/"}
    assert rel_links(last, "a") == {"prev": "/posts/page/2/"}
    main = [html.split("<main", 1)[1] for html in (first, middle, last)]
    assert "Posts 5" in main[0] and "Posts 5" not in main[1] and "Posts 1" in main[2]


def test_negative_per_page_is_a_config_error(make_site, cli):
    site = make_site(posts(1), config=config("[pagination]\nper_page = -1\n"))
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2 and "ssg.toml:4" in result.output and "per_page" in result.output


# --- feeds ----------------------------------------------------------------------------------------

TWO_PARAGRAPHS = "Opening paragraph for the summary.\n\nSecond paragraph, only in full content.\n"


def feed_site(make_site, extra_config: str = "", count: int = 3):
    files = {f"content/posts/p{n}.md": post(f"Post {n}", n, tags=["python"], body=TWO_PARAGRAPHS)
             for n in range(1, count + 1)}
    files["content/notes/n1.md"] = post("Note 1", 10, body="A note.")
    files["content/about.md"] = "---\ntitle: About\n---\nNot in feeds.\n"
    return make_site(files, config=config(extra_config))


def test_rss_and_atom_parse_with_the_right_namespaces(make_site, cli):
    site = feed_site(make_site)
    build(cli, site)
    rss = ET.fromstring((site / "public/index.xml").read_bytes())
    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel.findtext("link") == "https://example.org/"
    assert channel.find(f"{ATOM}link").get("href") == "https://example.org/index.xml"
    items = channel.findall("item")
    assert [i.findtext("title") for i in items] == ["Note 1", "Post 3", "Post 2", "Post 1"]   # newest first
    assert items[1].findtext("link") == "https://example.org/posts/p3/"
    assert items[1].findtext("pubDate") == "Fri, 03 May 2024 00:00:00 GMT"

    atom = ET.fromstring((site / "public/atom.xml").read_bytes())
    assert atom.tag == f"{ATOM}feed"
    entries = atom.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == ["Note 1", "Post 3", "Post 2", "Post 1"]
    assert entries[1].find(f"{ATOM}link").get("href") == "https://example.org/posts/p3/"
    assert entries[1].findtext(f"{ATOM}updated") == "2024-05-03T00:00:00Z"
    assert atom.findtext(f"{ATOM}updated") == "2024-05-10T00:00:00Z"
    assert {link.get("rel"): link.get("href") for link in atom.findall(f"{ATOM}link")} == {
        "alternate": "https://example.org/", "self": "https://example.org/atom.xml"}


def test_feeds_hold_summaries_by_default(make_site, cli):
    site = feed_site(make_site)
    build(cli, site)
    item = ET.fromstring((site / "public/posts/index.xml").read_bytes()).find("channel/item")
    assert "Opening paragraph" in item.findtext("description")
    assert "Second paragraph" not in item.findtext("description")
    entry = ET.fromstring((site / "public/posts/atom.xml").read_bytes()).find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}content") is None
    assert "Opening paragraph" in entry.findtext(f"{ATOM}summary")


def test_feeds_hold_full_content_when_configured(make_site, cli):
    site = feed_site(make_site, "[feeds]\nfull_content = true\n")
    build(cli, site)
    item = ET.fromstring((site / "public/posts/index.xml").read_bytes()).find("channel/item")
    assert "<p>Second paragraph, only in full content.</p>" in item.findtext("description")
    entry = ET.fromstring((site / "public/posts/atom.xml").read_bytes()).find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}content").get("type") == "html"
    assert "Second paragraph" in entry.findtext(f"{ATOM}content")


def test_feed_limit(make_site, cli):
    site = feed_site(make_site, "[feeds]\nlimit = 2\n", count=5)
    build(cli, site)
    titles = [i.findtext("title") for i in ET.fromstring((site / "public/posts/index.xml").read_bytes()).iter("item")]
    assert titles == ["Post 5", "Post 4"]
    assert len(ET.fromstring((site / "public/atom.xml").read_bytes()).findall(f"{ATOM}entry")) == 2


def test_a_feed_per_section(make_site, cli):
    site = feed_site(make_site)
    build(cli, site)
    posts_titles = [i.findtext("title") for i in ET.fromstring(out(site, "posts/index.xml")).iter("item")]
    notes_titles = [e.findtext(f"{ATOM}title") for e in ET.fromstring(out(site, "notes/atom.xml")).iter(f"{ATOM}entry")]
    assert posts_titles == ["Post 3", "Post 2", "Post 1"] and notes_titles == ["Note 1"]
    channel = ET.fromstring(out(site, "posts/index.xml")).find("channel")
    assert channel.findtext("link") == "https://example.org/posts/"
    assert channel.find(f"{ATOM}link").get("href") == "https://example.org/posts/index.xml"


def test_section_feeds_can_be_turned_off(make_site, cli):
    site = feed_site(make_site, "[feeds]\nsections = false\natom = false\n")
    build(cli, site)
    assert (site / "public/index.xml").is_file()
    assert not (site / "public/atom.xml").exists() and not (site / "public/posts/index.xml").exists()


def test_a_feed_per_term_when_configured(make_site, cli):
    plain = feed_site(make_site)
    build(cli, plain)
    assert not (plain / "public/tags/python/index.xml").exists()
    site = feed_site(make_site, '[feeds]\ntaxonomies = ["tags"]\n')
    build(cli, site)
    channel = ET.fromstring(out(site, "tags/python/index.xml")).find("channel")
    assert channel.findtext("link") == "https://example.org/tags/python/"
    assert [i.findtext("title") for i in channel.iter("item")] == ["Post 3", "Post 2", "Post 1"]
    assert ET.fromstring(out(site, "tags/python/atom.xml")).tag == f"{ATOM}feed"


def test_feed_for_an_unknown_taxonomy_is_an_error(make_site, cli):
    site = feed_site(make_site, '[feeds]\ntaxonomies = ["tag"]\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert "'tag'" in result.output and "did you mean 'tags'?" in result.output


def test_list_pages_link_their_own_feed_and_the_sites(make_site, cli):
    site = feed_site(make_site, "[pagination]\nper_page = 2\n")
    for rel in ("templates/list.html", "templates/page.html"):
        (site / rel).parent.mkdir(exist_ok=True)
        (site / rel).write_text("{{ feeds|map(attribute='url')|join(' ') }}\n")
    build(cli, site)
    section = "/posts/index.xml /posts/atom.xml /index.xml /atom.xml\n"
    assert out(site, "posts/index.html") == section
    assert out(site, "posts/page/2/index.html") == section
    assert out(site, "posts/p1/index.html") == "/index.xml /atom.xml\n"


def test_feeds_stay_well_formed_xml_whatever_the_text(make_site, cli):
    site = make_site({"content/posts/odd.md": '---\ntitle: "Tom & Jerry <3 \\v ]]>"\ndate: 2024-05-01\n---\n'
                                            "Form\x0cfeed & <b>bold</b> ]]> text.\n"},
                     config=config("[feeds]\nfull_content = true\n"))
    build(cli, site)
    for rel in ("index.xml", "atom.xml", "posts/index.xml", "posts/atom.xml"):
        ET.fromstring((site / "public" / rel).read_bytes())   # raises if not well-formed
    item = ET.fromstring(out(site, "index.xml")).find("channel/item")
    assert item.findtext("title") == "Tom & Jerry <3  ]]>"
    assert "<b>bold</b>" in item.findtext("description")


def test_builds_a_second_apart_are_byte_identical(make_site, cli, tmp_path):
    site = feed_site(make_site, '[feeds]\ntaxonomies = ["tags"]\n')
    (site / "content/posts/undated.md").write_text("---\ntitle: Undated\n---\nNo date.\n")
    build(cli, site, "--out", str(tmp_path / "one"))
    time.sleep(1.1)
    build(cli, site, "--out", str(tmp_path / "two"))
    one = {p.relative_to(tmp_path / "one"): p.read_bytes() for p in (tmp_path / "one").rglob("*") if p.is_file()}
    two = {p.relative_to(tmp_path / "two"): p.read_bytes() for p in (tmp_path / "two").rglob("*") if p.is_file()}
    assert Path("index.xml") in one and Path("sitemap.xml") in one
    assert one == two
    assert "<lastBuildDate>Fri, 10 May 2024 00:00:00 GMT</lastBuildDate>" in one[Path("index.xml")].decode()


# --- sitemap ------------------------------------------------------------------------------------------

def url_to_file(url: str, base: str = "https://example.org/") -> str:
    assert url.startswith(base), url
    rel = url[len(base):]
    return rel + "index.html" if rel == "" or rel.endswith("/") else rel


def test_sitemap_lists_every_html_page_but_redirects_and_404(make_site, cli):
    site = make_site({
        **posts(3, tags=["python"]),
        "content/about.md": "---\ntitle: About\naliases: [/old-about/]\n---\nx\n",
        "content/posts/_index.md": "---\ntitle: All posts\n---\n",
    }, config=config("[pagination]\nper_page = 2\n"))
    build(cli, site)
    tree = ET.fromstring((site / "public/sitemap.xml").read_bytes())
    assert tree.tag == f"{SITEMAP}urlset"
    listed = [url_to_file(u.findtext(f"{SITEMAP}loc")) for u in tree.findall(f"{SITEMAP}url")]
    assert len(listed) == len(set(listed))
    expected = html_files(site / "public") - {"404.html", "old-about/index.html"}
    assert set(listed) == expected
    assert {"posts/page/2/index.html", "tags/python/page/2/index.html", "tags/index.html"} <= expected


def test_sitemap_lastmod_from_updated_or_date(make_site, cli):
    site = make_site({
        "content/posts/a.md": post("A", 1),
        "content/posts/b.md": post("B", 2, extra="updated: 2024-06-30"),
        "content/about.md": "---\ntitle: About\n---\nx\n",
    })
    build(cli, site)
    tree = ET.fromstring((site / "public/sitemap.xml").read_bytes())
    lastmod = {u.findtext(f"{SITEMAP}loc"): u.findtext(f"{SITEMAP}lastmod") for u in tree.findall(f"{SITEMAP}url")}
    assert lastmod["https://example.org/posts/a/"] == "2024-05-01"
    assert lastmod["https://example.org/posts/b/"] == "2024-06-30"
    assert lastmod["https://example.org/about/"] is None
    assert lastmod["https://example.org/posts/"] == "2024-06-30"   # a list: its newest entry


def test_sitemap_urls_are_absolute_and_escaped(make_site, cli):
    site = make_site({"content/posts/a.md": post("A", 1, tags=["café", "R&D"])},
                     config=config("", base_url="https://example.org/blog/"))
    build(cli, site)
    locs = [u.findtext(f"{SITEMAP}loc") for u in ET.fromstring(out(site, "sitemap.xml")).iter(f"{SITEMAP}url")]
    assert "https://example.org/blog/posts/a/" in locs
    assert "https://example.org/blog/tags/caf%C3%A9/" in locs
    assert all(loc.isascii() and loc.startswith("https://example.org/blog/") for loc in locs)


def test_sitemap_path_is_configurable(make_site, cli):
    site = make_site(posts(1), config=config('[sitemap]\npath = "map.xml"\n'))
    build(cli, site)
    assert (site / "public/map.xml").is_file() and not (site / "public/sitemap.xml").exists()
    assert "Sitemap: https://example.org/map.xml" in out(site, "robots.txt")


# --- robots.txt -------------------------------------------------------------------------------------

def test_robots_points_to_the_sitemap_with_the_base_url(make_site, cli):
    site = make_site(posts(1), config=config("", base_url="https://example.org/blog/"))
    build(cli, site)
    assert out(site, "robots.txt") == "User-agent: *\nDisallow:\n\nSitemap: https://example.org/blog/sitemap.xml\n"


def test_robots_disallow_paths_under_the_base_path(make_site, cli):
    site = make_site(posts(1), config=config('[robots]\ndisallow = ["/drafts/", "private/"]\n',
                                             base_url="https://example.org/blog/"))
    build(cli, site)
    lines = out(site, "robots.txt").splitlines()
    assert lines[:3] == ["User-agent: *", "Disallow: /blog/drafts/", "Disallow: /blog/private/"]
    assert "Disallow:" not in lines


def test_robots_empty_disallow_path_is_a_config_error(make_site, cli):
    site = make_site(posts(1), config=config('[robots]\ndisallow = [""]\n'))
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2 and "ssg.toml:4" in result.output and "robots.disallow" in result.output


def test_robots_site_template_replaces_the_generated_text(make_site, cli):
    site = make_site({**posts(1), "templates/robots.txt": "# ours\n{{ generated }}"})
    build(cli, site)
    text = out(site, "robots.txt")
    assert text.startswith("# ours\nUser-agent: *\n") and "Sitemap: https://example.org/sitemap.xml" in text


# --- aliases ------------------------------------------------------------------------------------------

def test_alias_is_a_redirect_to_the_permalink(make_site, cli):
    site = make_site({"content/posts/new.md": post("New home", 1, extra="aliases: [/old/path/, /legacy, /x/y.html]")},
                     config=config("", base_url="https://example.org/blog/"))
    build(cli, site)
    for rel in ("old/path/index.html", "legacy/index.html", "x/y.html"):
        html = out(site, rel)
        assert '<meta http-equiv="refresh" content="0; url=https://example.org/blog/posts/new/">' in html
        assert '<link rel="canonical" href="https://example.org/blog/posts/new/">' in html
        assert 'href="https://example.org/blog/posts/new/"' in html
    assert "old/path" not in out(site, "sitemap.xml")


def test_alias_on_a_section_index(make_site, cli):
    site = make_site({**posts(1), "content/posts/_index.md": "---\ntitle: Posts\naliases: [/blog/]\n---\n"})
    build(cli, site)
    assert 'url=https://example.org/posts/"' in out(site, "blog/index.html")


def test_alias_escaping_the_output_folder_is_an_error(make_site, cli):
    site = make_site({
        "content/posts/a.md": "---\ntitle: A\ndate: 2024-05-01\naliases: [\"/../../etc/evil/\"]\n---\nx\n",
        "content/posts/b.md": post("B", 2),
    })
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "content/posts/a.md:4" in result.output and "aliases" in result.output and "'..'" in result.output
    assert not (site.parent / "etc").exists() and not (site / "etc").exists()
    assert (site / "public/posts/b/index.html").is_file()


def test_a_page_keeps_its_address_over_an_alias_claiming_it(make_site, cli):
    """A page, a list or any other output keeps its address; the alias is left
    out with a warning naming it and both pages, an error with --strict."""
    site = make_site({"content/about.md": "---\ntitle: About\n---\nreal\n",
                      "content/posts/a.md": post("A", 1, tags=["x"], extra="aliases: [/about/, /tags/, /old-a/]")})
    result = build(cli, site)
    assert ("content/posts/a.md:5: alias '/about/' is the address of the page content/about.md, which keeps it; "
            "this page's alias is left out") in result.output
    assert "content/posts/a.md:5: alias '/tags/' is the address of tags/index.html" in result.output
    assert "real" in out(site, "about/index.html") and "refresh" not in out(site, "about/index.html")
    assert "refresh" not in out(site, "tags/index.html")
    assert "url=https://example.org/posts/p1/" not in out(site, "old-a/index.html")   # the alias still made
    assert 'url=https://example.org/posts/a/"' in out(site, "old-a/index.html")
    strict = cli("build", "-s", str(site), "--strict")
    assert strict.exit_code == 1 and "alias '/about/'" in strict.output


def test_an_alias_equal_to_the_pages_own_address_is_ignored(make_site, cli):
    site = make_site({"content/posts/a.md": post("A", 1, extra="aliases: [/posts/a/, /Posts/A, /old/]")})
    result = build(cli, site, "--strict")
    assert "warning" not in result.output
    assert "Body of A." in out(site, "posts/a/index.html") and "refresh" not in out(site, "posts/a/index.html")
    assert 'url=https://example.org/posts/a/"' in out(site, "old/index.html")


def test_two_pages_claiming_one_alias_warn_and_the_first_in_the_site_order_redirects(make_site, cli, tmp_path):
    from warm_helpers import assert_like_a_clean_build, assert_state_is_exact

    site = make_site({"content/posts/a.md": post("A", 1, extra="aliases: [/old/]"),
                      "content/posts/b.md": post("B", 2, extra="aliases:\n  - /new/\n  - /old/")})
    result = build(cli, site)
    # newest first: b is first in the site's order
    assert ("content/posts/a.md:4: alias '/old/' is an alias of content/posts/b.md too, and redirects to /posts/b/; "
            "this page's alias is left out") in result.output
    assert 'url=https://example.org/posts/b/"' in out(site, "old/index.html")
    assert cli("build", "-s", str(site), "--strict").exit_code == 1
    b = site / "content/posts/b.md"
    b.write_text(b.read_text().replace("  - /old/\n", ""))     # b lets go: a's alias takes the address
    result = build(cli, site, "--strict")
    assert "warning" not in result.output
    assert 'url=https://example.org/posts/a/"' in out(site, "old/index.html")
    assert_like_a_clean_build(site, tmp_path)
    assert_state_is_exact(site)


# --- 404 -----------------------------------------------------------------------------------------------

def test_404_page_is_rendered_with_the_theme(make_site, cli):
    site = make_site(posts(1), config=config("", base_url="https://example.org/blog/"))
    build(cli, site)
    page = out(site, "404.html")
    home = out(site, "index.html")
    assert page.startswith("<!doctype html>") and "Test site" in page
    # served at any depth, so every link carries the full base path
    assert re.search(r'href="/blog/css/style\.css\?v=[0-9a-f]{10}"', page) and 'href="/blog/css/style.css?v=' in home
    assert not re.search(r'(href|src)="(?!/|https?:|#|data:)', page), "relative link in 404.html"
    assert "404" not in out(site, "sitemap.xml")


def test_404_page_uses_a_site_template_when_present(make_site, cli):
    site = make_site({**posts(1), "templates/404.html": "custom {{ title }}\n"})
    build(cli, site)
    assert out(site, "404.html") == "custom Page not found\n"


def test_terms_differing_by_punctuation_keep_plus_and_warn_when_merged(make_site, cli):
    """'C++' and 'C' are two terms; 'C#' loses its '#' and shares 'C''s page, with a warning."""
    site = make_site({
        "content/posts/a.md": post("A", 1, tags=["C++"]),
        "content/posts/b.md": post("B", 2, tags=["C"]),
        "content/posts/c.md": post("C", 3, tags=['"C#"']),
    })
    result = build(cli, site)
    assert sorted(p.name for p in (site / "public/tags").iterdir() if p.is_dir()) == ["c", "c++"]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "shares the URL /tags/c/" in warnings[0]
    assert "'C#'" in warnings[0] and "'C'" in warnings[0]
    assert 'href="/posts/a/"' in out(site, "tags/c++/index.html")


@pytest.mark.parametrize("text", ["", "plain", "a & b < c > d", "say \"hi\"", "it's", "both \" and '",
                                  "lines\nand\r\ttabs", "&amp; already", "\x00bell\x07 \ufffe gone", "é ✓ 漢"])
def test_feed_escaping_matches_the_standard_library(text):
    from xml.sax import saxutils

    from ssg.api import xml_escape as escape
    from ssg.api import xml_quoteattr as quoteattr

    clean = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "", text)
    assert escape(text) == saxutils.escape(clean)
    assert quoteattr(text) == saxutils.quoteattr(clean)
