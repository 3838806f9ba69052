"""One test (at least) per hook in ssg/plugins/hookspecs.py, each through a throwaway
site plugin (``plugins/probe.py`` in a site folder) and the built output.

The meta-tests at the end keep the contract, docs/plugins.md and this file in
step: a new hook without a documented section or a test here fails."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from messages import says
from warm_helpers import KICKER, Serving, assert_like_a_clean_build, post
from warm_helpers import SITE as WARM_SITE

REPO = Path(__file__).resolve().parents[2]

POSTS = {
    "content/posts/alpha.md": """
        ---
        title: Alpha
        date: 2024-03-01
        tags: [python]
        ---
        one two three four five six
        """,
    "content/posts/beta.md": """
        ---
        title: Beta
        date: 2024-03-02
        ---
        one two
        """,
    "content/posts/draft.md": """
        ---
        title: Draft
        date: 2024-03-03
        draft: true
        ---
        never built
        """,
    "content/about.md": "---\ntitle: About\n---\nAbout us.\n",
}


def read(site: Path, rel: str) -> str:
    return (site / "public" / rel).read_text(encoding="utf-8")


def build_ok(cli, site: Path, *args: str):
    result = cli("build", "-s", str(site), *args)
    assert result.exit_code == 0, result.output
    return result


# --- ssg_config_schema --------------------------------------------------------

GREETING_PLUGIN = """
    from ssg.api import Option, Table, hookimpl

    @hookimpl
    def ssg_config_schema(register):
        register("greeting", Table({"text": Option(str, "hello", "what to say")}))

    @hookimpl
    def ssg_template_context(output, context, site):
        context["greeting"] = site.config.table("greeting")["text"]
    """


def test_ssg_config_schema_table_is_validated_and_read_back(make_site, cli):
    site = make_site({**POSTS, "plugins/greet.py": GREETING_PLUGIN,
                      "templates/page.html": "{{ page.title }}: {{ greeting }}\n"},
                     config='title = "T"\nbase_url = "https://example.org/"\n[greeting]\ntext = "bonjour"\n')
    build_ok(cli, site)
    assert read(site, "posts/alpha/index.html") == "Alpha: bonjour\n"


def test_ssg_config_schema_defaults_apply_when_the_table_is_absent(make_site, cli):
    site = make_site({**POSTS, "plugins/greet.py": GREETING_PLUGIN,
                      "templates/page.html": "{{ page.title }}: {{ greeting }}\n"})
    build_ok(cli, site)
    assert read(site, "about/index.html") == "About: hello\n"


def test_ssg_config_schema_wrong_type_is_a_config_error_with_line(make_site, cli):
    site = make_site({**POSTS, "plugins/greet.py": GREETING_PLUGIN},
                     config='title = "T"\nbase_url = "https://example.org/"\n\n[greeting]\ntext = 3\n')
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert "ssg.toml:5" in result.output and "'greeting.text' must be a string" in result.output


# --- ssg_page_parsed ----------------------------------------------------------

def test_ssg_page_parsed_mutates_pages_before_rendering(make_site, cli):
    plugin = """
        from ssg.api import hookimpl

        @hookimpl
        def ssg_page_parsed(page, site):
            page.params["words"] = len(page.body.split())
            site.state.setdefault("probe", []).append(page.source)
        """
    site = make_site({**POSTS, "plugins/probe.py": plugin,
                      "templates/page.html": "{{ page.title }} {{ page.params.words }}\n",
                      "templates/index.html": "{{ site.state.probe|sort|join(',') }}\n"})
    build_ok(cli, site)
    assert read(site, "posts/alpha/index.html") == "Alpha 6\n"
    assert read(site, "posts/beta/index.html") == "Beta 2\n"
    # every built page passes through the hook; the draft is never handed over
    assert read(site, "index.html") == "content/about.md,content/posts/alpha.md,content/posts/beta.md\n"


def test_ssg_page_parsed_sees_drafts_only_when_they_are_built(make_site, cli):
    plugin = """
        def ssg_page_parsed(page, site):
            site.state.setdefault("probe", []).append(page.title)
        """
    site = make_site({**POSTS, "plugins/probe.py": plugin,
                      "templates/index.html": "{{ site.state.probe|sort|join(',') }}\n"})
    build_ok(cli, site, "--drafts")
    assert read(site, "index.html") == "About,Alpha,Beta,Draft\n"


# --- ssg_site_loaded ----------------------------------------------------------

def test_ssg_site_loaded_sees_the_whole_site(make_site, cli):
    plugin = """
        from ssg.api import hookimpl

        @hookimpl
        def ssg_site_loaded(site):
            site.state["probe"] = {
                "pages": [p.title for p in site.pages],
                "sections": sorted(site.sections),
                "data": site.data["team"]["lead"],
            }
            # derived values attached here reach every template
            for page in site.pages:
                page.params["position"] = site.pages.index(page) + 1
        """
    site = make_site({**POSTS, "plugins/probe.py": plugin, "data/team.yaml": "lead: Ada\n",
                      "templates/index.html": "{{ site.state.probe|tojson }}\n",
                      "templates/page.html": "{{ page.params.position }}\n"})
    build_ok(cli, site)
    assert json.loads(read(site, "index.html")) == {"pages": ["Beta", "Alpha", "About"],
                                                    "sections": ["posts"], "data": "Ada"}
    assert read(site, "posts/beta/index.html") == "1\n"


# --- ssg_jinja_environment ----------------------------------------------------

def test_ssg_jinja_environment_adds_filters_and_globals(make_site, cli):
    plugin = """
        from ssg.api import hookimpl

        @hookimpl
        def ssg_jinja_environment(env, site):
            env.filters["shout"] = lambda text: str(text).upper() + "!"
            env.globals["site_title_length"] = len(site.config.title)
            # the core helpers are installed before this hook runs
            assert "abs_url" in env.filters and "url_for" in env.globals
        """
    site = make_site({**POSTS, "plugins/probe.py": plugin,
                      "templates/page.html": "{{ page.title|shout }} {{ site_title_length }}\n"})
    build_ok(cli, site)
    assert read(site, "posts/alpha/index.html") == "ALPHA! 9\n"


# --- ssg_generate_outputs -----------------------------------------------------

def test_ssg_generate_outputs_adds_data_and_templated_files(make_site, cli):
    plugin = """
        from ssg.api import Output, hookimpl

        @hookimpl
        def ssg_generate_outputs(site):
            titles = ",".join(p.title for p in site.pages)
            return [
                Output(path="humans.txt", data=f"pages: {titles}\\n".encode()),
                Output(path="colophon/index.html", url="/colophon/", templates=("colophon.html",),
                       title="Colophon", context={"made_with": "ssg"}),
            ]
        """
    site = make_site({**POSTS, "plugins/probe.py": plugin,
                      "templates/colophon.html": "{{ title }} made with {{ made_with }}\n"})
    build_ok(cli, site)
    assert read(site, "humans.txt") == "pages: Beta,Alpha,About\n"
    assert read(site, "colophon/index.html") == "Colophon made with ssg\n"
    assert "<loc>https://example.org/colophon/</loc>" in read(site, "sitemap.xml")


def test_ssg_generate_outputs_path_clash_names_the_plugin(make_site, cli):
    plugin = """
        from ssg.api import Output, hookimpl

        @hookimpl
        def ssg_generate_outputs(site):
            return [Output(path="about/index.html", data=b"mine")]
        """
    site = make_site({**POSTS, "plugins/clash.py": plugin})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "plugin 'clash' (output for" in result.output and "content/about.md" in result.output
    assert "about/index.html" in result.output
    assert read(site, "about/index.html") != "mine"   # the page itself was kept


def test_ssg_generate_outputs_must_return_outputs(make_site, cli):
    plugin = """
        def ssg_generate_outputs(site):
            return [{"path": "x.txt"}]
        """
    site = make_site({**POSTS, "plugins/sloppy.py": plugin})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "plugin 'sloppy'" in result.output and "dict" in result.output
    assert "ssg_generate_outputs" in result.output and "plugins/sloppy.py:1" in result.output


# --- ssg_plan_outputs ---------------------------------------------------------

def test_ssg_plan_outputs_drops_and_rewrites_before_rendering(make_site, cli):
    plugin = """
        from ssg.api import hookimpl

        @hookimpl
        def ssg_plan_outputs(site, outputs):
            outputs[:] = [o for o in outputs if o.path != "about/index.html"]
            for output in outputs:
                if output.path == "posts/beta/index.html":
                    output.path = "b/index.html"
                    output.url = "/b/"
        """
    site = make_site({**POSTS, "plugins/probe.py": plugin})
    build_ok(cli, site)
    assert not (site / "public/about/index.html").exists()
    assert not (site / "public/posts/beta/index.html").exists()
    assert "Beta" in read(site, "b/index.html")
    sitemap = read(site, "sitemap.xml")   # the sitemap plugin plans last and sees the result
    assert "https://example.org/b/" in sitemap and "/about/" not in sitemap


# --- ssg_template_context -----------------------------------------------------

def test_ssg_template_context_adds_variables_per_output(make_site, cli):
    plugin = """
        from ssg.api import hookimpl

        @hookimpl
        def ssg_template_context(output, context, site):
            context["where"] = output.path
            context["kinds"] = ",".join(k for k in ("page", "pages", "paginator") if context.get(k) is not None)
        """
    site = make_site({**POSTS, "plugins/probe.py": plugin,
                      "templates/page.html": "{{ where }} [{{ kinds }}]\n",
                      "templates/list.html": "{{ where }} [{{ kinds }}] {{ pages|length }}\n"})
    build_ok(cli, site)
    assert read(site, "posts/alpha/index.html") == "posts/alpha/index.html [page]\n"
    assert read(site, "posts/index.html") == "posts/index.html [pages,paginator] 2\n"


# --- ssg_build_finished -------------------------------------------------------

REPORT_PLUGIN = """
    from ssg.api import hookimpl

    @hookimpl
    def ssg_build_finished(site, result):
        (site.root / "report.txt").write_text(
            f"rendered={result.rendered} written={len(result.written)} errors={len(result.errors)} ok={result.ok}\\n")
    """


def test_ssg_build_finished_reports_the_result(make_site, cli):
    site = make_site({**POSTS, "plugins/report.py": REPORT_PLUGIN})
    build_ok(cli, site)
    first = (site / "report.txt").read_text()
    build_ok(cli, site)
    second = (site / "report.txt").read_text()
    assert re.fullmatch(r"rendered=[1-9]\d* written=[1-9]\d* errors=0 ok=True\n", first), first
    assert second == "rendered=0 written=0 errors=0 ok=True\n"    # nothing changed: nothing rendered


def test_ssg_build_finished_runs_when_pages_failed(make_site, cli):
    site = make_site({**POSTS, "plugins/report.py": REPORT_PLUGIN,
                      "content/posts/broken.md": "---\ntitle: Broken\ntemplate: missing.html\n---\nx\n",
                      "templates/page.html": "{% if page.template %}{% include page.template %}{% endif %}ok\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert (site / "report.txt").read_text().endswith("errors=1 ok=False\n")


# --- ssg_page_fields_read -----------------------------------------------------

LONGEST = """
from ssg.api import hookimpl

{declaration}

@hookimpl
def ssg_site_loaded(site):
    site.state["longest"] = max(len(page.{field}) for page in site.pages)

@hookimpl
def ssg_template_context(output, context, site):
    context["longest"] = site.state["longest"]
"""
FIELDS_HOOK = "@hookimpl\ndef ssg_page_fields_read(config):\n    return {fields}\n"


@pytest.mark.parametrize("fields, field, replanned", [
    pytest.param('("body",)', "body", True, id="declares the body its site hooks read: the site is planned again"),
    pytest.param("()", "title", False, id="declares none: a body edit renders the page alone"),
    pytest.param("None", "title", True, id="returns None: may read every field"),
    pytest.param('["toc"] if config.table("probe") else ["body"]', "body", True, id="from the config"),
])
def test_ssg_page_fields_read_decides_whether_ssg_serve_plans_the_site_again(make_site, tmp_path, fields,
                                                                            field, replanned):
    plugin = LONGEST.format(declaration=FIELDS_HOOK.format(fields=fields), field=field)
    root = make_site({**WARM_SITE, "plugins/probe.py": plugin, "templates/page.html": KICKER})
    serving = Serving(root)
    result = serving.edit("content/posts/a.md", post("Alpha", "A much longer body than any other post has.", day=1))
    assert result.ok and result.warm and ("plan" in result.timings) is replanned
    if field == "body":
        assert "longest: 44" in (root / "public/posts/b/index.html").read_text(), "every page shows the new figure"
    else:
        assert result.written == ["posts/a/index.html"]
    assert_like_a_clean_build(root, tmp_path)


@pytest.mark.parametrize("fields, says_what", [
    pytest.param('("bdy",)', "plugin 'probe' returned 'bdy' from ssg_page_fields_read, which is not a page "
                             "field (did you mean 'body'?)", id="a misspelt field"),
    pytest.param('"body"', "plugin 'probe' returned a str from ssg_page_fields_read", id="a string"),
])
def test_ssg_page_fields_read_refuses_what_is_not_a_collection_of_fields(make_site, cli, fields, says_what):
    plugin = LONGEST.format(declaration=FIELDS_HOOK.format(fields=fields), field="body")
    site = make_site({**POSTS, "plugins/probe.py": plugin})
    build_ok(cli, site)
    before = read(site, "posts/alpha/index.html")
    path = site / "content/posts/alpha.md"
    path.write_text(path.read_text().replace("one two three", "one two three, edited"))
    result = cli("build", "-s", str(site))     # a text edit: the narrow build asks which fields plugins read
    assert result.exit_code == 1, result.output
    line = (site / "plugins/probe.py").read_text().splitlines().index("def ssg_page_fields_read(config):") + 1
    assert says(result.output, f"plugins/probe.py:{line}: {says_what}"), result.output
    assert read(site, "posts/alpha/index.html") == before, "nothing written"


# --- ssg_deploy_targets -------------------------------------------------------

MIRROR_PLUGIN = """
    from ssg.api import Option, Table, hookimpl
    from ssg_plugins.deploy_file import FileTarget

    class MirrorTarget(FileTarget):
        options = Table({"label": Option(str, "", "a note")})

        def connect(self):
            self.url = self.url._replace(scheme="file")
            super().connect()

    @hookimpl
    def ssg_deploy_targets(register):
        register("mirror", MirrorTarget)
    """


def test_ssg_deploy_targets_adds_a_scheme_with_its_own_options(make_site, cli, tmp_path):
    remote = tmp_path / "mirror"
    site = make_site({"plugins/mirror.py": MIRROR_PLUGIN, "public/index.html": "hello\n"},
                     config=f'title = "T"\n[deploy.m]\nurl = "mirror://{remote}"\nlabel = "ok"\n')
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (remote / "index.html").read_text() == "hello\n"


def test_ssg_deploy_targets_rejects_a_scheme_registered_twice(make_site, cli, tmp_path):
    plugin = """
        from ssg.api import hookimpl
        from ssg_plugins.deploy_file import FileTarget

        def ssg_deploy_targets(register):
            register("sftp", FileTarget)
        """
    site = make_site({"plugins/dup.py": plugin, "public/index.html": "hello\n"},
                     config=f'title = "T"\n[deploy.m]\nurl = "{tmp_path.as_uri()}"\n')
    result = cli("deploy", "-s", str(site))
    assert result.exit_code == 1
    assert "deploy scheme 'sftp' is registered twice: by plugin 'deploy_sftp' and by plugin 'dup'" in result.output


# --- meta-tests ---------------------------------------------------------------

def _hooks_in_contract() -> list[str]:
    tree = ast.parse((REPO / "ssg/plugins/hookspecs.py").read_text(encoding="utf-8"))
    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("ssg_")
            and any(getattr(d, "id", None) == "hookspec" for d in node.decorator_list)]


def test_the_contract_has_hooks_each_with_a_docstring():
    hooks = _hooks_in_contract()
    assert len(hooks) >= 8, hooks
    import ssg.plugins.hookspecs
    from ssg.plugins.manager import hook_names

    assert hook_names() == hooks   # the manager knows the same hooks, in definition order
    for name in hooks:
        doc = getattr(ssg.plugins.hookspecs, name).__doc__ or ""
        assert len(doc.split()) >= 15, f"{name} needs a docstring saying when it runs and how results combine"


def test_every_hook_is_documented_in_docs_plugins_md():
    text = (REPO / "docs/plugins.md").read_text(encoding="utf-8")
    headings = set(re.findall(r"^### (ssg_\w+)\s*$", text, re.MULTILINE))
    missing = [name for name in _hooks_in_contract() if name not in headings]
    assert not missing, f"add a '### <hook>' section to docs/plugins.md for: {missing}"
    unknown = headings - set(_hooks_in_contract())
    assert not unknown, f"docs/plugins.md documents hooks that do not exist: {sorted(unknown)}"


def test_every_hook_has_a_test_in_this_file():
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    tests = [node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]
    missing = [name for name in _hooks_in_contract() if not any(name in test for test in tests)]
    assert not missing, f"add a test named test_<hook>_... to tests/plugins/test_hooks.py for: {missing}"


def test_ssg_calls_every_hook_as_an_attribute_of_pluggys_hook_relay():
    """Hooks are called as ``plugins.hook.ssg_<name>(...)``, never by a name in
    a string: a misspelt hook name in ssg's code fails here, and so does a
    hook of the contract that ssg never calls."""
    called: set[str] = set()
    for path in sorted((REPO / "ssg").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        by_name = re.findall(r"""(?:\.call|getattr|subset_hook_caller|impls|implementers)\([^()]*?["']ssg_\w+""", text)
        assert not by_name, f"{path}: a hook called by its name: {by_name}"
        called |= set(re.findall(r"\.hook\.(ssg_\w+)", text))
    assert sorted(called - set(_hooks_in_contract())) == [], "not hooks of the contract"
    assert sorted(set(_hooks_in_contract()) - called) == [], "hooks ssg never calls"


# --- Output.make ------------------------------------------------------------------

ARCHIVE = """
import functools
from ssg.api import Output, hookimpl, page_fields


def _archive(pages):
    rows = [f"{title} {url}" for title, url in (page_fields(page, "title", "url") for page in pages)]
    if any("Boom" in row for row in rows):
        raise ValueError("a title it cannot take")
    return ("\\n".join(rows) + "\\n").encode()


@hookimpl
def ssg_page_fields_read(config):
    return ()


@hookimpl
def ssg_generate_outputs(site):
    return [Output(path="archive.txt", make=functools.partial(_archive, site.pages), basis=site.pages)]
"""


def test_a_made_output_is_made_again_when_a_field_it_read_changes(make_site, cli):
    from ssg.build.entry import build

    site = make_site({**POSTS, "plugins/archive.py": ARCHIVE})
    build_ok(cli, site)
    assert read(site, "archive.txt") == "Beta /posts/beta/\nAlpha /posts/alpha/\nAbout /about/\n"
    alpha = site / "content/posts/alpha.md"
    alpha.write_text(alpha.read_text().replace("title: Alpha", "title: Alpha Two"))
    result = build(site)
    assert result.ok and {"archive.txt", "posts/alpha/index.html"} <= set(result.written)
    assert "title" in result.reasons["archive.txt"], result.reasons["archive.txt"]
    assert read(site, "archive.txt") == "Beta /posts/beta/\nAlpha Two /posts/alpha/\nAbout /about/\n"
    beta = site / "content/posts/beta.md"
    beta.write_text(beta.read_text().replace("one two", "one two three"))    # a field it did not read
    result = build(site)
    assert result.ok and "posts/beta/index.html" in result.written
    assert "archive.txt" not in result.reasons, "it read no field the edit changed: it is not made again"


def test_a_made_output_that_fails_names_the_plugin_line_and_keeps_the_old_file(make_site, cli):
    site = make_site({**POSTS, "plugins/archive.py": ARCHIVE})
    build_ok(cli, site)
    before = read(site, "archive.txt")
    alpha = site / "content/posts/alpha.md"
    alpha.write_text(alpha.read_text().replace("title: Alpha", "title: Boom"))
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1, result.output
    line = ARCHIVE.splitlines().index('        raise ValueError("a title it cannot take")')
    assert says(result.output, "plugin 'archive' failed making archive.txt"), result.output
    assert f"plugins/archive.py:{line}" in result.output, result.output
    assert read(site, "archive.txt") == before
    assert "Boom" in read(site, "posts/alpha/index.html")
