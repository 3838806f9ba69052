"""The catalogue of bad input (issue 6). Every case is played the way it hurts
in real life: a site builds cleanly, then one thing goes bad and the site is
built again. For each case the second build must

- exit non-zero (1 for a page, template or data problem, 2 for configuration),
- say what went wrong, where (``file:line``) and what to do (the hint),
- write nothing outside the output folder,
- leave every file of the previous good build intact, byte for byte,
- never show a traceback.

Cases whose exact messages are pinned elsewhere name that test in a comment;
here they are checked for the damage rules above. A message names ssg's own
words; "…" stands for a library's explanation (PyYAML's, tomllib's, Jinja's),
which must be there but may say anything (tests/messages.py). Input that looks odd but is
fine (BOM, CRLF, an empty file) is in ``ACCEPTED``.

Decisions recorded here:
- a content file over 10 MB (the 50 MB case), front matter over 1 MB and YAML
  nested over 100 levels are refused before parsing (ssg/sources/content.py);
- slug, url and aliases are NFC-normalised, so NFC and NFD spellings of one
  URL are a collision naming both pages;
- a symlink leading outside the site (or to a hidden file in it) is refused;
- templates use Jinja's lenient Undefined: ``{{ nothing|upper }}`` prints
  nothing, while an attribute of a missing value or a filter that needs a real
  value (``round``, ``date`` on text) is an error at the template's file:line;
- a YAML tag (``!!python/object...``, ``!custom``) is refused, naming the tag.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from messages import says

from ssg.sources.content import MAX_CONTENT_BYTES

CONFIG = ('title = "Catalogue"\nbase_url = "https://example.org/"\n'
          '[plugins]\ndisable = ["feeds", "sitemap"]\n')
# Lists print no page titles, so a page that fails (and is left out of lists)
# changes no other output: every file of the good build must stay identical.
GOOD = {
    "content/good.md": "---\ntitle: Good\ndate: 2024-01-01\ntags: [a]\n---\nStill *here*.\n",
    "content/posts/kept.md": "---\ntitle: Kept\n---\nKept body.\n",
    "static/css/site.css": "body { color: black }\n",
    "data/team.yaml": "lead: Ann\n",
    "templates/page.html": "<h1>{{ page.title }}</h1>{{ page.content }}{{ data.team.lead }}\n",
    "templates/index.html": "home\n",
    "templates/list.html": "list\n",
    "templates/terms.html": "terms\n",
    "templates/term.html": "term\n",
    "templates/404.html": "missing\n",
}


@dataclass(frozen=True)
class Case:
    files: dict[str, str | bytes]          # written over the good site (the break)
    where: str                             # the error's file:line; {site} is the site folder
    message: str
    hint: str | None                       # part of the "what to do"; None: see test_gaps_reported
    exit: int = 1
    setup: Callable[[Path], None] | None = field(default=None)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


CASES = {
    # --- front matter (exact messages: tests/sources/test_bad_input.py::test_broken_page_is_reported_with_file_and_line)
    "yaml-malformed": Case({"content/bad.md": "---\ntitle: A\ntags: [a, b\n---\nx\n"}, "content/bad.md:4",
                           "invalid YAML front matter: …", "check quoting and indentation"),
    "toml-malformed": Case({"content/bad.md": "+++\ntitle = \"A\"\ndate = = 2024-01-01\n+++\nx\n"},
                           "content/bad.md:3", "invalid TOML front matter: …", "check the TOML syntax"),
    "not-a-mapping": Case({"content/bad.md": "---\n- a\n- b\n---\nx\n"}, "content/bad.md:2",
                          "front matter must be a mapping of fields, got list", "write fields as 'title: My post'"),
    "title-a-list": Case({"content/bad.md": "---\ntitle: [a, b]\n---\nx\n"}, "content/bad.md:2",
                         "front matter field 'title' must be text, got list", 'write title: "..."'),
    "date-unparseable": Case({"content/bad.md": "---\ntitle: A\ndate: next tuesday\n---\nx\n"}, "content/bad.md:3",
                             "front matter field 'date' is not a date: 'next tuesday'", "use ISO 8601"),
    "date-impossible": Case({"content/bad.md": "---\ntitle: A\ndate: 2024-02-30\n---\nx\n"}, "content/bad.md:3",
                            "'2024-02-30' is not a valid date", "use ISO 8601"),
    "tags-a-string": Case({"content/bad.md": "---\ntitle: A\ntags: a, b\n---\nx\n"}, "content/bad.md:3",
                          "front matter field 'tags' must be a list, got the text 'a, b'", "write tags: [a, b]"),
    "bom-and-error": Case({"content/bad.md": b"\xef\xbb\xbf---\ntitle: A\ndate: soon\n---\nx\n"}, "content/bad.md:3",
                          "front matter field 'date' is not a date: 'soon'", "use ISO 8601"),
    "crlf-and-error": Case({"content/bad.md": b"---\r\ntitle: A\r\n\r\ndate: soon\r\n---\r\nx\r\n"},
                           "content/bad.md:4", "front matter field 'date' is not a date: 'soon'", "use ISO 8601"),
    "utf16-file": Case({"content/bad.md": "---\ntitle: A\n---\nx\n".encode("utf-16")}, "content/bad.md:1",
                       "not valid UTF-8", "save the file as UTF-8"),
    "50-mb-file": Case({}, "content/big.md", "file is 50.0 MB; content files over 10 MB are refused",
                       "split it into several pages",
                       setup=lambda site: _sparse_file(site / "content/big.md", 50 * 1024 * 1024)),
    "front-matter-over-1-mb": Case({"content/bad.md": "---\ntitle: A\nlist: [" + "1, " * 400_000 + "]\n---\nx\n"},
                                   "content/bad.md:1", "front matter is larger than 1 MB",
                                   "put large data in data/ files"),
    "yaml-nested-too-deep": Case({"content/bad.md": "---\ntitle: A\nx: " + "[" * 100_000 + "\n---\nx\n"},
                                 "content/bad.md:3", "nested more than 100 levels deep",
                                 "put structured data in data/ files"),
    "toml-nested-too-deep": Case({"content/bad.md": "+++\ntitle = \"A\"\nx = " + "[" * 100_000 + "\n+++\nx\n"},
                                 "content/bad.md:1", "front matter is nested too deeply",
                                 "put structured data in data/ files"),
    "yaml-python-tag": Case({"content/bad.md": "---\ntitle: !!python/object/apply:os.getcwd []\n---\nx\n"},
                            "content/bad.md:2", "the tag '!!python/object/apply:os.getcwd' is not allowed",
                            "remove the tag"),
    "yaml-alias-bomb": Case({"content/bad.md": "---\na: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
                                 f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))
                             + "aliases: *i\n---\nx\n"}, "content/bad.md:11",
                            "front matter field 'aliases' must be a list of text values, got [[[", "write aliases: [a, b]"),
    # --- paths (exact messages and the nothing-escapes check: tests/sources/test_urls.py)
    "slug-dotdot": Case({"content/bad.md": "---\ntitle: A\nslug: ../../evil\n---\nx\n"}, "content/bad.md:3",
                        "slug '../../evil' contains '/'", "set url: to choose a full path"),
    "url-dotdot": Case({"content/bad.md": "---\ntitle: A\nurl: /x/../../../evil/\n---\nx\n"}, "content/bad.md:3",
                       "contains an empty, '.' or '..' path segment", "use a plain relative path"),
    "url-absolute-windows": Case({"content/bad.md": "---\ntitle: A\nurl: 'C:\\evil\\x.html'\n---\nx\n"},
                                 "content/bad.md:3", "contains NUL, a backslash", "use a plain relative path"),
    "url-full": Case({"content/bad.md": "---\ntitle: A\nurl: file:///etc/passwd\n---\nx\n"}, "content/bad.md:3",
                     "must be a path such as '/posts/hello/', not a full URL", "base_url is added for you"),
    "slug-nul": Case({"content/bad.md": "---\ntitle: A\nslug: \"a\\0b\"\n---\nx\n"}, "content/bad.md:3",
                     "contains NUL", "use a plain relative path"),
    "slug-backslash": Case({"content/bad.md": "---\ntitle: A\nslug: 'a\\b'\n---\nx\n"}, "content/bad.md:3",
                           "contains NUL, a backslash", "use a plain relative path"),
    "reserved-name": Case({"content/bad.md": "---\ntitle: A\nurl: /docs/aux.html\n---\nx\n"}, "content/bad.md:3",
                          "uses the reserved file name 'aux.html'", "choose another slug"),
    "alias-dotdot": Case({"content/bad.md": "---\ntitle: A\naliases: [/../../evil/]\n---\nx\n"}, "content/bad.md:3",
                         "alias", "'..'"),
    "case-only-collision": Case({"content/bad.md": "---\ntitle: A\nurl: /Posts/Kept/\n---\nx\n"},
                                "content/posts/kept.md", "both produce outputs that differ only in case",
                                "give one of them another slug or url"),
    "nfd-nfc-collision": Case({"content/cafe1.md": "---\ntitle: A\nurl: /caf\u00e9/\n---\nx\n",
                               "content/cafe2.md": "---\ntitle: B\nurl: " + nfd("/caf\u00e9/") + "\n---\nx\n"},
                              "content/cafe2.md", "both produce the same output 'caf\u00e9/index.html'",
                              "give one of them another slug or url"),
    # --- templates (exact messages: tests/build/test_build.py)
    "template-syntax-error": Case({"templates/page.html": "<h1>{{ page.title }}</h1>\n{% if %}\n"},
                                  "{site}/templates/page.html:2", "template syntax error: … (while rendering", None),
    # no location: the message names the page, but not the line of its 'template' field (see the module doc)
    "template-missing": Case({"content/bad.md": "---\ntitle: A\ntemplate: nope.html\n---\nx\n"}, "",
                             "no template for bad/index.html (content/bad.md): looked for nope.html",
                             "add one of them to the site's templates/ or the theme"),
    "include-missing": Case({"templates/page.html": "x\n{% include 'partials/nope.html' %}\n"},
                            "{site}/templates/page.html:2", "template 'partials/nope.html' not found",
                            "check the name in extends/include/import"),
    "missing-variable-in-filter": Case({"templates/page.html": "x\n{{ page.params.missing.name|upper }}\n"},
                                       "{site}/templates/page.html:2",
                                       "the template uses a value that is not defined: … (while rendering",
                                       "{% if x is defined %} or x|default(...)"),
    "missing-number-in-filter": Case({"templates/page.html": "x\n{{ nothing|round }}\n"},
                                     "{site}/templates/page.html:2",
                                     "the template uses a value that is not defined: … (while rendering",
                                     "{% if x is defined %} or x|default(...)"),
    "recursive-include": Case({"templates/page.html": "{% include 'loop.html' %}",
                               "templates/loop.html": "again\n{% include 'loop.html' %}"},
                              "{site}/templates/loop.html:2", "template recursion too deep",
                              "includes or calls itself without end"),
    # --- data files (exact messages: tests/sources/test_bad_input.py::test_broken_data_file_is_reported_with_file_and_line)
    "data-yaml-malformed": Case({"data/menu.yaml": "- a\n- [b\n"}, "data/menu.yaml:3", "invalid YAML: …",
                                "fix the syntax at that line"),
    "data-yaml-nested-too-deep": Case({"data/menu.yaml": "x: " + "[" * 100_000 + "\n"}, "data/menu.yaml:1",
                                      "nested more than 100 levels deep", "fix the syntax at that line"),
    "data-json-nested-too-deep": Case({"data/menu.json": "[" * 100_000}, "data/menu.json", "nested too deeply",
                                      "fix the syntax at that line"),
    "data-toml-nested-too-deep": Case({"data/menu.toml": "x = " + "[" * 100_000}, "data/menu.toml", "nested too deeply",
                                      "fix the syntax at that line"),
    # --- configuration: exit 2, nothing built (exact messages: tests/config/test_config.py)
    "config-unknown-key": Case({"ssg.toml": "titel = 'x'\n" + CONFIG}, "{site}/ssg.toml:1", "unknown key 'titel'",
                               "did you mean 'title'?", exit=2),
    "config-wrong-type": Case({"ssg.toml": CONFIG + "[pagination]\nper_page = 'ten'\n"}, "{site}/ssg.toml:6",
                              "'pagination.per_page' must be an integer, got 'ten'", "0 turns pagination off", exit=2),
    "config-bad-url": Case({"ssg.toml": CONFIG.replace("https://example.org/", "example.org")}, "{site}/ssg.toml:2",
                           "'base_url': must be an absolute http(s) URL such as 'https://example.org/'", None, exit=2),
    "config-invalid-toml": Case({"ssg.toml": CONFIG + "[markdown\n"}, "{site}/ssg.toml:5", "invalid TOML: …",
                                "fix the syntax", exit=2),
    # ssg's words, not tomllib's: tomllib runs out of recursion and ssg says what that means
    "config-nested-too-deep": Case({"ssg.toml": CONFIG + "[params]\nx = " + "[" * 50_000 + "\n"}, "{site}/ssg.toml",
                                   "invalid TOML: arrays or inline tables nested too deeply", "fix the syntax", exit=2),
    "config-remote-data-url": Case({"ssg.toml": CONFIG + "[remote_data.team]\nurl = 'file:///etc/passwd'\n"},
                                   "{site}/ssg.toml:6", "must be an http(s) URL", None, exit=2),
}


def _sparse_file(path: Path, size: int) -> None:
    """A front matter header, then zeros up to ``size`` (a sparse file: fast to make)."""
    with open(path, "wb") as handle:
        handle.write(b"---\ntitle: Big\n---\n")
        handle.truncate(size)


def tree(root: Path, skip: tuple[Path, ...]) -> dict[str, bytes | None]:
    """Every file under ``root`` (bytes) and folder (None), leaving out ``skip``."""
    found: dict[str, bytes | None] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(folder, d) not in skip]
        for name in dirs:
            found[os.path.relpath(os.path.join(folder, name), root) + "/"] = None
        for name in files:
            path = Path(folder, name)
            found[os.path.relpath(path, root)] = (b"<large>" if path.stat().st_size > 1_000_000
                                                 else path.read_bytes())
    return found


def good_then_bad(make_site, cli, tmp_path, case: Case):
    site = make_site(GOOD, config=CONFIG)
    first = cli("build", "-s", str(site))
    assert first.exit_code == 0, first.output
    public = site / "public"
    good_output = tree(public, ())
    assert "good/index.html" in good_output and "posts/kept/index.html" in good_output

    for rel, content in case.files.items():
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    if case.setup:
        case.setup(site)
    # .ssg/ is ssg's own build state and cache, never published
    outside = tree(tmp_path, (public, site / ".ssg"))
    result = cli("build", "-s", str(site))
    return site, result, good_output, outside


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_reported_and_damages_nothing(make_site, cli, tmp_path, case):
    site, result, good_output, outside = good_then_bad(make_site, cli, tmp_path, case)
    assert result.exit_code == case.exit, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    where = case.where.format(site=site)
    matching = [e for e in errors if e.startswith(f"error: {where}" if where else "error: ") and says(e, case.message)]
    assert matching, f"expected 'error: {where}: ...{case.message}...' in:\n{result.stderr}"
    if case.where and case.where[-1].isdigit():
        assert matching[0][len(f"error: {where}")] == ":", "the line number is exact"
    if case.hint is not None:
        assert any(case.hint in e for e in matching), f"hint {case.hint!r} missing: {matching}"

    assert tree(tmp_path, (site / "public", site / ".ssg")) == outside, "nothing written outside public/"
    now = tree(site / "public", ())
    damaged = [rel for rel, data in good_output.items() if now.get(rel, b"<gone>") != data]
    assert damaged == [], "the previous good output is intact"
    assert not [rel for rel in now if os.path.basename(rel).startswith(".")], "no temporary files left"


ACCEPTED = {
    "utf8-bom": (b"\xef\xbb\xbf---\ntitle: Odd\n---\nbody\n", "<h1>Odd</h1><p>body</p>\nAnn\n"),
    "crlf": (b"---\r\ntitle: Odd\r\n---\r\nbody\r\nmore\r\n", "<h1>Odd</h1><p>body\nmore</p>\nAnn\n"),
    "bom-and-crlf": (b"\xef\xbb\xbf+++\r\ntitle = \"Odd\"\r\n+++\r\nbody\r\n", "<h1>Odd</h1><p>body</p>\nAnn\n"),
    "old-mac-cr": (b"---\rtitle: Odd\r---\rbody\r", "<h1>Odd</h1><p>body</p>\nAnn\n"),
    "empty-file": (b"", "<h1>Odd</h1>Ann\n"),
    "only-whitespace": (b"\n \n\t\n", "<h1>Odd</h1>Ann\n"),
    "empty-front-matter": (b"---\n---\n", "<h1>Odd</h1>Ann\n"),
    "body-with-template-syntax": (b"{{ 7*7 }} {% include 'x' %}", "<h1>Odd</h1><p>{{ 7*7 }} {% include 'x' %}</p>\nAnn\n"),
    "nul-in-body": (b"a\x00b", "<h1>Odd</h1><p>a\ufffdb</p>\nAnn\n"),
}


@pytest.mark.parametrize("raw, html", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_odd_but_valid_input_builds(make_site, cli, raw, html):
    site = make_site({**GOOD, "content/odd.md": raw}, config=CONFIG)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/odd/index.html").read_text() == html


def test_a_file_just_under_the_size_limit_still_builds(make_site, cli):
    body = b"---\ntitle: Long\n---\n" + b"word " * ((MAX_CONTENT_BYTES - 100) // 5)
    site = make_site({**GOOD, "content/long.md": body}, config=CONFIG)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/long/index.html").stat().st_size > MAX_CONTENT_BYTES // 2


def test_nfd_url_is_published_under_its_nfc_name(make_site, cli):
    """macOS keyboards type NFD, Linux NFC: ssg writes one spelling (NFC) and
    links to it, so the page is found whichever way the URL was typed in."""
    site = make_site({**GOOD, "content/cafe.md": "---\ntitle: Caf\u00e9\nurl: " + nfd("/caf\u00e9/") + "\n---\nx\n",
                      "content/links.md": "---\ntitle: L\n---\n[c](cafe.md)\n"}, config=CONFIG)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    names = os.listdir(site / "public")
    assert "caf\u00e9" in names and nfd("caf\u00e9") not in names
    assert 'href="/caf%C3%A9/"' in (site / "public/links/index.html").read_text() or \
        'href="/caf\u00e9/"' in (site / "public/links/index.html").read_text()


# --- symlinks pointing outside the site -------------------------------------------------------------
# Decision (docs/security.md): a file under content/, static/ or data/ that is a
# symlink resolving outside the site folder is refused with an error naming the
# link, and its target is never read; links that stay inside the site work.
# Git stores symlinks, so without this a pull request adding
# static/key.txt -> ~/.ssh/id_rsa would publish the build machine's key.


SECRET = "TOP SECRET"


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text(f"---\ntitle: Secret\n---\n{SECRET}\n")
    return path


@pytest.mark.parametrize("link", ["content/leak.md", "static/leak.txt", "content/posts/bundle/leak.txt"])
def test_symlink_to_a_file_outside_the_site_is_refused(make_site, cli, secret, link):
    site = make_site({**GOOD, "content/posts/bundle/index.md": "---\ntitle: Bundle\n---\nx\n"}, config=CONFIG)
    (site / link).parent.mkdir(parents=True, exist_ok=True)
    (site / link).symlink_to(secret)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert f"error: {link}: is a symlink to a file outside the site" in result.stderr
    assert "copy the file into the site, or remove the link" in result.stderr
    published = [p for p in (site / "public").rglob("*") if p.is_file() and SECRET in p.read_text(errors="replace")]
    assert published == []
    assert (site / "public/good/index.html").is_file()


def test_symlink_to_a_hidden_file_of_the_site_is_refused(make_site, cli):
    """.env (deploy passwords), .git/ and .ssg/ lie inside the site but are never site files."""
    site = make_site({**GOOD, ".env": f"FTP_PASSWORD={SECRET}\n"}, config=CONFIG)
    (site / "static/env.txt").symlink_to(site / ".env")
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "error: static/env.txt: is a symlink to a file outside the site or hidden in it" in result.stderr
    assert not (site / "public/env.txt").exists()


def test_symlink_inside_the_site_is_followed(make_site, cli):
    site = make_site({**GOOD, "shared/logo.svg": "<svg/>"}, config=CONFIG)
    (site / "static/logo.svg").symlink_to(site / "shared/logo.svg")
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/logo.svg").read_text() == "<svg/>"
    assert not (site / "public/logo.svg").is_symlink()


def test_static_files_named_alike_but_for_unicode_normalisation_collide(make_site, cli):
    """static/café.txt typed on macOS (NFD) and on Linux (NFC) are two files on
    Linux but one on macOS, where one silently overwrites the other."""
    site = make_site({**GOOD, "static/caf\u00e9.txt": "nfc", "static/" + nfd("caf\u00e9.txt"): "nfd"}, config=CONFIG)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "both produce outputs that differ only in case or Unicode normalisation" in result.stderr
    assert "static/caf\u00e9.txt" in result.stderr
