"""The guard put around every hook implementation when its plugin is
registered (ssg/plugins/manager.py), so that hooks are called through pluggy's
own hook caller (``plugins.hook.ssg_page_parsed(page=..., site=...)``) and
each implementation still:

- runs under the hook time limit (``[build] hook_timeout`` of the call's
  ``site``, the default without one), watched by the watchdog (ssg/runtime/limits.py);
  running out stops the build: every later hook call with the same ``site``
  raises the same error again (``Calls.before``);
- has an unexpected exception, a ``sys.exit`` or a ``KeyboardInterrupt`` it
  raised turned into a PluginError naming the plugin, the hook, the page or
  output being processed (from the call's ``page`` or ``output`` argument)
  and the plugin's own line; an ``SsgError`` raised on purpose passes through;
- has its result checked (``RESULT_CHECKS``).

What a call was called with reaches the guard through pluggy's hook call
monitoring (``Calls.before``/``Calls.after``): pluggy passes an
implementation only the arguments it declares, and a guard needs the
call's ``site`` even when its implementation does not take it. Hook
wrappers (``wrapper=True`` or ``hookwrapper=True``) are guarded step by step:
their code before the ``yield`` and after it each run under the limit, the
implementations they wrap under their own.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import linecache
import threading
import traceback
from collections.abc import Callable, Generator, Mapping
from pathlib import Path
from typing import Any

from ssg.errors import Location, PluginError, SsgError
from ssg.model import PAGE_FIELDS
from ssg.runtime import limits

_NO_CALL: Mapping[str, Any] = {}
# The hooks that pass a ``register`` callback, which asks whose implementation is running (``Calls.running``).
REGISTERING = ("ssg_config_schema", "ssg_deploy_targets")


class _Stacks(threading.local):
    calls: list[Mapping[str, Any]]
    running: list[tuple[str, Callable]]

    def __init__(self) -> None:
        self.calls = []      # the keyword arguments of each hook call in progress, innermost last
        self.running = []    # (plugin name, function) of each implementation running, innermost last


class Calls:
    """The hook calls of one plugin manager in progress (per thread), and the
    error that stopped a build (a hook that ran out of time)."""

    def __init__(self) -> None:
        self.stacks = _Stacks()
        self.site_root: Path | None = None
        self.stopped: tuple[Any, PluginError] | None = None    # (site, error)

    def before(self, hook_name: str, impls: Any, kwargs: Mapping[str, Any]) -> None:
        """pluggy's monitoring, before each hook call: a build that a hook
        stopped stays stopped."""
        if self.stopped is not None and self.stopped[0] is kwargs.get("site"):
            error = self.stopped[1]
            raise PluginError(error.message, where=error.where, hint=error.hint)
        self.stacks.calls.append(kwargs)

    def after(self, outcome: Any, hook_name: str, impls: Any, kwargs: Mapping[str, Any]) -> None:
        self.stacks.calls.pop()

    def running(self) -> tuple[str, Callable] | None:
        """(plugin name, function) of the innermost hook implementation
        running in this thread: whose ``register(...)`` call this is."""
        running = self.stacks.running
        return running[-1] if running else None

    def site_relative(self, error: PluginError) -> PluginError:
        """Show a site plugin's file as ``plugins/x.py:LINE``, as content files are."""
        return site_relative(error, self.site_root)


def site_relative(error: PluginError, site_root: Path | None) -> PluginError:
    where = error.where
    if where is not None and site_root is not None:
        try:
            rel = Path(where.path).resolve().relative_to(site_root.resolve())
        except (ValueError, OSError):
            pass
        else:
            error.where = Location(rel.as_posix(), where.line)
    return error


def guard(calls: Calls, plugin_name: str, hook_name: str, function: Callable, *, wrapper: bool) -> Callable:
    """``function`` (a hook implementation of ``plugin_name``) under the limit,
    with its failures attributed. pluggy reads the arguments to pass from
    ``function`` itself (``__wrapped__``)."""
    guarded = _Guarded(calls, plugin_name, hook_name, function, None if wrapper else RESULT_CHECKS.get(hook_name))
    if not wrapper:
        def call(*args: Any, **kwargs: Any) -> Any:
            return guarded.run(function, args, kwargs)
    else:
        def call(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:    # type: ignore[misc]
            return (yield from guarded.steps(args, kwargs))
    return functools.update_wrapper(call, function)


class _Guarded:
    __slots__ = ("calls", "plugin_name", "hook_name", "function", "check", "stacks", "tracked")

    def __init__(self, calls: Calls, plugin_name: str, hook_name: str, function: Callable,
                 check: Callable[[str, Callable, Any], None] | None):
        self.calls, self.plugin_name, self.hook_name, self.function = calls, plugin_name, hook_name, function
        self.check = check
        self.stacks = calls.stacks
        self.tracked = (plugin_name, function) if hook_name in REGISTERING else None

    def run(self, step: Callable, args: Any = (), kwargs: Mapping[str, Any] | None = None,
            thrown: BaseException | None = None) -> Any:
        """``step(*args, **kwargs)`` (the implementation, or one step of a
        wrapper's generator) under the limit, failures attributed."""
        stacks = self.stacks
        call = stacks.calls[-1] if stacks.calls else _NO_CALL
        site = call.get("site")
        seconds = _seconds(site) if site is not None else limits.HOOK_TIMEOUT
        running = stacks.running
        if self.tracked is not None:
            running.append(self.tracked)
        try:
            with limits.bounded(seconds, functools.partial(self._stuck, seconds, call)) as timer:
                result = step(*args, **kwargs) if kwargs else step(*args)
        except StopIteration:
            raise                  # a wrapper's generator finished: its result
        except SsgError as error:
            if isinstance(error, PluginError) and error is not thrown:
                self.calls.site_relative(error)
            raise
        except limits.Timeout as error:
            if not timer.expired(error):
                raise
            stop = self.calls.site_relative(hook_timeout(self.plugin_name, self.hook_name, seconds, error,
                                                         where(call), self.function))
            if call.get("site") is not None:
                self.calls.stopped = (call["site"], stop)
            raise stop from None
        except Exception as error:
            if error is thrown:
                raise
            raise self.calls.site_relative(
                plugin_failure(self.plugin_name, self.hook_name, error, where(call), self.function)) from error
        except (SystemExit, KeyboardInterrupt) as error:
            if error is thrown or isinstance(error, KeyboardInterrupt) and limits.interrupted():
                raise     # Ctrl-C: the user's
            raise self.calls.site_relative(
                plugin_exit(self.plugin_name, self.hook_name, error, where(call), self.function)) from None
        finally:
            if self.tracked is not None:
                running.pop()
        if result is not None and self.check is not None:
            try:
                self.check(self.plugin_name, self.function, result)
            except PluginError as error:
                raise self.calls.site_relative(error) from None
        return result

    def steps(self, args: Any, kwargs: Mapping[str, Any]) -> Generator[Any, Any, Any]:
        """A hook wrapper: its code up to the ``yield``, then what follows it
        (given the result, or the exception, of what it wraps), each guarded."""
        generator = self.function(*args, **kwargs)   # runs nothing of it yet
        try:
            first = self.run(next, (generator,))
        except StopIteration:
            raise self._wrapfail("never yields") from None
        try:
            sent = yield first
        except BaseException as error:   # what it wraps raised: the wrapper sees it at its yield
            try:
                self.run(generator.throw, (error,), thrown=error)
            except StopIteration as stop:
                return stop.value
        else:
            try:
                self.run(generator.send, (sent,))
            except StopIteration as stop:
                return stop.value
        generator.close()
        raise self._wrapfail("yields twice")

    def _wrapfail(self, what: str) -> PluginError:
        return self.calls.site_relative(PluginError(
            f"plugin '{self.plugin_name}': its hook wrapper {self.hook_name} {what}",
            where=definition(self.function), hint="a hook wrapper yields exactly once"))

    def _stuck(self, seconds: float, call: Mapping[str, Any], frames: list[traceback.FrameSummary]) -> PluginError:
        """The watchdog's report of an implementation that did not stop at
        its time limit: at the plugin's line that was running."""
        code = getattr(inspect.unwrap(self.function), "__code__", None)
        own = [f for f in frames if code is not None and f.filename == code.co_filename]
        location = Location(own[-1].filename, own[-1].lineno) if own else definition(self.function)
        page = f" while processing {where(call)}" if where(call) else ""
        name = self.plugin_name
        return self.calls.site_relative(PluginError(
            f"plugin '{name}' ran longer than {seconds:g} s in {self.hook_name}{page} and did not stop "
            f"when told to; the build process was ended (exit 1), nothing of this build was committed",
            where=location,
            hint="the hook loops at that line while catching every exception or blocking SIGALRM; fix the plugin, "
                 f"raise [build] hook_timeout in ssg.toml if it is only slow, or add '{name}' to plugins.disable"))


def _seconds(site: Any) -> float:
    try:
        return site.config.build["hook_timeout"]
    except (AttributeError, KeyError, TypeError):
        return limits.HOOK_TIMEOUT


def where(call: Mapping[str, Any]) -> str | None:
    """What a hook call is processing, for messages: its page's source file,
    or its output's description."""
    page = call.get("page")
    if page is not None:
        return getattr(page, "source", None)
    output = call.get("output")
    return output.describe() if output is not None else None


# --- result checks ----------------------------------------------------------------

def _check_outputs(plugin_name: str, function: Callable, result: Any) -> None:
    """ssg_generate_outputs must return Outputs; each is labelled with its plugin."""
    from ssg.model import Output

    if not isinstance(result, (list, tuple)):
        raise PluginError(f"plugin '{plugin_name}' returned a {type(result).__name__} from ssg_generate_outputs",
                          where=definition(function), hint="return a list of ssg.api.Output (or None)")
    bad = next((item for item in result if not isinstance(item, Output)), None)
    if bad is not None:
        raise PluginError(f"plugin '{plugin_name}' returned a list holding a {type(bad).__name__} from "
                          "ssg_generate_outputs", where=definition(function),
                          hint="every item must be an ssg.api.Output")
    for output in result:
        if output.origin == "core":
            output.origin = plugin_name


def _check_fields(plugin_name: str, function: Callable, result: Any) -> None:
    """ssg_page_fields_read returns a collection of page field names."""
    if isinstance(result, (str, bytes)) or not isinstance(result, (list, tuple, set, frozenset)):
        raise PluginError(f"plugin '{plugin_name}' returned a {type(result).__name__} from ssg_page_fields_read",
                          where=definition(function), hint="return a tuple of page field names, or ()")
    for field in result:
        if field not in PAGE_FIELDS:
            close = difflib.get_close_matches(str(field), PAGE_FIELDS, n=1)
            raise PluginError(f"plugin '{plugin_name}' returned {field!r} from ssg_page_fields_read, which is not "
                              "a page field", where=definition(function),
                              hint=f"did you mean '{close[0]}'?" if close else f"the fields are {', '.join(PAGE_FIELDS)}")


RESULT_CHECKS: dict[str, Callable[[str, Callable, Any], None]] = {
    "ssg_generate_outputs": _check_outputs,
    "ssg_page_fields_read": _check_fields,
}


# --- errors attributed to a plugin ------------------------------------------------

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
    location = Location(frame.filename, frame.lineno) if frame else definition(function)
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
    location = Location(frame.filename, frame.lineno) if frame else definition(function)
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


def definition(function: Any) -> Location | None:
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
