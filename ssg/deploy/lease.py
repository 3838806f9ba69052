"""The remote half of the deploy lock: a lease in numbered slots at the target
root (``.ssg-deploy/lock/0000000007``).

- The holder is the highest-numbered slot whose record says ``held`` and whose
  expiry has not passed. Taking the lock (free, released, expired or broken)
  means creating slot top+1 with an exclusive create, so of two deployers
  racing for the same number exactly one wins, and the number (the fencing
  token) grows on every takeover.
- The holder renews its expiry from a heartbeat thread, checks locally before
  every write that its lease has not run out, and checks remotely before every
  batch and before the manifest commit that no higher slot exists. A holder
  that was paused past its expiry (incident 1) finds out before writing again.
- Only the holder writes its own slot (renewal, release); nobody else ever
  deletes a live slot. A newer holder removes the older, dead slots."""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from ssg.deploy.target import DeployError, Target, temp_of
from ssg.runtime.lock import LockedError

_SLOT = re.compile(r"\d{10}")


def slot_name(token: int) -> str:
    return f"{token:010d}"


def timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class LeaseLost(DeployError):
    """This deploy no longer holds the lease; it stopped before its next write."""


@dataclass
class Holder:
    """A lease record as stored in a slot."""

    token: int
    deploy_id: str
    owner: str
    host: str
    pid: int
    since: float
    expires: float
    state: str = "held"            # held | released | broken
    command: str = ""
    progress: dict = field(default_factory=dict)

    def live(self, now: float) -> bool:
        return self.state == "held" and self.expires > now

    def describe(self) -> str:
        return f"{self.host} pid {self.pid} since {timestamp(self.since)}"

    def encode(self) -> bytes:
        return json.dumps(asdict(self), indent=1).encode()

    @classmethod
    def decode(cls, token: int, data: bytes | None) -> Holder | None:
        try:
            body = json.loads(data or b"")
            return cls(**{**body, "token": token})
        except (ValueError, TypeError):
            return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def abandoned(holder: Holder) -> bool:
    """A holder on this very host whose process is gone (kill -9, crash): its
    lease need not run out before the next deploy takes over."""
    return holder.host == socket.gethostname() and holder.pid != os.getpid() and not pid_alive(holder.pid)


class Lease:
    """The lease of one deploy. ``target`` is a session used only for the lease
    (the heartbeat thread shares it with ``verify``, under a lock)."""

    def __init__(self, target: Target, seconds: float, deploy_id: str, *, clock: Callable[[], float] = time.time):
        self.target = target
        self.seconds = seconds
        self.margin = seconds / 6          # stop writing this long before the lease runs out
        self.deploy_id = deploy_id
        self.clock = clock
        self.token = 0
        self.since = 0.0
        self.expires = 0.0
        self.lost: str | None = None
        self.progress: dict = {}
        self._io = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        target.guard = self.check          # every slot write after the lease was taken checks it first

    # -- reading -------------------------------------------------------------
    def peek(self) -> tuple[int, Holder | None]:
        """The highest slot number and its record (None when there is no slot or
        its record stays unreadable: a creator that died between create and write)."""
        with self._io:
            tokens = sorted(int(n) for n in self.target.list_slots() if _SLOT.fullmatch(n))
            if not tokens:
                return 0, None
            top = tokens[-1]
            for _ in range(5):
                holder = Holder.decode(top, self.target.read_slot(slot_name(top)))
                if holder is not None:
                    return top, holder
                time.sleep(0.1)
            return top, None

    def _record(self, state: str, expires: float) -> Holder:
        return Holder(token=self.token, deploy_id=self.deploy_id, owner=getpass.getuser(),
                      host=socket.gethostname(), pid=os.getpid(), since=self.since, expires=expires,
                      state=state, command=" ".join(sys.argv[1:4]), progress=dict(self.progress))

    # -- taking and giving back ----------------------------------------------
    def acquire(self, *, wait: bool, on_wait: Callable[[Holder], None] | None = None) -> Holder | None:
        """Take the lease; return the previous holder when this took over a dead one.
        Raise LockedError when it is live and ``wait`` is False."""
        announced = False
        lost_races = 0
        while True:
            top, holder = self.peek()
            now = self.clock()
            if holder is not None and holder.live(now) and not abandoned(holder):
                if not wait:
                    raise LockedError(f"locked by {holder.describe()} (deploy {holder.deploy_id[:8]}, lease "
                                      f"expires {timestamp(holder.expires)})",
                                      hint="wait for it with --wait; `ssg deploy --status` shows its progress; "
                                           "a holder that died frees the lock when its lease expires")
                if not announced and on_wait is not None:
                    on_wait(holder)
                    announced = True
                time.sleep(min(1.0, self.seconds / 4))
                continue
            self.token, self.since = top + 1, now
            record = self._record("held", now + self.seconds)
            self.expires, self.lost = record.expires, None     # a creator stalled past it writes no record
            with self._io:
                if not self.target.create_slot(slot_name(self.token), record.encode()):
                    self.expires = 0.0
                    lost_races += 1       # another deployer took this number first: look again
                    if lost_races > 20:
                        raise DeployError(f"cannot take the deploy lock: slot {self.token} exists but is not "
                                          "listed", hint="check that the user may list .ssg-deploy/lock/ on the "
                                                         "target")
                    continue
            try:
                self.verify()
            except LeaseLost:
                if self.clock() > self.expires - self.margin:
                    raise                 # stalled past the lease it had just taken: say so
                raise LockedError("another deploy took the lock at the same moment",
                                  hint="run `ssg deploy --status`, then deploy again") from None
            self._remove_older_slots()
            return holder if holder is not None and holder.state == "held" else None

    def _remove_older_slots(self) -> None:
        """Slots below ours, and the temporary files of their holders' slot writes
        (one stalled between upload and rename then renames nothing)."""
        with self._io:
            for name in self.target.list_slots():
                stands_for = temp_of(name)
                try:
                    if _SLOT.fullmatch(name) and int(name) < self.token:
                        self.target.delete_slot(name)
                    elif stands_for is not None and _SLOT.fullmatch(stands_for) and int(stands_for) < self.token:
                        self.target.delete(self.target.slot_path(name))
                except Exception:  # noqa: BLE001 - tidying up; the next holder tries again
                    pass

    def release(self) -> bool:
        """Give the lease back if this deploy still holds it; never touches anyone else's."""
        self.stop_heartbeat()
        try:
            with self._io:
                self.check()
                self.target.write_slot(slot_name(self.token), self._record("released", self.clock()).encode(),
                                       self.deploy_id)
        except Exception:  # noqa: BLE001 - a lease not released expires on its own
            return False
        return True

    # -- fencing ---------------------------------------------------------------
    def check(self) -> None:
        """Local check before every write: still ours and not about to run out."""
        if self.lost is None and self.clock() > self.expires - self.margin:
            self.lost = f"its lease ran out at {timestamp(self.expires)} (this process was stalled)"
        if self.lost is not None:
            raise LeaseLost(f"this deploy lost the deploy lock: {self.lost}; it stopped before writing again",
                            hint="another deploy may have taken over and published; run `ssg deploy --status`, "
                                 "then deploy again")

    def verify(self) -> None:
        """Remote check before each batch and before the manifest commit."""
        self.check()
        with self._io:
            tokens = [int(n) for n in self.target.list_slots() if _SLOT.fullmatch(n)]
            if self.token in tokens and max(tokens) == self.token:
                return
            newer = max(tokens, default=0)
            holder = Holder.decode(newer, self.target.read_slot(slot_name(newer))) if newer > self.token else None
        self.lost = (f"it was taken over by {holder.describe()}" if holder and holder.state == "held" else
                     "the lock was broken with --break-lock" if holder else "its lease slot disappeared")
        self.check()

    # -- heartbeat ---------------------------------------------------------------
    def renew(self) -> None:
        with self._io:
            old_expiry = self.expires
            self.verify()
            record = self._record("held", self.clock() + self.seconds)
            self.target.write_slot(slot_name(self.token), record.encode(), self.deploy_id)
            if self.clock() > old_expiry - self.margin:
                self.lost = "renewing its lease took longer than the lease had left"
                return
            self.expires = record.expires

    def start_heartbeat(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name="ssg-deploy-lease", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            if self.lost is not None:
                return
            try:
                self.renew()
            except LeaseLost:
                return
            except Exception:  # noqa: BLE001 - a dropped connection: try again next beat; check() fences
                continue

    def stop_heartbeat(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


def break_lease(lease: Lease, *, force: bool) -> Holder | None:
    """Fence off whoever holds the lock by creating the next slot as ``broken``.
    Refuses while the lease is live unless ``force``."""
    top, holder = lease.peek()
    if holder is None and top == 0:
        return None
    now = lease.clock()
    if holder is not None and holder.live(now) and not abandoned(holder) and not force:
        raise DeployError(f"refusing to break a live lock: held by {holder.describe()}, lease expires "
                          f"{timestamp(holder.expires)}",
                          hint="wait for it to expire, or pass --force if you are sure that deploy is gone")
    lease.token, lease.since, lease.expires = top + 1, now, now + lease.seconds
    if not lease.target.create_slot(slot_name(lease.token), lease._record("broken", now).encode()):
        raise DeployError("the lock changed while breaking it", hint="run `ssg deploy --status` and try again")
    return holder
