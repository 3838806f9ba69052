"""``ssg deploy`` top to bottom: local manifest -> local lock -> remote lease ->
remote state (-> verify) -> plan and guards -> publish -> release."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from ssg.deploy.crashpoints import Counter, clock, from_environment
from ssg.deploy.hashcache import HashRecord
from ssg.deploy.journal import RemoteState, read_state, set_aside_unsafe
from ssg.deploy.lease import Holder, Lease, abandoned, break_lease, timestamp
from ssg.deploy.manifest import Manifest, build_state_hashes, excluded, local_manifest
from ssg.deploy.planner import Plan, check_deletes, make_plan
from ssg.deploy.publish import Publisher
from ssg.deploy.settings import TargetSettings
from ssg.deploy.shardcache import ShardCache
from ssg.deploy.target import STATE_DIR, DeployError, Target
from ssg.errors import SsgError
from ssg.graph.state import last_build_failure
from ssg.runtime.lock import Lock, LockedError
from ssg.runtime.progress import Progress, human_bytes


@dataclass(frozen=True)
class DeployOptions:
    dry_run: bool = False
    max_deletes: int | None = None
    wait: bool = False
    verify: bool = False
    allow_failed_build: bool = False


@dataclass
class DeployResult:
    target: str
    url: str
    dry_run: bool
    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    bytes_sent: int = 0
    repaired: int = 0
    took_over: str | None = None
    seconds: float = 0.0

    def summary(self) -> dict:
        return {"target": self.target, "url": self.url, "dry_run": self.dry_run,
                "uploaded": len(self.uploaded), "deleted": len(self.deleted), "unchanged": self.unchanged,
                "bytes_sent": self.bytes_sent, "repaired": self.repaired, "took_over_from": self.took_over,
                "seconds": round(self.seconds, 3), "files_uploaded": self.uploaded, "files_deleted": self.deleted}

    def line(self) -> str:
        verb = "would upload" if self.dry_run else "uploaded"
        deleted = "would delete" if self.dry_run else "deleted"
        return (f"{'dry run: ' if self.dry_run else ''}{verb} {len(self.uploaded)}, {deleted} {len(self.deleted)}, "
                f"unchanged {self.unchanged} files; {human_bytes(self.bytes_sent)} "
                f"{'to send' if self.dry_run else 'sent'} to {self.url} in {self.seconds:.2f}s")


@contextmanager
def session(settings: TargetSettings, crash_points: Counter | None = None) -> Iterator[Target]:
    target = settings.open()
    if crash_points is not None:
        crash_points.watch(target)
    try:
        target.connect()
    except SsgError:
        target.close()
        raise
    except Exception as error:
        target.close()
        raise DeployError(f"cannot connect to {settings.shown_url}: {type(error).__name__}: {error}",
                          where=settings.where, hint="check the URL, the credentials and the network") from error
    try:
        yield target
    except SsgError:
        raise
    except Exception as error:   # a dropped connection or a refusal outside an upload (manifest, lock, listing)
        raise DeployError(f"talking to {settings.shown_url} failed: {type(error).__name__}: {error}",
                          hint="check the connection and the server's permissions, then deploy again") from error
    finally:
        target.close()


@contextmanager
def local_lock(site_root: Path, settings: TargetSettings, wait: bool, on_wait: Callable[[str], None]) -> Iterator[None]:
    """The local half of the lock: one deploy per site folder and target on this machine."""
    path = site_root / ".ssg" / f"deploy-{settings.lock_name}.lock"
    lock = Lock(path, f"deploy to {settings.name}", wait=wait, on_wait=lambda _text: on_wait(lock_holder(path)),
                hint="wait for it with --wait; `ssg deploy --status` shows its progress")
    try:
        lock.acquire()
    except LockedError as error:
        raise LockedError(f"deploy to '{settings.name}' is locked by {lock_holder(path)}",
                          where=error.where, hint=error.hint) from None
    try:
        yield
    finally:
        lock.release()


def lock_holder(path: Path) -> str:
    """'HOST pid N since T' from the local lock file (informative; the flock is the lock)."""
    for _ in range(20):
        try:
            info = json.loads(path.read_text() or "null")
        except (OSError, ValueError):
            info = None
        if info:
            return f"{info.get('host')} pid {info.get('pid')} since {info.get('since')}"
        time.sleep(0.01)
    return "another process"


def verify_remote(target: Target, state: RemoteState, progress: Progress) -> int:
    """Compare the target's listing with what ssg believes is there; forget files
    that are missing or have another size, so they are uploaded again. Stray
    temporary files of interrupted deploys are queued for removal."""
    listing = target.listing()
    drift = [p for p, e in state.files.items() if listing.get(p) != e.size]
    for path in drift:
        del state.files[path]
    state.leftover_temps.extend(p for p in listing if p.rsplit("/", 1)[-1].startswith(".") and ".ssg-" in p
                                and p.endswith(".tmp"))
    progress.note(f"verify: {len(drift)} published files missing or different on the target"
                     + (f" ({', '.join(drift[:5])}{', ...' if len(drift) > 5 else ''})" if drift else ""))
    return len(drift)


def failed_build(site_root: Path, output_root: Path, allowed: bool, progress: Progress) -> list[str] | None:
    """The errors of the last build when it failed (None when it did not). A
    failed build is refused unless ``allowed``: its output lacks the pages that
    failed (or holds their last good version), and publishing it would delete
    them from the live site."""
    errors = last_build_failure(site_root / ".ssg", output_root)
    if errors is None:
        return None
    shown = "; ".join(errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
    what = f"the last build of {output_root} failed" + (f": {shown}" if errors else " (its errors were not recorded)")
    if not allowed:
        raise DeployError(f"{what}; nothing was published",
                          hint="fix the errors and run `ssg build` again; --allow-failed-build publishes this output "
                               "anyway (deleting nothing from the target)")
    progress.note(f"{what}; publishing it anyway (--allow-failed-build), deleting nothing from the target")
    return errors


def keep_on_failure(plan: Plan, failure: list[str] | None, progress: Progress) -> Plan:
    """After a failed build no remote file is deleted: which deletes belong to the
    pages that failed is not known, and a page that failed may be missing from
    the output only because it failed."""
    if failure is None or not plan.deletes:
        return plan
    progress.note(f"kept on the target (the build failed, so nothing is deleted): {len(plan.deletes)} files "
                     f"({', '.join(plan.deletes[:5])}{', ...' if len(plan.deletes) > 5 else ''})")
    return replace(plan, deletes=[])


@contextmanager
def hashing_meanwhile(site_root: Path, output_root: Path, exclude: list[str], *,
                      save: bool = True) -> Iterator[Callable[[], Manifest]]:
    """Hash the output folder in a thread while the caller connects (an SSH or TLS
    handshake mostly waits on the server); yields the function that returns the
    local manifest. An error of the output folder (missing, empty) is the one
    reported when the connection failed meanwhile: it is the user's to fix first.
    ``save``: keep the hashes in the deploy's hash record (not on a dry run,
    which writes nothing)."""
    if not output_root.is_dir():
        local_manifest(output_root)                       # raises the usage error, before any connection
    record = HashRecord(site_root / ".ssg", output_root)
    pool = ThreadPoolExecutor(1, thread_name_prefix="ssg-deploy-hash")
    hashing = pool.submit(lambda: local_manifest(output_root, exclude, build_state_hashes(site_root, output_root),
                                                 record))

    def local() -> Manifest:
        manifest = hashing.result()
        if save:
            record.save()
        return manifest

    try:
        yield local
    except SsgError:
        wait([hashing])
        if isinstance(hashing.exception(), SsgError):
            raise hashing.exception() from None
        raise
    finally:
        pool.shutdown(wait=True)


def deploy(settings: TargetSettings, site_root: Path, output_root: Path, options: DeployOptions,
           progress: Progress) -> DeployResult:
    started = time.monotonic()
    result = DeployResult(settings.name, settings.shown_url, options.dry_run)
    failure = failed_build(site_root, output_root, options.allow_failed_build, progress)
    max_deletes = options.max_deletes if options.max_deletes is not None else settings.options["max_deletes"]

    # --verify reads every shard again
    cache = ShardCache(site_root / ".ssg" / f"deploy-{settings.lock_name}.shards.json", load=not options.verify)

    def remote_state(target: Target) -> RemoteState:
        progress.stage("compare")
        state = read_state(target, cache)
        unsafe = set_aside_unsafe(state)
        if unsafe:
            paths = f"{len(unsafe)} paths that are" if len(unsafe) > 1 else "a path that is"
            progress.note(f"warning: the target's deploy state ({STATE_DIR}/) names {paths} "
                             f"not a safe relative path ({', '.join(unsafe[:3])}{', ...' if len(unsafe) > 3 else ''}); "
                             "they were ignored: nothing is uploaded over them or deleted there. Someone with write "
                             "access to the server changed that folder; check it")
        state.files = {p: e for p, e in state.files.items() if not excluded(p, settings.options["exclude"])}
        state.unknown = {p for p in state.unknown if not excluded(p, settings.options["exclude"])}
        if options.verify:
            result.repaired = verify_remote(target, state, progress)
        return state

    if options.dry_run:   # reads only: no lock taken, nothing written
        progress.stage("connect")
        with (hashing_meanwhile(site_root, output_root, settings.options["exclude"], save=False) as hashed,
              session(settings) as target):
            local = hashed()
            state = remote_state(target)
            plan = keep_on_failure(make_plan(local, state.files, state.unknown), failure, progress)
        check_deletes(plan, max_deletes)
        result.uploaded, result.deleted, result.bytes_sent = plan.uploads, plan.deletes, plan.bytes_to_send
        result.unchanged = len(plan.unchanged)
        result.seconds = time.monotonic() - started
        return result

    waiting = lambda who: progress.note(f"waiting for the deploy lock, held by {who}")  # noqa: E731
    deploy_id = uuid.uuid4().hex
    crash_points = from_environment()                 # tests only: number every remote write
    watch = crash_points.watch if crash_points is not None else (lambda target: target)
    progress.stage("connect")
    with (hashing_meanwhile(site_root, output_root, settings.options["exclude"]) as hashed,
          local_lock(site_root, settings, options.wait, waiting), session(settings, crash_points) as files,
          ExitStack() as sessions):
        local = hashed()                                # before the first remote write
        lease_io = watch(files.another_session())       # the heartbeat thread's own session
        sessions.callback(lease_io.close)
        progress.stage("lock")
        lease = Lease(lease_io, float(settings.options["lease_seconds"]), deploy_id, clock=clock())
        files.guard = lease.check
        previous = lease.acquire(wait=options.wait, on_wait=lambda holder: waiting(holder.describe()))
        if previous is not None:
            result.took_over = previous.describe()
            progress.note(f"took over the expired lock of {previous.describe()}")
        lease.start_heartbeat()
        try:
            state = remote_state(files)
            full = make_plan(local, state.files, state.unknown)
            plan = keep_on_failure(full, failure, progress)
            check_deletes(plan, max_deletes)
            # what a failed build's deploy keeps stays in the manifest, so the next deploy deletes it if need be
            kept = {path: state.files[path] for path in set(full.deletes) - set(plan.deletes) if path in state.files}
            workers = [files]
            for _ in range(min(settings.jobs, len(plan.uploads)) - 1):
                workers.append(watch(files.another_session()))
                workers[-1].guard = lease.check
                sessions.callback(workers[-1].close)
            outcome = Publisher(workers, lease, deploy_id, output_root, progress, cache).run({**kept, **local}, plan,
                                                                                             state)
        finally:
            lease.release()
            cache.save()
    result.uploaded, result.deleted, result.bytes_sent = outcome.uploaded, outcome.deleted, outcome.bytes_sent
    result.unchanged = len(plan.unchanged)
    result.seconds = time.monotonic() - started
    return result


def status(settings: TargetSettings) -> dict:
    with session(settings) as target:
        lease = Lease(target, float(settings.options["lease_seconds"]), "status")
        _top, holder = lease.peek()
        state = read_state(target)
    now = clock()()
    info: dict = {"target": settings.name, "url": settings.shown_url, "locked": False}
    if holder is not None and holder.live(now):
        info.update(locked=True, holder=holder.describe(), host=holder.host, pid=holder.pid, owner=holder.owner,
                    deploy_id=holder.deploy_id, since=timestamp(holder.since), expires=timestamp(holder.expires),
                    token=holder.token, progress=holder.progress, holder_gone=abandoned(holder))
    elif holder is not None and holder.state == "held":
        info["expired_holder"] = f"{holder.describe()}, lease expired {timestamp(holder.expires)}"
    if state.last_deploy:
        info["last_deploy"] = {"at": timestamp(float(state.last_deploy.get("deployed_at", 0))),
                               "files": len(state.manifest), "deploy_id": state.last_deploy.get("deploy_id")}
    if state.interrupted:
        info["interrupted_deploy"] = f"{len(state.unknown)} files it may have changed"
    return info


def break_lock(settings: TargetSettings, *, force: bool) -> Holder | None:
    with session(settings) as target:
        return break_lease(Lease(target, float(settings.options["lease_seconds"]), uuid.uuid4().hex,
                                 clock=clock()), force=force)
