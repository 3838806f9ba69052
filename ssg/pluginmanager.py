"""Loading plugins and calling hooks with failures attributed to a plugin.

Load order: built-ins (``DEFAULT_PLUGINS``), then entry points of the group
``ssg.plugins``, then the site's own ``plugins/*.py``. ``check_pending()``
turns a misspelt hook name into an error instead of silence.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
import inspect
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator

import pluggy

from ssg import hookspecs
from ssg.errors import Location, PluginError, SsgError

ENTRY_POINT_GROUP = "ssg.plugins"
DEFAULT_PLUGINS = (
    "ssg_plugins.taxonomies",
    "ssg_plugins.pagination",
    "ssg_plugins.feeds",
    "ssg_plugins.sitemap",
    "ssg_plugins.robots",
    "ssg_plugins.aliases",
    "ssg_plugins.notfound",
)


@dataclass(frozen=True)
class PluginInfo:
    name: str
    source: str        # "built-in", "entry point <dist>", or the site file path
    hooks: tuple[str, ...]


def builtin_name(module: str) -> str:
    return module.rsplit(".", 1)[-1]


class Plugins:
    """The plugin manager of one site: which plugins are loaded and from where."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("ssg")
        self.pm.add_hookspecs(hookspecs)
        self.sources: dict[str, str] = {}

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def load(self, site_root: Path | None, disabled: list[str] | tuple[str, ...] = ()) -> "Plugins":
        known = set()
        for module_name in DEFAULT_PLUGINS:
            name = builtin_name(module_name)
            known.add(name)
            if name not in disabled:
                self._register(importlib.import_module(module_name), name, "built-in")
        for ep in _entry_points():
            known.add(ep.name)
            if ep.name in disabled or self.pm.has_plugin(ep.name) or ep.value in DEFAULT_PLUGINS:
                continue
            try:
                plugin = ep.load()
            except Exception as error:  # a broken third-party package must name itself
                raise PluginError(f"plugin '{ep.name}' ({ep.value}) failed to import: {type(error).__name__}: {error}",
                                  hint=f"fix or uninstall the package providing it, or add '{ep.name}' to plugins.disable") from error
            dist = getattr(ep, "dist", None)
            self._register(plugin, ep.name, f"entry point {dist.name if dist else ep.value}")
        if site_root is not None:
            for path in sorted((site_root / "plugins").glob("*.py")):
                name = path.stem
                known.add(name)
                if name not in disabled:
                    self._register(_import_site_plugin(path, site_root), name, str(path.relative_to(site_root)))
        for name in disabled:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                raise PluginError(f"plugins.disable names '{name}', which is not a known plugin",
                                  hint=f"did you mean '{close[0]}'?" if close else "see `ssg plugins` for names")
        self._check_pending()
        return self

    def _register(self, plugin: object, name: str, source: str) -> None:
        if self.pm.has_plugin(name):
            raise PluginError(f"two plugins are named '{name}' ({self.sources[name]} and {source})",
                              hint="rename the site plugin file or disable one of them")
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as error:
            raise PluginError(f"plugin '{name}' ({source}) is invalid: {error}") from None
        self.sources[name] = source

    def _check_pending(self) -> None:
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as error:
            plugin = error.plugin
            name = self.pm.get_name(plugin) or repr(plugin)
            valid = [n for n in dir(hookspecs) if n.startswith("ssg_")]
            bad = [n for n in dir(plugin) if n.startswith("ssg_") and n not in valid]
            hint = "see docs/plugins.md for the hook names"
            if bad and (close := difflib.get_close_matches(bad[0], valid, n=1)):
                hint = f"did you mean '{close[0]}'?"
            raise PluginError(f"plugin '{name}' ({self.sources.get(name, '?')}) implements unknown hook "
                              f"'{bad[0] if bad else '?'}'", hint=hint) from None

    def infos(self) -> list[PluginInfo]:
        result = []
        for name, plugin in self.pm.list_name_plugin():
            hooks = tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))
            result.append(PluginInfo(name, self.sources.get(name, "?"), hooks))
        return result

    def impls(self, hook_name: str) -> Iterator[tuple[str, Any]]:
        """(plugin name, function) of each implementation in load order (built-ins,
        entry points, site plugins), ``tryfirst`` ones first and ``trylast`` last."""
        caller = getattr(self.pm.hook, hook_name)
        ordered = sorted(caller.get_hookimpls(), key=lambda i: 0 if i.tryfirst else 2 if i.trylast else 1)
        for impl in ordered:
            yield impl.plugin_name, impl.function

    def call(self, hook_name: str, *, where: str | None = None, **kwargs: Any) -> list[Any]:
        """Call every implementation of ``hook_name``; an unexpected exception
        becomes a PluginError naming the plugin, the hook and ``where`` (a page)."""
        results = []
        for plugin_name, function in self.impls(hook_name):
            try:
                result = function(**kwargs)
            except SsgError:
                raise
            except Exception as error:
                raise plugin_failure(plugin_name, hook_name, error, where) from error
            if result is not None:
                results.append((plugin_name, result))
        return results


def plugin_failure(plugin_name: str, hook_name: str, error: BaseException, where: str | None) -> PluginError:
    frame = _innermost_user_frame(error)
    location = Location(frame.filename, frame.lineno) if frame else None
    page = f" while processing {where}" if where else ""
    return PluginError(f"plugin '{plugin_name}' failed in {hook_name}{page}: {type(error).__name__}: {error}",
                       where=location, hint=f"fix the plugin, or add '{plugin_name}' to plugins.disable in ssg.toml")


def _innermost_user_frame(error: BaseException) -> traceback.FrameSummary | None:
    frames = traceback.extract_tb(error.__traceback__)
    return frames[-1] if frames else None


def _entry_points() -> list:
    from importlib.metadata import entry_points

    return list(entry_points(group=ENTRY_POINT_GROUP))


def _import_site_plugin(path: Path, site_root: Path) -> ModuleType:
    module_name = f"ssg_site_plugins.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise PluginError(f"site plugin '{path.stem}' has a syntax error: {error.msg}",
                          where=Location(str(path), error.lineno)) from None
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
        line = frames[-1].lineno if frames else None
        raise PluginError(f"site plugin '{path.stem}' failed to import: {type(error).__name__}: {error}",
                          where=Location(str(path), line), hint="fix the plugin or remove it from plugins/") from None
    return module


def hook_names() -> list[str]:
    """Every hook in the contract, in definition order."""
    return [name for name, value in inspect.getmembers(hookspecs, inspect.isfunction)
            if name.startswith("ssg_")]
