"""Loading plugins and calling hooks with failures attributed to a plugin.

Load order: built-ins (``DEFAULT_PLUGINS``), then entry points of the group
``ssg.plugins`` (sorted by entry-point name), then the site's own
``plugins/*.py`` (sorted by file name). Hooks are called in that order, so a
site plugin sees what the built-ins did. ``check_pending()`` turns a misspelt
hook name into an error instead of silence.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.machinery
import importlib.util
import inspect
import linecache
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from ssg import hookspecs, limits
from ssg.errors import ConfigError, Location, PluginError, SsgError
from ssg.files import irregular
from ssg.model import RENDER_ONLY_FIELDS
from ssg.schema import Option, Table

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


class _Manager(pluggy.PluginManager):
    """A pluggy manager that also takes undecorated ``ssg_*`` functions as hook
    implementations (as pytest does for ``pytest_*``): forgetting ``@hookimpl``
    must not silently disable a hook, and a misspelt name must reach
    ``check_pending``."""

    def parse_hookimpl_opts(self, plugin: Any, name: str):  # type: ignore[override]
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(HOOK_PREFIX) and inspect.isroutine(getattr(plugin, name, None)):
            opts = {"wrapper": False, "hookwrapper": False, "optionalhook": False,
                    "tryfirst": False, "trylast": False, "specname": None}
        return opts


class Plugins:
    """The plugin manager of one site: which plugins are loaded and from where."""

    def __init__(self) -> None:
        self.pm = _Manager("ssg")
        self.pm.add_hookspecs(hookspecs)
        self.sources: dict[str, str] = {}
        self.site_root: Path | None = None
        self._loaded = False                       # once loading is done, hook orders are cached
        self._sorted: dict[str, list[Any]] = {}
        self._stopped: tuple[Any, PluginError] | None = None   # (site, error): a hook ran out of time

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def load(self, site_root: Path | None, disabled: list[str] | tuple[str, ...] = (),
             disabled_where: Location | None = None) -> Plugins:
        """Register the built-ins, entry points and ``site_root/plugins/*.py``
        except those named in ``disabled`` (configured at ``disabled_where``);
        raise PluginError on any problem, ConfigError for an unknown name in
        ``disabled``."""
        self.site_root = site_root
        with self._site_relative_errors():
            self._load(site_root, disabled, disabled_where)
        self._loaded = True
        return self

    @contextmanager
    def _site_relative_errors(self) -> Iterator[None]:
        try:
            yield
        except PluginError as error:
            raise self._site_relative(error) from error.__cause__

    def _site_relative(self, error: PluginError) -> PluginError:
        """Show a site plugin's file as ``plugins/x.py:LINE``, as content files are."""
        where = error.where
        if where is not None and self.site_root is not None:
            try:
                rel = Path(where.path).resolve().relative_to(self.site_root.resolve())
            except (ValueError, OSError):
                pass
            else:
                error.where = Location(rel.as_posix(), where.line)
        return error

    def _load(self, site_root: Path | None, disabled: list[str] | tuple[str, ...],
              disabled_where: Location | None) -> None:
        known = set()
        for module_name in DEFAULT_PLUGINS:
            name = builtin_name(module_name)
            known.add(name)
            if name not in disabled:
                self._register(importlib.import_module(module_name), name, "built-in")
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
            self._register(plugin, ep.name, source)
        if site_root is not None:
            for path in sorted((site_root / "plugins").glob("*.py")):
                if path.name.startswith("_") or irregular(path):   # helpers and __init__.py are not plugins;
                    continue            # a FIFO would hang the import (the build warns about it: ssg/inputs.py)
                name = path.stem
                known.add(name)
                if name not in disabled:
                    self._register(_import_site_plugin(path, site_root), name, path.relative_to(site_root).as_posix())
        for name in disabled:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                raise ConfigError(f"plugins.disable names '{name}', which is not a known plugin",
                                  where=disabled_where,
                                  hint=f"did you mean '{close[0]}'?" if close else "see `ssg plugins` for names")
        self._check_pending()

    def _register(self, plugin: object, name: str, source: str) -> None:
        if self.pm.has_plugin(name):
            raise PluginError(f"two plugins are named '{name}' ({self.sources[name]} and {source})",
                              hint="rename the site plugin file or the entry point, or disable one of them")
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as error:
            self._check_arguments(plugin, name, source)       # the usual mistake, in ssg's words
            hook = next((h for h in hook_names() if f"'{h}'" in str(error)), None)
            function = getattr(plugin, hook, None) if hook else None
            detail = " ".join(str(error).split())
            raise PluginError(f"plugin '{name}' ({source}) has an invalid hook implementation: {detail}",
                              where=_definition(function),
                              hint="a hook takes a subset of the arguments in docs/plugins.md, by name") from None
        except ValueError as error:  # the same object registered under two names
            raise PluginError(f"plugin '{name}' ({source}) cannot be registered: {error}",
                              hint="two entry points name the same module; disable one of them") from None
        self.sources[name] = source
        for caller in self.pm.get_hookcallers(plugin) or ():
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper):
                    self.pm.unregister(plugin)
                    raise PluginError(f"plugin '{name}' ({source}) declares {caller.name} as a hook wrapper, "
                                      "which ssg does not support", where=_definition(impl.function),
                                      hint="drop wrapper=True/hookwrapper=True; use tryfirst or trylast to order it")

    def _check_arguments(self, plugin: object, name: str, source: str) -> None:
        """Run when pluggy refused the plugin: a hook implementation that asks for
        an argument its hook does not pass, said in ssg's words at the function's
        line (pluggy's message is its own, and names neither for sure)."""
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
                                  where=_definition(function),
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
                                   f"implements unknown hook '{name}'", where=_definition(impl.function), hint=hint)
        return None

    def code_files(self) -> list[str]:
        """The source file of every loaded plugin module (its code is an input of the build)."""
        files = (getattr(plugin, "__file__", None) for _, plugin in self.pm.list_name_plugin())
        return sorted(f for f in files if f)

    def page_fields_read(self, config: Any) -> set[str]:
        """The fields among ``RENDER_ONLY_FIELDS`` (a page's text, its params)
        that some plugin's site-level hooks may read. A plugin declares its
        own with a module attribute ``page_fields_read``: a collection of
        field names, or a function of the site's config returning one. A
        plugin with site-level hooks that declares nothing may read them all.
        ``ssg serve`` rebuilds an edit that changed only other such fields
        without running those hooks again (ssg/warm.py)."""
        every = set(RENDER_ONLY_FIELDS)
        read: set[str] = set()
        for name, plugin in self.pm.list_name_plugin():
            callers = {caller.name for caller in self.pm.get_hookcallers(plugin) or ()}
            if callers.isdisjoint(SITE_HOOKS):
                continue
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
        result = []
        for name, plugin in self.pm.list_name_plugin():
            hooks = tuple(sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ()))
            result.append(PluginInfo(name, self.sources.get(name, "?"), hooks))
        return result

    def _hookimpls(self, hook_name: str) -> list[Any]:
        found = self._sorted.get(hook_name)
        if found is None:
            caller = getattr(self.pm.hook, hook_name)
            # pluggy keeps registration order with trylast ones first and tryfirst
            # ones last; a stable sort gives tryfirst, then load order, then trylast.
            found = sorted(caller.get_hookimpls(), key=lambda i: 0 if i.tryfirst else 2 if i.trylast else 1)
            if self._loaded:
                self._sorted[hook_name] = found
        return found

    def impls(self, hook_name: str) -> Iterator[tuple[str, Any]]:
        """(plugin name, function) of each implementation in load order (built-ins,
        entry points, site plugins), ``tryfirst`` ones first and ``trylast`` last."""
        for impl in self._hookimpls(hook_name):
            yield impl.plugin_name, impl.function

    def implementers(self, hook_name: str) -> list[str]:
        """The names of the plugins implementing ``hook_name``, in call order."""
        return [impl.plugin_name for impl in self._hookimpls(hook_name)]

    def call(self, hook_name: str, *, where: str | None = None, only: str | None = None, **kwargs: Any) -> list[Any]:
        """Call every implementation of ``hook_name`` in order and return
        ``(plugin name, result)`` for each result that is not None.

        Each implementation gets only the arguments it declares (as pluggy does);
        ``only`` calls only the named plugin's.
        An unexpected exception becomes a PluginError naming the plugin, the hook
        and ``where`` (a page); an SsgError raised on purpose passes through.

        Each implementation runs under the hook time limit: ``[build]
        hook_timeout`` of the ``site`` argument's configuration (the default
        without one), in the main thread only (limits.timer). Running out is a
        PluginError naming the plugin, the hook, the page and the plugin's line
        that was running, and it stops the build: every later hook call of that
        build (of the same ``site``) raises it again, so a loop in a per-page
        hook costs one time limit, not one per page."""
        site = kwargs.get("site")
        if self._stopped is not None and self._stopped[0] is site:
            error = self._stopped[1]
            raise PluginError(error.message, where=error.where, hint=error.hint)
        try:
            return self._call(hook_name, where, kwargs, self._hook_timeout(site), only)
        except PluginError as error:
            raise self._site_relative(error) from error.__cause__

    def _hook_timeout(self, site: Any) -> float:
        try:
            return site.config.build["hook_timeout"]
        except (AttributeError, KeyError, TypeError):
            return limits.HOOK_TIMEOUT

    def _call(self, hook_name: str, where: str | None, kwargs: dict[str, Any], seconds: float,
              only: str | None = None) -> list[Any]:
        check = _RESULT_CHECKS.get(hook_name)
        results = []
        for impl in self._hookimpls(hook_name):
            if only is not None and impl.plugin_name != only:
                continue
            timer = limits.timer(seconds)
            try:
                with limits.watched(seconds, partial(self._stuck, impl, hook_name, seconds, where)), timer:
                    result = impl.function(*[kwargs[name] for name in impl.argnames])
            except SsgError:
                raise
            except limits.Timeout as error:
                if not timer.expired(error):
                    raise
                stop = self._site_relative(hook_timeout(impl.plugin_name, hook_name, seconds, error, where,
                                                        impl.function))
                self._stopped = (kwargs.get("site"), stop)
                raise stop from None
            except Exception as error:
                raise plugin_failure(impl.plugin_name, hook_name, error, where, impl.function) from error
            except (SystemExit, KeyboardInterrupt) as error:
                if isinstance(error, KeyboardInterrupt) and limits.interrupted():
                    raise     # Ctrl-C: the user's
                raise plugin_exit(impl.plugin_name, hook_name, error, where, impl.function) from None
            if result is not None:
                if check is not None:
                    check(impl.plugin_name, impl.function, result)
                results.append((impl.plugin_name, result))
        return results

    def _stuck(self, impl: Any, hook_name: str, seconds: float, where: str | None,
               frames: list[traceback.FrameSummary]) -> PluginError:
        """The watchdog's report of a hook implementation that did not stop at
        its time limit: at the plugin's line that was running."""
        code = getattr(inspect.unwrap(impl.function), "__code__", None)
        own = [f for f in frames if code is not None and f.filename == code.co_filename]
        location = Location(own[-1].filename, own[-1].lineno) if own else _definition(impl.function)
        page = f" while processing {where}" if where else ""
        return self._site_relative(PluginError(
            f"plugin '{impl.plugin_name}' ran longer than {seconds:g} s in {hook_name}{page} and did not stop "
            f"when told to; the build process was ended (exit 1), nothing of this build was committed",
            where=location,
            hint="the hook loops at that line while catching every exception or blocking SIGALRM; fix the plugin, "
                 f"raise [build] hook_timeout in ssg.toml if it is only slow, or add '{impl.plugin_name}' to "
                 "plugins.disable"))

    def config_tables(self, reserved: Any = ()) -> dict[str, Table]:
        """Collect the tables every plugin registers in ``ssg_config_schema``.
        A name taken by the core (``reserved``) or by another plugin is an
        error naming both."""
        with self._site_relative_errors():
            return self._config_tables(reserved)

    def _config_tables(self, reserved: Any) -> dict[str, Table]:
        tables: dict[str, Table] = {}
        owners: dict[str, str] = {}
        for impl in self._hookimpls("ssg_config_schema"):
            plugin_name = impl.plugin_name

            def register(name: str, table: Table, _plugin: str = plugin_name, _function: Any = impl.function) -> None:
                if not isinstance(name, str) or not name:
                    raise PluginError(f"plugin '{_plugin}' registered a config table with the name {name!r}",
                                      where=_definition(_function), hint="pass a non-empty string")
                if not isinstance(table, (Table, Option)):
                    raise PluginError(f"plugin '{_plugin}' registered config table '{name}' as a "
                                      f"{type(table).__name__}", where=_definition(_function),
                                      hint="pass an ssg.api.Table")
                if name in reserved:
                    raise PluginError(f"plugin '{_plugin}' registers config table '{name}', which is a core "
                                      "setting", where=_definition(_function), hint="choose another table name")
                if name in tables:
                    raise PluginError(f"config table '{name}' is registered twice: by plugin '{owners[name]}' "
                                      f"and by plugin '{_plugin}'", where=_definition(_function),
                                      hint="rename one table, or add one of the plugins to plugins.disable")
                tables[name] = table
                owners[name] = _plugin

            timer = limits.timer(limits.HOOK_TIMEOUT)   # before the configuration is read: the default
            try:
                with timer:
                    impl.function(*[{"register": register}[arg] for arg in impl.argnames])
            except SsgError:
                raise
            except limits.Timeout as error:
                if not timer.expired(error):
                    raise
                raise hook_timeout(plugin_name, "ssg_config_schema", limits.HOOK_TIMEOUT, error, None,
                                   impl.function) from None
            except Exception as error:
                raise plugin_failure(plugin_name, "ssg_config_schema", error, None, impl.function) from error
        return tables


def _check_outputs(plugin_name: str, function: Callable, result: Any) -> None:
    """ssg_generate_outputs must return Outputs; each is labelled with its plugin."""
    from ssg.model import Output

    if not isinstance(result, (list, tuple)):
        raise PluginError(f"plugin '{plugin_name}' returned a {type(result).__name__} from ssg_generate_outputs",
                          where=_definition(function), hint="return a list of ssg.api.Output (or None)")
    bad = next((item for item in result if not isinstance(item, Output)), None)
    if bad is not None:
        raise PluginError(f"plugin '{plugin_name}' returned a list holding a {type(bad).__name__} from "
                          "ssg_generate_outputs", where=_definition(function),
                          hint="every item must be an ssg.api.Output")
    for output in result:
        if output.origin == "core":
            output.origin = plugin_name


_RESULT_CHECKS: dict[str, Callable[[str, Callable, Any], None]] = {"ssg_generate_outputs": _check_outputs}


def plugin_failure(plugin_name: str, hook_name: str, error: BaseException, where: str | None,
                   function: Callable | None = None) -> PluginError:
    frame = _plugin_frame(error, function)
    location = Location(frame.filename, frame.lineno) if frame else None
    page = f" while processing {where}" if where else ""
    return PluginError(f"plugin '{plugin_name}' failed in {hook_name}{page}: {type(error).__name__}: {error}",
                       where=location, hint=f"fix the plugin, or add '{plugin_name}' to plugins.disable in ssg.toml")


def plugin_exit(plugin_name: str, hook_name: str, error: BaseException, where: str | None,
                function: Callable | None = None) -> PluginError:
    """The error for a hook implementation that tried to end the process
    (sys.exit, os._exit, KeyboardInterrupt): at the plugin's line that did."""
    frame = _plugin_frame(error, function)
    location = Location(frame.filename, frame.lineno) if frame else _definition(function)
    page = f" while processing {where}" if where else ""
    return PluginError(f"plugin '{plugin_name}' tried to end the build process ({limits.exit_call(error)}) in "
                       f"{hook_name}{page}; the build stops here", where=location,
                       hint="a plugin reports a problem by raising an exception (ssg.api.PluginError for a message "
                            f"of its own), never by exiting; fix the plugin, or add '{plugin_name}' to plugins.disable")


def hook_timeout(plugin_name: str, hook_name: str, seconds: float, error: BaseException, where: str | None,
                 function: Callable | None = None) -> PluginError:
    """The error for a hook implementation that ran out of time: at the line of
    the plugin's own file that was running."""
    frame = _plugin_frame(error, function)
    location = Location(frame.filename, frame.lineno) if frame else _definition(function)
    page = f" while processing {where}" if where else ""
    raise_it = ("ssg_config_schema runs before ssg.toml is read, so under the default limit" if
                hook_name == "ssg_config_schema" else "if it is only slow, raise [build] hook_timeout in ssg.toml")
    return PluginError(f"plugin '{plugin_name}' ran longer than {seconds:g} s in {hook_name}{page} and was "
                       "stopped; the build stops here", where=location,
                       hint=f"the hook loops without end at that line; {raise_it}; or add '{plugin_name}' to "
                            "plugins.disable")


def _plugin_frame(error: BaseException, function: Callable | None) -> traceback.FrameSummary | None:
    """The innermost traceback frame in the plugin's own file (not in ssg or a
    library it called); else the innermost frame."""
    frames = traceback.extract_tb(error.__traceback__)
    code = getattr(inspect.unwrap(function), "__code__", None) if function is not None else None
    if code is not None:
        own = [f for f in frames if f.filename == code.co_filename]
        if own:
            return own[-1]
    return frames[-1] if frames else None


def _required_arguments(function: Any) -> list[str]:
    """The arguments of a hook function without a default: those pluggy passes by name."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]


def _definition(function: Any) -> Location | None:
    """file:line where a hook implementation is defined."""
    try:
        function = inspect.unwrap(function)
        filename, line = function.__code__.co_filename, function.__code__.co_firstlineno
    except (TypeError, AttributeError):
        return None
    for offset in range(20):   # co_firstlineno is the first decorator's line; point at the def
        text = linecache.getline(filename, line + offset).lstrip()
        if text.startswith(("def ", "async def ")):
            return Location(filename, line + offset)
    return Location(filename, line)


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
