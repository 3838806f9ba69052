"""Code in many languages, with the awkward cases (unterminated strings,
non-ASCII, tabs, CRLF, empty text): what the lexer and formatter tests
highlight with every installed lexer."""

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
