"""Templates compiled by one build are loaded, not compiled again, by the
next (ssg/build/templatecache.py): only a template whose source, or whose
compiler, changed is compiled; the cache never makes a build fail or write
other bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2
import pytest

from ssg.build.templatecache import FOLDER, CompiledTemplates
from ssg.build.templates import SiteEnvironment

CONFIG = 'title = "T"\nbase_url = "https://example.org/"\n'
SITE = {
    "content/posts/a.md": "---\ntitle: A\ndate: 2024-03-05\n---\nAlpha.\n",
    "content/posts/b.md": "---\ntitle: B\ndate: 2024-03-06\n---\nBeta.\n",
    "templates/base.html": "<title>T</title>{% block main %}{% endblock %}",
    "templates/page.html": "{% extends 'base.html' %}{% block main %}<h1>{{ page.title }}</h1>{% endblock %}",
    "templates/list.html": "{% extends 'base.html' %}{% block main %}{% for p in section.pages %}{{ p.title }};"
                           "{% endfor %}{% endblock %}",
}


@pytest.fixture
def compiles(monkeypatch, tmp_path) -> Path:
    """A file each compile of a template notes its name in (render workers are forked: they write it too)."""
    log = tmp_path / "compiled.log"
    log.touch()
    real = SiteEnvironment.compile

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if name is not None:
            with open(log, "a") as out:
                out.write(f"{name}\n")
        return real(self, source, name, filename, raw, defer_init)

    monkeypatch.setattr(SiteEnvironment, "compile", compile)
    return log


def compiled(log: Path) -> list[str]:
    names = sorted(log.read_text().split())
    log.write_text("")
    return names


def build(cli, site: Path) -> None:
    result = cli("build", "-s", str(site), "-q")
    assert result.exit_code == 0, result.output


def test_a_later_build_loads_the_templates_and_compiles_only_an_edited_one(make_site, cli, compiles):
    site = make_site(SITE, config=CONFIG)
    build(cli, site)
    first = set(compiled(compiles))
    assert first >= {"base.html", "page.html", "list.html"}      # and the default theme's others
    assert len(list((site / ".ssg" / FOLDER).iterdir())) == len(first)

    (site / "content/posts/a.md").write_text("---\ntitle: A2\ndate: 2024-03-05\n---\nAlpha.\n")
    build(cli, site)
    assert compiled(compiles) == []
    assert (site / "public/posts/a/index.html").read_text() == "<title>T</title><h1>A2</h1>"

    (site / "templates/page.html").write_text(SITE["templates/page.html"].replace("<h1>", "<h1 class=t>"))
    build(cli, site)
    assert compiled(compiles) == ["page.html"]
    assert (site / "public/posts/a/index.html").read_text() == "<title>T</title><h1 class=t>A2</h1>"
    assert (site / "public/posts/b/index.html").read_text() == "<title>T</title><h1 class=t>B</h1>"


def test_a_damaged_or_unwritable_cache_costs_a_compile_and_nothing_else(make_site, cli, compiles):
    site = make_site(SITE, config=CONFIG)
    build(cli, site)
    compiled(compiles)
    cache = site / ".ssg" / FOLDER
    for entry in cache.iterdir():           # cut short, and garbage
        entry.write_bytes(entry.read_bytes()[:40] if entry.stat().st_size % 2 else b"\x00not code")
    (site / "templates/base.html").write_text(SITE["templates/base.html"].replace("<title>T", "<title>~T"))
    build(cli, site)
    assert set(compiled(compiles)) >= {"base.html", "page.html", "list.html"}
    assert (site / "public/posts/a/index.html").read_text() == "<title>~T</title><h1>A</h1>"
    assert (site / "public/posts/index.html").read_text() == "<title>~T</title>B;A;"     # newest first

    shutil.rmtree(cache)
    cache.write_text("a file where the cache folder would be: nothing can be kept")
    (site / "templates/base.html").write_text(SITE["templates/base.html"])
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0 and "warning" not in result.output.lower(), result.output
    assert set(compiled(compiles)) >= {"base.html", "page.html", "list.html"}
    assert (site / "public/posts/a/index.html").read_text() == "<title>T</title><h1>A</h1>"

def test_what_changes_the_compiled_code_changes_the_entry(tmp_path):
    """The same source under other options, extensions or ssg code is another entry's code, not this one's."""
    def bucket(salt: str = "s", **options):
        env = SiteEnvironment(loader=jinja2.DictLoader({"t.html": "{{ x }}"}), **options)
        return CompiledTemplates(tmp_path, salt).get_bucket(env, "t.html", None, "{{ x }}")

    plain = bucket()
    assert bucket().checksum == plain.checksum
    assert bucket().key == plain.key
    for other in (bucket("t"), bucket(trim_blocks=True), bucket(autoescape=True),
                  bucket(extensions=["jinja2.ext.loopcontrols"]), bucket(variable_start_string="[[")):
        assert other.key == plain.key and other.checksum != plain.checksum
