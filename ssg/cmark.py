"""CommonMark + GFM to HTML through cmark-gfm's C functions, freeing what they
allocate.

cmarkgfm's ``markdown_to_html_with_extensions`` frees the parser but never the
document tree ``cmark_parser_finish`` hands over, nor the HTML string
``cmark_render_html`` returns: about 21 KB leaked per page, 100 MB per parse
worker at 10,000 posts, 2 GB at 100,000. The same calls are made here on the
same compiled library (its symbols are public, the module ``cmarkgfm._cmark``
that holds them is not), and both are freed. cmarkgfm's own function renders
instead when speed-ups are off, when ``ssg.speedups`` does not find the
compiled module as tested (it bundles another cmark-gfm than 0.29.0.gfm), or
when a symbol is missing (another build of cmarkgfm).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

from ssg import speedups

_DECLARATIONS = """
    typedef struct cmark_parser cmark_parser;
    typedef struct cmark_node cmark_node;
    typedef struct cmark_syntax_extension cmark_syntax_extension;
    typedef struct cmark_llist cmark_llist;
    typedef struct cmark_mem {
        void *(*calloc)(size_t, size_t);
        void *(*realloc)(void *, size_t);
        void (*free)(void *);
    } cmark_mem;
    cmark_mem *cmark_get_default_mem_allocator(void);
    void cmark_gfm_core_extensions_ensure_registered(void);
    cmark_syntax_extension *cmark_find_syntax_extension(const char *name);
    cmark_parser *cmark_parser_new(int options);
    int cmark_parser_attach_syntax_extension(cmark_parser *parser, cmark_syntax_extension *extension);
    void cmark_parser_feed(cmark_parser *parser, const char *buffer, size_t len);
    cmark_node *cmark_parser_finish(cmark_parser *parser);
    cmark_llist *cmark_parser_get_syntax_extensions(cmark_parser *parser);
    char *cmark_render_html(cmark_node *root, int options, cmark_llist *extensions);
    void cmark_node_free(cmark_node *node);
    void cmark_parser_free(cmark_parser *parser);
"""


def to_html(text: str, options: int, extensions: Sequence[str]) -> str:
    """``text`` rendered with the cmark ``options`` and the named GFM
    ``extensions`` (what cmarkgfm.markdown_to_html_with_extensions returns)."""
    return renderer(tuple(extensions))(text, options)


def renderer(extensions: tuple[str, ...]) -> Callable[[str, int], str]:
    """What ``to_html`` renders with: cmark-gfm's functions called here, or
    cmarkgfm's own function (speed-ups off, an untested cmarkgfm, a symbol
    missing)."""
    if speedups.enabled() and speedups.safe("cmark"):
        from cmarkgfm import _cmark

        direct = _direct(extensions, _cmark.__file__)
        if direct is not None:
            return direct
    return _public(extensions)


def calls_library(extensions: Sequence[str]) -> bool:
    """Whether ``to_html`` calls cmark-gfm's functions itself (else cmarkgfm's own function)."""
    return renderer(tuple(extensions)) is not _public(tuple(extensions))


@cache
def _direct(extensions: tuple[str, ...], library: str) -> Callable[[str, int], str] | None:
    """The renderer calling the functions of the compiled ``library``; None
    when it lacks one."""
    try:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(_DECLARATIONS)
        lib = ffi.dlopen(library)
        lib.cmark_gfm_core_extensions_ensure_registered()
        found = [lib.cmark_find_syntax_extension(name.encode()) for name in extensions]
        free = lib.cmark_get_default_mem_allocator().free
    except Exception:   # not this build of cmarkgfm (a symbol missing...): its own function, leaks and all
        return None
    if any(extension == ffi.NULL for extension in found):
        raise ValueError(f"unknown cmark-gfm extension in {extensions}")

    def render(text: str, options: int) -> str:
        encoded = text.encode("utf-8")
        parser = lib.cmark_parser_new(options)
        try:
            for extension in found:
                lib.cmark_parser_attach_syntax_extension(parser, extension)
            lib.cmark_parser_feed(parser, encoded, len(encoded))
            root = lib.cmark_parser_finish(parser)
            try:
                html = lib.cmark_render_html(root, options, lib.cmark_parser_get_syntax_extensions(parser))
                try:
                    return ffi.string(html).decode("utf-8")
                finally:
                    free(html)
            finally:
                lib.cmark_node_free(root)
        finally:
            lib.cmark_parser_free(parser)

    return render


@cache
def _public(extensions: tuple[str, ...]) -> Callable[[str, int], str]:
    import cmarkgfm

    return lambda text, options: cmarkgfm.markdown_to_html_with_extensions(text, options=options,
                                                                           extensions=list(extensions))
