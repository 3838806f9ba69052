"""The build journal (``.ssg/journal``): before a build writes an output file
(new or replacing one), it notes the file's path there, after a first line
naming the output folder (``root<TAB>/abs/path``). A build killed before its
commit leaves it; the next build knows those files as ssg's, whatever bytes
they hold. The journal is read as untrusted input: a tail of NUL bytes (a
power cut) is cut off; anything else that is not a list of safe relative
paths sets it aside as ``journal.damaged``, unused, with a warning."""

from __future__ import annotations

import os
from pathlib import Path

from ssg.errors import SsgError
from ssg.graph.relpaths import bad_paths

JOURNAL = "journal"
JOURNAL_DAMAGED = "journal.damaged"
JOURNAL_HEADER = "root\t"


def read_journal(path: Path) -> tuple[str, list[str], str | None]:
    """(output folder, paths, warning) of the journal at ``path``: ("", [], None) when there is none."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return "", [], None
    except OSError as error:
        return _set_aside(path, f"it cannot be read ({error.strerror or error})")
    text = raw.rstrip(b"\x00")
    warning = None
    if len(text) < len(raw):
        warning = f"{path} ended in NUL bytes (a power cut while it was written); the paths before them were read"
    try:
        lines = text.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return _set_aside(path, "it is not UTF-8 text")
    if not lines[0].startswith(JOURNAL_HEADER) or not lines[0][len(JOURNAL_HEADER):].startswith("/"):
        return _set_aside(path, "its first line does not name the output folder")
    paths = [line for line in lines[1:] if line]
    bad = bad_paths(paths)
    if bad:
        return _set_aside(path, f"it names {len(bad)} path(s) that are not relative paths inside the output "
                                f"folder, such as {bad[0]}")
    return lines[0][len(JOURNAL_HEADER):], paths, warning


def _set_aside(path: Path, why: str) -> tuple[str, list[str], str]:
    try:
        os.replace(path, path.with_name(JOURNAL_DAMAGED))
    except OSError:
        pass
    return "", [], (f"{path} was set aside as {JOURNAL_DAMAGED}: {why}; files an interrupted build wrote are no "
                     "longer known as ssg's (one no longer produced is reported, not deleted)")


def begin_journal(path: Path, output_root: str) -> None:
    """Make the journal at ``path`` one of ``output_root`` before a build writes
    there (its first line names the folder). Another folder's journal was read
    by the build's state before (``BuildState.journal``) and is kept at its commit."""
    header = f"{JOURNAL_HEADER}{output_root}\n".encode()
    try:
        with open(path, "rb") as file:
            if file.read(len(header)) == header:
                return
    except FileNotFoundError:
        pass
    except OSError:
        pass            # not readable: written anew below
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, header)
        finally:
            os.close(fd)
    except OSError as error:
        raise SsgError(f"cannot write the build journal: {error.strerror or error}", where=str(path),
                       hint="check that .ssg/ is a writable folder with free space") from None
