"""``ssg new content/posts/x.md``: a new page from an archetype.

The archetype is the first of ``archetypes/<section>.md`` and
``archetypes/default.md`` in the site, then the same two in the theme. It is
a Jinja template of the page's file, with ``title`` (from the file name:
``my-first-post.md`` -> "My first post"), ``date`` (now, with this machine's
UTC offset, ISO 8601), ``section``, ``slug`` and ``path`` (under content/).
The default theme's archetype marks the page ``draft: true``, as Hugo's does:
a page just begun is not published until that line is removed (``ssg serve
--drafts`` shows it meanwhile)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from ssg.errors import ContentError, Location, UsageError
from ssg.sources.urls import name_words

CONTENT = "content"


@dataclass(frozen=True)
class NewPage:
    path: Path            # the file created
    archetype: Path       # the archetype it was made from
    draft: bool           # whether its front matter says draft: true


def title_from_name(rel: PurePosixPath) -> str:
    """'posts/my-first-post.md' -> 'My first post'; a bundle's 'x/index.md' and
    a section's '_index.md' are named after their folder."""
    name = rel.stem
    if name in ("index", "_index") and rel.parent.name:
        name = rel.parent.name
    words = name_words(name)
    return words[:1].upper() + words[1:] if words else "Untitled"


def content_path(site_root: Path, given: Path, cwd: Path) -> PurePosixPath:
    """Where under content/ the page goes. A relative path is taken from the
    current folder when that is inside content/, else from the site folder if
    it starts with content/, else from content/ (``ssg new posts/x.md``)."""
    content = (site_root / CONTENT).resolve()
    if given.is_absolute():
        target = given.resolve()
    elif cwd.resolve() == content or content in cwd.resolve().parents:
        target = (cwd / given).resolve()
    elif given.parts[:1] == (CONTENT,):
        target = (site_root / given).resolve()
    else:
        target = (content / given).resolve()
    if content not in target.parents:
        raise UsageError(f"'{given}' is not inside the site's content folder '{content}'",
                         hint="name the page under content/, e.g. ssg new content/posts/my-post.md")
    if target.suffix != ".md":
        raise UsageError(f"'{given}' is not a markdown file", hint="pages end in .md, e.g. content/posts/my-post.md")
    return PurePosixPath(target.relative_to(content).as_posix())


def find_archetype(site_root: Path, theme: Path | None, section: str) -> Path:
    names = ([f"{section}.md"] if section else []) + ["default.md"]
    folders = [site_root / "archetypes"] + ([theme / "archetypes"] if theme is not None else [])
    for folder in folders:
        for name in names:
            if (folder / name).is_file():
                return folder / name
    looked = ", ".join(str(folder / name) for folder in folders for name in names)
    raise UsageError(f"no archetype for a new page in '{section or CONTENT}': looked for {looked}",
                     hint="add archetypes/default.md to the site (front matter with {{ title }} and {{ date }})")


def render_archetype(archetype: Path, values: dict[str, str]) -> str:
    import jinja2

    source = archetype.read_text(encoding="utf-8")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False,
                             loader=jinja2.FunctionLoader(lambda name: (source, str(archetype), lambda: True)))
    try:
        return env.get_template(archetype.name).render(values)
    except jinja2.TemplateSyntaxError as error:
        raise ContentError(f"archetype syntax error: {error.message}", where=Location(str(archetype), error.lineno),
                           hint="fix the archetype (a Jinja template of the new page)") from None
    except Exception as error:
        raise ContentError(f"archetype failed: {error}", where=_line_in(sys.exc_info()[2], archetype),
                           hint=f"an archetype may use: {', '.join(sorted(values))}") from None


def _line_in(tb, archetype: Path) -> Location:
    """Where in the archetype an error was raised (Jinja rewrites the traceback
    so that its frames carry the template's file and line)."""
    found = Location(str(archetype))
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == str(archetype):
            found = Location(str(archetype), tb.tb_lineno)
        tb = tb.tb_next
    return found


def new_page(site_root: Path, theme: Path | None, given: Path, cwd: Path, now: datetime) -> NewPage:
    rel = content_path(site_root, given, cwd)
    section = rel.parts[0] if len(rel.parts) > 1 else ""
    archetype = find_archetype(site_root, theme, section)
    values = {"title": title_from_name(rel), "date": now.isoformat(timespec="seconds"), "section": section,
              "slug": rel.parent.name if rel.stem in ("index", "_index") else rel.stem, "path": str(rel)}
    text = render_archetype(archetype, values)
    target = site_root / CONTENT / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8") as file:    # never over an existing page
            file.write(text)
    except FileExistsError:
        raise ContentError(f"'{target}' already exists; it was left as it was",
                           hint="choose another file name, or edit that page") from None
    return NewPage(target, archetype, _is_draft(text))


def _is_draft(text: str) -> bool:
    head = text.split("\n---", 1)[0] if text.startswith("---") else text.split("\n+++", 1)[0]
    return any(line.replace(" ", "").lower() in ("draft:true", "draft=true") for line in head.splitlines())
