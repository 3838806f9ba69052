"""ssg/fastlex.py finds tokens with one combined expression per lexer state:
the tokens must be exactly Pygments' own, for every installed regex lexer."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.lexer import RegexLexer
from pygments.lexers import get_all_lexers, get_lexer_by_name

from ssg.fastlex import _TABLES, accelerate

SAMPLES = [
    'def f1(x):\n    """Doc."""\n    return x * 2  # twice\n\nclass A(B, metaclass=M):\n    @property\n'
    '    def y(self) -> int: return f"{self.x!r:>10}" + rb\'\\x00\' + 0x1F + 1_000.5e-3j\n',
    'import os\nfrom a.b import (c as d, e)\nasync def g():\n    await h(*args, **kw)\n    lambda: None\n',
    'function f(a, b) { return a === b ? `t ${a}` : /re[g]ex/gi.test(b); }\nconst x = {a: 1, "b": [2, 3]};\n',
    '#include <stdio.h>\nint main(int argc, char **argv) { printf("%d\\n", argc); /* c */ return 0; }\n',
    '<!doctype html>\n<html lang="en"><head><style>a { color: #fff; }</style>'
    '<script>var x = 1 < 2;</script></head><body><p class=x>Hi &amp; bye</p></body></html>\n',
    'SELECT a, COUNT(*) FROM t WHERE b = \'x\' AND c IN (1, 2) GROUP BY a; -- comment\n',
    '#!/bin/sh\nfor f in *.md; do echo "$f" | sed -e \'s/a/b/\' > "${f%.md}.txt"; done\nexport X=1\n',
    '{"key": [1, 2.5, true, null, "s\\u00e9"], "nested": {"a": {}}}\n',
    'key: value\nlist:\n  - a\n  - "b"\nanchor: &x {a: 1}\nref: *x\n# comment\n',
    'fn main() { let mut v: Vec<u8> = Vec::new(); v.push(b\'a\'); println!("{:?}", v); }\n',
    'package main\nimport "fmt"\nfunc main() { ch := make(chan int); go func() { ch <- 1 }(); fmt.Println(<-ch) }\n',
    '\\documentclass{article}\n\\begin{document} $x^2$ \\end{document}\n',
    '(define (f x) (if (< x 2) x (+ (f (- x 1)) (f (- x 2)))))\n',
    'unterminated "string\n\'also\n/* comment never closed\n<<<EOF\n',
    'Ünïcödé ✓ 漢字 \t\ttabs\r\nwindows line\x0cform feed\n',
    '',
    '\n\n\n',
    '@@@ ### $$$ %%% ^^^ &&& *** ((( ))) [[[ ]]] {{{ }}} ||| \\\\\\ ;;; ::: ,,, ... ??? !!! ~~~ ```\n',
]


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
    return get_lexer_by_name(alias), accelerate(get_lexer_by_name(alias))


def test_most_installed_lexers_are_plain_regex_lexers():
    assert len(REGEX_LEXERS) > 300


@pytest.mark.parametrize("alias", REGEX_LEXERS)
def test_tokens_equal_pygments_own(alias):
    plain, fast = _both(alias)
    assert fast.get_tokens_unprocessed is not plain.get_tokens_unprocessed
    for text in SAMPLES:
        assert list(fast.get_tokens(text)) == list(plain.get_tokens(text)), (alias, text)


def test_most_states_are_combined():
    """The speed comes from combined states: most must combine (a state left
    to Pygments' loop is still right, only slower)."""
    for alias in REGEX_LEXERS:
        accelerate(get_lexer_by_name(alias))
    states = [state.full() for _, table in _TABLES.values() for state in table.values()]
    assert sum(full is not None for full in states) > 0.9 * len(states)
    python = _TABLES[id(get_lexer_by_name("python")._tokens)][1]
    assert all(state.full() is not None for state in python.values())


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


def test_highlighting_is_the_same_with_fast_lexers():
    """Parse workers highlight with fast lexers (ssg.markdown.use_fast_lexers);
    a page must come out the same whichever process parsed it."""
    from pygments import highlight

    from ssg.markdown import _formatter, _lexer

    for language in ("python", "javascript", "html", "bash", "rust"):
        plain, fast = _lexer(language, False), _lexer(language, True)
        assert "get_tokens_unprocessed" in vars(fast) and "get_tokens_unprocessed" not in vars(plain)
        for text in SAMPLES:
            assert highlight(text, fast, _formatter()) == highlight(text, plain, _formatter())
