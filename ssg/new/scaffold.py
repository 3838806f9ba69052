"""The files of a new site (``ssg new site DIR``): a site that builds as is,
its ``ssg.toml`` commented key by key with a pointer to the docs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ssg.errors import UsageError

DOCS = "docs/configuration.md in ssg's source (`ssg COMMAND -h` for the commands)"
PUBLISHED_FOLDERS = ("content", "static")    # what a build copies or renders into the output


def _quoted(text: str) -> str:
    """A double-quoted string, the same in TOML and YAML."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_text(title: str) -> str:
    return f'''# The site's configuration. Every key is described in {DOCS};
# an unknown or mistyped key is an error naming its line.

title = {_quoted(title)}              # the site's name, in the header, the page titles and the feeds
base_url = "http://localhost:8000/"   # the public URL the site is served from; its path (/blog/) prefixes every URL
language = "en"                       # <html lang> and the feeds' language
theme = "default"                     # a packaged theme, or a folder in this site holding templates/ and static/
date_format = "%-d %B %Y"             # how the `date` filter shows dates (strftime): 4 December 2026
# description = ""                    # one line about the site: meta description, feeds
# author = ""                         # the default author (Atom feed)
# output_dir = "public"               # where the site is built to

# URL pattern per section; default /:path/:slug/. Docs: configuration.md#permalinks
# [permalinks]
# posts = "/:year/:month/:slug/"

# Pages per list page (the home page, sections, tags). Docs: plugins.md#built-in-plugins
[pagination]
per_page = 10                         # 0: one page however long the list

# Taxonomies: each key is a front matter field listing terms (tags: [a, b]),
# with a page per term at /tags/TERM/. Docs: plugins.md#built-in-plugins
[taxonomies]
tags = {{}}                             # tags: [a, b] in front matter; options in the table (docs)

# The navigation: the menu "main", its entries ordered by weight. A page joins
# it with `menu: main` in its front matter (content/about.md does).
# Docs: plugins.md#menus
[menus]
main = [{{ name = "Posts", url = "/posts/", weight = 10 }}, {{ name = "Tags", url = "/tags/", weight = 20 }}]  # name, url, weight

# Free values for the templates (site.config.params). The default theme reads
# tagline and favicon. Docs: configuration.md#params
[params]
# tagline = "Notes on things"          # a line under the site title

# Where `ssg deploy` publishes the site. Docs: deploy.md
# [deploy.production]
# url = "sftp://deploy@www.example.org/var/www/site"
# password = "${{SFTP_PASSWORD}}"     # from the environment; never write a secret here
'''


def scaffold_files(title: str, today: date) -> dict[str, str]:
    return {
        "ssg.toml": config_text(title),
        "content/_index.md": f"---\ntitle: {_quoted(title)}\n---\n\nWelcome to your new site.\n",
        "content/about.md": "---\ntitle: About\nmenu:\n  main: {weight: 30}\n---\n\nWrite something about yourself here.\n",
        "content/posts/_index.md": "---\ntitle: Posts\n---\n",
        "content/posts/hello-world.md": f"""---
title: Hello, world
date: {today.isoformat()}
tags: [welcome]
---

This is your first post. Edit `content/posts/hello-world.md`, or start another
with `ssg new content/posts/my-second-post.md`, and preview the site with
`ssg serve`.
""",
        "archetypes/.gitkeep": "",
        "static/.gitkeep": "",
        "templates/.gitkeep": "",
        ".gitignore": "public/\n.ssg/\n",
    }


def enclosing_site(path: Path) -> Path | None:
    """The nearest folder holding ssg.toml among ``path`` and its parents."""
    for folder in (path, *path.parents):
        if (folder / "ssg.toml").is_file():
            return folder
    return None


def refuse_inside_published_folder(directory: Path) -> None:
    """A site created inside another site's content/ or static/ would be
    published by that site's next build, its ssg.toml included."""
    target = directory.resolve()
    outer = enclosing_site(target.parent)
    if outer is None:
        return
    for name in PUBLISHED_FOLDERS:
        folder = outer / name
        if target == folder or folder in target.parents:
            raise UsageError(f"'{directory}' is inside the {name}/ folder of the site '{outer}': a site there would "
                             "be published by that site's build, its ssg.toml included",
                             hint="to add a page to that site: ssg new content/SECTION/NAME.md (run in the site); "
                                  "to create a site: ssg new site DIR outside it")


def create_site(directory: Path, title: str, today: date) -> None:
    refuse_inside_published_folder(directory)
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise UsageError(f"'{directory}' exists and is not an empty folder", hint="choose a new folder name")
    for rel, text in scaffold_files(title, today).items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
