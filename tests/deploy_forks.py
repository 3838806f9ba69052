"""`ssg deploy` as real processes forked from a warm one (multiprocessing's
forkserver with ssg's deploy code imported): each has its own pid to stop,
kill -9 or resume, like `python -m ssg deploy`, without Python's and ssg's
start-up for every one of the crash-point tests' hundreds of deployers."""

from __future__ import annotations

import multiprocessing
import os
import sys
from pathlib import Path

PRELOAD = ["ssg.cli", "ssg.deploy.runner", "ssg_plugins.deploy_file", "ssg_plugins.deploy_ftp", "ssg_plugins.deploy_sftp",
           "ssg_plugins.deploy_s3", "paramiko", "boto3", "ftplib", "ssl"]
_context = None


def _context_once():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _run(args: list[str], env: dict[str, str], out: str, err: str) -> None:
    os.environ.clear()
    os.environ.update(env)
    for path, fd in ((out, 1), (err, 2)):
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(handle, fd)
        os.close(handle)
    sys.argv = ["ssg", *args]
    from ssg.cli import main

    main()


class Forked:
    """The parts of subprocess.Popen the tests use."""

    def __init__(self, args: list[str], env: dict[str, str], folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self._out, self._err = folder / "stdout", folder / "stderr"
        self._process = _context_once().Process(target=_run, args=(args, env, str(self._out), str(self._err)))
        self._process.start()
        self.pid = self._process.pid

    @property
    def returncode(self) -> int | None:
        return self._process.exitcode

    def poll(self) -> int | None:
        return self._process.exitcode

    def send_signal(self, signal_number: int) -> None:
        os.kill(self.pid, signal_number)

    def wait(self, timeout: float) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise TimeoutError(f"ssg deploy (pid {self.pid}) did not end within {timeout} s")
        return self._process.exitcode

    def communicate(self, timeout: float) -> tuple[str, str]:
        self.wait(timeout)
        return self._out.read_text(), self._err.read_text()
