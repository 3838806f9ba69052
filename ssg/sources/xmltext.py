"""Text and attribute values for XML (feeds, sitemaps): xml.sax.saxutils'
escape and quoteattr, written out because importing saxutils imports
urllib.request and http.client (a tenth of a no-op build's start-up), and
dropping the characters XML 1.0 cannot hold at all."""

from __future__ import annotations

import re

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})


def xml_escape(text: object) -> str:
    """``text`` for an XML element's content."""
    return _NOT_XML.sub("", str(text)).translate(_TEXT)


def xml_quoteattr(text: object) -> str:
    """``text`` as a quoted XML attribute value: in double quotes, or in single
    quotes when it holds double quotes only."""
    value = _NOT_XML.sub("", str(text)).translate(_ATTRIBUTE)
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return '"' + value.replace('"', "&quot;") + '"'
