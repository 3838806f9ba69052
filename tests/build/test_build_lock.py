"""The site-wide build lock: two builds of one site never interleave; the
second waits (saying for whom) or, with --no-wait, exits 1; the OS releases
the lock when its holder dies."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ssg.runtime.lock import Lock

HOLD = """
import sys, time
from pathlib import Path
from ssg.runtime.lock import Lock
with Lock(Path(sys.argv[1]), "build"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def hold(site: Path, seconds: float) -> subprocess.Popen:
    """Another process holding the site's build lock for ``seconds``."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(site / ".ssg/build.lock"), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def ssg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ssg", *args], capture_output=True, text=True, timeout=120)


def test_no_wait_fails_naming_the_holder(make_site):
    site = make_site({"content/a.md": "x"})
    holder = hold(site, 30)
    try:
        result = ssg("build", "-s", str(site), "--no-wait")
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert f"the build lock is held: held by {socket.gethostname()} pid {holder.pid}" in result.stderr
    assert not (site / "public").exists()


def test_a_second_build_waits_for_the_first(make_site):
    site = make_site({"content/a.md": "x"})
    holder = hold(site, 5)
    started = time.monotonic()
    result = ssg("build", "-s", str(site))
    assert holder.wait() == 0
    assert result.returncode == 0, result.stderr
    assert f"waiting for the build lock, held by {socket.gethostname()} pid {holder.pid}" in result.stderr
    assert time.monotonic() - started >= 4.0
    assert (site / "public/a/index.html").is_file()


def test_the_lock_dies_with_its_holder(make_site):
    site = make_site({"content/a.md": "x"})
    holder = hold(site, 300)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    result = ssg("build", "-s", str(site), "--no-wait")
    assert result.returncode == 0, result.stderr


def test_in_process_lock_is_exclusive(tmp_path):
    path = tmp_path / "x.lock"
    with Lock(path, "build"):
        other = Lock(path, "build", wait=False)
        try:
            other.acquire()
        except Exception as error:   # noqa: BLE001 - the message is what is checked
            assert "held by" in str(error)
        else:
            raise AssertionError("a second holder got the lock")
    with Lock(path, "build", wait=False):   # released on exit
        pass
