"""The build pipeline, top to bottom. Each stage is a plain function over the
explicit ``Site``; hooks run between stages (see ssg/hookspecs.py)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ssg.config import CORE_SCHEMA, SiteConfig, build_config, read_config
from ssg.errors import ConfigError, PathError, SsgError
from ssg.links import resolve_links
from ssg.loader import load_site
from ssg.model import Output, Paginator, Site
from ssg.pluginmanager import Plugins
from ssg.templates import make_environment, render, theme_dir
from ssg.writer import OutputWriter


@dataclass(frozen=True)
class BuildOptions:
    out: Path | None = None
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    strict: bool = False     # warnings fail the build (exit 1), for CI
    offline: bool = False    # plugins must not use the network (remote data comes from .ssg/ caches)


@dataclass
class BuildResult:
    output_root: Path
    rendered: int = 0
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    errors: list[SsgError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> dict[str, Any]:
        return {
            "output": str(self.output_root),
            "pages_rendered": self.rendered,
            "files_written": len(self.written),
            "files_unchanged": len(self.unchanged),
            "files_deleted": len(self.deleted),
            "errors": [e.as_dict() for e in self.errors],
            "warnings": self.warnings,
            "seconds": round(self.seconds, 3),
        }


def load_plugins_and_config(site_root: Path, options: BuildOptions) -> tuple[Plugins, SiteConfig]:
    raw = read_config(site_root)
    plugins = Plugins().load(site_root, raw.disabled_plugins, raw.locator.where(("plugins", "disable")))
    tables = plugins.config_tables(reserved=CORE_SCHEMA.options)
    config = build_config(raw, tables, {"base_url": options.base_url})
    return plugins, config


def resolve_output_root(site_root: Path, config: SiteConfig, out: Path | None) -> Path:
    root = (out if out is not None else site_root / config.output_dir).resolve()
    site = site_root.resolve()
    if root == site or root in site.parents:
        raise ConfigError(f"output folder '{root}' is the site folder or contains it",
                          where=config.path, hint="use a sub-folder such as 'public'")
    protected = ["content", "templates", "static", "data", "plugins", ".ssg"]
    if (site / config.theme).is_dir():
        protected.append(config.theme)
    for name in protected:
        folder = (site / name).resolve()
        if root == folder or folder in root.parents:
            raise ConfigError(f"output folder '{root}' lies inside the site's {name}/ folder",
                              where=config.path, hint="use a folder such as 'public'")
    return root


def build(site_root: Path, options: BuildOptions = BuildOptions()) -> BuildResult:
    """Build the site in ``site_root``. Configuration and plugin errors raise;
    per-page errors are collected in the result and everything else is built."""
    started = time.perf_counter()
    site_root = site_root.resolve()
    plugins, config = load_plugins_and_config(site_root, options)
    site = Site(root=site_root, config=config, output_root=resolve_output_root(site_root, config, options.out),
                include_drafts=options.drafts, include_future=options.future,
                build_time=datetime.now(UTC), offline=options.offline)
    theme = theme_dir(site_root, config.theme, config.path)

    load_site(site, plugins)
    resolve_links(site)
    plugins.call("ssg_site_loaded", site=site)

    env = make_environment(site, theme)
    plugins.call("ssg_jinja_environment", env=env, site=site)

    outputs = plan_core_outputs(site)
    for _plugin, extra in plugins.call("ssg_generate_outputs", site=site):
        outputs.extend(extra)
    plugins.call("ssg_plan_outputs", site=site, outputs=outputs)
    outputs = drop_collisions(outputs, site)

    result = BuildResult(output_root=site.output_root)
    writer = OutputWriter(site.output_root)
    for output in outputs:
        try:
            data = produce(output, env, site, plugins)
            writer.write(output.path, data)
        except SsgError as error:
            site.errors.append(error)
            continue
        if output.templates:
            result.rendered += 1
    result.written, result.unchanged = writer.written, writer.unchanged
    if options.strict:
        site.errors.extend(SsgError(f"{warning} (a warning, fatal with --strict)") for warning in site.warnings)
    result.errors, result.warnings = site.errors, site.warnings
    result.seconds = time.perf_counter() - started
    plugins.call("ssg_build_finished", site=site, result=result)
    return result


def plan_core_outputs(site: Site) -> list[Output]:
    """One output per page (plus its bundle files), per section and the home page,
    and one per static file."""
    outputs: list[Output] = []
    outputs.append(Output(path="index.html", url=site.config.base_path, templates=("index.html",),
                          page=site.home, items=site.main_pages, title=site.config.title))
    for section in site.sections.values():
        name = section.name
        outputs.append(Output(path=section.output_path, url=section.url, page=section.index,
                              templates=(f"{name}/list.html", "section.html", "list.html"),
                              context={"section": section}, items=section.pages, title=section.title))
    for page in site.pages:
        if page.template:   # chosen explicitly: a typo must be an error, not a silent fallback
            candidates: tuple[str, ...] = (page.template,)
        else:
            candidates = ((f"{page.section}/page.html",) if page.section else ()) + ("page.html",)
        outputs.append(Output(path=page.output_path, url=page.url, page=page, templates=candidates,
                              context={"section": site.sections.get(page.section)}, title=page.title))
        folder = page.output_path.rsplit("/", 1)[0] if "/" in page.output_path else ""
        bundle_root = page.source.rsplit("/", 1)[0]
        for resource in page.bundle_files:
            rel = resource[len(bundle_root) + 1:]
            outputs.append(Output(path=f"{folder}/{rel}" if folder else rel, copy_from=site.root / resource,
                                  page=page))
    for rel, path in site.static_files:
        outputs.append(Output(path=rel, copy_from=path))
    return outputs


def drop_collisions(outputs: list[Output], site: Site) -> list[Output]:
    """Two outputs for one path (or paths equal but for case, which collide on
    macOS and Windows) is an error naming both sources; the first one is kept."""
    seen: dict[str, Output] = {}
    kept = []
    for output in outputs:
        key = output.path.casefold()
        first = seen.get(key)
        if first is None:
            seen[key] = output
            kept.append(output)
            continue
        same = "the same output" if first.path == output.path else "outputs that differ only in case"
        site.errors.append(PathError(
            f"{output.source} and {first.source} both produce {same} '{output.path}'",
            where=output.page.source if output.page else None,
            hint="give one of them another slug or url"))
    return kept


def produce(output: Output, env, site: Site, plugins: Plugins) -> bytes:
    if output.data is not None:
        return output.data
    if output.copy_from is not None:
        return output.copy_from.read_bytes()
    context: dict[str, Any] = {"page": output.page, "output": output, "title": output.title}
    if output.items is not None:
        context["pages"] = output.items
        context["paginator"] = Paginator(items=output.items, number=1, urls=(output.url,),
                                         per_page=len(output.items), total_items=len(output.items))
    context.update(output.context)
    what = output.describe()
    plugins.call("ssg_template_context", where=what, output=output, context=context, site=site)
    return render(env, output.templates, context, what=what).encode("utf-8")
