"""Helpers for the `ssg serve` tests: the real server as a subprocess, plain
HTTP requests to it, and its server-sent events read from a socket."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WAIT = 30.0    # seconds a test waits for what it expects: generous, for a busy machine


def wait_until(predicate, what: str, timeout: float = WAIT):
    """``predicate()`` once it is true (polled); an AssertionError naming ``what`` if it is not in time."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.02)
    return value


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class ServeProcess:
    """``python -m ssg serve -s SITE --port PORT ARGS`` (0: any free port) with its output collected
    line by line; ``url`` once it says ``serving http://...``.

    stdout and stderr are two pipes read by two threads, so ``lines`` has
    each in order but not one against the other; ``merged``: stderr goes to
    stdout, one pipe, and ``lines`` is in the order written."""

    def __init__(self, site: Path, *args: str, port: int = 0, timeout: float = WAIT, env: dict | None = None,
                 merged: bool = False, wrapper: tuple[str, ...] = ()):
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        command = [*wrapper, sys.executable, "-m", "ssg", "serve", "-s", str(site), "--port", str(port), *args]
        self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT if merged else subprocess.PIPE, text=True)
        self.lines: list[str] = []           # stdout and stderr, in the order read
        self.stdout: list[str] = []
        self._changed = threading.Condition()
        streams = [(self.process.stdout, self.stdout)] + ([] if merged else [(self.process.stderr, None)])
        self._open = len(streams)            # pipes not read to their end yet
        for stream, sink in streams:
            threading.Thread(target=self._read, args=(stream, sink), daemon=True).start()
        match = self.wait_for_line(r"serving (http://(127\.0\.0\.1|\[::1\]):(\d+)/\S*)", timeout)
        self.url, self.host, self.port = match.group(1), match.group(2).strip("[]"), int(match.group(3))

    def _read(self, stream, sink: list[str] | None) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                if sink is not None:
                    sink.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._open -= 1
            self._changed.notify_all()

    def wait_for_line(self, pattern: str, timeout: float = WAIT, start: int = 0) -> re.Match:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[start:]:
                    if match := re.search(pattern, line):
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or not self._open:     # all read: the process ended without saying it
                    raise AssertionError(f"no line matching {pattern!r}; output so far:\n" + "\n".join(self.lines))
                self._changed.wait(min(left, 0.5))

    @property
    def builds(self) -> int:
        """Builds finished so far (each prints 'built in ...' or 'build failed'), as far as read:
        a build's event can arrive before its line is read."""
        with self._changed:
            return sum(1 for line in self.stdout if line.startswith(("built in ", "build failed")))

    def wait_for_builds(self, count: int, timeout: float = WAIT) -> int:
        """The number of builds once at least ``count`` are read."""
        try:
            wait_until(lambda: self.builds >= count, f"{count} builds", timeout)
        except AssertionError as error:
            raise AssertionError(f"{error}; output so far:\n" + "\n".join(self.lines)) from None
        return self.builds

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> Response:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            connection.endheaders()
            response = connection.getresponse()
            return Response(response.status, response.headers, response.read())
        finally:
            connection.close()

    def events(self) -> EventStream:
        return EventStream(self.port)

    def stop(self, sig: int = signal.SIGINT, timeout: float = WAIT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class EventStream:
    """/_ssg/events read on a thread; ``next(name)`` gives each event's data in
    order. The stream is open (the server knows us) once ``hello`` arrived."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.connection.request("GET", "/_ssg/events")
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.queue: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.hello = self.next("hello")

    def _read(self) -> None:
        name, data = "message", []
        try:
            for raw in iter(self.response.fp.readline, b""):
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].strip())
                elif line == "" and data:
                    self.queue.put((name, json.loads("\n".join(data))))
                    name, data = "message", []
        except (OSError, ValueError):
            pass
        self.queue.put(("closed", None))

    def next(self, name: str = "build", timeout: float = WAIT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                kind, data = self.queue.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                raise AssertionError(f"no '{name}' event within {timeout} s") from None
            if kind == "closed":
                raise AssertionError(f"the event stream closed while waiting for '{name}'")
            if kind == name:
                return data

    def until(self, predicate, timeout: float = WAIT) -> tuple[dict, list[dict]]:
        """Build events up to the first one for which ``predicate`` holds: (it, all of them)."""
        seen: list[dict] = []
        deadline = time.monotonic() + timeout
        while True:
            event = self.next("build", max(deadline - time.monotonic(), 0.001))
            seen.append(event)
            if predicate(event):
                return event, seen

    def close(self) -> None:
        self.connection.close()
