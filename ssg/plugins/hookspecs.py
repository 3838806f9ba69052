"""The plugin contract: every hook ssg calls, in the order a build calls them.

Plugins implement hooks with ``ssg.hookimpl``; built-in features (taxonomies,
pagination, feeds, sitemap, robots.txt, aliases, the 404 page) are ordinary
plugins written against these hooks only. Each hook is documented in
``docs/plugins.md``; a meta-test keeps this file, the docs and the tests in step.

Rules common to every hook:

- ssg calls them through pluggy's hook caller, as attributes:
  ``plugins.hook.ssg_page_parsed(page=page, site=site)``.
- Implementations are called in plugin load order (built-ins, then entry
  points, then the site's ``plugins/*.py``); ``@hookimpl(tryfirst=True)`` moves
  one to the front, ``trylast=True`` to the back. A hook wrapper
  (``@hookimpl(wrapper=True)``, a generator that yields once) runs around all
  of them.
- An implementation may declare any subset of the arguments, by name.
- No hook is ``firstresult``: every implementation runs.
- An ``SsgError`` raised on purpose (``ContentError``, ``ConfigError``...) is
  reported as is; any other exception becomes a ``PluginError`` naming the
  plugin, the hook, the page or output being processed, and the plugin's line
  (ssg/plugins/guard.py).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from jinja2 import Environment

    from ssg.build.options import BuildResult
    from ssg.config.schema import Table
    from ssg.config.site import SiteConfig
    from ssg.deploy.target import Target as DeployTarget
    from ssg.model import Output, Page, Site

hookspec = pluggy.HookspecMarker("ssg")
hookimpl = pluggy.HookimplMarker("ssg")


@hookspec
def ssg_config_schema(register: Callable[[str, Table], None]) -> None:
    """Declare the config tables this plugin reads.

    Called once after plugins load, before ``ssg.toml`` is validated. Call
    ``register(name, table)`` for each top-level table (``[name]`` in
    ``ssg.toml``, an ``ssg.api.Table``). A name that is a core setting or that
    another plugin registered is an error naming both plugins. Values are
    validated like core keys (unknown key -> error with file:line and a
    suggestion), defaults filled in, and read back with
    ``site.config.table(name)``. Returns nothing. All implementations are called.
    """


@hookspec
def ssg_page_parsed(page: Page, site: Site) -> None:
    """Adjust one page right after its front matter and markdown are parsed.

    ``page.content`` holds the rendered HTML, ``page.params`` the front matter.
    Mutate the page in place (e.g. add ``page.params["reading_time"]``). Called
    for regular pages, section ``_index.md`` pages and the home page; drafts and
    future pages excluded by the build are not passed. Returns nothing. All
    implementations are called, in plugin load order, so a site plugin sees
    what the built-ins did (``page.taxonomies`` is filled). Depend on the page
    and ``site.config`` only: ``ssg serve`` runs it again on an edited page
    alone (ssg/build/sources/kept.py).
    """


@hookspec
def ssg_site_loaded(site: Site) -> None:
    """Inspect or extend the whole site model once every page is parsed.

    Called after ``ssg_page_parsed`` for all pages and before outputs are planned.
    Pages, sections and ``site.data`` are complete; attach derived collections
    here (the taxonomies plugin fills ``site.taxonomies``; per-build scratch
    data goes in ``site.state[plugin_name]``). Returns nothing. All
    implementations are called.
    """


@hookspec
def ssg_jinja_environment(env: Environment, site: Site) -> None:
    """Add filters, tests, globals or extensions to the Jinja2 environment.

    Called once per build after the core filters (``date``, ``abs_url``,
    ``rel_url``) and globals (``site``, ``data``, ``url_for``) are installed and
    before any template is loaded. Mutate ``env``; returns nothing. All
    implementations are called.
    """


@hookspec
def ssg_generate_outputs(site: Site) -> list[Output] | None:
    """Return extra outputs to build (term pages, feeds, sitemap, redirects...).

    Called after the core planned one output per page, section, the home page
    and each static file. Return a list of ``ssg.api.Output`` (or None); anything
    else is an error naming the plugin. An output whose ``origin`` is left as
    "core" is labelled with the plugin's name. Results of all implementations
    are concatenated in load order; two outputs with the same path are an error
    naming both origins (the first one is kept).
    """


@hookspec
def ssg_plan_outputs(site: Site, outputs: list[Output]) -> None:
    """Rewrite the planned outputs in place before anything is rendered.

    ``outputs`` is the full list (core and generated). Plugins may split,
    replace or drop entries (assign to ``outputs[:]``, do not rebind); the
    pagination plugin splits list outputs into numbered pages here, and the
    sitemap plugin (``trylast``) lists what is left. Returns nothing. All
    implementations are called, in load order.
    """


@hookspec
def ssg_template_context(output: Output, context: dict[str, Any], site: Site) -> None:
    """Add variables to the context of one templated output.

    Called while planning, for every templated output, rendered or not: the
    context is part of the output's plan, and a change in it makes the output
    dirty. Keep it cheap and deterministic.

    ``context`` already holds ``page`` (or None), ``output``, ``title``, for
    list outputs ``pages`` and ``paginator``, and the output's own ``context``
    variables (``site`` and ``data`` are Jinja globals); mutate it in place,
    return nothing. Not called for data or copied outputs. A failure here fails
    only this output. All implementations are called.
    """


@hookspec
def ssg_build_finished(site: Site, result: BuildResult) -> None:
    """Observe a finished build: counts, errors and timing in ``result``.

    Called once after every output is written (also when some pages failed;
    not when configuration or plugin loading failed). ``result`` has
    ``rendered``, ``written``, ``unchanged``, ``deleted``, ``errors``,
    ``warnings``, ``seconds`` and ``ok``. Must not write into the output folder
    (the files there are the build's). Returns nothing. All implementations are
    called. When no input changed since the last build nothing is loaded:
    ``site.pages`` is empty and ``result.unchanged`` lists every output.
    """


@hookspec
def ssg_page_fields_read(config: SiteConfig) -> Collection[str] | None:
    """Declare which page fields this plugin's site-level hooks read.

    The site-level hooks are ``ssg_site_loaded``, ``ssg_jinja_environment``,
    ``ssg_generate_outputs``, ``ssg_plan_outputs`` and ``ssg_template_context``.
    Return the names of the ``Page`` fields they read (``title``, ``date``,
    ``taxonomies``, ``summary``, ``params``...), ``()`` for none; ``config``
    is the site's configuration. What a template reads, and what an output's
    ``make`` reads through ``page_fields``, is recorded and need not be
    declared. An edit of a page that changed only fields no plugin reads
    (of ``EDITABLE_FIELDS``: its text, params, title, date, weight) is rebuilt
    without loading the site again (ssg/build/sources/kept.py, partial.py). A
    plugin with site-level hooks that does not implement this hook (nor has a
    module attribute ``page_fields_read``, the older form), or returns None,
    is taken to read all of them: always right, only slower. A name that is
    not a page field is an error naming the plugin. Called for each plugin
    that implements it.
    """


@hookspec
def ssg_deploy_targets(register: Callable[[str, type[DeployTarget]], None]) -> None:
    """Declare the deploy targets this plugin provides, keyed by URL scheme.

    Called once per ``ssg deploy`` after plugins load, before the target's
    ``[deploy.<name>]`` table is validated; never during a build. Call
    ``register(scheme, target_class)`` per scheme (``"sftp"``, ``"s3"``...);
    ``target_class`` subclasses ``ssg.api.DeployTarget``. The scheme ``"*"``
    is the fallback for schemes nobody registered. A scheme registered twice is
    an error naming both plugins. Returns nothing. All implementations are called.
    """
