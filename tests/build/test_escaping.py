"""ssg's Jinja environment writes ``{{ x }}`` with its own escaping function
(plain text instead of a Markup object per expression): what lands in a page
must be byte for byte what Jinja itself writes, for every kind of value and
every way a template produces output."""

from __future__ import annotations

import jinja2
import pytest
from markupsafe import Markup

from ssg.build.templates import SiteEnvironment


class Html:
    def __html__(self) -> str:
        return "<b>safe</b>"


class Shown:
    def __str__(self) -> str:
        return "<i>& 'shown'</i>"


class Text(str):
    pass


VALUES = {"s": "<a href=\"x\">Tom & 'Jerry'</a>", "m": Markup("<em>kept</em>"), "n": 42, "f": 1.5, "none": None,
          "html": Html(), "obj": Shown(), "sub": Text("<sub>"), "items": ["<1>", Markup("<2>")], "empty": "",
          "d": {"k": "<k>", "items": "shadowed by the method", "n": None}}

TEMPLATES = [
    "{{ s }}|{{ m }}|{{ n }}|{{ f }}|{{ none }}|{{ html }}|{{ obj }}|{{ sub }}|{{ empty }}|{{ missing }}",
    "{% for i in items %}[{{ i }}]{% endfor %}{{ items }}",
    "{% set block %}{{ s }}<raw>{% endset %}{{ block }}|{{ block|length }}",
    "{% macro m(v) %}<{{ v }}>{% endmacro %}{{ m(s) }}|{{ m(m) }}",
    "{{ s|upper }}|{{ s|e }}|{{ s|safe }}|{{ s ~ m }}|{{ s|replace('&', 'and') }}|{{ m|striptags }}",
    "{% autoescape false %}{{ s }}{% endautoescape %}{{ s }}{% autoescape true %}{{ s }}{% endautoescape %}",
    "{{ '<literal>' }}{{ 'a' if n else 'b' }}{{ [s, m]|join(', ') }}{{ {'k': s} }}",
    "{% filter upper %}{{ s }}{% endfilter %}{% with x = s %}{{ x }}{% endwith %}",
    # a plain dict (a page's params): its keys as attributes, its methods first, a missing key undefined
    "{{ d.k }}|{{ d.n }}|{{ d.missing }}|{{ d.missing is defined }}|{{ d.items() | list | length }}|"
    "{{ d.get('k') }}|{{ d['items'] }}|{{ d.k | upper }}|{{ d.missing | default('dflt') }}",
]


@pytest.mark.parametrize("autoescape", [True, False])
@pytest.mark.parametrize("source", TEMPLATES)
def test_output_equals_jinjas_own(source, autoescape):
    ours = SiteEnvironment(autoescape=autoescape).from_string(source).render(VALUES)
    jinjas = jinja2.Environment(autoescape=autoescape).from_string(source).render(VALUES)
    assert ours == jinjas
    if autoescape and "{{ s }}" in source and "autoescape false" not in source:
        assert "Tom &amp; &#39;Jerry&#39;" in ours


def test_strict_undefined_still_raises():
    env = SiteEnvironment(autoescape=True, undefined=jinja2.StrictUndefined)
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ nothing }}").render()
