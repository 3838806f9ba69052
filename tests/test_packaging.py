"""The package as a user installs it: theme files in the wheel, generated CSS
current, and the README's quick start working in a fresh virtualenv."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from ssg.sources.markdown import PYGMENTS_CSS_HEADER, pygments_css

REPO = Path(__file__).resolve().parent.parent


def test_every_theme_folder_is_a_listed_package():
    """A folder under themes/ missing from pyproject's packages would be left out of the wheel."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {p for p in (REPO / "themes").rglob("*") if p.is_dir() and "__pycache__" not in p.parts}
    missing = sorted("ssg_themes." + ".".join(p.relative_to(REPO / "themes").parts) for p in folders
                     if "ssg_themes." + ".".join(p.relative_to(REPO / "themes").parts) not in listed)
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_every_subpackage_of_ssg_is_a_listed_package():
    """A subpackage of ssg missing from pyproject's packages would be left out of the wheel: an
    editable install (the tests') works, and `pip install .` gives an ssg that cannot import."""
    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "ssg").rglob("__init__.py")}
    missing = sorted(packages - listed)
    assert not missing, f"add these to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_every_file_of_ssg_besides_its_modules_is_package_data():
    """A template or script in ssg/ that no package-data pattern names would be left out of the wheel."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    files = [p for p in (REPO / "ssg").rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
             and "__pycache__" not in p.parts]
    assert files, "ssg ships files besides its modules (the live-reload client, the built-in shortcodes)"
    missing = []
    for path in files:
        rel = path.relative_to(REPO)
        package = next((name for name in sorted(patterns, key=len, reverse=True)
                        if rel.is_relative_to(Path(*name.split(".")))), None)
        if package is None or not any(rel.relative_to(Path(*package.split("."))).match(pattern)
                                      for pattern in patterns[package]):
            missing.append(str(rel))
    assert not missing, f"add package-data patterns in pyproject.toml for: {missing}"


def _styled_classes(css: str) -> set[tuple[str, str]]:
    """(media block, token class) for each ``.highlight .x`` rule with declarations."""
    found = set()
    for media, block in (("light", css.split("@media")[0]), ("dark", "".join(css.split("@media")[1:]))):
        found |= {(media, name) for name in re.findall(r"\.highlight \.([\w-]+) \{ *[^} ]", block)}
    return found


def test_shipped_pygments_css_styles_every_token_the_highlighter_marks():
    """Every token class the installed Pygments marks in highlighted code has a
    rule in the theme's stylesheet, light and dark (the colours may differ by a
    Pygments release: the file is made by ``python -m ssg.sources.markdown``)."""
    shipped = (REPO / "themes/default/static/css/pygments.css").read_text()
    assert shipped.startswith(PYGMENTS_CSS_HEADER)
    missing = sorted(_styled_classes(pygments_css()) - _styled_classes(shipped))
    assert len(_styled_classes(shipped)) > 100
    assert not missing, f"regenerate with: python -m ssg.sources.markdown > themes/default/static/css/pygments.css ({missing})"


def test_builtin_plugins_are_declared_as_entry_points():
    from ssg.plugins.manager import DEFAULT_PLUGINS

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"]["ssg.plugins"]
    assert sorted(declared.values()) == sorted(DEFAULT_PLUGINS)


def test_readme_quick_start_has_two_setup_commands_and_ci_runs_the_test_one():
    readme = (REPO / "README.md").read_text()
    block = re.search(r"## Quick start\n(.*?)\n## ", readme, re.DOTALL).group(1)
    commands = re.findall(r"```(?:sh|bash|console)\n(.*?)```", block, re.DOTALL)
    assert len(commands) == 2, "the quick start has exactly two set-up commands"
    test_command = commands[1].strip()
    assert test_command in (REPO / ".ci/run").read_text(), ".ci/run must run the README's test command"


@pytest.mark.slow
def test_fresh_venv_install_builds_new_and_example_sites(tmp_path):
    """`pip install .` in a fresh venv, then `ssg new` + `ssg build` and the example site."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin/python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run(pip + [str(REPO)], check=True, capture_output=True, timeout=600)
    ssg = str(venv / "bin/ssg")
    site = tmp_path / "x"
    subprocess.run([ssg, "new", str(site)], check=True, capture_output=True)
    built = subprocess.run([ssg, "build", "-s", str(site)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert (site / "public/index.html").is_file()
    assert (site / "public/css/style.css").is_file(), "theme static files must be in the wheel"
    example = subprocess.run([ssg, "build", "-s", str(REPO / "example-site"), "--out", str(tmp_path / "ex")],
                             capture_output=True, text=True)
    assert example.returncode == 0, example.stderr
    assert "warning" not in example.stderr
    assert (tmp_path / "ex/index.html").is_file()


# The name `ssg` on PyPI is an unrelated project: `pip install ssg` would install it.
UNRELATED_PYPI_NAME = "ssg"


def test_the_distribution_name_is_not_the_unrelated_pypi_project():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert re.sub(r"[-_.]+", "-", project["name"]).lower() != UNRELATED_PYPI_NAME
    assert project["scripts"]["ssg"] == "ssg.cli:main"        # the command stays `ssg`


def test_no_doc_suggests_installing_the_unrelated_pypi_project():
    """`pip install ssg`, `pip install 'ssg[s3]'` or `ssg @ git+...` in README,
    docs/ or pyproject's comments: each would fetch the unrelated project."""
    pattern = re.compile(r"""pip install (?:-\S+ )*['"]?ssg(?:\[[\w,]*\])?(?:['"\s`]|$| @)""", re.MULTILINE)
    texts = [REPO / "README.md", REPO / "pyproject.toml", *sorted((REPO / "docs").glob("*.md"))]
    found = [f"{path.relative_to(REPO)}: {m.group(0).strip()}" for path in texts for m in pattern.finditer(path.read_text())]
    assert not found, f"these install the unrelated `ssg` from PyPI; install from a clone (`pip install .`): {found}"
