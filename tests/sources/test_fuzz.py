"""Fuzzing (hypothesis) of the three places where outside text meets the code:
the front matter loader, the config loader and URL -> output path mapping.

Properties: every input is either accepted or refused with one of the project's
own errors (an ``SsgError`` with a message and a location), never an unexpected
exception; every output path stays inside the output folder. The output_path
function alone is fuzzed in tests/build/test_containment.py; here it is reached the
way pages reach it, through permalink patterns, slugs and dates.
"""

from __future__ import annotations

import posixpath
import string
import unicodedata
from datetime import UTC
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from ssg.build.entry import BuildOptions, build, load_plugins_and_config
from ssg.build.write import OutputWriter
from ssg.config.site import _check_permalink
from ssg.errors import ConfigError, PathError, SsgError, UsageError
from ssg.model import Page
from ssg.sources.content import parse_page
from ssg.sources.urls import expand_permalink, output_path, slugify

MARKDOWN = {"unsafe_html": True, "smart_punctuation": False, "hard_breaks": False, "highlight": True,
            "toc_levels": [2, 3]}
QUICK = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parse(raw: bytes) -> Page | SsgError:
    try:
        page = parse_page(raw, "content/posts/x.md", section="posts", slug="x", kind="page", markdown_options=MARKDOWN)
    except SsgError as error:
        assert error.message and str(error)
        assert error.where is not None and error.where.path == "content/posts/x.md", error
        return error
    assert isinstance(page.title, str) and isinstance(page.slug, str) and page.slug
    assert isinstance(page.content, str) and isinstance(page.aliases, tuple)
    assert page.date is None or page.date.tzinfo is not None
    return page


# --- front matter -------------------------------------------------------------------------------------

FIELDS = ["title", "date", "updated", "draft", "tags", "summary", "slug", "url", "template", "weight", "aliases",
          "x", "params"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
                    st.dates(), st.datetimes(), st.binary(max_size=8))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                      max_leaves=12)
YAML_PIECES = st.sampled_from([
    "---", "---\n", "+++", "+++\n", "...", ": ", ":", "- ", "[", "]", "{", "}", "'", '"', "&a ", "*a", "!!python/name:os.system",
    "!!binary", "!!timestamp ", "? ", "|\n", ">\n", "#", "\t", "  ", "\n", "\r\n", "\r", "\ufeff", "\x00", "\\",
    "title", "date", "2024-13-45", "2024-01-01T25:00:00", "0001-01-01", "9999-12-31T23:59:59-23:59", "tags", "slug",
    "url", "/../", "con", "=", "= [", "true", "yes", "~", "null", ".inf", "0x1F", "1e400", "{{ 7*7 }}", "<script>",
])


@given(st.binary(max_size=300))
@QUICK
def test_arbitrary_bytes_parse_or_fail_cleanly(raw):
    parse(raw)


@given(st.lists(st.one_of(YAML_PIECES, st.text(max_size=8)), max_size=40).map("".join))
@example("!!timestamp ")           # found by this test: AttributeError inside PyYAML's date constructor
@example("x: " + "[" * 50_000)     # libyaml overflowed the C stack (a segfault) before the depth limit
@example("x = " + "[" * 50_000)    # tomllib: RecursionError
@QUICK
def test_front_matter_like_text_parses_or_fails_cleanly(text):
    for delimiter in ("---", "+++"):
        parse(f"{delimiter}\n{text}\n{delimiter}\nbody\n".encode("utf-8", "surrogatepass"))
    parse(text.encode("utf-8", "surrogatepass"))


@given(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6), st.sampled_from(["\n", "\r\n"]),
       st.booleans())
@QUICK
def test_any_yaml_value_in_any_field_parses_or_fails_cleanly(meta, newline, bom):
    try:
        front = yaml.safe_dump(meta, allow_unicode=True)
    except yaml.YAMLError:
        assume(False)
    text = f"---\n{front}---\nbody\n".replace("\n", newline)
    result = parse(("\ufeff" if bom else "").encode() + text.encode("utf-8", "surrogatepass"))
    if isinstance(result, Page) and isinstance(meta.get("title"), str):
        assert result.title == meta["title"]


# --- config -------------------------------------------------------------------------------------------

KEYS = st.sampled_from(["title", "base_url", "language", "output_dir", "theme", "main_sections", "date_format",
                        "permalinks", "markdown", "params", "plugins", "disable", "per_page", "path", "rss", "limit",
                        "taxonomies", "tags", "url", "timeout", "retries", "format", "x", "a.b", '"quoted key"'])
TOML_VALUES = st.one_of(
    st.sampled_from(['"https://example.org/"', '"ftp://x"', '"/:year/:slug/"', '"/../x/"', '"%Q"', '""', "''",
                     "true", "0", "-1", "1e999", "inf", "nan", "1979-05-27", "07:32:00", "[]", '["posts"]', "[1, \"a\"]",
                     "{}", '{ title = "T" }', "[[]]", '"\\u0000"', '"\\ud800"', "'''", '"""', "[", "{", "= =", "0x",
                     '"default"', '"."', '"public"', '"content"']),
    st.integers().map(str), st.text(max_size=10).map(lambda t: '"' + t.replace("\\", "").replace('"', "") + '"'),
)
HEADERS = st.sampled_from(["[markdown]", "[params]", "[permalinks]", "[plugins]", "[pagination]", "[feeds]",
                           "[sitemap]", "[robots]", "[taxonomies]", "[taxonomies.tags]", "[remote_data.team]",
                           "[remote_data]", "[[params.list]]", "[deploy.site]", "[nope]", "[", "[a.b.c]"])
TOML_LINES = st.one_of(st.tuples(KEYS, TOML_VALUES).map(lambda kv: f"{kv[0]} = {kv[1]}"), HEADERS,
                       st.text(max_size=12), st.just(""))


@pytest.fixture(scope="module")
def config_site(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("config-fuzz")


@given(st.lists(TOML_LINES, max_size=12).map("\n".join), st.sampled_from(["\n", "\r\n"]))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
def test_config_loads_or_fails_with_a_config_error(config_site, text, newline):
    (config_site / "ssg.toml").write_bytes(text.replace("\n", newline).encode("utf-8", "surrogatepass"))
    try:
        _plugins, config = load_plugins_and_config(config_site, BuildOptions())
    except (ConfigError, UsageError) as error:
        assert error.message and str(error)
        assert error.where is not None and ("ssg.toml" in error.where.path or error.where.path.startswith("--"))
        return
    assert config.base_url.endswith("/") and config.base_url.startswith(("http://", "https://"))
    assert config.base_path.startswith("/") and config.base_path.endswith("/")


@given(st.binary(max_size=200))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_config_bytes_load_or_fail_with_a_config_error(config_site, raw):
    (config_site / "ssg.toml").write_bytes(raw)
    try:
        load_plugins_and_config(config_site, BuildOptions())
    except (ConfigError, UsageError) as error:
        assert error.message and str(error)


# --- URL -> output path -----------------------------------------------------------------------------

SEGMENT_TEXT = st.one_of(st.sampled_from(["..", ".", "", "a", "caf\u00e9", unicodedata.normalize("NFD", "caf\u00e9"),
                                          "con", "nul.txt", "x\\y", "a/b", "%2e%2e", "\x00", "\u202e", " ", "ＡＢ"]),
                         st.text(max_size=8))
PATTERNS = st.lists(st.one_of(st.sampled_from([":year", ":month", ":day", ":slug", ":section", ":path",
                                                ":filename", "..", "."]), st.text(string.ascii_letters, max_size=4)),
                    min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts) + "/")


def _inside(rel: str) -> bool:
    joined = posixpath.normpath(posixpath.join("/out", rel))
    return joined.startswith("/out/") and ".." not in rel.split("/") and "\x00" not in rel and "\\" not in rel


@given(pattern=PATTERNS, slug=SEGMENT_TEXT, section=SEGMENT_TEXT, folder=st.lists(SEGMENT_TEXT, max_size=3),
       filename=SEGMENT_TEXT, date=st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
       slugified=st.booleans())
@settings(max_examples=300, deadline=None)
def test_permalinks_map_inside_the_output_folder_or_are_refused(tmp_path_factory, pattern, slug, section, folder,
                                                                 filename, date, slugified):
    assume(_check_permalink(pattern) is None)     # ssg.toml refuses the others (tested in test_config.py)
    slug = (slugify(slug) or "x") if slugified else slug
    url = expand_permalink(pattern, slug=slug, section=section, folder="/".join(folder), filename=filename, date=date)
    try:
        rel = output_path(url, what="permalink")
    except PathError as error:
        assert error.message
        return
    assert _inside(rel), (url, rel)
    root = tmp_path_factory.getbasetemp() / "writer-root"
    root.mkdir(exist_ok=True)
    target = OutputWriter(root).target(rel)
    assert root.resolve() in target.parents


@given(st.text(st.characters(codec="utf-8"), max_size=12))
@settings(max_examples=150, deadline=None)
def test_nfc_and_nfd_spellings_of_a_url_give_one_output_path(text):
    outcomes = []
    for form in ("NFC", "NFD"):
        front = yaml.safe_dump({"url": f"/{unicodedata.normalize(form, text)}/"}, allow_unicode=True)
        page = parse(f"---\n{front}---\n".encode())
        try:
            outcomes.append(output_path(page.url, what="url") if isinstance(page, Page) else "error")
        except PathError:
            outcomes.append("refused")
    assert outcomes[0] == outcomes[1], outcomes


# --- whole builds (slow) ------------------------------------------------------------------------------

@pytest.mark.slow
@given(st.lists(st.one_of(YAML_PIECES, st.text(max_size=8)), max_size=30).map("".join))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_a_build_with_a_fuzzed_page_writes_only_inside_public(tmp_path_factory, text):
    workspace = tmp_path_factory.mktemp("fuzz-build")
    site = workspace / "site"
    (site / "content").mkdir(parents=True)
    (site / "ssg.toml").write_text('title = "T"\nbase_url = "https://example.org/"\n')
    (site / "content/good.md").write_text("---\ntitle: Good\n---\nok\n")
    (site / "content/fuzz.md").write_bytes(f"---\n{text}\n---\nbody\n".encode("utf-8", "surrogatepass"))
    before = {p for p in workspace.rglob("*")}
    result = build(site, BuildOptions())
    new = {p for p in workspace.rglob("*")} - before
    assert all(site / "public" in p.parents or p == site / "public" or site / ".ssg" in p.parents
               or p == site / ".ssg" for p in new), sorted(new)
    assert (site / "public/good/index.html").is_file()
    for error in result.errors:
        assert isinstance(error, SsgError) and error.message

