"""Broken content and data files: each one is reported with what is wrong, the
file:line to fix and how, without a traceback; every other page is still
built and the build exits 1.

What a library explains (PyYAML's or tomllib's words) is written "…" in the
expected messages (tests/messages.py): some explanation must follow ssg's own
words, whatever the library's release calls it."""

from __future__ import annotations

import os

import pytest
from messages import says

from ssg.sources.fields import DATE_HINT

GOOD = {"content/good.md": "---\ntitle: Good\n---\nStill here.\n"}


def broken_build(make_site, cli, files: dict) -> str:
    site = make_site({**GOOD, **files})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert (site / "public/good/index.html").is_file(), "the other pages are still built"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


@pytest.mark.parametrize("text, where, message", [
    # the line where the list or the quote began is ssg's addition to PyYAML's explanation
    pytest.param("---\ntitle: A\ndate: 2024-01-01\ntags: [a, b\nfoo: bar\n---\nx\n", "content/bad.md:5",
                 "invalid YAML front matter: … (… that starts on line 4) (check quoting and indentation",
                 id="unclosed-flow-list"),
    pytest.param("---\ntitle: A\nsummary: note: this breaks\n---\nx\n", "content/bad.md:3",
                 "invalid YAML front matter: … (check quoting and indentation; values with ':' need quotes)",
                 id="colon-in-value"),
    pytest.param("---\ntitle: A\n  weight: 1\n---\nx\n", "content/bad.md:3",
                 "invalid YAML front matter: … (check quoting and indentation", id="bad-indentation"),
    pytest.param("---\ntitle: \"A\n---\nx\n", "content/bad.md:3",
                 "invalid YAML front matter: … (… that starts on line 2) (check quoting and indentation",
                 id="unclosed-quote"),
    pytest.param("---\n- a\n- b\n---\nx\n", "content/bad.md:2",
                 "front matter must be a mapping of fields, got list", id="list-front-matter"),
    pytest.param("---\njust a sentence\n---\nx\n", "content/bad.md:2",
                 "front matter must be a mapping of fields, got str", id="text-front-matter"),
    pytest.param("---\ntitle: A\nbody without a closing line\n", "content/bad.md:1",
                 "front matter opened with '---' is never closed", id="unclosed-yaml"),
    pytest.param("+++\ntitle = \"A\"\n", "content/bad.md:1",
                 "front matter opened with '+++' is never closed", id="unclosed-toml"),
    pytest.param("+++\ntitle = \"A\"\ndate = = 2024-01-01\n+++\nx\n", "content/bad.md:3",
                 "invalid TOML front matter: … (check the TOML syntax of the +++ block)", id="toml-syntax"),
    pytest.param("+++\ntitle = [\"A\"]\n+++\nx\n", "content/bad.md:2",
                 "front matter field 'title' must be text, got list", id="toml-title-list"),
    pytest.param("---\ndate: 2024-01-01\ntitle: [a, b]\n---\nx\n", "content/bad.md:3",
                 "front matter field 'title' must be text, got list", id="title-list"),
    pytest.param("---\ntitle: A\ndate: next tuesday\n---\nx\n", "content/bad.md:3",
                 "front matter field 'date' is not a date: 'next tuesday'", id="date-text"),
    pytest.param("---\ntitle: A\ndate: 2024-13-45\n---\nx\n", "content/bad.md:3",
                 f"invalid YAML front matter: '2024-13-45' is not a valid date (…) ({DATE_HINT})",
                 id="date-impossible"),
    pytest.param("---\ntitle: A\nupdated: [2024]\n---\nx\n", "content/bad.md:3",
                 "front matter field 'updated' is not a date", id="updated-list"),
    pytest.param("---\ntitle: A\n\n\ntags: a, b\n---\nx\n", "content/bad.md:5",
                 "front matter field 'tags' must be a list, got the text 'a, b'", id="tags-string"),
    # Jekyll's words separated by spaces: the hint gives them as a list (it gave them as one value)
    pytest.param("---\ntitle: A\ntags: c# tool sql\n---\nx\n", "content/bad.md:3",
                 "front matter field 'tags' must be a list, got the text 'c# tool sql' (write tags: [c#, tool, sql] "
                 "for 3 values (Jekyll's words separated by spaces), tags: [c# tool sql] for one", id="tags-words"),
    pytest.param("---\ntitle: A\ndraft: \"yes\"\n---\nx\n", "content/bad.md:3",
                 "front matter field 'draft' must be true or false, got 'yes'", id="draft-string"),
    pytest.param("---\ntitle: A\nweight: heavy\n---\nx\n", "content/bad.md:3",
                 "front matter field 'weight' must be a whole number, got 'heavy'", id="weight-text"),
    pytest.param("---\ntitle: A\naliases: /old/\n---\nx\n", "content/bad.md:3",
                 "front matter field 'aliases' must be a list", id="aliases-string"),
    pytest.param("---\ntitle: A\nslug: {a: 1}\n---\nx\n", "content/bad.md:3",
                 "front matter field 'slug' must be text, got dict", id="slug-mapping"),
    pytest.param(b"---\ntitle: A\n---\nline three\nbad \xff byte\n", "content/bad.md:5",
                 "not valid UTF-8 (byte 0xff", id="invalid-utf8"),
    pytest.param(b"\xff\xfe-\x00-\x00-\x00", "content/bad.md:1", "not valid UTF-8", id="utf16"),
])
def test_broken_page_is_reported_with_file_and_line(make_site, cli, text, where, message):
    error = broken_build(make_site, cli, {"content/bad.md": text})
    assert error.startswith(f"error: {where}:" if where[-1].isdigit() else f"error: {where}"), error
    assert says(error, message), error
    assert error.rstrip().endswith(")"), "every message ends with a hint in parentheses"


def test_broken_page_is_left_out_of_lists(make_site, cli):
    site = make_site({**GOOD, "content/bad.md": "---\ntitle: [x\n---\n", "templates/index.html":
                      "{% for p in site.pages %}{{ p.source }};{% endfor %}"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert (site / "public/index.html").read_text() == "content/good.md;"
    assert not (site / "public/bad").exists()


def test_several_broken_pages_are_all_reported(make_site, cli):
    site = make_site({**GOOD, "content/a.md": "---\ndraft: maybe\n---\n", "content/b.md": "---\ntitle: [x\n---\n",
                      "content/c.md": b"\xc3\x28"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    for name in ("content/a.md:2", "content/b.md:", "content/c.md:1"):
        assert f"error: {name}" in result.stderr
    assert "3 errors" in result.stdout


@pytest.mark.parametrize("name, text, where, message", [
    pytest.param("data/team.yaml", "- name: Ann\n- name: [Bob\nrole: x\n", "data/team.yaml:3", "invalid YAML: …",
                 id="yaml"),
    pytest.param("data/dates.yml", "launch: 2024-02-30\n", "data/dates.yml:1",
                 "'2024-02-30' is not a valid date", id="yaml-date"),
    pytest.param("data/build.json", '{"version": 1,\n\n}', "data/build.json:3", "invalid JSON: …", id="json"),
    pytest.param("data/menu.toml", 'title = "x"\nitems = [1,\n', "data/menu.toml:2", "invalid TOML: …", id="toml"),
    pytest.param("data/tagged.yaml", "a: 1\nrun: !!python/object/apply:os.getcwd []\n", "data/tagged.yaml:2",
                 "invalid YAML: the tag '!!python/object/apply:os.getcwd' is not allowed", id="yaml-tag"),
    pytest.param("data/latin1.yaml", b"name: caf\xe9\n", "data/latin1.yaml", "not valid UTF-8", id="encoding"),
])
def test_broken_data_file_is_reported_with_file_and_line(make_site, cli, name, text, where, message):
    error = broken_build(make_site, cli, {name: text})
    assert error.startswith(f"error: {where}:" if where[-1].isdigit() else f"error: {where}"), error
    assert says(error, message), error
    assert "fix the syntax at that line" in error or "save it as UTF-8" in error, error


def test_template_using_a_broken_data_file_still_renders(make_site, cli):
    site = make_site({**GOOD, "data/team.yaml": "- [", "data/ok.yaml": "x: 1",
                      "templates/page.html": "{{ data.ok.x }}|{{ data.team|default('missing') }}"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert (site / "public/good/index.html").read_text() == "1|missing"


@pytest.mark.parametrize("files, message", [
    pytest.param({"data/team.yaml": "a: 1", "data/team.json": '{"b": 2}'},
                 "data/team.json and data/team.yaml both define data.team", id="two-formats"),
    pytest.param({"data/team.yaml": "- Ann", "data/team/extra.yaml": "x: 1"},
                 "data/team.yaml and data/team/extra.yaml both define data.team", id="file-and-folder"),
])
def test_two_data_files_for_one_name_are_an_error(make_site, cli, files, message):
    error = broken_build(make_site, cli, files)
    assert message in error and "rename or merge one of them" in error


def test_file_name_that_is_not_utf8_is_named_and_skipped(make_site, cli):
    site = make_site(GOOD)
    try:
        for folder, name in (("content", b"caf\xe9.md"), ("static", b"logo\xff.png")):
            (site / folder).mkdir(exist_ok=True)
            with open(os.path.join(os.fsencode(site / folder), name), "wb") as handle:
                handle.write(b"---\ntitle: Latin-1 name\n---\n")
    except OSError:
        pytest.skip("this file system only stores UTF-8 names")
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert "error: content/caf\ufffd.md: file name is not valid UTF-8 (rename the file" in result.stderr
    assert "error: static/logo\ufffd.png: file name is not valid UTF-8" in result.stderr
    assert (site / "public/good/index.html").is_file()
