"""Shortcodes (issue 21): calls from Markdown into trusted templates,
``templates/shortcodes/NAME.html`` (the site's, the theme's, ssg's
built-ins). Calls, pairs with raw or Markdown inner text, nesting, escaped
calls, calls in code left alone, literal arguments only, and each malformed
call noted at its file:line with the rest of the page rendered."""

from __future__ import annotations

import html as html_text
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssg.errors import ContentError
from ssg.sources.links import page_ref
from ssg.sources.markdown import render_markdown
from ssg.sources.shortcode_library import ShortcodeLibrary
from ssg.sources.shortcodes import LIBRARY, arguments


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "templates/shortcodes").mkdir(parents=True)
    (tmp_path / "theme/templates/shortcodes").mkdir(parents=True)
    (tmp_path / "content/docs/guide").mkdir(parents=True)
    (tmp_path / "content/snippets").mkdir(parents=True)
    shortcodes = tmp_path / "templates/shortcodes"
    (shortcodes / "note.html").write_text('<aside class="{{ kwargs.kind | default("info") }}">{{ inner }}</aside>')
    (shortcodes / "echo.html").write_text("[{{ args | map('string') | join('|') }}; "
                                          "{{ kwargs | dictsort | map('join', '=') | join('|') }}]")
    (shortcodes / "who.html").write_text("{{ page.title }} of {{ site.title }} ({{ site.params.brand }})")
    (shortcodes / "wrap.html").write_text("<b>{{ inner }}</b>")
    (shortcodes / "strict.html").write_text("{% if not args %}{{ fail('needs a word') }}{% endif %}{{ args[0] }}")
    (shortcodes / "broken.html").write_text("{{ 1 / 0 }}")
    (tmp_path / "theme/templates/shortcodes/themed.html").write_text("theme's")
    (tmp_path / "theme/templates/shortcodes/note.html").write_text("the site's note wins")
    (tmp_path / "content/docs/guide/deep.md").write_text("---\ntitle: Deep\n---\nDeep.\n")
    (tmp_path / "content/docs/guide/_index.md").write_text("---\ntitle: Guide\n---\n")
    (tmp_path / "content/snippets/warn.md").write_text("---\nheadless: true\n---\n**Careful** {{< who >}}.\n")
    (tmp_path / "content/snippets/loop.md").write_text('{{< include "/snippets/loop.md" >}}\n')
    return tmp_path


def render(site: Path, text: str, **options):
    library = ShortcodeLibrary((str(site / "templates"), str(site / "theme/templates")), str(site / "content"),
                               {"title": "Site", "params": {"brand": "Acme"}})
    return render_markdown(text, {**options, LIBRARY: library}, source="content/docs/page.md", first_line=4,
                           page={"title": "Page", "params": {}})


def test_calls_pairs_and_nesting(site):
    rendered = render(site, """\
A {{< echo 1 "two words" true 2.5 key="v" flag=false >}} b.

{{% note kind="warn" %}}
Some **bold** and {{< who >}}.
{{% /note %}}

{{< note >}}raw *kept*{{< wrap >}}in{{< /wrap >}}{{< /note >}}

{{< themed >}}
""")
    html = str(rendered.html)
    assert "<p>A [1|two words|True|2.5; flag=False|key=v] b.</p>" in html
    assert '<aside class="warn"><p>Some <strong>bold</strong> and Page of Site (Acme).</p>\n</aside>' in html
    assert '<aside class="info">raw *kept*<b>in</b></aside>' in html
    assert "\ntheme's" in html and "<p>theme's</p>" not in html      # a call alone in its paragraph: its output alone
    assert rendered.notes == ()
    assert [name for name, _ in rendered.made_with] == [
        "shortcodes/echo.html", "shortcodes/note.html", "shortcodes/themed.html", "shortcodes/who.html",
        "shortcodes/wrap.html", "site"]


def test_calls_in_code_are_text_and_escaped_calls_show_as_written(site):
    html = str(render(site, """\
Inline `{{< who >}}` and `{{</* who */>}}`; prose {{</* note kind="x" */>}}.

```markdown
{{< who >}}
{{%/* note */%}}
```
""").html)
    assert "<code>{{&lt; who &gt;}}</code>" in html
    assert "<code>{{&lt; who &gt;}}</code> and <code>{{&lt; who &gt;}}</code>" in html
    assert "prose {{&lt; note kind=&#34;x&#34; &gt;}}." in html
    assert "Page of Site" not in html
    assert "{{%" in html and "/*" not in html


@pytest.mark.parametrize(("text", "line", "words"), [
    ("x\n\n{{< nosuch a >}}\n", 6, "unknown shortcode 'nosuch'"),
    ("{{< echo a=1 b >}}\n", 4, "shortcode 'echo': positional arguments come before named ones"),
    ("x\n{{< echo a={{ x }} >}}\n", 5, "shortcode 'echo'"),
    ("{{< wrap >}}never closed\n", 4, "shortcode 'wrap' is never closed"),
    ("a {{< /wrap >}}\n", 4, "closes no"),
    ("a {{< echo 'x' \n", 4, "never closed"),
    ("{{< strict >}}\n", 4, "shortcode 'strict': needs a word"),
])
def test_a_malformed_call_is_noted_at_its_line_and_the_rest_renders(site, text, line, words):
    rendered = render(site, text + "\nThe rest **renders**.\n")
    assert len(rendered.notes) == 1, rendered.notes
    assert rendered.notes[0].startswith(f"content/docs/page.md:{line}: ") and words in rendered.notes[0]
    assert "<strong>renders</strong>" in str(rendered.html)


def test_a_self_closed_call_has_no_inner_and_an_unclosed_pair_is_shown_as_written(site):
    rendered = render(site, "A {{< wrap />}} and {{< wrap >}}open.\n")
    assert "A <b></b> and {{&lt; wrap &gt;}}open." in str(rendered.html)
    assert len(rendered.notes) == 1 and "content/docs/page.md:4: shortcode 'wrap' is never closed" in rendered.notes[0]


def test_hugos_highlight_options_give_every_line(site):
    html = str(render(site, '{{< highlight go "linenos=table,hl_lines=2 4-5,linenostart=10" >}}\n'
                            "a\nb\nc\nd\ne\n{{< /highlight >}}\n").html)
    assert html.count('<span class="hll">') == 3 and '<span class="normal">14</span>' in html


def test_a_failing_template_or_a_missing_page_is_an_error_at_the_call(site):
    with pytest.raises(ContentError) as failed:
        render(site, "x\n\n{{< broken >}}\n")
    assert str(failed.value.where) == "content/docs/page.md:6" and "broken" in failed.value.message
    with pytest.raises(ContentError) as missing:
        render(site, '[a]({{< relref "nowhere.md" >}})\n')
    assert str(missing.value.where) == "content/docs/page.md:4" and "'nowhere.md'" in missing.value.message
    with pytest.raises(ContentError) as circle:
        render(site, '{{< include "/snippets/loop.md" >}}\n')
    assert "includes itself" in circle.value.message


def test_builtins_figure_ref_include_details_highlight(site):
    rendered = render(site, """\
{{< figure src="pic.png" alt="A pic" caption="The *pic*" link="/big.png" title="Pic" width=300 >}}

[Deep]({{< relref "guide/deep.md#part" >}}), [guide]({{< ref "/docs/guide" >}}).

{{< include "/snippets/warn.md" >}}

{{< details summary="More" >}}
Hidden **text**.
{{< /details >}}

{{< highlight python "linenos=inline,hl_lines=2" >}}
x = 1
y = 2
{{< /highlight >}}
""")
    html = str(rendered.html)
    assert ('<figure>\n<a href="/big.png"><img src="pic.png" alt="A pic" width="300"></a>\n<figcaption>\n'
            "<h4 id=\"pic\">Pic</h4>\n<p>The <em>pic</em></p>\n</figcaption>\n</figure>") in html
    # page references: made URLs by the link pass (tests/build/test_shortcodes.py)
    assert (f'<a href="{page_ref("/docs/guide/deep.md#part", absolute=False)}">Deep</a>, '
            f'<a href="{page_ref("/docs/guide/_index.md", absolute=True)}">guide</a>') in html
    assert "<p><strong>Careful</strong> Page of Site (Acme).</p>" in html
    assert "<details>\n<summary>More</summary>\n<p>Hidden <strong>text</strong>.</p>\n</details>" in html
    assert '<span class="hll"><span class="linenos">2</span><span class="n">y</span>' in html
    assert "content/snippets/warn.md" in dict(rendered.made_with)


def test_arguments_are_literals_never_expressions():
    assert arguments(' 1 -2 3.5 true false "a \\"q\\"" `raw "x"` bare k="v" n=4') == (
        [1, -2, 3.5, True, False, 'a "q"', 'raw "x"', "bare"], {"k": "v", "n": 4})
    with pytest.raises(ValueError, match="positional"):
        arguments('k="v" x')


def test_switched_off_calls_are_text(site):
    html = str(render(site, "{{< who >}}\n", shortcodes=False).html)
    assert "{{&lt; who &gt;}}" in html and "Page of Site" not in html


def test_code_block_attributes():
    html = str(render_markdown('```python {hl_lines=[1,"3-4"] linenos=table linenostart=7 title="app.py"}\n'
                               "a = 1\nb = 2\nc = 3\nd = 4\n```\n\n"
                               '```js title="x.js" linenums="3"\nx()\n```\n\n'
                               "```go {linenos=sometimes}\nx\n```\n", {}).html)
    assert html.startswith('<div class="code-block">\n<div class="code-title">app.py</div>\n'
                           '<div class="highlight"><table class="highlighttable">')
    assert '<span class="normal"> 7</span>' in html and '<span class="normal">10</span>' in html
    assert html.count('<span class="hll">') == 3
    assert '<div class="code-title">x.js</div>' in html and '<span class="linenos">3</span>' in html
    notes = render_markdown("```go {linenos=sometimes}\nx\n```\n", {}, source="content/a.md").notes
    assert notes and notes[0].startswith("content/a.md: a code block's attributes: linenos=sometimes")


def test_definition_lists():
    html = str(render_markdown("Apple\n: A fruit.\n: A *company*\n  continued.\n\nOrange\nCitrus\n: Round.\n\n"
                               "Banana\n\n: Yellow.\n\nJust: a paragraph.\n", {}).html)
    assert html == ("<dl>\n<dt>Apple</dt>\n<dd>A fruit.</dd>\n<dd>A <em>company</em>\ncontinued.</dd>\n"
                    "<dt>Orange</dt>\n<dt>Citrus</dt>\n<dd>Round.</dd>\n<dt>Banana</dt>\n<dd><p>Yellow.</p></dd>\n</dl>\n"
                    "<p>Just: a paragraph.</p>\n")
    off = str(render_markdown("Apple\n: A fruit.\n", {"definition_lists": False}).html)
    assert off == "<p>Apple\n: A fruit.</p>\n"


def test_calls_reach_nothing_outside_the_site(site):
    (site.parent / "outside.md").write_text("secret")
    (site.parent / "outside.html").write_text("secret")
    for call in ("{{< ../../outside >}}", "{{< /etc/passwd >}}"):
        rendered = render(site, call + "\n")
        assert "secret" not in str(rendered.html) and len(rendered.notes) == 1
    for call in ('{{< include "../../../outside.md" >}}', '[x]({{< relref "/../../outside.md" >}})'):
        with pytest.raises(ContentError, match="matches no content file"):
            render(site, call + "\n")


_PIECES = ["{{<", "{{%", ">}}", "%}}", "/", "*/", "/*", " ", "\n", "\n\n", '"', "`", "```\n", "=", "wrap", "echo",
           "note", "details", "x", "1", "true", "**b**", "SSGSHORTCODE0X", "<p>", "\\"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_any_text_renders_or_fails_at_a_line_and_no_token_is_left(site, text):
    """Whatever an author writes, calls are expanded, shown as written or noted:
    no exception but a ContentError at a line, and no token of ssg's own left in the page."""
    try:
        rendered = render(site, text)
    except ContentError as error:
        assert error.where is not None and error.where.line is not None and error.where.line >= 4
        return
    html = str(rendered.html)
    assert html.count("SSGSHORTCODE") == text.count("SSGSHORTCODE0X"), (text, html)
    for note in rendered.notes:
        assert note.startswith("content/docs/page.md:"), note


@pytest.mark.parametrize("unsafe_html", [True, False])
def test_a_call_shown_as_written_inside_a_pair_is_escaped_once(site, unsafe_html):
    """Docs about shortcodes show calls in highlighted examples: Hugo's own
    docs had every one shown as '{{&lt; figure src=&#34;a.png&#34; &gt;}}'."""
    html = str(render(site, '{{< highlight text >}}\n{{</* figure src="a.png" */>}}\n{{< nosuch >}}\n'
                            "{{< /highlight >}}\n\n"
                            '{{< wrap >}}{{</* figure src="a.png" */>}}{{< /wrap >}}\n',
                      unsafe_html=unsafe_html).html).replace("&#34;", "&quot;")
    code = html.split("<code>", 1)[1].split("</code>", 1)[0]
    assert html_text.unescape(re.sub("<[^>]+>", "", code)) == '{{< figure src="a.png" >}}\n{{< nosuch >}}\n'
    shown = '{{< figure src="a.png" >}}' if unsafe_html else "{{&lt; figure src=&quot;a.png&quot; &gt;}}"
    assert f"<b>{shown}</b>" in html
