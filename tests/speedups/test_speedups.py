"""ssg.speedups.switch: SSG_SPEEDUPS=off turns every speed-up off, and each turns
itself off with a library it was not checked against; either way the output
is the same bytes, through the libraries' public APIs."""

from __future__ import annotations

import ctypes.util
import dataclasses
import json
import re
import shutil
import types
from pathlib import Path

import cmarkgfm
import pygments
import pytest
import yaml
from code_samples import SAMPLES
from pygments.formatters import HtmlFormatter
from pygments.lexer import RegexLexer
from pygments.lexers import get_lexer_by_name
from typer.testing import CliRunner

import ssg.sources.content
import ssg.sources.markdown
import ssg.speedups.fastlex
from ssg.cli import app
from ssg.sources.content import YamlLoader, parse_page, split_front_matter
from ssg.sources.markdown import _EXTENSIONS, cmark_options, format_html, highlight_code, use_fast_lexers
from ssg.speedups import switch as speedups
from ssg.speedups.cmark import calls_library, to_html
from ssg.speedups.simpleyaml import load_simple

EXAMPLE = Path(__file__).resolve().parents[2] / "example-site"
LANGUAGES = ("python", "javascript", "c", "html", "bash", "sql", "yaml", "rust", "go", "toml", "pycon", "diff")
PAGE = """---
title: "Speed-ups, on and off"
date: 2024-05-01T10:00:00Z
tags: [pygments, cmark, yaml]
draft: no
weight: 0x1F
---
Text with *emphasis*, ~~strikes~~, www.example.org and a footnote[^1].

| a | b |
|---|---|
| 1 | 2 |

- [x] done

[^1]: The note.

""" + "".join(f"```{language}\n{sample}```\n\n" for language in (*LANGUAGES, "nosuchlanguage") for sample in SAMPLES[:8])


def public_highlight(code: str, language: str) -> str:
    """What Pygments' public API writes for ``code``, as ssg wraps it."""
    formatter = HtmlFormatter(cssclass="highlight", wrapcode=True)
    return pygments.highlight(code, get_lexer_by_name(language), formatter).rstrip("\n")


@pytest.fixture(autouse=True)
def fresh_checks(monkeypatch):
    """Each test starts with speed-ups switched on and checks made again, and
    leaves no check made with a faked library behind."""
    monkeypatch.delenv(speedups.ENV, raising=False)
    speedups.forget()
    yield
    speedups.forget()


@pytest.fixture
def fast_lexers(monkeypatch):
    """Highlight as parse workers do (ssg.sources.markdown.use_fast_lexers), in this test only."""
    monkeypatch.setattr(ssg.sources.markdown, "_fast_lexers", False)
    use_fast_lexers()


# --- the switch ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "on"), [
    (None, True), ("", True), ("on", True), ("1", True), ("yes", True),
    ("off", False), ("OFF", False), (" off\n", False), ("0", False), ("false", False), ("no", False),
])
def test_the_switch(monkeypatch, value, on):
    if value is not None:
        monkeypatch.setenv(speedups.ENV, value)
    assert speedups.enabled() is on
    assert all(state == "on" if on else state.startswith("off: SSG_SPEEDUPS=") for state in speedups.status().values())


def test_every_speedup_is_on_with_the_installed_dependencies():
    """The versions CI installs are ones the equivalence tests pass on. When a
    dependency's new release fails this, run the equivalence tests
    (`pytest -m equivalence`) with it; if they pass, widen the tested range in
    ssg/speedups/switch.py (and pyproject.toml's pin) or add the digest shown."""
    assert speedups.status() == dict.fromkeys(("fastlex", "format_html", "cmark", "simpleyaml"), "on")
    assert calls_library(_EXTENSIONS)


def _fields(page) -> dict:
    return {field.name: (type(value := getattr(page, field.name)), value) for field in dataclasses.fields(page)}


def test_switch_off_uses_the_public_apis_and_changes_no_byte(monkeypatch, fast_lexers):
    options = {"smart_punctuation": True}
    on = parse_page(PAGE.encode(), "posts/a.md", section="posts", slug="a", kind="page", markdown_options=options)
    assert on.content.count('<div class="highlight">') == len(LANGUAGES) * 8

    calls = {"highlight": 0, "cmarkgfm": 0}

    def counted(name, function):
        def call(*args, **kwargs):
            calls[name] += 1
            return function(*args, **kwargs)
        return call

    def refused(*args, **kwargs):
        raise AssertionError("a speed-up ran with SSG_SPEEDUPS=off")

    monkeypatch.setattr(pygments, "highlight", counted("highlight", pygments.highlight))
    monkeypatch.setattr(cmarkgfm, "markdown_to_html_with_extensions",
                        counted("cmarkgfm", cmarkgfm.markdown_to_html_with_extensions))
    monkeypatch.setattr(ssg.sources.markdown, "format_html", refused)
    monkeypatch.setattr(ssg.speedups.fastlex, "accelerate", refused)
    monkeypatch.setattr(ssg.sources.content, "load_simple", refused)
    monkeypatch.setenv(speedups.ENV, "off")
    assert not calls_library(_EXTENSIONS)
    off = parse_page(PAGE.encode(), "posts/a.md", section="posts", slug="a", kind="page", markdown_options=options)
    assert _fields(off) == _fields(on)
    assert calls["highlight"] == len(LANGUAGES) * 8 and calls["cmarkgfm"] >= 1


def _files(folder: Path) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_the_example_site_is_byte_identical_with_speedups_off(tmp_path, monkeypatch, fast_lexers):
    """Every output file of the example site, built with every speed-up (fast
    lexers too, as parse workers use them) and with none."""
    outputs = {}
    for switch in ("on", "off"):
        monkeypatch.setenv(speedups.ENV, switch)
        site = tmp_path / switch / "site"
        shutil.copytree(EXAMPLE, site, ignore=shutil.ignore_patterns("public", ".ssg", "__pycache__"))
        out = tmp_path / switch / "public"
        result = CliRunner().invoke(app, ["build", "-s", str(site), "-o", str(out), "--json"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert summary["warnings"] == [] and summary["errors"] == [], summary
        outputs[switch] = _files(out)
    on, off = outputs["on"], outputs["off"]
    assert sorted(on) == sorted(off)
    assert [name for name in on if on[name] != off[name]] == []
    highlighted = [name for name, data in on.items() if b'<div class="highlight"><pre><span></span><code>' in data]
    assert len(highlighted) >= 5


# --- Pygments: fastlex and format_html ---------------------------------------------------------------

def _assert_highlighting_is_pygments_own():
    for language in LANGUAGES:
        for code in SAMPLES:
            assert highlight_code(code, language) == public_highlight(code, language), (language, code)
    tokens = list(get_lexer_by_name("python").get_tokens(SAMPLES[0]))
    assert format_html(iter(tokens)) == pygments.format(iter(tokens), HtmlFormatter(cssclass="highlight", wrapcode=True))


@pytest.mark.parametrize("version", ["3.0.0", "2.99.0", "2.22.0", "2.16.1", "2.22.0rc1", "unknown"])
def test_an_untested_pygments_turns_fastlex_and_format_html_off(monkeypatch, fast_lexers, version):
    monkeypatch.setattr(pygments, "__version__", version)
    for name in ("fastlex", "format_html"):
        assert not speedups.safe(name)
        assert f"Pygments {version} is not a tested version" in speedups.problem(name)
        assert speedups.status()[name].startswith("off: ")
    lexer = ssg.speedups.fastlex.accelerate(get_lexer_by_name("python"))
    assert "get_tokens_unprocessed" not in vars(lexer)
    _assert_highlighting_is_pygments_own()


def test_without_re_parser_fastlex_is_off(monkeypatch, fast_lexers):
    monkeypatch.delattr(re, "_parser")
    assert "_parser is missing" in speedups.problem("fastlex")
    assert speedups.safe("format_html")
    assert "get_tokens_unprocessed" not in vars(ssg.speedups.fastlex.accelerate(get_lexer_by_name("python")))
    _assert_highlighting_is_pygments_own()


def test_a_changed_regexlexer_driver_turns_fastlex_off(monkeypatch, fast_lexers):
    """A release whose RegexLexer.get_tokens_unprocessed is not the code
    fastlex copies, whatever its version says."""
    original = RegexLexer.get_tokens_unprocessed

    def get_tokens_unprocessed(self, text, stack=("root",)):
        yield from original(self, text, stack)

    monkeypatch.setattr(RegexLexer, "get_tokens_unprocessed", get_tokens_unprocessed)
    assert "RegexLexer.get_tokens_unprocessed is not the code ssg copies" in speedups.problem("fastlex")
    assert speedups.safe("format_html")
    lexer = ssg.speedups.fastlex.accelerate(get_lexer_by_name("python"))
    assert "get_tokens_unprocessed" not in vars(lexer)
    _assert_highlighting_is_pygments_own()


def test_a_changed_format_lines_turns_format_html_off(monkeypatch, fast_lexers):
    original = HtmlFormatter._format_lines

    def _format_lines(self, tokensource):
        yield from original(self, tokensource)

    monkeypatch.setattr(HtmlFormatter, "_format_lines", _format_lines)
    assert "HtmlFormatter._format_lines is not the code ssg copies" in speedups.problem("format_html")
    assert speedups.safe("fastlex")
    _assert_highlighting_is_pygments_own()


@pytest.mark.parametrize("name", ["_translate_parts", "_get_css_classes", "_format_lines"])
def test_a_private_name_missing_from_htmlformatter_turns_format_html_off(monkeypatch, name):
    monkeypatch.delattr(HtmlFormatter, name)
    assert f"HtmlFormatter.{name} is missing" in speedups.problem("format_html")


def test_the_digests_are_of_the_copied_functions():
    namespace: dict = {}
    exec("def f(x):\n    return x\n", namespace)
    assert speedups.digest(namespace["f"]) is None         # no source to read: the speed-up is off
    assert speedups.digest(RegexLexer.get_tokens_unprocessed) != speedups.digest(RegexLexer.get_tokens)
    assert speedups.digest(RegexLexer.get_tokens_unprocessed) in speedups.COPIED[
        "pygments.lexer", "RegexLexer.get_tokens_unprocessed"]


# --- cmark-gfm ---------------------------------------------------------------------------------------

MARKDOWN = "# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~x~~ www.example.org\n\n- [ ] todo\n\nText[^1].\n\n[^1]: Note.\n"


def _public_html(flags: int) -> str:
    return cmarkgfm.markdown_to_html_with_extensions(MARKDOWN, options=flags, extensions=list(_EXTENSIONS))


def test_cmark_without_its_symbols_renders_with_cmarkgfms_function(monkeypatch):
    """A cmarkgfm whose compiled module lacks the functions ssg/speedups/cmark.py calls
    (here: another library in its place) renders with cmarkgfm's own function."""
    real = cmarkgfm._cmark
    other = ctypes.util.find_library("c") or "libc.so.6"
    monkeypatch.setattr(cmarkgfm, "_cmark", types.SimpleNamespace(__file__=other, ffi=real.ffi, lib=real.lib))
    assert speedups.safe("cmark")
    assert not calls_library(_EXTENSIONS)
    flags = cmark_options({})
    assert to_html(MARKDOWN, flags, _EXTENSIONS) == _public_html(flags)


def test_an_untested_cmark_gfm_turns_cmark_off(monkeypatch):
    real = cmarkgfm._cmark
    lib = types.SimpleNamespace(cmark_version_string=lambda: real.ffi.new("char[]", b"0.30.1.gfm.1"))
    monkeypatch.setattr(cmarkgfm, "_cmark", types.SimpleNamespace(__file__=real.__file__, ffi=real.ffi, lib=lib))
    assert "cmark-gfm 0.30.1.gfm.1" in speedups.problem("cmark")
    assert not calls_library(_EXTENSIONS)
    flags = cmark_options({"smart_punctuation": True})
    assert to_html(MARKDOWN, flags, _EXTENSIONS) == _public_html(flags)


def test_cmark_with_its_symbols_calls_them():
    assert calls_library(_EXTENSIONS)
    flags = cmark_options({})
    assert to_html(MARKDOWN, flags, _EXTENSIONS) == _public_html(flags)


# --- PyYAML ------------------------------------------------------------------------------------------

FRONT_MATTER = 'title: "A post"\ndate: 2020-01-01T07:00:00Z\ntags: [a, b]\ndraft: yes\nweight: 0x1F\n'


@pytest.mark.parametrize("version", ["7.0", "6.1.0", "5.4.1"])
def test_an_untested_pyyaml_turns_simpleyaml_off(monkeypatch, version):
    expected = yaml.load(FRONT_MATTER, Loader=YamlLoader)
    assert load_simple(FRONT_MATTER, YamlLoader) == expected
    monkeypatch.setattr(yaml, "__version__", version)
    speedups.forget()
    assert f"PyYAML {version} is not a tested version" in speedups.problem("simpleyaml")
    assert load_simple(FRONT_MATTER, YamlLoader) is None
    assert split_front_matter(f"---\n{FRONT_MATTER}---\nBody\n", "a.md") == (expected, "Body\n", 8)
