"""CommonMark + GFM to HTML through cmark-gfm's C functions, freeing what they
allocate.

cmarkgfm's ``markdown_to_html_with_extensions`` frees the parser but never the
document tree ``cmark_parser_finish`` hands over, nor the HTML string
``cmark_render_html`` returns: about 21 KB leaked per page, 100 MB per parse
worker at 10,000 posts, 2 GB at 100,000. The same calls are made here on the
same compiled library (its symbols are public, the module ``cmarkgfm._cmark``
that holds them is not), and both are freed. cmarkgfm's own function renders
instead when speed-ups are off, when ``ssg.speedups.switch`` does not find the
compiled module as tested (it bundles another cmark-gfm than 0.29.0.gfm), or
when a symbol is missing (another build of cmarkgfm).

The functions are called through the standard library's ctypes (a few ms to
set up): declaring them to cffi (``FFI().cdef``) imports and runs pycparser,
30 to 150 ms in every process that parses a page (each parse worker, and a
one-edit build, which parses one file).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from functools import cache

from ssg.speedups import switch as speedups

_VOID, _INT, _TEXT = ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p
# The C functions called, as (result, arguments): pointers as void pointers.
_SIGNATURES = {
    "cmark_get_default_mem_allocator": (_VOID, ()),
    "cmark_gfm_core_extensions_ensure_registered": (None, ()),
    "cmark_find_syntax_extension": (_VOID, (_TEXT,)),
    "cmark_parser_new": (_VOID, (_INT,)),
    "cmark_parser_attach_syntax_extension": (_INT, (_VOID, _VOID)),
    "cmark_parser_feed": (None, (_VOID, _TEXT, ctypes.c_size_t)),
    "cmark_parser_finish": (_VOID, (_VOID,)),
    "cmark_parser_get_syntax_extensions": (_VOID, (_VOID,)),
    "cmark_render_html": (_VOID, (_VOID, _INT, _VOID)),
    "cmark_node_free": (None, (_VOID,)),
    "cmark_parser_free": (None, (_VOID,)),
}


class _Allocator(ctypes.Structure):
    """cmark-gfm's ``cmark_mem``: the allocator whose ``free`` releases the HTML."""

    _fields_ = [("calloc", _VOID), ("realloc", _VOID), ("free", ctypes.CFUNCTYPE(None, _VOID))]


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
        lib = ctypes.CDLL(library)
        for name, (result, arguments) in _SIGNATURES.items():
            function = getattr(lib, name)
            function.restype, function.argtypes = result, arguments
        lib.cmark_gfm_core_extensions_ensure_registered()
        found = [lib.cmark_find_syntax_extension(name.encode()) for name in extensions]
        free = ctypes.cast(lib.cmark_get_default_mem_allocator(), ctypes.POINTER(_Allocator)).contents.free
    except Exception:   # not this build of cmarkgfm (a symbol missing...): its own function, leaks and all
        return None
    if any(extension is None for extension in found):
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
                    return ctypes.string_at(html).decode("utf-8")
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
