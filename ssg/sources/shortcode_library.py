"""A site's shortcode templates (ssg/sources/shortcodes.py): where they are,
the Jinja environment that renders them (with ssg/sources/shortcode_helpers.py),
and the digests of what a page's content was made with."""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from ssg.sources.files import read_bytes

BUILTIN = Path(__file__).with_name("shortcode_templates")
CASCADE = "cascade:"     # a made_with entry for an _index.md whose cascade a page's shortcodes saw


class ShortcodeLibrary:
    """Where a site's shortcode templates are and what they may see of the
    site: picklable (parse workers get it), its Jinja environment made in
    each process on first use."""

    def __init__(self, template_dirs: tuple[str, ...], content: str, site: Mapping[str, Any]):
        self.template_dirs = (*template_dirs, str(BUILTIN))
        self.content = content       # the site's content/ folder
        self.site = dict(site)       # title, base_url, language, params

    def __getstate__(self) -> dict:
        return {name: value for name, value in vars(self).items() if name in ("template_dirs", "content", "site")}

    @cached_property
    def env(self) -> Any:
        import jinja2

        env = jinja2.Environment(loader=jinja2.FileSystemLoader(list(self.template_dirs)), autoescape=True,
                                 trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
        from ssg.sources.shortcode_helpers import install

        install(env)
        return env

    @cached_property
    def _digests(self) -> dict[str, str]:
        return {}

    @cached_property
    def _parsed(self) -> dict[str, Any]:
        return {}      # template name -> its syntax tree (None: no such template)

    @cached_property
    def _cascades(self) -> dict[str, dict[str, Any] | None]:
        return {}      # an _index.md's site path -> its cascade (None: no such file)

    @cached_property
    def _known(self) -> dict[tuple[str, str], Any]:
        return {}      # (what, template name) -> reads_inner's or templates' answer

    def template(self, name: str) -> Any:
        """The template of shortcode ``name``, or None."""
        import jinja2

        try:
            return self.env.get_template(f"shortcodes/{name}.html")
        except jinja2.TemplateNotFound:
            return None

    def digest(self, entry: str) -> str:
        """What ``entry`` of a page's ``made_with`` is now: the digest of a
        template (by its name under templates/), of a content file (by its
        site path), or of the site values ('site'); '' for none."""
        known = self._digests.get(entry)
        if known is None:
            known = self._digests[entry] = self._digest(entry)
        return known

    def _digest(self, entry: str) -> str:
        if entry == "site":
            return _sha(repr(sorted(self.site.items())).encode())
        entry = entry.removeprefix(CASCADE)
        if entry.startswith("content/"):
            try:
                return _sha(read_bytes(Path(self.content, entry[len("content/"):])))
            except OSError:
                return ""
        for folder in self.template_dirs:
            try:
                return _sha(read_bytes(Path(folder, entry)))
            except OSError:
                continue
        return ""

    def fresh(self, made_with: tuple[tuple[str, str], ...]) -> bool:
        """Whether a page's content made with ``made_with`` would be made the same now."""
        return all(self.digest(entry) == sha for entry, sha in made_with)

    def reads_inner(self, name: str) -> bool:
        """Whether shortcode ``name``'s template reads ``inner`` (a call of it
        without its closing tag is then an unclosed pair)."""
        from jinja2 import meta

        key = ("inner", name)
        if key not in self._known:
            tree = self._tree(f"shortcodes/{name}.html")
            self._known[key] = tree is not None and "inner" in meta.find_undeclared_variables(tree)
        return self._known[key]

    def templates(self, name: str) -> list[str]:
        """The template ``name`` (under templates/) and every template it
        includes, imports or extends by a literal name, recursively: what a
        call of it is made with."""
        from jinja2 import meta

        key = ("templates", name)
        if key not in self._known:
            found, todo = [], [name]
            while todo:
                current = todo.pop()
                if current in found:
                    continue
                found.append(current)
                tree = self._tree(current)
                if tree is not None:
                    todo += [other for other in meta.find_referenced_templates(tree) if other is not None]
            self._known[key] = found
        return self._known[key]

    def cascade(self, source: str, kind: str) -> tuple[dict[str, Any], list[str]]:
        """What the home page's and the sections' ``_index.md`` cascade down
        to the page of ``source`` (of ``kind``), the nearest winning, as
        placing it will (ssg/sources/sections.py), and those files that exist."""
        if kind == "home":
            return {}, []
        parts = posixpath.dirname(source).split("/")[1:]
        if kind == "section":
            parts = parts[:-1]      # not its own _index.md
        merged: dict[str, Any] = {}
        found = []
        for holder in ["content/_index.md", *(f"content/{'/'.join(parts[:depth])}/_index.md"
                                             for depth in range(1, len(parts) + 1))]:
            handed = self._cascade_of(holder)
            if handed is not None:
                merged.update(handed)
                found.append(holder)
        return merged, found

    def _cascade_of(self, source: str) -> dict[str, Any] | None:
        """The cascade of the ``_index.md`` at ``source`` ({} for none), or None when there is no such file."""
        if source not in self._cascades:
            from ssg.errors import SsgError
            from ssg.sources.content import split_front_matter
            from ssg.sources.fields import decode

            try:
                meta = split_front_matter(decode(read_bytes(Path(self.content, source[len("content/"):])), source),
                                          source)[0]
            except OSError:
                self._cascades[source] = None
                return None
            except SsgError:     # its own parse says what is wrong with it
                meta = {}
            value = meta.get("cascade")
            merged: dict[str, Any] = {}
            for entry in value if isinstance(value, list) else [value]:
                if isinstance(entry, dict):
                    merged.update(entry)
            self._cascades[source] = merged
        return self._cascades[source]

    def _tree(self, name: str) -> Any:
        """The syntax tree of template ``name``, or None when there is none."""
        import jinja2

        if name not in self._parsed:
            env = self.env
            try:
                self._parsed[name] = env.parse(env.loader.get_source(env, name)[0])
            except jinja2.TemplateNotFound:
                self._parsed[name] = None
        return self._parsed[name]



def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


