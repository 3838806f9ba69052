"""The Jinja2 environment: site templates override the theme's file by file;
``theme/NAME`` always reaches the theme's own file (to extend it from an
override). Core filters and globals respect ``base_url``."""

from __future__ import annotations

import hashlib
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame

from ssg.errors import Location, TemplateError
from ssg.graph import reads
from ssg.model import Page, Section, Site
from ssg.runtime import limits
from ssg.sources.urls import absolute_url, site_url

try:
    from markupsafe import _escape_inner  # the C function markupsafe.escape (3.x) wraps in Markup
except ImportError:        # markupsafe 2.x
    def _escape_inner(text: str) -> str:
        return str(markupsafe.escape(text))


def escape_text(value: Any) -> str:
    """What ``markupsafe.escape(value)`` holds, as a plain str: what a
    template writes for ``{{ value }}``. Jinja escapes every output expression
    with markupsafe.escape, whose Markup result only ever goes into the
    output's join; making that Markup was a quarter of rendering a list."""
    if type(value) is str:
        return _escape_inner(value)
    html = getattr(value, "__html__", None)
    return html() if html is not None else _escape_inner(str(value))


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, writing ``{{ x }}`` of an autoescaped template
    as ``environment.escape_text(x)`` (the same text as ``escape(x)``), and
    ``x.params.name`` as ``environment.page_param(x, "name")``."""

    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        inner = node.node
        if isinstance(inner, nodes.Getattr) and inner.attr == "params" and not self.environment.is_async:
            self.write("environment.page_param(")
            self.visit(inner.node, frame)
            self.write(f", {node.attr!r})")
            return
        super().visit_Getattr(node, frame)

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            return super()._output_child_pre(node, frame, finalize)
        self.write("environment.escape_text(")
        if finalize.src is not None:
            self.write(finalize.src)


class SiteUndefined(jinja2.Undefined):
    """Jinja's lenient Undefined (a missing value prints nothing, and is empty
    to loops and text filters), except that ``round`` and ``abs`` of one are
    an undefined-value error, as ``int``, ``float`` and arithmetic already are,
    instead of a TypeError that would not say a value is missing."""

    __slots__ = ()
    __round__ = __abs__ = jinja2.Undefined._fail_with_undefined_error


ISO_DATE = "%Y-%m-%d"    # ssg.toml's default date_format

UNDEFINED_HINT = "check the name; guard a value that may be missing with {% if x is defined %} or x|default(...)"


class SiteEnvironment(jinja2.Environment):
    """A Jinja2 environment for one build. Templates do not change during a
    build, so nothing is re-checked on disk and each candidate list is
    resolved once.

    It also records dependencies (ssg/graph/deps.py) while an output renders: every
    template name it loads (extends, include, import, dynamic names; names
    tried and not found too) and every attribute a template reads from a page,
    a section or the site. Jinja compiles ``a.b`` and ``a[b]`` (and the
    ``attribute=`` of filters such as sort and map) into these two methods."""

    code_generator_class = _CodeGenerator
    escape_text = staticmethod(escape_text)

    def __init__(self, **options: Any):
        super().__init__(auto_reload=False, cache_size=-1, **options)
        self._selected: dict[tuple[str, ...], tuple[jinja2.Template, tuple[str, ...]]] = {}

    def select(self, candidates: tuple[str, ...]) -> jinja2.Template:
        found = self._selected.get(candidates)
        if found is None:
            template = self.select_template(list(candidates))
            tried = candidates[:candidates.index(template.name) + 1] if template.name in candidates else candidates
            found = self._selected[candidates] = (template, tried)
        for name in found[1]:
            reads.record(("template", name))
        return found[0]

    def make_globals(self, d: dict[str, Any] | None) -> dict[str, Any]:
        """A template's globals as one plain dict, not Jinja's ChainMap over
        the environment's: every render copies them into its context, which
        through a ChainMap cost 50 us a render (pure-Python iteration and
        lookups). Globals are complete before the first template loads
        (``ssg_jinja_environment`` runs first), as Jinja asks."""
        return {**self.globals, **(d or {})}

    def _load_template(self, name: Any, globals: Any) -> jinja2.Template:
        if isinstance(name, str):
            reads.record(("template", name))
        return super()._load_template(name, globals)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """Jinja's ``getattr`` (the attribute, else the item, else undefined:
        its body, as a call to it costs a tenth of a list's render), noting
        the read; a page's field, read tens of thousands of times by the lists
        of a big site, goes to the recorder directly."""
        kind = type(obj)
        if kind is dict and attribute not in _DICT_ATTRIBUTES:   # a page's params: an item, and no key to note
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        recorder = reads.active
        if recorder is not None:
            if kind is Page:
                recorder.field(obj.source, attribute)
            else:
                _note(obj, attribute)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def page_param(self, obj: Any, name: str) -> Any:
        """``obj.params.name``. Of a page, the read of that one entry of its
        front matter (the field ``params.name``): a list that shows each
        page's ``params.summary`` does not read the tags, the title or the
        date there, and an edit of those is not an edit of what it shows. Any
        other use of ``params`` reads it whole, as does this of anything else."""
        if type(obj) is Page and type(obj.params) is dict and name not in _DICT_ATTRIBUTES:
            recorder = reads.active
            if recorder is not None:
                recorder.field(obj.source, f"params.{name}")
            return self.getattr(obj.params, name)     # an item of a plain dict: nothing more is noted
        return self.getattr(self.getattr(obj, "params"), name)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(argument, str):
            _note(obj, argument)
        return super().getitem(obj, argument)


_DICT_ATTRIBUTES = frozenset(dir(dict))    # what ``getattr`` finds on a plain dict (Jinja reads those first)


def _note(obj: Any, name: str) -> None:
    recorder = reads.current()
    if recorder is None:
        return
    kind = type(obj)
    if kind is Page:
        recorder.field(obj.source, name)
    elif kind is Section:
        recorder.keys.add(("section", obj.name, name))
    elif kind is Site and name not in ("config", "data"):
        recorder.keys.add(("site", name))
    elif kind in reads.TRACKED:
        recorder.keys.add((*obj.dependency_path, name))


def make_environment(site: Site, theme: Path, compiled: jinja2.BytecodeCache | None = None) -> SiteEnvironment:
    """The build's Jinja environment: the site's templates, then the theme's
    (``theme/NAME`` always the theme's); ``compiled``: where templates
    compiled by an earlier build are kept (ssg/build/templatecache.py)."""
    site_templates = jinja2.FileSystemLoader(str(site.root / "templates"))
    theme_templates = jinja2.FileSystemLoader(str(theme / "templates"))
    loader = jinja2.ChoiceLoader([
        jinja2.PrefixLoader({"theme": theme_templates}, delimiter="/"),
        site_templates,
        theme_templates,
    ])
    env = SiteEnvironment(
        loader=loader,
        autoescape=jinja2.select_autoescape(("html", "htm", "xml"), default_for_string=True, default=True),
        undefined=SiteUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.loopcontrols"],
        bytecode_cache=compiled,
    )
    install_helpers(env, site)
    return env


def install_helpers(env: jinja2.Environment, site: Site) -> None:
    config = site.config

    formatted: dict[tuple[int, str], tuple[date, str]] = {}   # (id of a date, format) -> (that date, text)

    def format_date(value: Any, fmt: str | None = None) -> str:
        """strftime, remembered per date object: a page's date is shown on its
        own page and on every list that holds it (strftime is 9 us a call).
        Keyed by identity (equal datetimes in other time zones print
        differently); the entry keeps its date alive, so an id is not reused."""
        fmt = fmt or config.date_format
        known = formatted.get((id(value), fmt))
        if known is not None and known[0] is value:
            return known[1]
        if value is None or isinstance(value, jinja2.Undefined):
            return ""
        if not isinstance(value, (date, datetime)):
            raise TypeError(f"the date filter needs a date, got {type(value).__name__} {value!r}")
        # The default format, as date.isoformat writes it in a sixth of strftime's time (strftime's %Y
        # does not pad a year before 1000 to four digits, isoformat does: those go to strftime).
        text = date.isoformat(value) if fmt == ISO_DATE and value.year >= 1000 else value.strftime(fmt)
        formatted[(id(value), fmt)] = (value, text)
        return text

    def rel_url(path: str) -> str:
        """A site path ('/tags/') made absolute-path with the base path ('/blog/tags/')."""
        if not isinstance(path, str):
            raise TypeError(f"rel_url needs a path string, got {type(path).__name__}")
        return site_url(config.base_path, path)

    def abs_url(path: str) -> str:
        """A full URL: 'https://example.org/blog/tags/'."""
        return absolute_url(config.base_url, path if "://" in path else rel_url(path))

    def url_for(target: str) -> str:
        """The URL of a content file ('posts/hello.md'), or a site path ('/about/')."""
        if target.endswith(".md"):
            page = site.page_by_source(target)
            if page is None:
                raise LookupError(f"url_for: no page for content file '{target}'")
            reads.record(("field", page.source, "url"))
            return page.url
        return rel_url(target)

    def iso(value: datetime | None) -> str:
        return value.isoformat() if value else ""

    static = dict(site.static_files)
    hashes: dict[Path, str] = {}

    def asset(path: str) -> str:
        """The URL of a static file with its content's hash, so caches can keep it
        forever: '/css/style.css?v=3f2a9c1e07'. The output depends on the file."""
        rel = str(path).lstrip("/")
        source = static.get(rel)
        if source is None:
            raise LookupError(f"asset: no static file '{rel}' (in the site's or the theme's static/)")
        reads.record(("asset", rel))
        if source not in hashes:
            hashes[source] = hashlib.sha256(source.read_bytes()).hexdigest()[:10]
        return f"{rel_url('/' + rel)}?v={hashes[source]}"

    env.filters.update({"date": format_date, "rel_url": rel_url, "abs_url": abs_url, "isodate": iso})
    env.globals.update({"site": site, "config": config, "data": reads.DataView(site.data), "url_for": url_for,
                        "rel_url": rel_url, "abs_url": abs_url, "asset": asset})


def render(env: SiteEnvironment, candidates: tuple[str, ...], context: dict[str, Any], *, what: str) -> str:
    """Render the first template of ``candidates`` that exists."""
    try:
        template = env.select(candidates)
    except jinja2.TemplatesNotFound:
        raise TemplateError(f"no template for {what}: looked for {', '.join(candidates)}",
                            hint="add one of them to the site's templates/ or the theme") from None
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(f"template syntax error: {error.message} (while rendering {what})",
                            where=Location(_template_path(error.filename, error.name), error.lineno)) from None
    try:
        return template.render(context)
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(f"template syntax error: {error.message} (while rendering {what})",
                            where=Location(_template_path(error.filename, error.name), error.lineno)) from None
    except jinja2.TemplateNotFound as error:
        raise TemplateError(f"template '{error.name}' not found (while rendering {what})",
                            where=template_frame(sys.exc_info()[2]),
                            hint="check the name in extends/include/import") from None
    except RecursionError:
        raise TemplateError(f"template recursion too deep while rendering {what}",
                            where=template_frame(sys.exc_info()[2]),
                            hint="a template includes or calls itself without end; an override that "
                                 "extends the theme's file of the same name must say 'theme/NAME'") from None
    except TemplateError:
        raise
    except jinja2.UndefinedError as error:
        raise TemplateError(f"the template uses a value that is not defined: {error} (while rendering {what})",
                            where=template_frame(sys.exc_info()[2]), hint=UNDEFINED_HINT) from None
    except Exception as error:
        raise TemplateError(f"{type(error).__name__}: {error} (while rendering {what})",
                            where=template_frame(sys.exc_info()[2])) from None
    except (SystemExit, KeyboardInterrupt) as error:   # in a render worker, where Ctrl-C is ignored: code did it
        raise TemplateError(f"code the template called tried to end the process ({limits.exit_call(error)}) "
                            f"while rendering {what}", where=template_frame(sys.exc_info()[2]),
                            hint="a filter or global a plugin adds reports a problem by raising an exception, never "
                                 "by exiting; fix it, or disable the plugin that adds it") from None


def _template_path(filename: str | None, name: str | None) -> str:
    return filename or name or "<template>"


def template_frame(tb) -> Location | None:
    """The innermost traceback frame that belongs to a template file. Frames of
    compiled template code that Jinja did not rewrite (an exception it did not
    handle, such as a render's time running out) are mapped back to the
    template's own line."""
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None and template.filename:
            found = Location(template.filename, template.get_corresponding_lineno(tb.tb_lineno))
        elif code.co_filename.endswith((".html", ".xml", ".txt", ".j2", ".jinja")) and "<template>" not in code.co_filename:
            found = Location(code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


