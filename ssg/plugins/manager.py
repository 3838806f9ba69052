"""Loading plugins into a pluggy manager whose hook caller calls them with
failures attributed to a plugin.

Load order: built-ins (``DEFAULT_PLUGINS``), then entry points of the group
``ssg.plugins`` (sorted by entry-point name), then the site's own
``plugins/*.py`` (sorted by file name). Hooks are called in that order, so a
site plugin sees what the built-ins did: pluggy calls the implementation
registered last first, so plugins are registered in reverse load order once
all are imported. Each hook implementation is registered inside the guard of
ssg/plugins/guard.py (time limit, error attribution, result checks).
``check_pending()`` turns a misspelt hook name into an error instead of
silence.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from ssg.config.schema import Option, Table
from ssg.errors import ConfigError, Location, PluginError
from ssg.model import EDITABLE_FIELDS
from ssg.plugins import hookspecs
from ssg.plugins.guard import Calls, definition, guard, plugin_failure
from ssg.sources.files import irregular

ENTRY_POINT_GROUP = "ssg.plugins"
# Hooks that see the whole site; what they read of pages is not recorded.
SITE_HOOKS = ("ssg_site_loaded", "ssg_jinja_environment", "ssg_generate_outputs", "ssg_plan_outputs",
              "ssg_template_context")
HOOK_PREFIX = "ssg_"
DEFAULT_PLUGINS = (
    "ssg_plugins.taxonomies",
    "ssg_plugins.pagination",
    "ssg_plugins.feeds",
    "ssg_plugins.sitemap",
    "ssg_plugins.robots",
    "ssg_plugins.aliases",
    "ssg_plugins.menus",
    "ssg_plugins.notfound",
    "ssg_plugins.remote_data",
    "ssg_plugins.deploy_file",
    "ssg_plugins.deploy_ftp",
    "ssg_plugins.deploy_sftp",
    "ssg_plugins.deploy_s3",
    "ssg_plugins.deploy_fsspec",
)


@dataclass(frozen=True)
class PluginInfo:
    name: str
    source: str        # "built-in", "entry point <dist>", or the site file path
    hooks: tuple[str, ...]


def builtin_name(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def hook_names() -> list[str]:
    """Every hook in the contract, in definition order."""
    return [name for name, value in vars(hookspecs).items()
            if name.startswith(HOOK_PREFIX) and inspect.isfunction(value)]


class _Registered:
    """What is registered with pluggy for a plugin: its hook implementations,
    each inside the guard of ssg/plugins/guard.py, under their own names."""

    def __init__(self, name: str, functions: dict[str, Callable]):
        self.__dict__.update(functions)
        self._name = name

    def __repr__(self) -> str:
        return f"<plugin {self._name}>"


class _Manager(pluggy.PluginManager):
    """A pluggy manager that guards every hook implementation when its plugin
    is registered (ssg/plugins/guard.py), and that also takes undecorated
    ``ssg_*`` functions as hook implementations (as pytest does for
    ``pytest_*``): forgetting ``@hookimpl`` must not silently disable a hook,
    and a misspelt name must reach ``check_pending``."""

    def __init__(self, project_name: str, calls: Calls):
        super().__init__(project_name)
        self.calls = calls

    def parse_hookimpl_opts(self, plugin: Any, name: str):  # type: ignore[override]
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(HOOK_PREFIX) and inspect.isroutine(getattr(plugin, name, None)):
            opts = {"wrapper": False, "hookwrapper": False, "optionalhook": False,
                    "tryfirst": False, "trylast": False, "specname": None}
        return opts

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        """Register ``plugin``'s hook implementations, each guarded: pluggy
        calls the guard, which calls the implementation."""
        name = name or self.get_canonical_name(plugin)
        functions = {}
        for attribute in dir(plugin):
            opts = self.parse_hookimpl_opts(plugin, attribute)
            if opts is not None:
                hook = opts.get("specname") or attribute
                wrapper = bool(opts.get("wrapper") or opts.get("hookwrapper"))
                functions[attribute] = guard(self.calls, name, hook, getattr(plugin, attribute), wrapper=wrapper)
        return super().register(_Registered(name, functions), name)


class Plugins:
    """The plugin manager of one site: which plugins are loaded and from where.
    Hooks are called through ``plugins.hook``, pluggy's hook relay:
    ``plugins.hook.ssg_page_parsed(page=page, site=site)``."""

    def __init__(self) -> None:
        self.calls = Calls()
        self.pm = _Manager("ssg", self.calls)
        self.pm.add_hookspecs(hookspecs)
        self.pm.add_hookcall_monitoring(self.calls.before, self.calls.after)
        self.plugins: dict[str, object] = {}       # name -> the module (or object) loaded, in load order
        self.sources: dict[str, str] = {}
        self.site_root: Path | None = None

    @property
    def hook(self) -> pluggy.HookRelay:
        return self.pm.hook

    def load(self, site_root: Path | None, disabled: list[str] | tuple[str, ...] = (),
             disabled_where: Location | None = None) -> Plugins:
        """Register the built-ins, entry points and ``site_root/plugins/*.py``
        except those named in ``disabled`` (configured at ``disabled_where``);
        raise PluginError on any problem, ConfigError for an unknown name in
        ``disabled``."""
        self.site_root = self.calls.site_root = site_root
        with self._site_relative_errors():
            self._load(site_root, disabled, disabled_where)
        return self

    @contextmanager
    def _site_relative_errors(self) -> Iterator[None]:
        try:
            yield
        except PluginError as error:
            raise self.calls.site_relative(error) from error.__cause__

    def _load(self, site_root: Path | None, disabled: list[str] | tuple[str, ...],
              disabled_where: Location | None) -> None:
        known = set()
        found: list[tuple[object, str, str]] = []     # (plugin, name, source) in load order
        for module_name in DEFAULT_PLUGINS:
            name = builtin_name(module_name)
            known.add(name)
            if name not in disabled:
                _add(found, importlib.import_module(module_name), name, "built-in")
        for ep in _entry_points():
            if ep.value in DEFAULT_PLUGINS:   # ssg's own declaration of its built-ins
                continue
            known.add(ep.name)
            if ep.name in disabled:
                continue
            dist = getattr(ep, "dist", None)
            source = f"entry point {dist.name if dist else ep.value}"
            try:
                plugin = ep.load()
            except Exception as error:  # a broken third-party package must name itself
                raise PluginError(f"plugin '{ep.name}' ({source}: {ep.value}) failed to import: "
                                  f"{type(error).__name__}: {error}",
                                  hint=f"fix or uninstall the package providing it, or add '{ep.name}' "
                                       "to plugins.disable") from error
            _add(found, plugin, ep.name, source)
        if site_root is not None:
            for path in sorted((site_root / "plugins").glob("*.py")):
                if path.name.startswith("_") or irregular(path):   # helpers and __init__.py are not plugins;
                    continue            # a FIFO would hang the import (the build warns about it: ssg/sources/inputs.py)
                name = path.stem
                known.add(name)
                if name not in disabled:
                    _add(found, _import_site_plugin(path, site_root), name, path.relative_to(site_root).as_posix())
        for plugin, name, source in found:
            self._check_arguments(plugin, name, source)
        # pluggy calls the implementations registered last first: registering in reverse
        # load order makes every hook call them in load order (tryfirst and trylast apart).
        for plugin, name, source in reversed(found):
            self._register(plugin, name, source)
        for plugin, name, source in found:
            self.plugins[name], self.sources[name] = plugin, source
        for name in disabled:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                raise ConfigError(f"plugins.disable names '{name}', which is not a known plugin",
                                  where=disabled_where,
                                  hint=f"did you mean '{close[0]}'?" if close else "see `ssg plugins` for names")
        self._check_pending()

    def _register(self, plugin: object, name: str, source: str) -> None:
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as error:
            hook = next((h for h in hook_names() if f"'{h}'" in str(error)), None)
            function = getattr(plugin, hook, None) if hook else None
            detail = " ".join(str(error).split())
            raise PluginError(f"plugin '{name}' ({source}) has an invalid hook implementation: {detail}",
                              where=definition(function),
                              hint="a hook takes a subset of the arguments in docs/plugins.md, by name") from None

    def _check_arguments(self, plugin: object, name: str, source: str) -> None:
        """A hook implementation that asks for an argument its hook does not
        pass, said in ssg's words at the function's line (pluggy's message is
        its own, and names neither for sure)."""
        for hook in hook_names():
            function = getattr(plugin, hook, None)
            opts = self.pm.parse_hookimpl_opts(plugin, hook) if function is not None else None
            if opts is None or opts.get("specname"):
                continue
            passed = _required_arguments(getattr(hookspecs, hook))
            unknown = [argument for argument in _required_arguments(function) if argument not in passed]
            if unknown:
                raise PluginError(f"plugin '{name}' ({source}): {hook} asks for "
                                  f"{', '.join(repr(a) for a in unknown)}, which the hook does not pass",
                                  where=definition(function),
                                  hint=f"{hook} passes {', '.join(passed)}; a hook takes any of them, by name")

    def _check_pending(self) -> None:
        """Every ``ssg_*`` hook implementation must match a hook in the contract.
        pluggy's ``check_pending()`` decides; the message names the plugin, its
        file:line and the closest hook name."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as error:
            raise self._unknown_hook() or PluginError(" ".join(str(error).split())) from None

    def _unknown_hook(self) -> PluginError | None:
        valid = hook_names()
        for name, caller in sorted(vars(self.pm.hook).items()):
            if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "the hooks are listed in docs/plugins.md"
                return PluginError(f"plugin '{impl.plugin_name}' ({self.sources.get(impl.plugin_name, '?')}) "
                                   f"implements unknown hook '{name}'", where=definition(impl.function), hint=hint)
        return None

    def calling(self) -> str:
        """The name of the plugin whose hook implementation is running in this
        thread: who calls a ``register(...)`` passed to a hook."""
        running = self.calls.running()
        if running is None:
            raise PluginError("a plugin called register() after its hook returned",
                              hint="call register only inside ssg_config_schema or ssg_deploy_targets")
        return running[0]

    def each_plugin(self, hook: pluggy.HookCaller) -> list[tuple[str, pluggy.HookCaller]]:
        """For each plugin implementing ``hook`` (other than as a hook
        wrapper), in call order: its name and a caller of its implementation
        alone (every hook wrapper of ``hook`` still runs around it)."""
        plain = [impl for impl in reversed(hook.get_hookimpls()) if not (impl.wrapper or impl.hookwrapper)]
        return [(impl.plugin_name, self.pm.subset_hook_caller(hook.name, [o.plugin for o in plain if o is not impl]))
                for impl in plain]

    def code_files(self) -> list[str]:
        """The source file of every loaded plugin module (its code is an input of the build)."""
        files = (getattr(plugin, "__file__", None) for plugin in self.plugins.values())
        return sorted(f for f in files if f)

    def hooks_of(self, name: str) -> set[str]:
        """The hooks plugin ``name`` implements."""
        return {caller.name for caller in self.pm.get_hookcallers(self.pm.get_plugin(name)) or ()}

    def page_fields_read(self, config: Any) -> set[str]:
        """The fields among ``EDITABLE_FIELDS`` (a page's text, params, title,
        date...) that some plugin's site-level hooks may read. A plugin
        declares what they read with the hook ``ssg_page_fields_read(config)``
        (or, as before that hook, a module attribute ``page_fields_read``: a
        collection of field names, or a function of the site's config
        returning one). A plugin with site-level hooks that declares nothing
        may read them all. An edit that changed only other such fields is
        rebuilt without running those hooks again (ssg/build/sources/kept.py,
        partial.py)."""
        every = set(EDITABLE_FIELDS)
        declares = dict(self.each_plugin(self.pm.hook.ssg_page_fields_read))
        read: set[str] = set()
        for name, plugin in self.plugins.items():
            if self.hooks_of(name).isdisjoint(SITE_HOOKS):
                continue
            if name in declares:
                answers = declares[name](config=config)
                if not answers:       # returned None
                    return every
                fields = set().union(*answers)
            else:
                declared = getattr(plugin, "page_fields_read", None)
                if declared is None:
                    return every
                try:
                    fields = set(declared(config) if callable(declared) else declared)
                except Exception as error:
                    raise plugin_failure(name, "page_fields_read", error, None, declared) from error
            read |= fields & every
        return read

    def infos(self) -> list[PluginInfo]:
        return [PluginInfo(name, self.sources[name], tuple(sorted(self.hooks_of(name)))) for name in self.plugins]

    def config_tables(self, reserved: Any = ()) -> dict[str, Table]:
        """Collect the tables every plugin registers in ``ssg_config_schema``.
        A name taken by the core (``reserved``) or by another plugin is an
        error naming both."""
        with self._site_relative_errors():
            return self._config_tables(reserved)

    def _config_tables(self, reserved: Any) -> dict[str, Table]:
        tables: dict[str, Table] = {}
        owners: dict[str, str] = {}

        def register(name: str, table: Table) -> None:
            plugin = self.calling()
            where = definition(self.calls.running()[1])
            if not isinstance(name, str) or not name:
                raise PluginError(f"plugin '{plugin}' registered a config table with the name {name!r}",
                                  where=where, hint="pass a non-empty string")
            if not isinstance(table, (Table, Option)):
                raise PluginError(f"plugin '{plugin}' registered config table '{name}' as a "
                                  f"{type(table).__name__}", where=where, hint="pass an ssg.api.Table")
            if name in reserved:
                raise PluginError(f"plugin '{plugin}' registers config table '{name}', which is a core "
                                  "setting", where=where, hint="choose another table name")
            if name in tables:
                raise PluginError(f"config table '{name}' is registered twice: by plugin '{owners[name]}' "
                                  f"and by plugin '{plugin}'", where=where,
                                  hint="rename one table, or add one of the plugins to plugins.disable")
            tables[name] = table
            owners[name] = plugin

        self.pm.hook.ssg_config_schema(register=register)
        return tables


def _add(found: list[tuple[object, str, str]], plugin: object, name: str, source: str) -> None:
    """Add a plugin to load; one name, or one module, loaded twice is an error."""
    for other, other_name, other_source in found:
        if other_name == name:
            raise PluginError(f"two plugins are named '{name}' ({other_source} and {source})",
                              hint="rename the site plugin file or the entry point, or disable one of them")
        if other is plugin:
            raise PluginError(f"plugin '{name}' ({source}) cannot be registered: it is plugin '{other_name}' "
                              f"({other_source}) again", hint="two entry points name the same module; "
                                                              "disable one of them")
    found.append((plugin, name, source))

def _required_arguments(function: Any) -> list[str]:
    """The arguments of a hook function without a default: those pluggy passes by name."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]


def _entry_points() -> list:
    """The ``ssg.plugins`` entry points of the distributions on sys.path, as
    ``importlib.metadata.entry_points(group=...)`` finds them (the first
    distribution of a name on sys.path wins), reading only the
    ``entry_points.txt`` files that name the group: importlib.metadata reads
    every installed distribution's metadata, 50 ms of a 0.4 s build where
    nothing changed. A sys.path entry that is not a folder (a zip) is left
    to importlib.metadata. Nor is importlib.metadata imported (15 ms) when the
    only ones are ssg's own declarations of its built-in plugins."""
    import re

    found, seen = [], set()
    for entry in sys.path:
        try:
            names = sorted(os.listdir(entry or "."))
        except NotADirectoryError:
            from importlib.metadata import entry_points

            return sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: (ep.name, ep.value))
        except OSError:
            continue
        for name in names:
            if not name.endswith((".dist-info", ".egg-info")):
                continue
            key = re.sub(r"[-_.]+", "_", name.rpartition(".")[0].partition("-")[0]).lower()
            if key in seen:
                continue
            seen.add(key)
            folder = os.path.join(entry or ".", name)
            try:
                with open(os.path.join(folder, "entry_points.txt"), encoding="utf-8") as file:
                    text = file.read()
            except OSError:
                continue
            if _declared(text) <= set(DEFAULT_PLUGINS):     # none, or ssg's built-ins (which are skipped)
                continue
            from importlib.metadata import PathDistribution

            found.extend(PathDistribution(Path(folder)).entry_points.select(group=ENTRY_POINT_GROUP))
    return sorted(found, key=lambda ep: (ep.name, ep.value))


def _declared(text: str) -> set[str]:
    """The values ('module:attr') of the ``ssg.plugins`` entry points an
    ``entry_points.txt`` declares, read as importlib.metadata reads it (an
    INI section of ``name = value`` lines)."""
    values, inside = set(), False
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            inside = line == f"[{ENTRY_POINT_GROUP}]"
        elif inside and "=" in line and not line.startswith(("#", ";")):
            values.add(line.partition("=")[2].strip())
    return values


class _SourceLoader(importlib.machinery.SourceFileLoader):
    """Compiles a site plugin from its source at every load. Python's bytecode
    cache trusts a file's mtime in whole seconds and its size: a plugin saved
    twice within a second at the same size (``ssg serve`` rebuilds that fast)
    would run its older code."""

    def get_code(self, fullname: str) -> Any:
        return self.source_to_code(self.get_data(self.path), self.path)


def _import_site_plugin(path: Path, site_root: Path) -> ModuleType:
    module_name = f"ssg_site_plugins.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path, loader=_SourceLoader(module_name, str(path)))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        raise PluginError(f"site plugin '{path.stem}' has a syntax error: {error.msg}",
                          where=Location(str(path), error.lineno),
                          hint="fix the Python syntax, or move the file out of plugins/") from None
    except Exception as error:
        frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(path)]
        line = frames[-1].lineno if frames else None
        raise PluginError(f"site plugin '{path.stem}' failed to import: {type(error).__name__}: {error}",
                          where=Location(str(path), line), hint="fix the plugin or remove it from plugins/") from None
    return module
