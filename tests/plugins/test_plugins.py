"""The plugin system as a user meets it: where plugins come from and in which
order they run, what a broken plugin looks like, disabling, `ssg plugins`,
and config tables registered by plugins."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from ssg.plugins.manager import DEFAULT_PLUGINS, builtin_name

BUILTINS = [builtin_name(m) for m in DEFAULT_PLUGINS]

POSTS = {
    "content/posts/a.md": "---\ntitle: A\ndate: 2024-01-01\ntags: [x, y]\n---\nBody A.\n",
    "content/posts/b.md": "---\ntitle: B\ndate: 2024-01-02\n---\nBody B.\n",
}


@pytest.fixture
def fake_dist(tmp_path: Path, monkeypatch):
    """fake_dist(dist, entry_points={name: module}, modules={module: code}):
    an installed distribution declaring ``ssg.plugins`` entry points, found by
    importlib.metadata through sys.path, as a pip-installed plugin would be."""
    imported: list[str] = []

    def install(dist: str, entry_points: dict[str, str], modules: dict[str, str]) -> Path:
        root = tmp_path / f"dist-{dist}"
        info = root / f"{dist}-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n", encoding="utf-8")
        lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
        (info / "entry_points.txt").write_text(f"[ssg.plugins]\n{lines}", encoding="utf-8")
        for module, code in modules.items():
            (root / f"{module}.py").write_text(textwrap.dedent(code).lstrip(), encoding="utf-8")
            imported.append(module)
        monkeypatch.syspath_prepend(str(root))
        return root

    yield install
    for module in imported:
        sys.modules.pop(module, None)


def plugin_names(output: str) -> list[str]:
    return [line.split()[0] for line in output.splitlines() if line and not line.startswith((" ", "disabled:"))]


# --- load order ----------------------------------------------------------------

TRAIL = """
    from ssg.api import hookimpl

    @hookimpl
    def ssg_page_parsed(page, site):
        page.params.setdefault("trail", []).append("{name}")
        # what the built-in taxonomies plugin did to this page before us
        page.params["{name}_saw_tags"] = ",".join(page.taxonomies.get("tags", ()))
    """


def test_load_order_is_builtins_then_entry_points_then_site_plugins(make_site, cli, fake_dist):
    fake_dist("ssg-extra", {"extra": "ssg_extra_probe"}, {"ssg_extra_probe": TRAIL.replace("{name}", "extra")})
    site = make_site({**POSTS, "plugins/local.py": TRAIL.replace("{name}", "local"),
                      "templates/page.html": "{{ page.params.trail|join('-') }} "
                                             "{{ page.params.extra_saw_tags }} {{ page.params.local_saw_tags }}\n"})
    listing = cli("plugins", "-s", str(site))
    assert listing.exit_code == 0, listing.output
    assert plugin_names(listing.output) == BUILTINS + ["extra", "local"]

    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    # both ran after the built-in taxonomies plugin filled page.taxonomies, the site plugin last
    assert (site / "public/posts/a/index.html").read_text() == "extra-local x,y x,y\n"


def test_tryfirst_runs_a_site_plugin_before_the_builtins(make_site, cli):
    plugin = """
        from ssg.api import hookimpl

        @hookimpl(tryfirst=True)
        def ssg_page_parsed(page, site):
            page.params["saw"] = ",".join(page.taxonomies.get("tags", ())) or "nothing yet"
        """
    site = make_site({**POSTS, "plugins/early.py": plugin, "templates/page.html": "{{ page.params.saw }}\n"})
    assert cli("build", "-s", str(site)).exit_code == 0
    assert (site / "public/posts/a/index.html").read_text() == "nothing yet\n"


def test_tryfirst_and_trylast_keep_load_order_among_themselves(make_site, cli):
    """pluggy calls the implementation registered last first; ssg's order is
    load order, with tryfirst ones first (in load order) and trylast ones
    last (in reverse load order: the first loaded has the last word), as
    before hooks went through pluggy's hook caller."""
    def trail(name: str, option: str = "") -> str:
        return TRAIL.replace("{name}", name).replace("@hookimpl", f"@hookimpl{option}")

    site = make_site({**POSTS, "plugins/a.py": trail("a", "(tryfirst=True)"), "plugins/b.py": trail("b", "(tryfirst=True)"),
                      "plugins/c.py": trail("c", "(trylast=True)"), "plugins/d.py": trail("d", "(trylast=True)"),
                      "plugins/e.py": trail("e"), "plugins/f.py": trail("f"),
                      "templates/page.html": "{{ page.params.trail|join('-') }} {{ page.params.a_saw_tags }}|"
                                             "{{ page.params.e_saw_tags }}\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    # a and b ran before the built-in taxonomies plugin, e, f, d and c after it
    assert (site / "public/posts/a/index.html").read_text() == "a-b-e-f-d-c |x,y\n"


def test_site_plugins_load_in_file_name_order_and_skip_underscore_files(make_site, cli):
    site = make_site({**POSTS, "plugins/b_second.py": TRAIL.replace("{name}", "b"),
                      "plugins/a_first.py": TRAIL.replace("{name}", "a"),
                      "plugins/_helpers.py": "raise RuntimeError('a helper module is not a plugin')\n",
                      "templates/page.html": "{{ page.params.trail|join('-') }}\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/posts/b/index.html").read_text() == "a-b\n"


# --- hook names and signatures ---------------------------------------------------

def test_misspelt_hook_fails_naming_the_plugin_and_the_right_hook(make_site, cli):
    plugin = """
        from ssg.api import hookimpl

        @hookimpl
        def ssg_page_parsd(page, site):
            pass
        """
    site = make_site({**POSTS, "plugins/typo.py": plugin})
    result = cli("build", "-s", str(site))
    assert result.exit_code in (1, 2)
    assert "plugin 'typo'" in result.output
    assert "'ssg_page_parsd'" in result.output and "did you mean 'ssg_page_parsed'?" in result.output
    assert "plugins/typo.py:4" in result.output
    assert "Traceback" not in result.output
    assert not (site / "public").exists()


def test_misspelt_hook_without_hookimpl_decorator_also_fails(make_site, cli):
    site = make_site({**POSTS, "plugins/typo.py": "def ssg_site_loadded(site):\n    pass\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code in (1, 2)
    assert "did you mean 'ssg_site_loaded'?" in result.output


def test_hook_without_decorator_still_runs(make_site, cli):
    # forgetting @hookimpl must not silently switch a hook off
    plugin = "def ssg_page_parsed(page, site):\n    page.title = page.title.upper()\n"
    site = make_site({"content/hello.md": "---\ntitle: hello there\n---\n", "plugins/plain.py": plugin,
                      "templates/page.html": "{{ page.title }}\n"})
    assert cli("build", "-s", str(site)).exit_code == 0
    assert (site / "public/hello/index.html").read_text() == "HELLO THERE\n"


def test_hook_may_take_a_subset_of_the_arguments(make_site, cli):
    plugin = """
        from ssg.api import hookimpl

        @hookimpl
        def ssg_page_parsed(page):
            page.params["only"] = "page"

        @hookimpl
        def ssg_template_context(context):
            context["extra"] = "yes"
        """
    site = make_site({**POSTS, "plugins/few.py": plugin,
                      "templates/page.html": "{{ page.params.only }} {{ extra }}\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/posts/a/index.html").read_text() == "page yes\n"


def test_hook_with_an_unknown_argument_fails_naming_plugin_and_hook(make_site, cli):
    plugin = """
        from ssg.api import hookimpl

        @hookimpl
        def ssg_page_parsed(page, sitee):
            pass
        """
    site = make_site({**POSTS, "plugins/argy.py": plugin})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert ("error: plugins/argy.py:4: plugin 'argy' (plugins/argy.py): ssg_page_parsed asks for 'sitee', "
            "which the hook does not pass (ssg_page_parsed passes page, site;") in result.output


WRAPPER = """
    from ssg.api import hookimpl

    @hookimpl(wrapper=True)
    def ssg_page_parsed(page, site):
        before = ",".join(page.taxonomies.get("tags", ())) or "nothing yet"
        results = yield
        page.params["around"] = f"before: {before}; after: {','.join(page.taxonomies.get('tags', ()))}"
        return results
    """


def test_a_site_plugins_hook_wrapper_runs_around_the_builtins(make_site, cli):
    site = make_site({**POSTS, "plugins/wrap.py": WRAPPER, "templates/page.html": "{{ page.params.around }}\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    # before its yield the taxonomies plugin had not run yet; after it, it had
    assert (site / "public/posts/a/index.html").read_text() == "before: nothing yet; after: x,y\n"


def test_an_old_style_hook_wrapper_runs_around_the_builtins_too(make_site, cli):
    plugin = """
        from ssg.api import hookimpl

        @hookimpl(hookwrapper=True)
        def ssg_site_loaded(site):
            before = sorted(site.taxonomies)
            outcome = yield
            outcome.get_result()
            site.state["around"] = f"{'+'.join(before) or 'none'} then {'+'.join(sorted(site.taxonomies))}"

        def ssg_template_context(context, site):
            context["around"] = site.state["around"]
        """
    site = make_site({**POSTS, "plugins/wrap.py": plugin, "templates/page.html": "{{ around }}\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/posts/a/index.html").read_text() == "none then tags\n"


def test_a_wrapper_of_ssg_generate_outputs_runs_around_each_plugins_call(make_site, cli):
    """ssg_generate_outputs is called one plugin at a time (ssg/build/culprit.py),
    so a wrapper of it sees one plugin's outputs at a time."""
    plugin = """
        from ssg.api import hookimpl

        @hookimpl(wrapper=True)
        def ssg_generate_outputs(site):
            made = yield
            site.state.setdefault("calls", []).append(sorted({o.origin for outputs in made for o in outputs}))
            return made

        def ssg_template_context(context, site):
            context["calls"] = site.state["calls"]
        """
    site = make_site({**POSTS, "plugins/wrap.py": plugin,
                      "templates/page.html": "{% for c in calls %}{{ c|join('+') }} {% endfor %}\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    calls = (site / "public/posts/a/index.html").read_text().split()
    assert calls[:2] == ["taxonomies", "feeds"] and "notfound" in calls and "robots" in calls, calls


@pytest.mark.parametrize("body, says", [
    pytest.param("    results = yield\n    raise ValueError('after')\n", "ValueError: after", id="raises after"),
    pytest.param("    raise ValueError('before')\n    yield\n", "ValueError: before", id="raises before"),
    pytest.param("    if False:\n        yield\n", "never yields", id="never yields"),
    pytest.param("    yield\n    yield\n", "yields twice", id="yields twice"),
])
def test_a_failing_hook_wrapper_is_attributed_to_its_plugin(make_site, cli, body, says):
    plugin = "from ssg.api import hookimpl\n\n@hookimpl(wrapper=True)\ndef ssg_page_parsed(page, site):\n" + body
    site = make_site({**POSTS, "plugins/wrap.py": plugin})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1, result.output
    assert "plugins/wrap.py:" in result.output and "plugin 'wrap'" in result.output, result.output
    assert "ssg_page_parsed" in result.output and says in result.output, result.output


def test_a_plugin_failing_inside_a_hook_wrapper_is_still_named_itself(make_site, cli):
    failing = "def ssg_page_parsed(page):\n    raise KeyError('inner')\n"
    site = make_site({**POSTS, "plugins/wrap.py": WRAPPER, "plugins/zfail.py": failing})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "plugins/zfail.py:2: plugin 'zfail' failed in ssg_page_parsed while processing content/posts/" \
        in result.output, result.output
    assert "plugin 'wrap'" not in result.output


def test_a_firstresult_hook_stops_at_the_first_result_through_the_guard():
    """Hooks go through pluggy's hook caller: a ``firstresult`` spec (none of
    ssg's hooks is one today) returns the first implementation's answer, in
    load order, and the later implementations do not run."""
    import pluggy

    from ssg.plugins.manager import Plugins

    spec = pluggy.HookspecMarker("ssg")

    class Contract:
        @spec(firstresult=True)
        def ssg_probe_answer(self, question):
            """A hook of this test only."""

    ran = []

    def answer(name, value):
        def ssg_probe_answer(question):
            ran.append(name)
            return value
        return type(name, (), {"ssg_probe_answer": staticmethod(ssg_probe_answer)})

    plugins = Plugins()
    plugins.pm.add_hookspecs(Contract)
    for name, value in reversed([("first", None), ("second", 42), ("third", 7)]):   # as load() registers
        plugins.pm.register(answer(name, value), name)
    assert plugins.hook.ssg_probe_answer(question="?") == 42
    assert ran == ["first", "second"]


# --- broken plugins ------------------------------------------------------------------

def test_site_plugin_with_a_syntax_error_names_file_and_line(make_site, cli):
    code = "from ssg.api import hookimpl\n\ndef ssg_site_loaded(site)\n    pass\n"
    site = make_site({**POSTS, "plugins/broken.py": code})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "plugins/broken.py:3" in result.output and "syntax error" in result.output
    assert "Traceback" not in result.output


def test_site_plugin_failing_at_import_names_file_and_line(make_site, cli):
    site = make_site({**POSTS, "plugins/needy.py": "import os\nimport not_a_real_module_xyz\n"})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "plugins/needy.py:2" in result.output and "not_a_real_module_xyz" in result.output


RAISER = """
    from ssg.api import hookimpl

    @hookimpl
    def {hook}({args}):
        if {condition}:
            raise ZeroDivisionError("boom in the plugin")
    """


def test_plugin_raising_in_a_page_hook_names_plugin_hook_and_page(make_site, cli):
    code = RAISER.format(hook="ssg_page_parsed", args="page, site", condition="page.title == 'B'")
    site = make_site({**POSTS, "plugins/boom.py": code})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "plugin 'boom'" in result.output and "ssg_page_parsed" in result.output
    assert "content/posts/b.md" in result.output and "boom in the plugin" in result.output
    assert "error: plugins/boom.py:6: plugin 'boom'" in result.output   # site-relative, like content files
    assert "Traceback" not in result.output

    debug = cli("build", "-s", str(site), "--debug")
    assert debug.exit_code == 1
    assert "Traceback" in debug.output


def test_plugin_raising_while_rendering_one_output_fails_only_that_output(make_site, cli):
    code = RAISER.format(hook="ssg_template_context", args="output, context, site",
                         condition="output.path == 'posts/a/index.html'")
    site = make_site({**POSTS, "plugins/boom.py": code})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "plugin 'boom'" in result.output and "ssg_template_context" in result.output
    # what it was processing comes from the hook call's output argument
    assert "ssg_template_context while processing posts/a/index.html (content/posts/a.md)" in result.output
    assert "Traceback" not in result.output
    assert not (site / "public/posts/a/index.html").exists()
    assert (site / "public/posts/b/index.html").is_file()


def test_plugin_raising_in_a_site_hook_is_attributed(make_site, cli):
    code = RAISER.format(hook="ssg_generate_outputs", args="site", condition="True")
    site = make_site({**POSTS, "plugins/boom.py": code})
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "plugin 'boom' failed in ssg_generate_outputs" in result.output
    assert "ZeroDivisionError" in result.output and "plugins.disable" in result.output


# --- disabling ---------------------------------------------------------------------------

def config_with(extra: str) -> str:
    return 'title = "T"\nbase_url = "https://example.org/"\n' + textwrap.dedent(extra)


def test_disabling_a_builtin_removes_its_output(make_site, cli):
    enabled = make_site(POSTS)
    disabled = make_site(POSTS, config=config_with('[plugins]\ndisable = ["robots"]\n'))
    for site in (enabled, disabled):
        assert cli("build", "-s", str(site)).exit_code == 0
    assert (enabled / "public/robots.txt").is_file()
    assert not (disabled / "public/robots.txt").exists()
    assert (disabled / "public/sitemap.xml").is_file()


def test_disabling_the_sitemap_drops_the_robots_sitemap_line(make_site, cli):
    site = make_site(POSTS, config=config_with('[plugins]\ndisable = ["sitemap"]\n'))
    assert cli("build", "-s", str(site)).exit_code == 0
    assert not (site / "public/sitemap.xml").exists()
    assert "Sitemap:" not in (site / "public/robots.txt").read_text()


def test_disabling_taxonomies_and_pagination_leaves_a_working_site(make_site, cli):
    site = make_site(POSTS, config=config_with('[plugins]\ndisable = ["taxonomies", "pagination", "feeds"]\n'))
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert not (site / "public/tags").exists() and not (site / "public/index.xml").exists()
    assert (site / "public/posts/a/index.html").is_file()


def test_disabling_a_site_plugin(make_site, cli):
    site = make_site({**POSTS, "plugins/boom.py": RAISER.format(hook="ssg_site_loaded", args="site", condition="True")},
                     config=config_with('[plugins]\ndisable = ["boom"]\n'))
    assert cli("build", "-s", str(site)).exit_code == 0


# --- entry points ---------------------------------------------------------------------------

BANNER = """
    from ssg.api import Option, Output, Table, hookimpl

    @hookimpl
    def ssg_config_schema(register):
        register("banner", Table({"text": Option(str, "made with ssg", "the banner text")}))

    @hookimpl
    def ssg_generate_outputs(site):
        return [Output(path="banner.txt", data=site.config.table("banner")["text"].encode())]
    """


def test_entry_point_plugin_is_discovered_and_runs(make_site, cli, fake_dist):
    fake_dist("ssg-banner", {"banner": "ssg_banner_probe"}, {"ssg_banner_probe": BANNER})
    site = make_site(POSTS, config=config_with('[banner]\ntext = "hi from a package"\n'))
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    assert (site / "public/banner.txt").read_text() == "hi from a package"

    listing = cli("plugins", "-s", str(site))
    assert "banner  (entry point ssg-banner)" in listing.output
    assert "hooks: ssg_config_schema, ssg_generate_outputs" in listing.output


def test_entry_point_plugin_can_be_disabled(make_site, cli, fake_dist):
    fake_dist("ssg-banner", {"banner": "ssg_banner_probe"}, {"ssg_banner_probe": BANNER})
    site = make_site(POSTS, config=config_with('[plugins]\ndisable = ["banner"]\n'))
    assert cli("build", "-s", str(site)).exit_code == 0
    assert not (site / "public/banner.txt").exists()


def test_entry_point_that_fails_to_import_names_itself(make_site, cli, fake_dist):
    fake_dist("ssg-broken", {"broken": "ssg_broken_probe"}, {"ssg_broken_probe": "raise ImportError('needs libfoo')\n"})
    site = make_site(POSTS)
    result = cli("build", "-s", str(site))
    assert result.exit_code == 1
    assert "plugin 'broken'" in result.output and "ssg-broken" in result.output and "needs libfoo" in result.output
    assert "plugins.disable" in result.output


def test_entry_point_named_like_a_builtin_is_an_error(make_site, cli, fake_dist):
    fake_dist("ssg-fake-feeds", {"feeds": "ssg_fake_feeds_probe"}, {"ssg_fake_feeds_probe": "x = 1\n"})
    result = cli("build", "-s", str(make_site(POSTS)))
    assert result.exit_code == 1
    assert "two plugins are named 'feeds'" in result.output and "ssg-fake-feeds" in result.output


def test_site_plugin_named_like_a_builtin_is_an_error(make_site, cli):
    result = cli("build", "-s", str(make_site({**POSTS, "plugins/sitemap.py": "x = 1\n"})))
    assert result.exit_code == 1
    assert "two plugins are named 'sitemap'" in result.output and "plugins/sitemap.py" in result.output


# --- ssg plugins -------------------------------------------------------------------------------

def test_ssg_plugins_lists_name_source_and_hooks(make_site, cli):
    site = make_site({**POSTS, "plugins/local.py": TRAIL.replace("{name}", "local")},
                     config=config_with('[plugins]\ndisable = ["aliases"]\n'))
    result = cli("plugins", "-s", str(site))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "taxonomies  (built-in)" in lines
    assert ("    hooks: ssg_config_schema, ssg_generate_outputs, ssg_page_fields_read, ssg_page_parsed, "
            "ssg_site_loaded") in lines
    assert "local  (plugins/local.py)" in lines
    assert lines[lines.index("local  (plugins/local.py)") + 1] == "    hooks: ssg_page_parsed"
    assert "aliases" not in plugin_names(result.output)
    assert "disabled: aliases" in lines


def test_ssg_plugins_outside_a_site_lists_the_builtins(tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("plugins")
    assert result.exit_code == 0, result.output
    assert plugin_names(result.output) == BUILTINS


# --- config tables -------------------------------------------------------------------------------

def test_two_plugins_registering_one_config_table_is_an_error(make_site, cli):
    plugin = """
        from ssg.api import Option, Table, hookimpl

        @hookimpl
        def ssg_config_schema(register):
            register("feeds", Table({"x": Option(int, 1)}))
        """
    result = cli("build", "-s", str(make_site({**POSTS, "plugins/myfeeds.py": plugin})))
    assert result.exit_code in (1, 2)
    assert "config table 'feeds' is registered twice" in result.output
    assert "'feeds'" in result.output and "'myfeeds'" in result.output
    assert "plugins/myfeeds.py:4" in result.output


def test_plugin_cannot_take_a_core_setting_name(make_site, cli):
    plugin = """
        from ssg.api import Option, Table

        def ssg_config_schema(register):
            register("theme", Table({"x": Option(int, 1)}))
        """
    result = cli("build", "-s", str(make_site({**POSTS, "plugins/themer.py": plugin})))
    assert result.exit_code in (1, 2)
    assert "plugin 'themer'" in result.output and "'theme'" in result.output and "core setting" in result.output


def test_plugin_config_table_unknown_key_suggests_the_right_one(make_site, cli):
    plugin = """
        from ssg.api import Option, Table, hookimpl

        @hookimpl
        def ssg_config_schema(register):
            register("greeting", Table({"text": Option(str, "hello"), "loud": Option(bool, False)}))
        """
    site = make_site({**POSTS, "plugins/greet.py": plugin},
                     config=config_with('\n[greeting]\ntxet = "bonjour"\n'))
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert "ssg.toml:5" in result.output and "unknown key 'greeting.txet'" in result.output
    assert "did you mean 'text'?" in result.output


def test_builtin_config_table_unknown_key_suggests_the_right_one(make_site, cli):
    site = make_site(POSTS, config=config_with('[feeds]\nlimt = 5\n'))
    result = cli("build", "-s", str(site))
    assert result.exit_code == 2
    assert "ssg.toml:4" in result.output and "unknown key 'feeds.limt'" in result.output
    assert "did you mean 'limit'?" in result.output


def test_a_site_plugin_saved_twice_within_a_second_runs_its_new_code(make_site):
    """Python's bytecode cache trusts mtime in whole seconds and the size: a
    plugin edited to code of the same length within the same second must
    still run as edited (ssg serve rebuilds that fast)."""
    import os
    import subprocess

    def plugin(word: str) -> str:
        return ("from ssg.api import hookimpl\n\n\n@hookimpl\ndef ssg_jinja_environment(env):\n"
                f"    env.filters['word'] = lambda value: {word!r}\n")

    site = make_site({"content/a.md": "---\ntitle: A\ntemplate: a.html\n---\nx\n",
                      "templates/a.html": "{{ page.title|word }}\n", "plugins/words.py": plugin("one")})
    source = site / "plugins/words.py"
    stamp = source.stat().st_mtime_ns
    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}

    def build() -> str:
        result = subprocess.run([sys.executable, "-m", "ssg", "build", "-s", str(site)], env=env,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return (site / "public/a/index.html").read_text().strip()

    assert build() == "one"
    source.write_text(plugin("two"))      # the same size
    os.utime(source, ns=(stamp, stamp))   # and the same mtime: the bytecode cache would call it unchanged
    assert build() == "two"
