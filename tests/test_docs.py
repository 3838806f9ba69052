"""The docs stay true: every config key and every CLI option is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from ssg.cli import app
from ssg.config.schema import Table
from ssg.config.site import CORE_SCHEMA

REPO = Path(__file__).resolve().parent.parent


def _keys(table: Table, prefix: str = "") -> list[str]:
    keys = []
    for name, spec in table.options.items():
        keys.append(prefix + name)
        if isinstance(spec, Table):
            keys.extend(_keys(spec, prefix + name + "."))
    return keys


def test_every_core_config_key_is_in_the_configuration_reference():
    text = (REPO / "docs/configuration.md").read_text()
    missing = []
    for dotted in _keys(CORE_SCHEMA):
        table, _, key = dotted.rpartition(".")
        is_table = isinstance(CORE_SCHEMA.options.get(dotted), Table)
        documented = (f"`[{dotted}]`" in text) if is_table else (
            f"`{key}`" in text and (not table or f"[{table}]" in text))
        if not documented:
            missing.append(dotted)
    assert not missing, f"document these keys in docs/configuration.md: {missing}"


def test_every_cli_command_and_option_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    group = typer.main.get_command(app)
    missing = []
    for name, command in group.commands.items():
        if f"`ssg {name}" not in readme:
            missing.append(f"ssg {name}")
        for param in command.params:
            if getattr(param, "param_type_name", "") == "option":
                longest = max(param.opts, key=len)
                if longest != "--help" and not re.search(re.escape(longest) + r"\b", readme):
                    missing.append(f"ssg {name} {longest}")
    assert not missing, f"document in README.md: {missing}"
