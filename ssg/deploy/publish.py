"""The writing half of a deploy, run while holding the lease: uploads in plan
order (each staged under a temporary name, then renamed over the target),
journal segments between batches, deletes, and the manifest commit last
(the shards that changed, then the commit record: shards.py).
Every write is preceded by a lease check; a lost lease stops it.

Uploads within a batch run in parallel, one target session per worker. A batch
never mixes assets and HTML, so every asset is in place before the first page."""

from __future__ import annotations

import hashlib
import os
import posixpath
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssg.deploy.crashpoints import batch_files
from ssg.deploy.journal import RemoteState, segment_path
from ssg.deploy.lease import Lease
from ssg.deploy.manifest import Manifest, encode
from ssg.deploy.planner import Plan, upload_order
from ssg.deploy.shardcache import ShardCache
from ssg.deploy.shards import RECORD, Commit, plan_commit
from ssg.deploy.target import DeployError, Target, temp_name
from ssg.errors import SsgError
from ssg.runtime.progress import Progress

BATCH_FILES = 50                  # journal and remote lease check at least this often
BATCH_BYTES = 32_000_000
# Test hook for the fault tests: stop this process (SIGSTOP) after staging the
# Nth upload, before renaming it into place, so a test can pause or kill -9 a
# deployer at the most delicate moment.
STOP_AFTER_ENV = "SSG_TEST_STOP_AFTER_UPLOADS"


@dataclass
class Outcome:
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    bytes_sent: int = 0


def attempt(what: str, action: Callable[..., Any], *args: Any) -> Any:
    """Run one target operation; a library's exception becomes a DeployError saying what failed."""
    try:
        return action(*args)
    except SsgError:
        raise
    except Exception as error:
        raise DeployError(f"{what} failed: {type(error).__name__}: {error}",
                          hint="check the connection and the server's permissions, then deploy again; "
                               "the next deploy completes this one") from error


class Publisher:
    def __init__(self, workers: list[Target], lease: Lease, deploy_id: str, output_root: Path, progress: Progress,
                 cache: ShardCache | None = None):
        self.files = workers[0]           # also writes the journal, deletes and the manifest
        self.workers = workers
        self.lease = lease
        self.deploy_id = deploy_id
        self.output_root = output_root
        self.progress = progress
        self.cache = cache if cache is not None else ShardCache(None)
        self.outcome = Outcome()
        self._segments: list[str] = []
        self._lock = threading.Lock()
        self._staged = 0
        self._stop_after = int(os.environ.get(STOP_AFTER_ENV, "-1"))

    def run(self, local: Manifest, plan: Plan, state: RemoteState) -> Outcome:
        self._tidy(state.leftover_temps)
        self.lease.progress = {"phase": "uploading", "files_total": len(plan.uploads), "files_done": 0}
        commit = plan_commit(state.stored, local, self.lease.token, self.deploy_id)
        if plan.uploads:
            attempt("checking the server", self.files.prepare_uploads)
        if plan.uploads or plan.deletes:
            expected = attempt("listing the target", self.files.versions,
                               plan.uploads + plan.deletes + [RECORD, *commit.shards])
            for worker in self.workers:
                worker.expected = expected
        if plan.uploads:
            self.progress.stage("upload", len(plan.uploads), size=plan.bytes_to_send)
        done: Manifest = {}
        for batch in self._batches(plan.uploads, local):
            self.lease.verify()
            self._journal(done, batch)          # ahead of the first rename: these paths are unknown from now on
            self._upload_batch(batch, local)
            done = {path: local[path] for path in batch}
        self.outcome.uploaded.sort(key=upload_order)
        if plan.deletes:
            self.lease.progress = {**self.lease.progress, "phase": "deleting"}
            self.lease.verify()
            self._journal(done, plan.deletes, staged=False)
            self.progress.stage("delete", len(plan.deletes))
            for path in plan.deletes:
                self.lease.check()
                attempt(f"deleting {path}", self.files.delete, path)
                self.outcome.deleted.append(path)
                self.progress.advance()
        elif done:
            self._journal(done, [])
        if commit.shards or self._segments or state.journal_segments or state.stored.legacy_unknown:
            self.lease.progress = {**self.lease.progress, "phase": "committing"}
            self.progress.stage("commit")
            self.lease.verify()
            self._commit(commit, state)
        else:
            self._tidy(state.stored.obsolete)       # an interrupted re-split's shards: nothing names them
        return self.outcome

    def _commit(self, commit: Commit, state: RemoteState) -> None:
        """The commit point: the shards that changed (all of them on a new split),
        then the record naming their count, with this deploy's token. Then the
        journal goes, and the shards replaced or of another count, and the
        deltas of an ssg before shards."""
        stamp = {"deploy_id": self.deploy_id, "token": self.lease.token}
        writes = [(path, encode(files, **stamp)) for path, files in commit.shards.items()]
        writes.append((RECORD, encode({}, **stamp, deployed_at=time.time(), shards=commit.count)))
        for path, data in writes:
            self.lease.check()
            attempt("writing the manifest", self.files.put, path, data, temp_name(path, self.deploy_id))
        for path, files in commit.shards.items():
            self.cache.put(posixpath.basename(path), files)
        self._tidy(state.journal_segments + self._segments + commit.replaced + state.stored.obsolete)

    @staticmethod
    def _batches(paths: list[str], local: Manifest) -> Iterator[list[str]]:
        batch: list[str] = []
        size = 0
        for path in paths:
            if batch and upload_order(path)[0] != upload_order(batch[-1])[0]:
                yield batch               # the last asset is in place before the first page is sent
                batch, size = [], 0
            batch.append(path)
            size += local[path].size
            if len(batch) >= batch_files(BATCH_FILES) or size >= BATCH_BYTES:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def _upload_batch(self, batch: list[str], local: Manifest) -> None:
        if len(self.workers) == 1:
            for path in batch:
                self._upload(self.files, path, local)
            return
        idle: queue.Queue[Target] = queue.Queue()
        for worker in self.workers:
            idle.put(worker)
        failed = threading.Event()

        def upload(path: str) -> None:
            if failed.is_set():
                return
            worker = idle.get()
            try:
                self._upload(worker, path, local)
            except BaseException:
                failed.set()
                raise
            finally:
                idle.put(worker)

        with ThreadPoolExecutor(max_workers=len(self.workers), thread_name_prefix="ssg-deploy") as pool:
            futures = [pool.submit(upload, path) for path in batch]
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]

    def _upload(self, worker: Target, path: str, local: Manifest) -> None:
        data = (self.output_root / path).read_bytes()
        if hashlib.sha256(data).hexdigest() != local[path].sha256:
            raise DeployError(f"'{path}' changed while deploying", where=str(self.output_root / path),
                              hint="let the build finish, then deploy again")
        temp = temp_name(path, self.deploy_id)
        self.lease.check()
        self._fenced(f"uploading {path}", worker.stage, path, temp, data)
        with self._lock:
            self._staged += 1
            if self._staged == self._stop_after + 1:
                os.kill(os.getpid(), signal.SIGSTOP)
        self.lease.check()      # lost: no further write, not even removing the temporary file (the taker does)
        self._fenced(f"replacing {path}", worker.commit, path, temp, data)
        with self._lock:
            self.outcome.uploaded.append(path)
            self.outcome.bytes_sent += len(data)
            self.lease.progress = {**self.lease.progress, "files_done": len(self.outcome.uploaded)}
            self.progress.advance(size=len(data))

    def _fenced(self, what: str, action: Callable[..., Any], *args: Any) -> None:
        """A write refused because another deploy took over (our staged file removed
        by it, an S3 condition failed) is reported as the lost lock it is."""
        try:
            attempt(what, action, *args)
        except DeployError:
            self.lease.check()
            raise

    def _journal(self, done: Manifest, touching: list[str], *, staged: bool = True) -> None:
        """A segment: ``done`` holds what it says now; ``touching`` is about to change
        (renamed into place or deleted), so it is unknown until a later segment or the
        manifest says otherwise. The temporary names staged for it are listed too:
        a deploy taking over removes them, so a stalled writer's rename finds nothing."""
        path = segment_path(self.lease.token, len(self._segments))
        pending = [temp_name(p, self.deploy_id) for p in touching] if staged and self.files.stages_remotely else []
        self.lease.check()
        attempt("writing the journal", self.files.put, path,
                encode(done, deploy_id=self.deploy_id, token=self.lease.token, touching=touching, pending=pending),
                temp_name(path, self.deploy_id))
        self._segments.append(path)

    def _tidy(self, paths: list[str]) -> None:
        for path in paths:
            self.lease.check()
            self._quietly(self.files.delete, path)

    @staticmethod
    def _quietly(action: Callable[..., Any], *args: Any) -> None:
        try:
            action(*args)
        except Exception:  # noqa: BLE001 - tidying up is best effort
            pass
