"""The plugin contract: every hook ssg calls, in the order a build calls them.

Plugins implement hooks with ``ssg.hookimpl``; built-in features (taxonomies,
pagination, feeds, sitemap, robots.txt, aliases, the 404 page) are ordinary
plugins written against these hooks only. Each hook is documented in
``docs/plugins.md``; a meta-test keeps this file, the docs and the tests in step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import pluggy

if TYPE_CHECKING:
    from jinja2 import Environment

    from ssg.build import BuildResult
    from ssg.model import Output, Page, Site
    from ssg.schema import Table

hookspec = pluggy.HookspecMarker("ssg")
hookimpl = pluggy.HookimplMarker("ssg")


@hookspec
def ssg_config_schema(register: Callable[[str, "Table"], None]) -> None:
    """Declare the config tables this plugin reads.

    Called once after plugins load, before ``ssg.toml`` is validated. Call
    ``register(name, table)`` for each top-level table (``[name]`` in
    ``ssg.toml``); the core rejects a name already taken. Values are validated
    like core keys (unknown key -> error with file:line and a suggestion) and are
    read back with ``site.config.table(name)``. All implementations are called.
    """


@hookspec
def ssg_page_parsed(page: "Page", site: "Site") -> None:
    """Adjust one page right after its front matter and markdown are parsed.

    ``page.content`` holds the rendered HTML, ``page.params`` the front matter.
    Mutate the page in place (e.g. add ``page.params["reading_time"]``). Drafts
    and future pages excluded by the build are not passed. All implementations
    are called, in plugin load order.
    """


@hookspec
def ssg_site_loaded(site: "Site") -> None:
    """Inspect or extend the whole site model once every page is parsed.

    Called after ``ssg_page_parsed`` for all pages and before outputs are planned.
    Pages, sections and ``site.data`` are complete; attach derived collections
    here (the taxonomies plugin fills ``site.taxonomies``). All implementations
    are called.
    """


@hookspec
def ssg_jinja_environment(env: "Environment", site: "Site") -> None:
    """Add filters, tests, globals or extensions to the Jinja2 environment.

    Called once per build after the core filters (``date``, ``abs_url``,
    ``rel_url``) and globals (``site``, ``data``, ``url_for``) are installed and
    before any template is loaded. All implementations are called.
    """


@hookspec
def ssg_generate_outputs(site: "Site") -> "list[Output] | None":
    """Return extra outputs to build (term pages, feeds, sitemap, redirects...).

    Called after the core planned one output per page, section and the home
    page. Return a list of ``ssg.model.Output`` (or None). Results of all
    implementations are concatenated; two outputs with the same path are an
    error naming both origins.
    """


@hookspec
def ssg_plan_outputs(site: "Site", outputs: "list[Output]") -> None:
    """Rewrite the planned outputs in place before anything is rendered.

    ``outputs`` is the full list (core and generated). Plugins may split,
    replace or drop entries; the pagination plugin splits list outputs into
    numbered pages here. All implementations are called, in load order.
    """


@hookspec
def ssg_template_context(output: "Output", context: "dict[str, Any]", site: "Site") -> None:
    """Add variables to the context of one templated output before it renders.

    ``context`` already holds ``site``, ``page`` (or None), ``pages``,
    ``paginator`` and the output's own variables; mutate it in place. All
    implementations are called.
    """


@hookspec
def ssg_build_finished(site: "Site", result: "BuildResult") -> None:
    """Observe a finished build: counts, errors and timing in ``result``.

    Called once after every output is written (also when some pages failed).
    Must not write into the output folder. All implementations are called.
    """
