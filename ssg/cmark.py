"""CommonMark + GFM to HTML through cmark-gfm's C functions, freeing what they
allocate.

cmarkgfm's ``markdown_to_html_with_extensions`` frees the parser but never the
document tree ``cmark_parser_finish`` hands over, nor the HTML string
``cmark_render_html`` returns: about 21 KB leaked per page, 100 MB per parse
worker at 10,000 posts, 2 GB at 100,000. The same calls are made here on the
same compiled library (its symbols are public), and both are freed. Without
those symbols (another build of cmarkgfm), cmarkgfm's own function is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache

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
    return _renderer(tuple(extensions))(text, options)


@cache
def _renderer(extensions: tuple[str, ...]) -> Callable[[str, int], str]:
    try:
        import cffi
        from cmarkgfm import _cmark

        ffi = cffi.FFI()
        ffi.cdef(_DECLARATIONS)
        lib = ffi.dlopen(_cmark.__file__)
        lib.cmark_gfm_core_extensions_ensure_registered()
        found = [lib.cmark_find_syntax_extension(name.encode()) for name in extensions]
        free = lib.cmark_get_default_mem_allocator().free
    except Exception:   # not this build of cmarkgfm (a symbol missing...): its own function, leaks and all
        return _leaking(extensions)
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


def _leaking(extensions: tuple[str, ...]) -> Callable[[str, int], str]:
    import cmarkgfm

    return lambda text, options: cmarkgfm.markdown_to_html_with_extensions(text, options=options,
                                                                           extensions=list(extensions))
