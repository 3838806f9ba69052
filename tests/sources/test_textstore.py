"""A full load keeps each page's markdown source (``page.body``) in a file,
not in memory: templates and plugins still read it exactly as written."""

from __future__ import annotations

import html
import pickle
import re

from ssg.graph.fingerprint import KnownText
from ssg.model import Page, held
from ssg.sources.textstore import WORTH, KeptText, TextStore

LONG = "Ünïcode — long text 🙂 with <tags> & ampersands.\n" * 12


def test_a_kept_text_reads_back_exactly_and_stands_for_it(tmp_path):
    store = TextStore(tmp_path)
    odd = LONG + "a lone surrogate from undecodable bytes: \udc80\n"
    kept = [store.keep(odd), store.keep(LONG)]
    assert all(type(k) is KeptText for k in kept)
    assert [k.text() for k in kept] == [odd, LONG]
    assert kept[0] == odd and kept[1] == LONG and kept[0] != kept[1] and odd == kept[0]
    copy = pickle.loads(pickle.dumps(kept[1]))       # pickles as the text it stands for
    assert type(copy) is str and copy == LONG
    assert repr(kept[1]) == repr(LONG)
    short = "x" * (WORTH - 1)
    assert store.keep(short) is short
    assert list(tmp_path.iterdir()) == []            # the file has no name


def test_a_page_reads_its_kept_body_as_text_and_holds_the_kept_object(tmp_path):
    page = Page(source="content/a.md", section="", slug="a", title="A", date=None, body=LONG)
    assert page.body is held(page, "body")
    kept = TextStore(tmp_path).keep(page.body)
    page.body = kept
    assert type(page.body) is str and page.body == LONG
    assert held(page, "body") is kept
    known = KnownText(page.content, page.summary, held(page, "body"), page.toc, "digest")
    assert known.holds(page)
    page.body = LONG                                  # a hook's new text
    assert not known.holds(page) and held(page, "body") is LONG
    assert Page(source="b", section="", slug="b", title="B", date=None).body == ""


PAGE = '<html><body><pre id="own">{{ page.body }}</pre></body></html>'
LIST = ('<html><body>{% for p in pages %}<pre class="entry">{{ p.body }}</pre>{% endfor %}'
        "<p>{{ pages | map(attribute='body') | map('length') | sum }}</p></body></html>")


def test_a_full_build_shows_every_long_body_exactly(make_site, cli):
    bodies = {name: f"# {name}\n\n{LONG}{name} ends here.\n" for name in ("a", "b", "c")}
    site = make_site({
        **{f"content/posts/{name}.md": f"---\ntitle: {name}\ndate: 2024-01-0{n}\n---\n{body}"
           for n, (name, body) in enumerate(bodies.items(), 1)},
        "templates/page.html": PAGE, "templates/list.html": LIST,
    })
    result = cli("build", "-s", str(site))
    assert result.exit_code == 0, result.output
    for name, body in bodies.items():
        shown = (site / f"public/posts/{name}/index.html").read_text(encoding="utf-8")
        assert f'<pre id="own">{html.escape(body)}</pre>' in shown
    listed = (site / "public/posts/index.html").read_text(encoding="utf-8")
    entries = [html.unescape(text) for text in re.findall(r'<pre class="entry">(.*?)</pre>', listed, re.S)]
    assert entries == [bodies["c"], bodies["b"], bodies["a"]]     # newest first
    assert f"<p>{sum(map(len, bodies.values()))}</p>" in listed
    assert {p.name for p in (site / ".ssg").iterdir()} <= {"state.db", "build.lock", "state.db-wal", "state.db-shm",
                                                          "templates"}
