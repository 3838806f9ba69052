"""Shared fixtures: throwaway sites written from a dict of files, the CLI, and a headless browser."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ssg.cli import app

MINIMAL_CONFIG = 'title = "Test site"\nbase_url = "https://example.org/"\n'


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n") if "\n" in content else content, encoding="utf-8")


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """make_site({"content/posts/a.md": "...", ...}, config=...) -> site folder.
    ssg.toml defaults to a minimal config unless given in ``files``."""
    counter = iter(range(1000))

    def make(files: dict[str, str | bytes] | None = None, *, config: str | None = None) -> Path:
        root = tmp_path / f"site{next(counter)}"
        root.mkdir()
        files = dict(files or {})
        if "ssg.toml" not in files:
            files["ssg.toml"] = config if config is not None else MINIMAL_CONFIG
        write_files(root, files)
        return root

    return make


@pytest.fixture
def cli() -> Callable[..., object]:
    """cli("build", "-s", str(site)) -> click Result with exit_code, stdout, stderr."""
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (``executable_path``; no ``playwright install``)."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on PATH (apt-get install chromium; .ci/run does)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        yield browser
        browser.close()
