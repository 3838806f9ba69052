"""Producing outputs: each output's render context (built while planning, so it
is part of the output's plan), then rendering, copying or taking literal
bytes, recording what each render read, and writing if the bytes changed.

Many outputs are rendered by forked workers: each inherits the site model and
the Jinja environment from the parent, renders a slice and writes its files
itself, and sends back what it wrote and what each output read."""

from __future__ import annotations

import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ssg import deps
from ssg.errors import Location, SsgError, TemplateError
from ssg.fields import decode, field_line
from ssg.model import Output, Paginator, Site
from ssg.parallel import run_chunks
from ssg.pluginmanager import Plugins
from ssg.state import OutputRecord
from ssg.templates import SiteEnvironment, render, template_frame
from ssg.writer import OutputWriter, Written

PARALLEL_FROM = 300   # fewer dirty outputs than this render in the calling process


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
    plugins.call("ssg_template_context", where=output.describe(), output=output, context=context, site=site)
    return context


@dataclass
class Rendered:
    """The outcome of one dirty output."""

    index: int
    written: Written | None = None
    keys: frozenset[deps.Key] = frozenset()
    error: SsgError | None = None


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


class RenderTimeout(BaseException):
    """Raised by the alarm inside a render that ran out of time. A BaseException,
    so that neither Jinja nor a plugin's ``except Exception`` swallows it."""


_job: RenderJob | None = None   # set before forking: workers inherit it


def render_all(job: RenderJob, workers: int) -> list[Rendered]:
    global _job
    _job = job
    try:
        chunks = run_chunks(_render_slice, len(job.dirty), workers=workers if len(job.dirty) >= PARALLEL_FROM else 1)
    finally:
        _job = None
    return [item for chunk in chunks for item in chunk]


def _render_slice(start: int, stop: int) -> list[Rendered]:
    job = _job
    assert job is not None
    journal = os.open(job.journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        writer = OutputWriter(job.site.output_root, announce=lambda rel: os.write(journal, (rel + "\n").encode()))
        return [_render_one(job, index, writer) for index in job.dirty[start:stop]]
    finally:
        os.close(journal)


def _render_one(job: RenderJob, index: int, writer: OutputWriter) -> Rendered:
    output = job.outputs[index]
    try:
        with time_limit(job.timeout, output):
            data, keys = produce(output, job.contexts[index], job.env)
        record = job.records.get(output.path)
        written = writer.write(output.path, data, (record.sha, record.size, record.mtime_ns) if record else None)
    except SsgError as error:
        return Rendered(index, error=error)
    return Rendered(index, written=written, keys=keys)


def produce(output: Output, context: dict[str, Any] | None, env: SiteEnvironment) -> tuple[bytes, frozenset]:
    """The output's bytes and the dependency keys read to make them."""
    if output.data is not None:
        return output.data, frozenset()
    if output.copy_from is not None:
        try:
            return output.copy_from.read_bytes(), frozenset({("file", str(output.copy_from))})
        except OSError as error:
            raise SsgError(f"cannot read {output.copy_from}: {error.strerror or error}",
                           where=str(output.copy_from)) from None
    assert context is not None
    own = output.page.source if output.page is not None else None
    try:
        with deps.recording(own) as recorder:
            text = render(env, output.templates, context, what=output.describe())
    except TemplateError as error:
        page = output.page
        if error.where is None and page is not None and page.template and page.template in output.templates:
            error.where = _field_location(env.globals["site"].root, page.source, "template")
        raise
    return text.encode("utf-8"), frozenset(recorder.keys)


def _field_location(root: Path, source: str, name: str) -> Location:
    """file:line of a front matter field, for an error about its value."""
    try:
        return Location(source, field_line(decode((root / source).read_bytes(), source), name))
    except (OSError, SsgError):
        return Location(source)


class time_limit:
    """``with time_limit(seconds, output):`` fails the output with a TemplateError
    naming it and the template line that was running when time ran out. Uses
    SIGALRM, so it applies in the main thread of a process (the build's, or a
    render worker's); elsewhere, and for 0 seconds, it does nothing."""

    def __init__(self, seconds: float, output: Output):
        self.seconds, self.output = seconds, output
        self.active = seconds > 0 and threading.current_thread() is threading.main_thread()

    def __enter__(self) -> None:
        if self.active:
            self._previous = signal.signal(signal.SIGALRM, _alarm)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: Any) -> None:
        if not self.active:
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self._previous)
        if isinstance(error, RenderTimeout):
            code = _code_frame(tb)
            raise TemplateError(
                f"rendering {self.output.describe()} took longer than {self.seconds:g} s"
                + (f"; it was running {code}" if code else ""),
                where=template_frame(tb),
                hint="a template, or a filter a plugin added, loops without end at that line; if the page is "
                     "only slow, raise [build] page_timeout or pass --page-timeout") from None


def _alarm(signum: int, frame: Any) -> None:
    raise RenderTimeout()


def _code_frame(tb: Any) -> str | None:
    """The innermost Python frame outside Jinja, ssg and the standard library
    (a plugin's filter, say), as 'FILE:LINE in FUNCTION'."""
    found = None
    ssg_dir = str(Path(__file__).parent)
    while tb is not None:
        code = tb.tb_frame.f_code
        name = code.co_filename
        if not (name.startswith(ssg_dir) or "/jinja2/" in name or name.startswith(sys.prefix)
                or name.startswith(sys.base_prefix) or name.endswith((".html", ".xml", ".txt", ".j2", ".jinja"))
                or name.startswith("<")):
            found = f"{name}:{tb.tb_lineno} in {code.co_name}"
        tb = tb.tb_next
    return found
