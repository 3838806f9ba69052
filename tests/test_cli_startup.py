"""`ssg --help` must answer fast: the CLI module imports no engine dependencies."""

from __future__ import annotations

import subprocess
import sys


def test_cli_import_does_not_load_the_engine():
    code = ("import sys, ssg.cli; heavy = [m for m in ('jinja2', 'pygments', 'cmarkgfm', 'yaml', 'frontmatter', "
            "'pluggy', 'ssg.build') if m in sys.modules]; print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"imported at CLI start-up: {result.stdout.strip()}"
