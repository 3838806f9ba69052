"""CI's case, for tests and bench/run.py: a site as a fresh ``git clone``
leaves it, with .ssg/ and the output restored from a cache."""

from __future__ import annotations

import shutil
from pathlib import Path


def checkout_again(site: Path, *, keep_output_times: bool) -> Path:
    """The site as CI has it: its sources copied anew (new mtimes, ctimes and
    inodes, the same bytes), .ssg/ and the output restored from a cache (the
    output with its times or not: a cache that does not keep them), at the
    same path. Returns the folder the site was moved to, for the caller to
    remove."""
    old = site.with_name(site.name + ".before")
    site.rename(old)
    site.mkdir()
    for entry in old.iterdir():
        keep = entry.name == ".ssg" or (entry.name == "public" and keep_output_times)
        copy = shutil.copy2 if keep else shutil.copyfile
        if entry.is_dir():
            shutil.copytree(entry, site / entry.name, copy_function=copy)
        else:
            copy(entry, site / entry.name)
    return old
