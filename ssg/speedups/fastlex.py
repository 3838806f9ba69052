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
``tests/speedups/test_fastlex.py`` checks the tokens equal Pygments' own for every
installed regex lexer.

The driver is a copy of Pygments' ``RegexLexer.get_tokens_unprocessed``, and
patterns are read with the standard library's private ``re._parser``: unless
``ssg.speedups.switch`` finds both as tested (a tested Pygments version, the copied
function's source unchanged), ``accelerate`` leaves lexers as they are."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from pygments.lexer import RegexLexer
from pygments.token import Error, Whitespace

from ssg.speedups import switch as speedups

_TokenType = type(Error)     # the class of token types, as Pygments' driver tests actions
_PREFIX = "ssgrule"
_RENUMBERS = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")    # backreferences and conditionals refer to group numbers
_LEADING_FLAGS = re.compile(r"\A\(\?[aiLmsux]+\)")
_LETTERS = (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL), ("x", re.VERBOSE))
_LOCAL = re.IGNORECASE | re.MULTILINE | re.DOTALL | re.VERBOSE
_Rule = tuple[Callable[..., Any], Any, Any]
_Entry = tuple[Callable[..., Any], list, "_Rule | None"]   # (match, group number -> rule, the one rule)
_TABLES: dict[int, tuple[dict, dict]] = {}     # id of a lexer's rule table -> (the table, its states)


def accelerate(lexer: Any) -> Any:
    """``lexer``, tokenising with combined expressions when it is a plain
    ``RegexLexer`` and the installed Pygments is one this driver copies (its
    tokens are Pygments' own either way)."""
    if (not speedups.safe("fastlex") or not isinstance(lexer, RegexLexer)
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
    """State name -> ``_State``, each made when the lexer first enters it: a
    big state takes tens of milliseconds to compile, and most code enters a
    few of them."""

    def __init__(self, tokens: dict[str, list[_Rule]]):
        super().__init__()
        self.tokens = tokens

    def __missing__(self, name: str) -> _State:
        found = self[name] = _State(self.tokens[name])
        return found


_ASCII = 128
_END = _ASCII     # where ``_State.by_char`` keeps the expression for the end of the text


class _State:
    """One lexer state: its rules; whether they can be combined (else
    Pygments' loop); per ASCII character, the expression combining only the
    rules whose match can begin with that character (``by_char``, made on
    first use), and at the end of the text the rules that can match the
    empty string; and ``full()``, the expression combining all of them, for
    other characters (compiled on first use: a big state's takes tens of
    milliseconds, in every parse worker, and ASCII code never needs it).
    Leaving out rules that cannot match at a position does not change which
    rule is the first to match there. Python's root state has 56 rules: one
    can begin with ``x``, four with ``d``."""

    __slots__ = ("rules", "base", "scoped", "combinable", "_full", "by_char", "_firsts", "_subsets")

    def __init__(self, rules: list[_Rule]):
        self.rules = rules
        patterns = [getattr(rexmatch, "__self__", None) for rexmatch, _, _ in rules]
        self.combinable = False
        self._full: _Entry | None | bool = False      # False: not compiled yet
        self.by_char: list[_Entry | None] = [None] * (_ASCII + 1)
        self._firsts: list[tuple[frozenset[int], bool]] | None = None
        self._subsets: dict[tuple[int, ...], _Entry] = {}
        if (not patterns or not all(isinstance(p, re.Pattern) and isinstance(p.pattern, str) for p in patterns)
                or any(_RENUMBERS.search(p.pattern) for p in patterns)):
            return
        self.base = max({p.flags for p in patterns}, key=[p.flags for p in patterns].count)
        self.scoped = [_scoped(pattern, self.base) for pattern in patterns]   # each rule's text, its flags local
        self.combinable = None not in self.scoped

    def full(self) -> _Entry | None:
        """The expression combining every rule; None when the regex engine
        refuses it (then Pygments' loop)."""
        if self._full is False:
            self._full = self._combine(tuple(range(len(self.rules)))) if self.combinable else None
        return self._full  # type: ignore[return-value]

    def entry(self, code: int) -> _Entry | None:
        """The expression for a position whose character is ``chr(code)``
        (ASCII), or for the end of the text (``_END``: the rules that can
        match the empty string); None: Pygments' loop."""
        if self._firsts is None:
            self._firsts = [first_chars(rexmatch.__self__) for rexmatch, _, _ in self.rules]
        subset = tuple(index for index, (chars, empty) in enumerate(self._firsts) if empty or code in chars)
        found = self._subsets.get(subset)
        if found is None:
            if not subset:
                found = (_no_match, [], None)
            elif len(subset) == 1:
                rule = self.rules[subset[0]]
                found = (rule[0], [], rule)
            else:
                found = self._combine(subset) or self.full() or _REFUSED
            self._subsets[subset] = found
        if found is _REFUSED:
            return None
        self.by_char[code] = found
        return found

    def _combine(self, subset: tuple[int, ...]) -> _Entry | None:
        """One expression with each rule of ``subset`` (of a combinable state)
        as a group of its own, in order, and the rule of each group's number;
        None when the regex engine refuses it."""
        alternatives = [f"(?P<{_PREFIX}{index}>{self.scoped[index]})" for index in subset]
        try:
            combined = re.compile("|".join(alternatives), self.base)
        except (re.error, OverflowError, RecursionError):
            return None
        by_group: list[_Rule | None] = [None] * (combined.groups + 1)
        for index in subset:
            by_group[combined.groupindex[f"{_PREFIX}{index}"]] = self.rules[index]
        return combined.match, by_group, None


_REFUSED: _Entry = (None, [], None)    # the regex engine refused to combine these rules: Pygments' loop


def _no_match(text: str, pos: int) -> None:
    return None


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


def _tokens(lexer: Any, states: _LazyStates, text: str, stack: tuple[str, ...]) -> Iterator[tuple[int, Any, str]]:
    """``RegexLexer.get_tokens_unprocessed`` of the Pygments releases ssg.speedups.switch lists, with each
    state's first matching rule found by a combined expression."""
    pos, end = 0, len(text)
    statestack = list(stack)
    state = states[statestack[-1]]
    while True:
        entry = None
        if state.combinable:
            if pos < end:
                code = ord(text[pos])
                entry = (state.by_char[code] or state.entry(code)) if code < _ASCII else state.full()
            else:       # the end of the text: only rules that can match nothing can match here
                entry = state.by_char[_END] or state.entry(_END)
        if entry is not None:
            match, by_group, rule = entry
            m = match(text, pos)
            own = rule is not None       # m is the rule's own match, not a combined expression's
            if m is not None and not own:
                # The winning rule's group closes last; the whole match is its match.
                rule = by_group[m.lastindex]
        else:
            m, rule = _first(state.rules, text, pos)
            own = True
        if m is None:
            # No rule matched: a newline resets to root, anything else is an error token.
            if pos >= end:
                return
            if text[pos] == "\n":
                statestack = ["root"]
                state = states["root"]
                yield pos, Whitespace, "\n"
            else:
                yield pos, Error, text[pos]
            pos += 1
            continue
        rexmatch, action, new_state = rule
        if type(action) is _TokenType:
            yield pos, action, m.group()
        elif action is not None:
            yield from action(lexer, m if own else rexmatch(text, pos))
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
            state = states[statestack[-1]]


def _first(rules: list[_Rule], text: str, pos: int) -> tuple[Any, _Rule | None]:
    """Pygments' own way: the first rule that matches at ``pos``, tried in turn."""
    for rule in rules:
        m = rule[0](text, pos)
        if m:
            return m, rule
    return None, None


# -- which characters a pattern's match can begin with ------------------------

_EVERY = frozenset(range(_ASCII))
_CATEGORIES = {"CATEGORY_DIGIT": r"\d", "CATEGORY_NOT_DIGIT": r"\D", "CATEGORY_SPACE": r"\s",
               "CATEGORY_NOT_SPACE": r"\S", "CATEGORY_WORD": r"\w", "CATEGORY_NOT_WORD": r"\W"}


def first_chars(pattern: re.Pattern) -> tuple[frozenset[int], bool]:
    """(the ASCII codes a match of ``pattern`` can begin with, whether it can
    match the empty string), from its parse tree. Where unsure, every code
    and True: a rule kept needlessly costs only speed. Characters are tested
    with the regex engine itself under the pattern's flags, so case folding
    (``(?i)``, even of non-ASCII letters such as the Kelvin sign) and classes
    such as ``\\s`` mean exactly what they mean when matching."""
    try:
        parsed = re._parser.parse(pattern.pattern, pattern.flags)  # type: ignore[attr-defined]
        chars, empty = _first_of(parsed, parsed.state.flags)
    except Exception:     # a pattern this analysis does not follow: the rule stays a candidate everywhere
        return _EVERY, True
    return frozenset(chars), empty


def _first_of(items: Any, flags: int) -> tuple[set[int] | frozenset[int], bool]:
    found: set[int] = set()
    for op, av in items:
        chars, empty = _first_of_item(str(op), av, flags)
        found |= chars
        if not empty:
            return found, False
    return found, True


def _first_of_item(op: str, av: Any, flags: int) -> tuple[set[int] | frozenset[int], bool]:
    if op == "LITERAL":
        return _codes(re.escape(chr(av)), flags), False
    if op == "IN":
        parts = []
        for kind, value in av:
            kind = str(kind)
            if kind == "NEGATE":
                parts.insert(0, "^")
            elif kind == "LITERAL":
                parts.append(re.escape(chr(value)))
            elif kind == "RANGE":
                parts.append(f"\\U{value[0]:08x}-\\U{value[1]:08x}")
            elif kind == "CATEGORY" and str(value) in _CATEGORIES:
                parts.append(_CATEGORIES[str(value)])
            else:
                return _EVERY, False
        return _codes(f"[{''.join(parts)}]", flags), False
    if op in ("ANY", "NOT_LITERAL"):
        return _EVERY, False
    if op in ("AT", "ASSERT", "ASSERT_NOT"):      # zero width: what follows decides
        return set(), True
    if op == "SUBPATTERN":
        _group, add, remove, items = av
        return _first_of(items, (flags | add) & ~remove)
    if op == "BRANCH":
        found: set[int] = set()
        empty = False
        for items in av[1]:
            chars, can_be_empty = _first_of(items, flags)
            found |= chars
            empty = empty or can_be_empty
        return found, empty
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        least, _most, items = av
        chars, empty = _first_of(items, flags)
        return chars, empty or least == 0
    if op == "ATOMIC_GROUP":
        return _first_of(av, flags)
    return _EVERY, True      # backreferences, conditionals, anything newer


@cache
def _codes(regex: str, flags: int) -> frozenset[int]:
    """The ASCII codes that the one-character expression ``regex`` matches."""
    test = re.compile(regex, flags & ~(re.MULTILINE | re.VERBOSE)).fullmatch
    return frozenset(code for code in range(_ASCII) if test(chr(code)))
