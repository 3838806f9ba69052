"""What docs/security.md promises content authors cannot do, tried for real.

A secret file lies beside the site (outside its folder); every attempt to
make a build read or publish it must fail with a clear error naming the file
and line, and its text must appear in no output. Content bodies are never run
as templates; YAML never runs code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SECRET = "TOP-SECRET-0451"
GOOD = {"content/good.md": "---\ntitle: Good\n---\nfine\n"}


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "outside" / "secret.html"
    path.parent.mkdir()
    path.write_text(f"{SECRET}\n")
    return path


def published(site: Path) -> list[str]:
    """Output files that hold the secret."""
    return [str(p) for p in (site / "public").rglob("*") if p.is_file() and SECRET in p.read_text(errors="replace")]


def build(cli, site):
    result = cli("build", "-s", str(site))
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


# --- templates cannot be made to read files outside the site ----------------------------------------

@pytest.mark.parametrize("name", [
    "../../outside/secret.html",
    "../../../../../../../../etc/passwd",
    "theme/../../../outside/secret.html",
    "templates/../../outside/secret.html",
])
def test_include_with_dotdot_reads_nothing_outside(make_site, cli, secret, name):
    site = make_site({**GOOD, "templates/page.html": f"ok\n{{% include '{name}' %}}\n"})
    result = build(cli, site)
    assert result.exit_code == 1
    assert f"error: {site / 'templates/page.html'}:2: template '{name}' not found" in result.stderr
    assert "check the name in extends/include/import" in result.stderr
    assert published(site) == []


def test_include_with_an_absolute_path_reads_nothing_outside(make_site, cli, secret):
    site = make_site({**GOOD, "templates/page.html": f"ok\n{{% include '{secret}' %}}\n"})
    result = build(cli, site)
    assert result.exit_code == 1
    assert f"error: {site / 'templates/page.html'}:2: template '{secret}' not found" in result.stderr
    assert published(site) == []


@pytest.mark.parametrize("template", ["../../outside/secret.html", "/etc/passwd", "{secret}"])
def test_front_matter_cannot_choose_a_template_outside_the_site(make_site, cli, secret, template):
    template = template.format(secret=secret)
    site = make_site({**GOOD, "content/evil.md": f"---\ntitle: Evil\ntemplate: {template}\n---\nx\n"})
    result = build(cli, site)
    assert result.exit_code == 1
    assert f"no template for evil/index.html (content/evil.md): looked for {template}" in result.stderr
    assert published(site) == []
    assert (site / "public/good/index.html").is_file()


def test_markdown_link_to_a_file_outside_content_reads_nothing(make_site, cli, secret):
    site = make_site({**GOOD, "content/evil.md": "---\ntitle: Evil\n---\n[s](../../outside/secret.md) "
                                                 f"[t]({secret})\n"})
    result = build(cli, site)
    assert result.exit_code == 0, result.output
    assert "warning: content/evil.md:4: link to '../../outside/secret.md' matches no page" in result.stderr
    assert published(site) == []


# --- content is data, never code ---------------------------------------------------------------------

def test_template_syntax_in_content_is_published_literally(make_site, cli):
    site = make_site({"content/post.md": "---\ntitle: \"{{ 7*7 }}\"\nsummary: \"{% include 'base.html' %}\"\n---\n"
                                         "Body {{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %} "
                                         "{{ config.title }}\n",
                      "templates/page.html": "{{ page.title }}|{{ page.summary }}|{{ page.content }}"})
    result = build(cli, site)
    assert result.exit_code == 0, result.output
    assert (site / "public/post/index.html").read_text() == (
        "{{ 7*7 }}|{% include &#39;base.html&#39; %}|"
        "<p>Body {{ 7*7 }} {% for x in range(3) %}{{ x }}{% endfor %} {{ config.title }}</p>\n")


@pytest.mark.parametrize("where, text, line", [
    ("content/evil.md", "---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n---\nx\n", 2),
    ("content/evil.md", "---\ntitle: !!python/object/new:os.system ['touch {marker}']\n---\nx\n", 2),
    ("data/evil.yaml", "x: !!python/object/apply:os.system ['touch {marker}']\n", 1),
])
def test_yaml_never_runs_code(make_site, cli, tmp_path, where, text, line):
    marker = tmp_path / "pwned"
    site = make_site({**GOOD, where: text.format(marker=marker)})
    result = build(cli, site)
    assert result.exit_code == 1
    assert f"error: {where}:{line}: invalid YAML" in result.stderr
    assert "the tag '!!python/object/" in result.stderr and "' is not allowed" in result.stderr
    assert not marker.exists()


def test_raw_html_can_be_switched_off_for_untrusted_authors(make_site, cli):
    body = "---\ntitle: A\n---\nHi <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n<iframe src=//x></iframe>\n"
    trusting = make_site({"content/a.md": body, "templates/page.html": "{{ page.content }}"})
    assert build(cli, trusting).exit_code == 0
    assert "<script>alert(1)</script>" in (trusting / "public/a/index.html").read_text()
    strict = make_site({"content/a.md": body, "templates/page.html": "{{ page.content }}"},
                       config='title = "T"\nbase_url = "https://example.org/"\n[markdown]\nunsafe_html = false\n')
    assert build(cli, strict).exit_code == 0
    html = (strict / "public/a/index.html").read_text()
    assert "<script" not in html and "<img" not in html and "<iframe" not in html
    assert "Hi" in html


# --- content cannot write outside the output folder (more cases: test_urls.py, test_containment.py) ---

@pytest.mark.parametrize("field", [
    "url: /../../outside/x.html", "slug: ../../../outside", "aliases: [/../../outside/]", f"url: {'/..' * 20}/tmp/x/",
])
def test_front_matter_cannot_write_outside_the_output_folder(make_site, cli, tmp_path, field):
    site = make_site({**GOOD, "content/evil.md": f"---\ntitle: Evil\n{field}\n---\nx\n"})
    before = sorted(p for p in tmp_path.rglob("*") if site / "public" not in p.parents)
    result = build(cli, site)
    assert result.exit_code == 1
    assert "error: content/evil.md:3: " in result.stderr
    after = sorted(p for p in tmp_path.rglob("*") if site / "public" not in p.parents and site / ".ssg" not in p.parents)
    assert [p for p in after if p not in before and p != site / "public" and p != site / ".ssg"] == []
