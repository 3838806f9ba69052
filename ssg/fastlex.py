"""A faster driver for Pygments' ``RegexLexer``: the same tokens, found with
one combined regular expression per lexer state instead of one match attempt
per rule.

Pygments tries a state's rules one after another at each position, and the
first that matches wins. A regular expression alternation ``(?:r0)|(?:r1)|...``
has exactly that meaning (alternatives are tried in order and the first that
matches at the position wins), but the tries happen inside the regex engine
instead of in a Python loop: Python's lexer attempts about 30 rules per token.
The winning rule is told by a named group around each alternative and matched
again on its own, so actions that read the rule's groups see the same match.

A state is left to Pygments' own loop when its rules cannot be combined
without changing their meaning: rules compiled with different flags, or
patterns with backreferences or conditionals (the wrapping groups renumber
them), or anything the regex compiler refuses. Lexers that drive their own
tokenising (``ExtendedRegexLexer``, delegating lexers...) are left alone.
``tests/test_fastlex.py`` checks the tokens equal Pygments' own for every
installed regex lexer."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pygments
from pygments.lexer import RegexLexer
from pygments.token import Error, Whitespace, _TokenType

# The driver below is RegexLexer.get_tokens_unprocessed of Pygments 2.x; another
# major version may tokenise differently, and then keeps its own driver.
_SAME_DRIVER = pygments.__version__.split(".")[0] == "2"
_PREFIX = "ssgrule"
_RENUMBERS = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")    # backreferences and conditionals refer to group numbers
_LEADING_FLAGS = re.compile(r"\A\(\?[aiLmsux]+\)")
_LETTERS = (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL), ("x", re.VERBOSE))
_LOCAL = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE
_Rule = tuple[Callable[..., Any], Any, Any]
_Combined = tuple[Callable[..., Any], list]     # (the combined expression's match, group number -> rule)
_States = dict[str, tuple[_Combined | None, list[_Rule]]]
_TABLES: dict[int, tuple[dict, dict]] = {}     # id of a lexer's rule table -> (the table, its states)


def accelerate(lexer: Any) -> Any:
    """``lexer``, tokenising with combined expressions when it is a plain
    ``RegexLexer`` (its tokens are Pygments' own either way)."""
    if (not _SAME_DRIVER or not isinstance(lexer, RegexLexer)
            or type(lexer).get_tokens_unprocessed is not RegexLexer.get_tokens_unprocessed):
        return lexer
    tokens = lexer._tokens      # the class's, or (C#, per unicode level) the instance's
    known = _TABLES.get(id(tokens))
    if known is None or known[0] is not tokens:
        known = _TABLES[id(tokens)] = (tokens, _LazyStates(tokens))
    states = known[1]

    def get_tokens_unprocessed(text: str, stack: tuple[str, ...] = ("root",)) -> Iterator[tuple[int, Any, str]]:
        return _tokens(lexer, states, text, stack)

    lexer.get_tokens_unprocessed = get_tokens_unprocessed
    return lexer


class _LazyStates(dict):
    """State name -> (combined expression, rules), each state's expression
    compiled when the lexer first enters it: a big state takes tens of
    milliseconds to compile, and most code enters a few of them."""

    def __init__(self, tokens: dict[str, list[_Rule]]):
        super().__init__()
        self.tokens = tokens

    def __missing__(self, name: str) -> tuple[_Combined | None, list[_Rule]]:
        rules = self.tokens[name]
        found = self[name] = (_combine(rules), rules)
        return found


def _combine(rules: list[_Rule]) -> _Combined | None:
    """One expression with every rule's pattern as a group of its own, in
    order, and the rule of each group's number; None when the rules cannot be
    combined."""
    patterns = [getattr(rexmatch, "__self__", None) for rexmatch, _, _ in rules]
    if not patterns or not all(isinstance(p, re.Pattern) and isinstance(p.pattern, str) for p in patterns):
        return None
    if any(_RENUMBERS.search(p.pattern) for p in patterns):
        return None
    base = max({p.flags for p in patterns}, key=[p.flags for p in patterns].count)
    alternatives = []
    for index, pattern in enumerate(patterns):
        scoped = _scoped(pattern, base)
        if scoped is None:
            return None
        alternatives.append(f"(?P<{_PREFIX}{index}>{scoped})")
    try:
        combined = re.compile("|".join(alternatives), base)
    except (re.error, OverflowError, RecursionError):
        return None
    by_group: list[_Rule | None] = [None] * (combined.groups + 1)
    for index, rule in enumerate(rules):
        by_group[combined.groupindex[f"{_PREFIX}{index}"]] = rule
    return combined.match, by_group


def _scoped(pattern: re.Pattern, base: int) -> str | None:
    """``pattern``'s text with the flags it was compiled with where they differ
    from ``base`` as a local flag group, e.g. ``(?i:...)`` (its own leading
    ``(?i)`` removed); None when the difference cannot be local."""
    text = _LEADING_FLAGS.sub("", pattern.pattern, count=1)
    added, removed = pattern.flags & ~base, base & ~pattern.flags
    if (added | removed) & ~_LOCAL:
        return None
    if not added and not removed:
        return text if text is pattern.pattern else f"(?:{text})"
    on = "".join(letter for letter, flag in _LETTERS if added & flag)
    off = "".join(letter for letter, flag in _LETTERS if removed & flag)
    return f"(?{on}{'-' + off if off else ''}:{text})"


def _tokens(lexer: Any, states: _States, text: str, stack: tuple[str, ...]) -> Iterator[tuple[int, Any, str]]:
    """``RegexLexer.get_tokens_unprocessed`` of Pygments 2.x, with each
    state's first matching rule found by its combined expression."""
    pos = 0
    statestack = list(stack)
    combined, rules = states[statestack[-1]]
    while True:
        if combined is not None:
            m = combined[0](text, pos)
            # The winning rule's group closes last; the whole match is its match.
            rule = combined[1][m.lastindex] if m is not None else None
        else:
            m, rule = _first(rules, text, pos)
        if m is None:
            # No rule matched: a newline resets to root, anything else is an error token.
            if pos >= len(text):
                return
            if text[pos] == "\n":
                statestack = ["root"]
                combined, rules = states["root"]
                yield pos, Whitespace, "\n"
            else:
                yield pos, Error, text[pos]
            pos += 1
            continue
        rexmatch, action, new_state = rule
        if type(action) is _TokenType:
            yield pos, action, m.group()
        elif action is not None:
            yield from action(lexer, m if combined is None else rexmatch(text, pos))
        pos = m.end()
        if new_state is not None:
            if isinstance(new_state, tuple):
                for name in new_state:
                    if name == "#pop":
                        if len(statestack) > 1:
                            statestack.pop()
                    elif name == "#push":
                        statestack.append(statestack[-1])
                    else:
                        statestack.append(name)
            elif isinstance(new_state, int):
                if abs(new_state) >= len(statestack):
                    del statestack[1:]
                else:
                    del statestack[new_state:]
            elif new_state == "#push":
                statestack.append(statestack[-1])
            else:
                raise AssertionError(f"wrong state def: {new_state!r}")
            combined, rules = states[statestack[-1]]


def _first(rules: list[_Rule], text: str, pos: int) -> tuple[Any, _Rule | None]:
    """Pygments' own way: the first rule that matches at ``pos``, tried in turn."""
    for rule in rules:
        m = rule[0](text, pos)
        if m:
            return m, rule
    return None, None
