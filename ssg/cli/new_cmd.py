"""`ssg new`: a page from an archetype inside a site, or a new site.

``ssg new content/posts/x.md`` (any path ending in .md; also ``ssg new
content posts/x.md``) adds a page to the site given by ``--site`` or found in
the current folder or a parent. ``ssg new site DIR`` creates a site; so does
``ssg new DIR`` outside a site. Inside a site a bare ``ssg new DIR`` is refused
(it was a page meant, or a site created inside the site), and no site is ever
created inside a site's content/ or static/."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer

from ssg.cli.errors import user_errors
from ssg.errors import UsageError


def run_new(first: str, second: str | None, title: str, site: Path | None) -> None:
    with user_errors(debug=False):
        if first == "site":
            if second is None:
                raise UsageError("ssg new site needs the folder to create", hint="ssg new site DIR")
            _new_site(Path(second), title)
        elif first == "content" and second is not None:      # hugo new content posts/x.md
            _new_page(Path(second), site)
        elif second is not None:
            raise UsageError(f"unexpected argument '{second}'",
                             hint="ssg new content/SECTION/NAME.md (a page), or ssg new site DIR (a site)")
        elif first.endswith(".md"):
            _new_page(Path(first), site)
        else:
            from ssg.new.scaffold import enclosing_site

            outer = site or enclosing_site(Path.cwd())
            if outer is not None:
                raise UsageError(f"'{first}' is not a page, and this is inside the site '{outer}'",
                                 hint="a page: ssg new content/SECTION/NAME.md; a site: ssg new site DIR "
                                      "(outside the site's content/ and static/)")
            _new_site(Path(first), title)


def _new_site(directory: Path, title: str) -> None:
    from ssg.new.scaffold import create_site

    create_site(directory, title, date.today())
    typer.echo(f"created a new site in {directory}; build it with: ssg build -s {directory}, or preview it "
               f"with: ssg serve -s {directory}")


def _new_page(given: Path, site: Path | None) -> None:
    from ssg.config.site import read_config
    from ssg.config.themes import theme_dir
    from ssg.errors import SsgError
    from ssg.new.archetypes import new_page
    from ssg.new.scaffold import enclosing_site

    root = (site or enclosing_site(Path.cwd()))
    if root is None:
        raise UsageError(f"'{given}' is a page, and there is no site here (no ssg.toml in '{Path.cwd()}' or a parent)",
                         hint="run it inside a site or pass --site DIR; to create a site: ssg new site DIR")
    raw = read_config(root)
    try:
        theme = theme_dir(root, str(raw.data.get("theme", "default")), raw.path)
    except SsgError:
        theme = None        # a site archetype may still serve; otherwise "no archetype" says where it looked
    page = new_page(root, theme, given, Path.cwd(), datetime.now().astimezone())
    shown = page.path.relative_to(Path.cwd()) if page.path.is_relative_to(Path.cwd()) else page.path
    where = (f"archetypes/{page.archetype.name}" if page.archetype.is_relative_to(root.resolve() / "archetypes")
             else f"the theme's archetypes/{page.archetype.name}")
    typer.echo(f"created {shown} from {where}")
    if page.draft:
        typer.echo("it is a draft: `ssg serve --drafts` shows it; remove `draft: true` to publish it")
