"""Markdown that authors bring from other tools (issue 21), each on by
default and switchable in [markdown]: GitHub's alerts, heading attributes
that set the id the table of contents and links use, math kept as written
for KaTeX or MathJax, mermaid diagrams' source, task lists."""

from __future__ import annotations

import pytest

from ssg.build.entry import build
from ssg.sources.markdown import render_markdown
from ssg.sources.mdextensions import MAX_NESTING

ALERTS = """\
> [!NOTE]
> Useful *information*.
>
> - a list
> - inside

> [!Caution]
>
> Stop.

> [!TIP]
> > a quote in a tip

> [!NOTE] not alone on its line

> An ordinary quote.
"""


def test_github_alerts_become_titled_boxes_and_other_quotes_stay_quotes():
    html = str(render_markdown(ALERTS, {}).html)
    assert html.startswith('<div class="alert alert-note">\n<p class="alert-title">Note</p>\n'
                           "<p>Useful <em>information</em>.</p>\n<ul>\n<li>a list</li>\n<li>inside</li>\n</ul>\n</div>")
    assert '<div class="alert alert-caution">\n<p class="alert-title">Caution</p>\n<p>Stop.</p>\n</div>' in html
    assert ('<div class="alert alert-tip">\n<p class="alert-title">Tip</p>\n<blockquote>\n<p>a quote in a tip</p>\n'
            "</blockquote>\n</div>") in html
    assert "<blockquote>\n<p>[!NOTE] not alone on its line</p>\n</blockquote>" in html
    assert "<blockquote>\n<p>An ordinary quote.</p>\n</blockquote>" in html
    assert html.count("<div") == html.count("</div>") == 3
    off = str(render_markdown(ALERTS, {"alerts": False}).html)
    assert "alert" not in off and "<p>[!NOTE]\nUseful <em>information</em>.</p>" in off


def test_heading_attributes_set_the_id_the_toc_and_classes_use():
    text = "## Getting started {#start .lead}\n\n## Getting started\n\n### API {#api}\n\n## Sets {not attributes}\n"
    rendered = render_markdown(text, {})
    html = str(rendered.html)
    assert '<h2 id="start" class="lead">Getting started</h2>' in html
    assert '<h2 id="getting-started">Getting started</h2>' in html
    assert '<h3 id="api">API</h3>' in html
    assert '<h2 id="sets-not-attributes">Sets {not attributes}</h2>' in html
    assert [(entry.id, entry.title) for entry in rendered.toc] == [
        ("start", "Getting started"), ("getting-started", "Getting started"), ("api", "API"),
        ("sets-not-attributes", "Sets {not attributes}")]
    off = str(render_markdown(text, {"heading_attributes": False}).html)
    assert '<h2 id="getting-started-start-lead">Getting started {#start .lead}</h2>' in off


MATH = r"""Euler: $e^{i\pi} + 1 = 0$ and $a_1 * b_2 * c$, not $5 or $10, not \$x$.

$$
\sum_{i=1}^{n} x_i^2 \\ y_*
$$

Code keeps its dollars: `$HOME_DIR$` and

```
echo "$a_b$"
```

![the $x<y$ case](p.png)
"""


def test_math_is_kept_as_written_outside_code():
    html = str(render_markdown(MATH, {}).html)
    assert r'<span class="math inline">$e^{i\pi} + 1 = 0$</span>' in html
    assert '<span class="math inline">$a_1 * b_2 * c$</span>' in html
    assert "not $5 or $10, not $x$." in html
    assert '<div class="math display">$$\n\\sum_{i=1}^{n} x_i^2 \\\\ y_*\n$$</div>' in html
    assert "<code>$HOME_DIR$</code>" in html and "<pre><code>echo &quot;$a_b$&quot;\n</code></pre>" in html
    assert 'alt="the $x&lt;y$ case"' in html
    off = str(render_markdown(MATH, {"math": False}).html)
    assert 'class="math' not in off and r"x_i^2 \ y_*" in off     # cmark took one backslash of the two


def test_mermaid_blocks_are_kept_for_the_diagram_script_and_task_lists_are_checkboxes():
    text = "```mermaid\ngraph TD; A-->B;\n```\n\n- [ ] todo\n- [x] done\n"
    html = str(render_markdown(text, {}).html)
    assert '<pre class="mermaid">graph TD; A--&gt;B;\n</pre>' in html
    assert '<li><input type="checkbox" disabled="" /> todo</li>' in html
    assert '<li><input type="checkbox" checked="" disabled="" /> done</li>' in html
    off = str(render_markdown(text, {"mermaid": False, "task_lists": False}).html)
    assert 'class="mermaid"' not in off and "checkbox" not in off and "<li>[ ] todo</li>" in off


@pytest.mark.parametrize("option", ["admonitions", "alerts", "heading_attributes", "math", "mermaid", "task_lists"])
def test_each_extension_is_switched_in_ssg_toml_and_a_switch_rebuilds_the_pages(make_site, option):
    site = make_site({"content/a.md": "## A {#x}\n\n> [!TIP]\n> t\n\n$m_1*m_2$\n\n```mermaid\nA\n```\n\n- [x] y\n\n"
                                      "!!! note\n    n\n",
                      "templates/page.html": "{{ page.content }}"})
    assert build(site).ok
    on = (site / "public/a/index.html").read_text()
    config = site / "ssg.toml"
    config.write_text(config.read_text() + f"[markdown]\n{option} = false\n")
    result = build(site)
    assert result.ok and result.written == ["a/index.html"]
    assert (site / "public/a/index.html").read_text() != on


ADMONITIONS = '''Intro.

!!! note "Read this"
    Some *text*.

    ```python
    x = 1 < 2
    ```

    !!! warning
        Nested.

??? tip "Folded"
    Hidden.

```
!!! note
    in a code block: left as it is
```

!!! danger ""
    No title.
'''


@pytest.mark.parametrize("unsafe_html", [True, False])
def test_mkdocs_admonitions_nest_fold_and_leave_code_alone(unsafe_html):
    html = str(render_markdown(ADMONITIONS, {"unsafe_html": unsafe_html}).html)
    assert ('<div class="admonition note">\n<p class="admonition-title">Read this</p>\n<p>Some <em>text</em>.</p>\n'
            '<div class="highlight">') in html
    assert ('<div class="admonition warning">\n<p class="admonition-title">Warning</p>\n<p>Nested.</p>\n</div>\n'
            "</div>") in html
    assert '<details class="admonition tip">\n<summary>Folded</summary>\n<p>Hidden.</p>\n</details>' in html
    assert "<pre><code>!!! note\n    in a code block: left as it is\n</code></pre>" in html
    assert '<div class="admonition danger">\n<p>No title.</p>\n</div>' in html
    off = str(render_markdown(ADMONITIONS, {"admonitions": False}).html)
    assert "admonition" not in off and "<p>!!! note &quot;Read this&quot;" in off


DEFINITION_BLOCKS = """\
Term
:   First paragraph
    continued.

    Second paragraph.

        indented code

    Inner
    : A definition list of its own.

        Its second paragraph.

: Another definition.

```
Not
: in a fenced block

    still code
```

> A quote
: lazily continued

    code after the quote, as cmark makes it
"""


def test_blocks_indented_under_a_definition_belong_to_it():
    """PHP Markdown Extra and Hugo (goldmark): after a blank line, blocks
    indented by four spaces under a definition are more of it; cmark alone
    made them an indented code block after the list."""
    html = str(render_markdown(DEFINITION_BLOCKS, {}).html)
    assert html == (
        "<dl>\n<dt>Term</dt>\n<dd><p>First paragraph\ncontinued.</p>\n<p>Second paragraph.</p>\n"
        "<pre><code>indented code\n</code></pre>\n"
        "<dl>\n<dt>Inner</dt>\n<dd><p>A definition list of its own.</p>\n<p>Its second paragraph.</p>\n</dd>\n</dl>\n"
        "</dd>\n<dd><p>Another definition.</p></dd>\n</dl>\n"
        "<pre><code>Not\n: in a fenced block\n\n    still code\n</code></pre>\n"
        "<blockquote>\n<dl>\n<dt>A quote</dt>\n<dd>lazily continued</dd>\n</dl>\n</blockquote>\n"
        "<pre><code>code after the quote, as cmark makes it\n</code></pre>\n")
    off = str(render_markdown(DEFINITION_BLOCKS, {"definition_lists": False}).html)
    assert "<dl>" not in off and "<pre><code>Second paragraph.\n\n    indented code\n" in off


@pytest.mark.parametrize("kind", ["admonition", "definition"])
def test_nesting_deeper_than_the_limit_is_rendered_as_plain_markdown(kind):
    """A page of a thousand blocks one in another (deeper than Python's
    recursion limit) was an internal error, exit 3: past MAX_NESTING levels
    the rest is left to cmark as written."""
    depth = 1000
    if kind == "admonition":
        text = "".join("    " * level + "!!! note\n" for level in range(depth)) + "    " * depth + "x\n"
        opening, rest = '<div class="admonition note">', "<p>!!! note\n!!! note\n"   # a paragraph, lines lazily continued
    else:
        text = "".join("    " * level + "Term\n" + "    " * level + ": definition\n\n" for level in range(depth))
        opening, rest = "<dl>", "<pre><code>  Term\n  : definition\n\n      Term\n"   # indented code after a blank line
    html = str(render_markdown(text, {}).html)
    assert html.count(opening) == MAX_NESTING + (kind == "definition")
    assert rest in html


def test_a_definitions_blocks_are_indented_as_far_as_its_text():
    """goldmark's rule, which Hugo's own docs follow (two spaces under ': '):
    the blocks of a definition start where its text does."""
    html = str(render_markdown("`list`\n: One of:\n\n  - always\n  - never\n\nLog\n: At this level:\n\n  ```sh\n"
                               "  hugo --logLevel info\n  ```\n\nTerm\n:   Four.\n\n  Two only: "
                               "not in it.\n\n> A quote\n: lazily continued\n\n  a paragraph, as cmark makes it\n",
                               {"highlight": False}).html)
    assert html == (
        "<dl>\n<dt><code>list</code></dt>\n<dd><p>One of:</p>\n<ul>\n<li>always</li>\n<li>never</li>\n</ul>\n</dd>\n"
        '<dt>Log</dt>\n<dd><p>At this level:</p>\n<pre><code class="language-sh">hugo --logLevel info\n</code></pre>\n'
        "</dd>\n<dt>Term</dt>\n<dd>Four.</dd>\n</dl>\n<p>Two only: not in it.</p>\n"
        "<blockquote>\n<dl>\n<dt>A quote</dt>\n<dd>lazily continued</dd>\n</dl>\n</blockquote>\n"
        "<p>a paragraph, as cmark makes it</p>\n")


def test_a_definition_after_a_blank_line_is_a_paragraph():
    """goldmark's (and PHP Markdown Extra's) loose definition: a blank line
    between the term and its definition makes the definition a paragraph."""
    html = str(render_markdown("Apple\n\n:   Pomaceous fruit.\n:   Or a company.\n\nPear\n: Tight.\n", {}).html)
    assert html == ("<dl>\n<dt>Apple</dt>\n<dd><p>Pomaceous fruit.</p></dd>\n<dd><p>Or a company.</p></dd>\n"
                    "<dt>Pear</dt>\n<dd>Tight.</dd>\n</dl>\n")


def test_a_list_or_fence_right_under_a_definition_line_is_one_of_its_blocks():
    """No blank line between: a list or a fence ends the definition's
    paragraph, in the definition when indented as far as its text."""
    html = str(render_markdown("Term\n: One of:\n  - always\n  - never\n\nLog\n: Run\n  ```sh\n  x\n  ```\n\n"
                               "Lazy\n: a\n  b\n- outside\n", {"highlight": False}).html)
    assert html == ("<dl>\n<dt>Term</dt>\n<dd><p>One of:</p>\n<ul>\n<li>always</li>\n<li>never</li>\n</ul>\n</dd>\n"
                    '<dt>Log</dt>\n<dd><p>Run</p>\n<pre><code class="language-sh">x\n</code></pre>\n</dd>\n'
                    "<dt>Lazy</dt>\n<dd>a\nb</dd>\n</dl>\n<ul>\n<li>outside</li>\n</ul>\n")


def test_code_block_attributes_written_mkdocs_way_without_a_language_or_in_braces():
    """MkDocs' pages write ``` title="x.py" ``` with no language and
    ``` { .yaml .copy } ```: the title became the language
    (class="language-title=&quot;x.py&quot;") and '{' the language."""
    def rendered(fence: str, **options) -> str:
        return str(render_markdown(f"{fence}\nkey: 1\n```\n", options).html)

    titled = rendered('``` title="x.yaml"')
    assert titled.startswith('<div class="code-block">\n<div class="code-title">x.yaml</div>\n<div class="highlight">')
    assert "language-" not in titled and '<span class="nt">' not in titled      # plain text: no language given
    braced = rendered('``` { .yaml .copy title="c.yaml" hl_lines="1" }')
    assert '<div class="code-title">c.yaml</div>' in braced and '<span class="hll"><span class="nt">key</span>' in braced
    assert rendered("```{.yaml}", highlight=False) == '<pre><code class="language-yaml">key: 1\n</code></pre>\n'
    assert rendered('``` title="x.yaml"', highlight=False) == "<pre><code>key: 1\n</code></pre>\n"
    assert str(render_markdown("```{.mermaid}\ngraph LR\n```\n", {}).html) == '<pre class="mermaid">graph LR\n</pre>\n'
