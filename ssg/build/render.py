"""Producing outputs: each output's render context (built while planning, so it
is part of the output's plan), then rendering, copying or taking literal
bytes, recording what each render read, and writing if the bytes changed.

Many outputs are rendered by forked workers: each inherits the site model and
the Jinja environment from the parent, renders the outputs it is handed and
writes their files itself, and sends back what it wrote and what each output
read. Every render runs under the page limits (``page_limits``): a time limit,
a memory ceiling, and Python's recursion limit, each turned into an error
naming the output, the template line and the plugin code that was running."""

from __future__ import annotations

import os
import re
import sys
import sysconfig
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssg.build.templates import SiteEnvironment, render, template_frame
from ssg.build.write import OutputWriter, Written
from ssg.errors import Location, PluginError, SsgError, TemplateError
from ssg.graph import deps, reads
from ssg.graph.journal import begin_journal
from ssg.graph.state import OutputRecord
from ssg.model import Output, Paginator, Site
from ssg.plugins.manager import Plugins
from ssg.runtime import limits
from ssg.runtime.parallel import Lost, pool_imap
from ssg.runtime.progress import QUIET, Progress
from ssg.sources.fields import decode, field_line
from ssg.sources.files import read_bytes, unreadable, write_failure

PARALLEL_FROM = 300   # fewer dirty outputs than this render in one worker process,
LONG_LIST = 2000      # unless one of them lists this many entries
STALL_GRACE = 10.0    # seconds past the page time limit after which a silent render worker is killed


def render_context(output: Output, site: Site, plugins: Plugins) -> dict[str, Any] | None:
    """The variables a templated output renders with (None for data and copies)."""
    if not output.templates or output.data is not None or output.copy_from is not None:
        return None
    context: dict[str, Any] = {"page": output.page, "output": output, "title": output.title}
    if output.items is not None:
        context["pages"] = output.items
        context["paginator"] = Paginator(items=output.items, number=1, urls=(output.url,),
                                         per_page=len(output.items), total_items=len(output.items))
    context.update(output.context)
    plugins.hook.ssg_template_context(output=output, context=context, site=site)
    return context


@dataclass(slots=True)
class Rendered:
    """The outcome of one dirty output (one per output of a cold build: slots keep it small)."""

    index: int
    written: Written | None = None
    keys: dict[str, str] = field(default_factory=dict)   # what it read (key text) -> fingerprint ('': not yet)
    error: SsgError | None = None
    data: bytes | None = None        # the bytes, when the job does not write them (``RenderJob.write``)


@dataclass
class RenderJob:
    outputs: list[Output]
    contexts: list[dict[str, Any] | None]
    dirty: list[int]
    env: SiteEnvironment
    site: Site
    records: dict[str, OutputRecord]
    journal: Path
    timeout: float = 0.0     # seconds per output; 0: no limit
    memory: int = 0          # MiB a render process may grow by while rendering; 0: no limit
    evaluate: deps.Evaluator | None = None   # fingerprints read keys where they were read (in parallel)
    write: bool = True       # False: the bytes come back (``Rendered.data``) for the build to check, then write
    progress: Progress = QUIET   # told of each output as its result comes back


_job: RenderJob | None = None        # set before forking: workers inherit it
_renderer: _Renderer | None = None   # in a render worker: its writer and memory ceiling


def render_all(job: RenderJob, workers: int) -> list[Rendered]:
    """Render, copy and write every dirty output, in order of ``job.dirty``,
    in forked workers: one for a few outputs, ``workers`` for many. Never in
    this process: a render that crashes its process, or is stuck where the
    time limit cannot reach (inside a C extension), costs only its output."""
    global _job
    _job = job
    # The longest lists first: handed out last, a list of ten thousand pages
    # kept one worker busy for a second after the other had finished. Each
    # list goes out alone: in the first batch together, the lists of a
    # 10,000-post site (two of 8,673 pages, forty tags of about 650) kept one
    # worker 3 s on one batch.
    order = sorted(job.dirty, key=lambda index: -len(job.outputs[index].items or ()))
    lists = sum(1 for index in order if job.outputs[index].items)
    # A long list is worth a worker of its own even among a few outputs (a title edit at 10,000 posts: the
    # /posts/ list in one, the post and its tag pages in the other, 0.17 s -> 0.1x s).
    parallel = len(order) >= PARALLEL_FROM or len(order) > 1 and len(job.outputs[order[0]].items or ()) >= LONG_LIST
    if job.write and job.dirty:
        begin_journal(job.journal, str(job.site.output_root))
    try:
        job.progress.stage("render", len(order))
        # counted as the results come in, in any order (ssg/runtime/progress.py)
        by_index = {outcome.index: _shared(outcome) for outcome in pool_imap(
            _render_in_worker, order, workers=workers if parallel else 1, initializer=_start_worker,
            failed=lambda index, lost: _lost(job, index, lost),
            item_timeout=job.timeout + STALL_GRACE if job.timeout > 0 else None, isolated=True, alone=lists,
            on_done=job.progress.advance)}
    finally:
        _job = None
    return [by_index[index] for index in job.dirty]


def _shared(outcome: Rendered) -> Rendered:
    """One copy of each key text and fingerprint among all the outcomes, made
    as each outcome comes in: each comes from its worker as its own copy, and
    most outputs read the same templates, settings and lists (at 100,000
    pages, 220 MB of copies)."""
    intern = sys.intern
    outcome.keys = {intern(key): intern(fingerprint) for key, fingerprint in outcome.keys.items()}
    return outcome


def _start_worker() -> None:
    global _renderer
    assert _job is not None
    _renderer = _Renderer(_job)     # its journal closes when the worker exits


def _render_in_worker(index: int) -> Rendered:
    assert _renderer is not None
    return _renderer.render(index)


def _lost(job: RenderJob, index: int, lost: Lost) -> Rendered:
    """The outcome of an output whose render worker died while rendering it,
    naming the code it was running when a stack came back (a crash)."""
    output = job.outputs[index]
    code, where = _crash_place(job.env, output, lost.stack)
    running = f"; it was running {code}" if code else ""
    if lost.stalled:
        return Rendered(index, error=TemplateError(
            f"rendering {output.describe()} did not stop at the page time limit ({job.timeout:g} s); its render "
            f"worker {lost}{running}", where=where,
            hint="the code at that line is stuck where the time limit cannot interrupt it (inside a C extension, "
                 "or catching every exception); the page's old file is kept"))
    hint = ("a filter, or a C extension a plugin uses, crashed the process; the page's old file is kept"
            if lost.how != "killed by SIGKILL" else
            "SIGKILL comes from the kernel's out-of-memory killer or from a plugin; lower [build] page_memory or "
            "pass --page-memory so that a runaway render fails with a MemoryError first; the page's old file is kept")
    return Rendered(index, error=TemplateError(
        f"the render worker died ({lost}) while rendering {output.describe()}{running}", where=where, hint=hint))


_STACK_FRAME = re.compile(r'^\s*File "(.+)", line (\d+) in (.+)$', re.MULTILINE)


def _crash_place(env: SiteEnvironment, output: Output, stack: str) -> tuple[str | None, Location | None]:
    """From a faulthandler stack (most recent call first): the plugin code that
    was running ('FILE:LINE in FUNCTION') and the template line."""
    code = library = where = None
    for filename, line, function in _STACK_FRAME.findall(stack):
        kind = _frame_kind(filename)
        if kind == "template" and where is None:
            where = _template_line(env, output, filename, int(line))
        elif kind == "code" and code is None:
            code = f"{filename}:{line} in {function}"
        elif kind == "library" and library is None:
            library = f"{filename}:{line} in {function}"
    return code or library, where


def _template_line(env: SiteEnvironment, output: Output, filename: str, line: int) -> Location:
    """A line of a template's compiled code mapped back to the template's own
    line, when the template is one this process has loaded (the output's own
    template is loaded here if need be)."""
    try:
        env.select(output.templates)
    except Exception:   # only a better message is at stake
        pass
    for template in list((env.cache or {}).values()):
        if template.filename == filename:
            return Location(filename, template.get_corresponding_lineno(line))
    return Location(filename)


def journaled_writer(root: Path, journal: Path) -> tuple[OutputWriter, int]:
    """A writer into ``root`` that notes each file it creates or replaces in
    the build's journal (``begin_journal`` made it) before writing it, and the journal's descriptor (the caller closes it)."""
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    return OutputWriter(root, announce=lambda rel: os.write(fd, (rel + "\n").encode())), fd


class _Renderer:
    """Renders outputs in a render worker: its writer announces each file in the
    journal before writing it; every render is under the page limits, the
    memory ceiling measured from this process's size when it was made."""

    def __init__(self, job: RenderJob):
        self.job = job
        self.ceiling = limits.memory_ceiling(job.memory)
        self.writer, self.journal = journaled_writer(job.site.output_root, job.journal)

    def close(self) -> None:
        os.close(self.journal)

    def render(self, index: int) -> Rendered:
        job = self.job
        output = job.outputs[index]
        try:
            with page_limits(output, job.timeout, self.ceiling, job.memory):
                data, keys = produce(output, job.contexts[index], job.env)
            if not job.write:
                return Rendered(index, keys=_fingerprinted(keys, job.evaluate), data=data)
            record = job.records.get(output.path)
            written = self.writer.write(output.path, data,
                                        (record.sha, record.size, record.mtime_ns) if record else None)
        except SsgError as error:
            return Rendered(index, error=error)
        except OSError as error:    # a template cannot be read, or the output written: its old file stays
            written_to = os.fsdecode(error.filename or "").startswith(f"{job.site.output_root}{os.sep}")
            return Rendered(index, error=write_failure(error, output.path, output.source) if written_to or
                            error.filename is None else unreadable(error, os.fsdecode(error.filename)))
        return Rendered(index, written=written, keys=_fingerprinted(keys, job.evaluate))


def _fingerprinted(keys: frozenset[reads.Key], evaluate: deps.Evaluator | None) -> dict[str, str]:
    """The keys an output read, as stored (``deps.key_text``), with their
    fingerprints ('' for those the build takes itself), taken here: in a
    render worker, which spreads the work over the cores."""
    if evaluate is None:
        return dict.fromkeys(map(deps.key_text, keys), "")
    return evaluate.stored(keys)


def produce(output: Output, context: dict[str, Any] | None, env: SiteEnvironment) -> tuple[bytes, frozenset]:
    """The output's bytes and the dependency keys read to make them."""
    if output.data is not None:
        return output.data, frozenset()
    if output.copy_from is not None:
        try:
            return read_bytes(output.copy_from), frozenset({("file", str(output.copy_from))})
        except OSError as error:
            raise unreadable(error, str(output.copy_from)) from None
    own = output.page.source if output.page is not None else None
    if output.make is not None:
        return _made(output, own)
    assert context is not None
    try:
        with reads.recording(own) as recorder:
            text = render(env, output.templates, context, what=output.describe())
    except TemplateError as error:
        page = output.page
        if error.where is None and page is not None and page.template and page.template in output.templates:
            error.where = _field_location(env.globals["site"].root, page.source, "template")
        raise
    return text.encode("utf-8"), recorder.read()


def _made(output: Output, own: str | None) -> tuple[bytes, frozenset]:
    """The bytes a plugin makes for ``output`` (``Output.make``), with what it read."""
    try:
        with reads.recording(own) as recorder:
            data = output.make()   # type: ignore[misc]
    except SsgError:
        raise
    except Exception as error:
        code = _code_frame(error.__traceback__)
        raise PluginError(f"{output.planner} failed making {output.describe()}: {type(error).__name__}: {error}"
                          + (f"; it was running {code}" if code else ""),
                          hint="fix the plugin or disable it under [plugins]; the old file is kept") from None
    if not isinstance(data, bytes):
        raise PluginError(f"{output.planner} made {type(data).__name__}, not bytes, for {output.describe()}",
                          hint="Output.make must return the file's bytes")
    return data, recorder.read()


def _field_location(root: Path, source: str, name: str) -> Location:
    """file:line of a front matter field, for an error about its value."""
    try:
        return Location(source, field_line(decode((root / source).read_bytes(), source), name))
    except (OSError, SsgError):
        return Location(source)


class page_limits:
    """``with page_limits(output, seconds, ceiling, mib):`` runs one output's
    render with at most ``seconds`` of wall-clock time (``limits.timer``) and
    the process's address space capped at ``ceiling`` bytes (``mib`` is the
    configured headroom, for the message). Running out of time or memory, or
    recursing without end, becomes a TemplateError naming the output, the
    template line that was running (where known) and the plugin code."""

    def __init__(self, output: Output, seconds: float, ceiling: int | None, mib: float = 0):
        self.output, self.seconds, self.mib = output, seconds, mib
        self.timer = limits.timer(seconds)
        self.memory = limits.memory_cap(ceiling)

    def __enter__(self) -> None:
        self.memory.__enter__()
        self.timer.__enter__()

    @limits.shielded
    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
        self.timer.__exit__(kind, error, tb)
        self.memory.__exit__(kind, error, tb)    # the limit is lifted before anything below allocates
        if error is None:
            return
        what = self.output.describe()
        if self.timer.expired(error):
            code = _code_frame(tb)
            raise TemplateError(
                f"rendering {what} took longer than {self.seconds:g} s" + (f"; it was running {code}" if code else ""),
                where=template_frame(tb),
                hint="a template, or a filter a plugin added, loops without end at that line; if the page is "
                     "only slow, raise [build] page_timeout or pass --page-timeout") from None
        memory = _cause(error, MemoryError)
        if memory is not None:
            code = _code_frame(memory.__traceback__)
            where = error.where if isinstance(error, TemplateError) and error.where else \
                template_frame(memory.__traceback__)
            traceback.clear_frames(memory.__traceback__)   # let go of what the runaway code allocated
            limit = f" (the limit is {self.mib:g} MiB more than the render process had)" if self.mib else ""
            raise TemplateError(
                f"rendering {what} ran out of memory{limit}" + (f"; it was running {code}" if code else ""),
                where=where,
                hint="a template, or a filter a plugin added, allocates without bound at that line; if the page "
                     "really needs more, raise [build] page_memory or pass --page-memory") from None
        cause = _cause(error, (RecursionError, SystemExit, KeyboardInterrupt)) if isinstance(error, TemplateError) else None
        if cause is not None:
            code = _code_frame(cause.__traceback__)
            if code and "it was running" not in error.message:
                error.message += f"; it was running {code}"


def _cause(error: BaseException, kind: type[BaseException] | tuple[type[BaseException], ...]) -> BaseException | None:
    """The first exception of ``kind`` in the chain that led to ``error``
    (templates.render wraps what a render raised in a TemplateError)."""
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, kind):
            return error
        error = error.__cause__ or error.__context__
        seen += 1
    return None


_STDLIB = tuple({sysconfig.get_paths()[name] + os.sep for name in ("stdlib", "platstdlib")})
_SSG = str(Path(__file__).parents[1]) + os.sep     # the ssg package (this is ssg/build/render.py)
_TEMPLATE_FILES = (".html", ".htm", ".xml", ".txt", ".j2", ".jinja")


def _frame_kind(filename: str) -> str:
    """'template', 'ours' (ssg, Jinja, the standard library), 'library' (an
    installed package) or 'code' (a site plugin, say)."""
    if filename.endswith(_TEMPLATE_FILES):
        return "template"
    if (filename.startswith((_SSG, "<")) or "/jinja2/" in filename or "/markupsafe/" in filename
            or (filename.startswith(_STDLIB) and "-packages" not in filename)):
        return "ours"
    return "library" if f"-packages{os.sep}" in filename else "code"


def _code_frame(tb: Any) -> str | None:
    """The innermost Python frame outside Jinja, ssg, templates and the
    standard library (a plugin's filter, say), as 'FILE:LINE in FUNCTION'.
    Frames in installed packages count only when there is no other."""
    found = library = None
    while tb is not None:
        code = tb.tb_frame.f_code
        kind = _frame_kind(code.co_filename)
        if kind in ("code", "library"):
            text = f"{code.co_filename}:{tb.tb_lineno} in {code.co_name}"
            if kind == "code":
                found = text
            else:
                library = text
        tb = tb.tb_next
    return found or library
