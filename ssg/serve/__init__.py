"""``ssg serve``: build the site, serve its output folder, and with ``watch``
rebuild on every change and tell the open pages (live reload).

Threads: builds run in the main thread, always (the time limits of
ssg/runtime/limits.py use SIGALRM, which only the main thread gets); the HTTP server
(ssg/serve/http.py, one thread per connection) and the file watcher
(ssg/serve/watch.py) run in daemon threads. The watcher only marks the
``Scheduler`` dirty; the main thread loops on ``Scheduler.wait()``, so one
build runs at a time and changes made during it make exactly one more.

Builds are warm (ssg/build/sources/kept.py): the session keeps the model of its last
build, and an edit of page text is rebuilt from it in milliseconds. The output
folder is watched too: a file there edited or deleted by hand (not as the last
build left it) is rebuilt warm; the builds' own writes start no build."""

from __future__ import annotations

import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ssg.build.entry import BuildOptions, BuildResult, build
from ssg.build.sources.kept import Warm
from ssg.errorgroups import group_errors
from ssg.errors import ConfigError, SsgError
from ssg.serve.events import Broker
from ssg.serve.http import DevServer, Mount, bind
from ssg.serve.watch import Scheduler, Watcher

MAX_LISTED = 2000   # more changed files than this: the event says "everything" and pages reload


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int | None = None     # None: 8000, or the next free port
    watch: bool = True
    poll: bool = False          # the watcher polls: file events never arrive (network mounts, containers)
    open_browser: bool = False
    verbose: bool = False       # log requests
    build: BuildOptions = field(default_factory=BuildOptions)


class Reporter(Protocol):
    def built(self, result: BuildResult) -> None: ...
    def failed(self, error: Exception) -> None: ...
    def say(self, text: str) -> None: ...


@dataclass(frozen=True)
class Layout:
    """What the server needs from ssg.toml besides the build: where the site
    is mounted and which theme folder to watch. Read on its own, so that a
    broken ssg.toml leaves the last good one in force."""

    base_path: str = "/"
    theme: Path | None = None


def read_layout(site_root: Path, base_url: str | None = None) -> Layout | None:
    """``base_url``: the one given on the command line (``--base-url``), which
    overrides ssg.toml's as it does for the build."""
    from ssg.config.site import read_config, url_base_path
    from ssg.config.themes import theme_dir

    try:
        raw = read_config(site_root)
    except SsgError:
        return None
    try:
        theme = theme_dir(site_root, str(raw.data.get("theme", "default")), raw.path)
    except SsgError:
        theme = None
    return Layout(url_base_path(base_url if base_url is not None else str(raw.data.get("base_url", ""))), theme)


def output_url(rel: str, base_path: str) -> str:
    """The URL a page is seen at: 'posts/a/index.html' -> '/posts/a/'."""
    if rel == "index.html" or rel.endswith("/index.html"):
        rel = rel[: -len("index.html")]
    return base_path + rel


def build_event(number: int, result: BuildResult | None, error: Exception | None, base_path: str,
                written: dict | None = None) -> dict:
    """What a page learns when a build ends. ``written``: the build's
    ``written_event``, when it sent one (its time is when the files changed)."""
    errors = [error] if error is not None else list(result.errors if result else [])
    event = {"build": number, "ok": not errors, "finished": time.time() * 1000,
             "errors": [{**(group.first.as_dict() if isinstance(group.first, SsgError) else {}), "text": group.text,
                         "pages": list(group.pages)} for group in group_errors(errors)],
             **_files(result.written if result else [], result.deleted if result else [], base_path)}
    if result is not None:
        event["seconds"] = round(result.seconds, 3)
    if written is not None and written["build"] == number:
        event["written_at"] = written["finished"]
    return event


def written_event(number: int, written: list[str], base_path: str) -> dict:
    """What a page learns when a build has written its files, before it prunes
    and commits (a live reload need not wait for those): the ``build`` event
    of the same number follows."""
    return {"build": number, "ok": True, "finished": time.time() * 1000, "errors": [],
            **_files(written, [], base_path)}


def _files(written: list[str], deleted: list[str], base_path: str) -> dict:
    if len(written) + len(deleted) > MAX_LISTED:
        return {"changed": [], "deleted": [], "everything": True}
    return {"changed": [output_url(rel, base_path) for rel in written],
            "deleted": [output_url(rel, base_path) for rel in deleted], "everything": False}


class Session:
    """One run of ``ssg serve``. ``run()`` returns when stopped (SIGINT, SIGTERM)."""

    def __init__(self, site_root: Path, options: ServeOptions, reporter: Reporter):
        self.site_root = site_root.resolve()
        self.options, self.reporter = options, reporter
        self.broker = Broker()
        self.scheduler = Scheduler()
        self.layout = Layout()
        self.server: DevServer | None = None
        self.builds = 0
        self.building = False
        # The last build's model: an edit of page text is rebuilt from it. The first
        # build may find nothing changed and load nothing, so that serving starts at
        # once; the model is loaded right after (_load_model).
        self.warm = Warm(load=False)
        self.warm.announce = self._announce
        self.announced: dict | None = None      # the running build's written_event, once sent

    def run(self) -> None:
        from ssg.config.site import read_config

        try:
            read_config(self.site_root)      # no site at all: a usage error, nothing served
        except ConfigError:
            pass                             # a broken ssg.toml: served anyway, shown in the page
        self.layout = read_layout(self.site_root, self.options.build.base_url) or Layout()
        self.server = server = bind(self.options.host, self.options.port, self.broker, verbose=self.options.verbose,
                                    on_busy=lambda taken, chosen: self.reporter.say(
                                        f"port {taken} is in use; serving on port {chosen} instead"))
        watcher = serving = None
        handlers = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            if self.options.watch:
                watcher = Watcher(self.site_root, self.scheduler.mark, theme=lambda: self.layout.theme,
                                  output=lambda: server.mount.root, on_output=self.scheduler.mark_outputs,
                                  warn=self.reporter.say, poll=self.options.poll)
                watcher.start()      # before the first build: a change made during it is built next
            self._build(None)
            if self.scheduler.stopped:
                return
            serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="ssg-http", daemon=True)
            serving.start()
            url = self.url()
            self.reporter.say(f"serving {url}" + ("" if self.options.watch else " (not watching for changes)"))
            if self.options.open_browser:
                import webbrowser

                threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
            if self.options.watch:
                self._load_model()
            while (batch := self.scheduler.wait()) is not None:
                # Output files not as the last build left them were changed by hand: built again.
                # The rest are the builds' own writes, which start no build.
                suspects = self.warm.changed_outputs(batch.outputs)
                if batch.paths is not None and not batch.paths and not suspects:
                    continue
                self._build(None if batch.paths is None else batch.paths | suspects)
                if watcher is not None:
                    watcher.refresh()
        except KeyboardInterrupt:
            self.reporter.say("build abandoned (its files were written atomically; the next build redoes it)")
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            if watcher is not None:
                watcher.stop()
            self.broker.close()
            if serving is not None:
                server.shutdown()
            server.server_close()

    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}{self.layout.base_path}"

    def _on_signal(self, signum: int, frame) -> None:
        if self.scheduler.stopped and self.building:
            raise KeyboardInterrupt    # asked twice: abandon the running build
        self.scheduler.stop()
        if self.building:
            self.reporter.say("stopping after the running build (press Ctrl-C again to abandon it)")

    def _announce(self, written: list[str]) -> None:
        """A build (in this thread) has written every file it will: the pages
        showing one of them reload now, not after its prune and commit."""
        self.announced = written_event(self.builds + 1, written, self.layout.base_path)
        self.broker.publish("written", self.announced)

    def _load_model(self) -> None:
        """After a first build that found nothing changed (and loaded nothing):
        load the model now, while serving, so that the first edit is already
        rebuilt warm. Said in one line, unless this build did find something
        to do (a change made meanwhile): then it is reported as any build."""
        self.warm.load = True
        if self.warm.model is None:
            self._build(None, quiet=True)

    def _build(self, changed: frozenset[str] | None, *, quiet: bool = False) -> None:
        """One build; ``changed``: the files the watcher saw change (None:
        unknown). ``quiet``: a build that wrote, deleted and failed nothing is
        not reported as a build (loading the model)."""
        assert self.server is not None
        result = error = None
        self.building, self.announced = True, None
        try:
            result = build(self.site_root, self.options.build, warm=self.warm, changed=changed)
        except Exception as failure:     # SsgError: config, plugin, lock; anything else: a bug, shown as one
            error = failure
            self.warm.model = None
        finally:
            self.building = False
        if quiet and result is not None and not (result.written or result.deleted or result.errors):
            self.reporter.say(f"ready: the site model is loaded ({result.seconds:.2f} s); edits of page text "
                              "are rebuilt from it")
            self.warm.prepare()
            return
        self.builds += 1
        if result is not None:
            self.layout = read_layout(self.site_root, self.options.build.base_url) or self.layout
            self.server.mount = Mount(result.output_root, self.layout.base_path)
            self.reporter.built(result)
        else:
            self.reporter.failed(error)
        self.broker.publish("build", build_event(self.builds, result, error, self.server.mount.base_path,
                                                 self.announced))
        self.warm.prepare()
