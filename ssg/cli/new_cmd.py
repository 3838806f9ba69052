"""`ssg new DIR`: a minimal site that builds as is."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from ssg.cli.errors import user_errors
from ssg.errors import UsageError


def scaffold_files(title: str, today: date) -> dict[str, str]:
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    return {
        "ssg.toml": f'''title = "{quoted}"
base_url = "http://localhost:8000/"
language = "en"
theme = "default"

[pagination]
per_page = 10

[taxonomies]
tags = {{}}
''',
        "content/_index.md": f"---\ntitle: \"{quoted}\"\n---\n\nWelcome to your new site.\n",
        "content/about.md": "---\ntitle: About\n---\n\nWrite something about yourself here.\n",
        "content/posts/_index.md": "---\ntitle: Posts\n---\n",
        "content/posts/hello-world.md": f"""---
title: Hello, world
date: {today.isoformat()}
tags: [welcome]
---

This is your first post. Edit `content/posts/hello-world.md` and run `ssg build`.
""",
        "static/.gitkeep": "",
        "templates/.gitkeep": "",
        ".gitignore": "public/\n.ssg/\n",
    }


def run_new(directory: Path, title: str) -> None:
    with user_errors(debug=False):
        if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
            raise UsageError(f"'{directory}' exists and is not an empty folder",
                             hint="choose a new folder name")
        for rel, text in scaffold_files(title, date.today()).items():
            path = directory / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    typer.echo(f"created a new site in {directory}; build it with: ssg build -s {directory}")
