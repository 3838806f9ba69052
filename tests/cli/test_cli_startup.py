"""`ssg --help` must answer fast: the CLI module imports no engine dependencies."""

from __future__ import annotations

import os
import subprocess
import sys

from ssg.speedups import switch as speedups


def test_cli_import_does_not_load_the_engine():
    code = ("import sys, ssg.cli; heavy = [m for m in ('jinja2', 'pygments', 'cmarkgfm', 'yaml', 'frontmatter', "
            "'pluggy', 'ssg.build.entry') if m in sys.modules]; print(','.join(heavy))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"imported at CLI start-up: {result.stdout.strip()}"


def test_rendering_a_page_does_not_load_a_c_parser():
    """Every parse worker, and a build that parses one edited file, renders
    its first page in a fresh process: declaring cmark-gfm's functions to
    cffi imported and ran pycparser there (30 to 150 ms each time)."""
    code = ("import sys; from ssg.sources.markdown import render_markdown; "
            "render_markdown('# A\\n\\n| a |\\n|---|\\n| 1 |\\n', {}); "
            "from ssg.speedups.cmark import calls_library; from ssg.sources.markdown import _EXTENSIONS; "
            "print(calls_library(_EXTENSIONS), ','.join(m for m in ('pycparser', 'cffi') if m in sys.modules))")
    env = {k: v for k, v in os.environ.items() if k != speedups.ENV}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert result.stdout.split() == ["True"], f"calls the library, then modules imported: {result.stdout.strip()}"
