"""ssg/speedups/fastlex.py finds tokens with one combined expression per lexer state:
the tokens must be exactly Pygments' own, for every installed regex lexer.
ssg.sources.markdown.format_html writes them as HTML with its own loop: the HTML
must be byte for byte what Pygments' HtmlFormatter writes (the theme's
pygments.css is made for it), for every installed lexer's tokens.

These equivalence tests (marker ``equivalence``) are what a Pygments version
must pass before ssg.speedups.switch lets the two speed-ups run with it; they test
them whatever SSG_SPEEDUPS says."""

from __future__ import annotations

import pytest
from code_samples import SAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments import format
from pygments.formatters import HtmlFormatter
from pygments.lexer import RegexLexer
from pygments.lexers import get_all_lexers, get_lexer_by_name

from ssg.sources.markdown import format_html
from ssg.speedups import switch as speedups
from ssg.speedups.fastlex import _TABLES, accelerate

REFERENCE = HtmlFormatter(cssclass="highlight", wrapcode=True)    # the options ssg.sources.markdown highlights with


def _regex_lexers() -> list[str]:
    names = []
    for _name, aliases, _files, _mimes in get_all_lexers(plugins=False):
        if not aliases:
            continue
        try:
            lexer = get_lexer_by_name(aliases[0])
        except Exception:
            continue
        if isinstance(lexer, RegexLexer) and type(lexer).get_tokens_unprocessed is RegexLexer.get_tokens_unprocessed:
            names.append(aliases[0])
    return names


REGEX_LEXERS = _regex_lexers()


def _both(alias: str) -> tuple:
    assert speedups.safe("fastlex") and speedups.safe("format_html"), (
        speedups.problem("fastlex") or speedups.problem("format_html"))
    return get_lexer_by_name(alias), accelerate(get_lexer_by_name(alias))


def test_most_installed_lexers_are_plain_regex_lexers():
    assert len(REGEX_LEXERS) > 300


@pytest.mark.equivalence
@pytest.mark.parametrize("alias", REGEX_LEXERS)
def test_tokens_and_html_equal_pygments_own(alias):
    plain, fast = _both(alias)
    assert fast.get_tokens_unprocessed is not plain.get_tokens_unprocessed
    for text in SAMPLES:
        tokens = list(plain.get_tokens(text))
        assert list(fast.get_tokens(text)) == tokens, (alias, text)
        assert format_html(iter(tokens)) == format(iter(tokens), REFERENCE), (alias, text)


OTHER_LEXERS = [aliases[0] for _name, aliases, _files, _mimes in get_all_lexers(plugins=False)
                if aliases and aliases[0] not in REGEX_LEXERS]


@pytest.mark.equivalence
@pytest.mark.parametrize("alias", OTHER_LEXERS)
def test_html_of_other_lexers_equals_pygments_own(alias):
    """Lexers fastlex leaves alone (their own tokenising) are formatted by format_html too."""
    lexer = get_lexer_by_name(alias)
    for text in SAMPLES:
        tokens = list(lexer.get_tokens(text))
        assert format_html(iter(tokens)) == format(iter(tokens), REFERENCE), (alias, text)


@pytest.mark.equivalence
def test_most_states_are_combined():
    """The speed comes from combined states: most must combine (a state left
    to Pygments' loop is still right, only slower)."""
    for alias in REGEX_LEXERS:
        accelerate(get_lexer_by_name(alias))
    states = [state.full() for _, table in _TABLES.values() for state in table.values()]
    assert sum(full is not None for full in states) > 0.9 * len(states)
    python = _TABLES[id(get_lexer_by_name("python")._tokens)][1]
    assert all(state.full() is not None for state in python.values())


@pytest.mark.equivalence
@settings(max_examples=150, deadline=None)
@given(alias=st.sampled_from(["python", "javascript", "c", "html", "bash", "sql", "yaml", "rust", "css", "ruby"]),
       text=st.text(alphabet=st.sampled_from(list("abcxyz019_ \n\t'\"`\\/*#<>=+-(){}[]:;,.$@!?&|%^~ré✓")),
                    max_size=200))
def test_random_text_tokens_equal(alias, text):
    plain, fast = _both(alias)
    assert list(fast.get_tokens(text)) == list(plain.get_tokens(text))


def test_other_lexers_are_left_alone():
    """Lexers that drive their own tokenising keep it."""
    console = get_lexer_by_name("pycon")
    assert accelerate(console) is console
    assert "get_tokens_unprocessed" not in vars(console)


@pytest.mark.equivalence
def test_highlighting_is_the_same_with_fast_lexers():
    """Parse workers highlight with fast lexers (ssg.sources.markdown.use_fast_lexers);
    a page must come out the same whichever process parsed it."""
    from pygments import highlight

    from ssg.sources.markdown import _formatter, _lexer

    for language in ("python", "javascript", "html", "bash", "rust"):
        plain, fast = _lexer(language, False), _lexer(language, True)
        assert "get_tokens_unprocessed" in vars(fast) and "get_tokens_unprocessed" not in vars(plain)
        for text in SAMPLES:
            assert highlight(text, fast, _formatter()) == highlight(text, plain, _formatter())
