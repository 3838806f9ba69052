"""ssg/speedups/simpleyaml.py reads flat front matter without PyYAML's parser: whatever
it reads must equal what PyYAML reads, and what it cannot read it leaves to
PyYAML (None)."""

from __future__ import annotations

import datetime
import math

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ssg.sources.content import YamlLoader
from ssg.speedups.simpleyaml import load_simple

TRICKY = ["yes", "No", "ON", "off", "y", "n", "Y", "~", "null", "Null", "NULL", "true", "False", "0x1F", "0o17",
          "017", "0b101", "1_000", "1:20", "1:20:30", "190:20:30", ".inf", "-.inf", ".NaN", "1e3", "1.5e-3", "+12",
          "-0", "0", "3.", "2020-01-01", "2020-01-01 07:00:00", "2020-1-1", "2020-01-01T07:00:00.123+02:00",
          "2020-01-01t07:00:00z", "2020-02-30", "2024-13-45", "12:30", "1.2.3", "v1.0", "a/b", "a-b", "_x", "a b",
          "a  b", "x:y", "a.b.c", "tag08", "Post number 1", "1 2", "0.5.1", "-", "+", ".", "-a", "a-", "=", "<<",
          "on off", "NaN", "Infinity", "0xZZ", "1__0", "1,000", "08", "09", "0o8"]


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, datetime.datetime):
        return a == b and a.tzinfo == b.tzinfo
    return a == b


def _pyyaml(text: str):
    try:
        return yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError:
        return "error"


def check(text: str) -> object:
    fast = load_simple(text, YamlLoader)
    if fast is not None:
        slow = _pyyaml(text)
        assert _same(fast, slow), (text, fast, slow)
    return fast


def test_the_usual_front_matter_is_read_here_and_equals_pyyaml():
    text = ('title: "Post number 1"\ndate: 2020-01-01T07:00:00Z\ntags: [tag08, tag36, tag04]\n'
            "summary: 'Elit ea: occaecat, nisi.'\ndraft: false\nweight: 10\nslug: my-post\n")
    fast = check(text)
    assert fast == {"title": "Post number 1", "date": datetime.datetime(2020, 1, 1, 7, tzinfo=datetime.UTC),
                    "tags": ["tag08", "tag36", "tag04"], "summary": "Elit ea: occaecat, nisi.", "draft": False,
                    "weight": 10, "slug": "my-post"}


@pytest.mark.parametrize("value", TRICKY)
def test_tricky_plain_scalars_mean_what_they_mean_in_yaml(value):
    check(f"key: {value}\n")
    check(f"key: [{value}, b]\n")
    check(f"{value}: 1\n")


@pytest.mark.parametrize("text", [
    "a:\n  b: 1\n",                 # nesting
    "a:\n- 1\n",                    # block list
    "a: 1 # note\n",                # a comment after a value
    "# comment\na: 1\n",            # a comment line
    'a: "x\\ty"\n',                 # an escape
    "a: &x 1\nb: *x\n",             # anchors
    "a: !!str 1\n",                 # tags
    "a: 1\na: 2\n",                 # a duplicate key
    "yes: 1\n",                     # a key that is not a string
    "a: |\n  text\n",               # a block scalar
    "a: 1\r\nb: 2\r\n",             # CRLF
    "a:\tb\n",                      # a tab
    "a: b: c\n",                    # not YAML
    "date: 2024-13-45\n",           # an impossible date: PyYAML gives the error with its line
    "a: [1, [2]]\n",                # a nested list
    "",
    "\n\n",
])
def test_anything_else_is_left_to_pyyaml(text):
    assert load_simple(text, YamlLoader) is None


_values = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=st.sampled_from(list("ab1:-. _/+#,'\"[]{}!&*|>%@`é\\")), min_size=1, max_size=12),
    st.builds(lambda s: f'"{s}"', st.text(alphabet=st.sampled_from(list("ab1: -#,'[]\\é\x85\u2028")), max_size=8)),
    st.builds(lambda s: f"'{s}'", st.text(alphabet=st.sampled_from(list("ab1: -#,\"[]\\é")), max_size=8)),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["title", "date", "tags", "on", "a-b", "_x", "null", "k1"]),
                          st.one_of(_values, st.lists(_values, max_size=4).map(lambda v: f"[{', '.join(v)}]")),
                          st.sampled_from(["", " ", "  "])),
                min_size=1, max_size=5))
def test_whatever_is_read_here_equals_pyyaml(fields):
    check("".join(f"{key}: {value}{pad}\n" for key, value, pad in fields))
