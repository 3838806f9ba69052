"""Server-sent events for the pages a dev server has open: one broker, one
queue per open connection. The main thread publishes a ``written`` event when
a build has written its files (before it prunes and commits) and a ``build``
event after each build; a new connection first gets ``hello`` (the server's
id, the last build's event and the last ``written`` one), so a page can tell
a restarted server or a missed build."""

from __future__ import annotations

import json
import queue
import secrets
import threading
from typing import Any


def format_event(name: str, data: Any) -> bytes:
    """One SSE message: ``event: NAME`` and the data as one line of JSON."""
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


class Broker:
    def __init__(self) -> None:
        self.server_id = secrets.token_hex(8)
        self._lock = threading.Lock()
        self._queues: set[queue.SimpleQueue] = set()
        self._last: dict | None = None
        self._written: dict | None = None
        self._closed = False

    def subscribe(self) -> queue.SimpleQueue:
        """A queue of encoded messages for one connection; ``None`` in it means: close."""
        inbox: queue.SimpleQueue = queue.SimpleQueue()
        with self._lock:
            inbox.put(format_event("hello", {"server": self.server_id, "last": self._last, "written": self._written}))
            if self._closed:
                inbox.put(None)
            else:
                self._queues.add(inbox)
        return inbox

    def unsubscribe(self, inbox: queue.SimpleQueue) -> None:
        with self._lock:
            self._queues.discard(inbox)

    def publish(self, name: str, data: dict) -> None:
        message = format_event(name, data)
        with self._lock:
            if name == "build":
                self._last = data
            elif name == "written":
                self._written = data
            for inbox in self._queues:
                inbox.put(message)

    @property
    def listeners(self) -> int:
        with self._lock:
            return len(self._queues)

    def close(self) -> None:
        """End every open stream (the server is stopping)."""
        with self._lock:
            self._closed = True
            for inbox in self._queues:
                inbox.put(None)
            self._queues.clear()
