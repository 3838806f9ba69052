"""The contract a deploy target plugin implements: a few primitive operations on
paths relative to the target root. Everything else (change detection, order,
the lease, fencing) lives in the core and is the same for every protocol."""

from __future__ import annotations

import posixpath
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import SplitResult

from ssg.config.schema import Table
from ssg.errors import SsgError

STATE_DIR = ".ssg-deploy"           # on the target, beside the site's files
LOCK_DIR = f"{STATE_DIR}/lock"


class DeployError(SsgError):
    """The deploy failed or was refused (locked, lease lost, server refused). Exit code 1."""


def temp_name(path: str, deploy_id: str) -> str:
    """Unique temporary name in ``path``'s folder for one deploy: a paused deployer
    can never write into another deployer's temporary file."""
    folder, name = posixpath.split(path)
    return posixpath.join(folder, f".{name}.ssg-{deploy_id[:12]}.tmp")


_TEMP = re.compile(r"\.(?P<name>.+)\.ssg-[0-9a-f]{1,12}\.tmp")


def temp_of(path: str) -> str | None:
    """The path a temporary name of ssg's own (``temp_name``) stands for; None for any other name."""
    folder, name = posixpath.split(path)
    match = _TEMP.fullmatch(name)
    return posixpath.join(folder, match["name"]) if match else None


class Target(ABC):
    """One session with a deploy target. ``url`` is the parsed target URL,
    ``options`` the validated ``[deploy.<name>]`` table (common keys plus the
    class's ``options``). Paths are POSIX and relative to the target root.

    Two sessions are opened per deploy (files and lease); a session is used by
    one thread at a time."""

    options: ClassVar[Table] = Table()          # extra [deploy.<name>] keys this target accepts
    stages_remotely: ClassVar[bool] = True      # False: stage() keeps bytes until commit() (S3)
    default_jobs: ClassVar[int] = 4             # uploads at once, one session each (option `jobs` overrides)

    def __init__(self, url: SplitResult, options: Mapping[str, Any]):
        self.url = url
        self.config = options

    @abstractmethod
    def connect(self) -> None:
        """Open the session (authenticate, check host keys); raise DeployError with a hint."""

    def another_session(self) -> Target:
        """A second session for a parallel upload worker; a target may share its
        connection where the protocol multiplexes (SSH channels, an HTTP client)."""
        other = type(self)(self.url, self.config)
        other.connect()
        return other

    def close(self) -> None:  # noqa: B027 - optional
        """Close the session; must not raise."""

    @abstractmethod
    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist."""

    @abstractmethod
    def stage(self, path: str, temp: str, data: bytes) -> None:
        """Write ``data`` under the temporary name ``temp`` (same folder as ``path``),
        creating folders as needed. Nothing visible at ``path`` changes yet."""

    @abstractmethod
    def commit(self, path: str, temp: str, data: bytes) -> None:
        """Atomically replace ``path`` with the staged file (rename over it, or a PUT)."""

    def discard(self, temp: str) -> None:
        """Remove a staged file that will not be committed; missing is fine."""
        self.delete(temp)

    guard: Callable[[], None] | None = None
    """Set by the core on every session of a deploy: the lease check, which raises
    once this deploy has lost its lock. ``put`` runs it between the upload of
    the temporary file and its rename, so a deployer stalled in between writes
    nothing more."""

    def put(self, path: str, data: bytes, temp: str) -> None:
        """Stage, check the lease, then commit (manifest, journal, lease slots)."""
        self.stage(path, temp, data)
        if self.guard is not None:
            self.guard()        # lost: the temporary file stays for the deploy that took over to remove
        self.commit(path, temp, data)

    @abstractmethod
    def delete(self, path: str) -> None:
        """Delete a file; a missing file is not an error."""

    @abstractmethod
    def create_exclusive(self, path: str, data: bytes) -> bool:
        """Create ``path`` holding ``data`` only if nothing exists there, atomically
        (exactly one of two racing callers gets True). False when it exists."""

    @abstractmethod
    def list_folder(self, folder: str) -> list[str]:
        """Names directly inside ``folder`` (files and folders); [] when it is missing."""

    @abstractmethod
    def listing(self) -> dict[str, int]:
        """Every file under the root (path -> size), for ``--verify``."""

    def prepare_uploads(self) -> None:  # noqa: B027 - optional
        """Called once before the first upload, e.g. to probe that renames overwrite."""

    def versions(self, paths: list[str]) -> dict[str, str | None]:
        """Version tags (ETags) of ``paths`` as they are now (None: absent), for
        stores that can make writes conditional on them; {} where they cannot.
        The publisher gives the result to every session as ``expected`` before
        the first write; a path missing from it is written unconditionally."""
        return {}

    expected: dict[str, str | None] | None = None

    @staticmethod
    def state_path(name: str) -> str:
        """Path of ssg's own file ``name`` on the target (manifest, journal, probes)."""
        return f"{STATE_DIR}/{name}"

    @staticmethod
    def slot_path(name: str) -> str:
        return f"{LOCK_DIR}/{name}"

    # The lease lives in numbered slots under LOCK_DIR. A target whose exclusive
    # create works on folders only (FTP: MKD) overrides these five.
    def create_slot(self, name: str, data: bytes) -> bool:
        return self.create_exclusive(self.slot_path(name), data)

    def read_slot(self, name: str) -> bytes | None:
        return self.read(self.slot_path(name))

    def write_slot(self, name: str, data: bytes, deploy_id: str) -> None:
        path = self.slot_path(name)
        self.put(path, data, temp_name(path, deploy_id))

    def delete_slot(self, name: str) -> None:
        self.delete(self.slot_path(name))

    def list_slots(self) -> list[str]:
        return self.list_folder(LOCK_DIR)
