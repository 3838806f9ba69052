"""A site-local plugin: estimates each page's reading time.

ssg loads every ``plugins/*.py`` of the site after its built-in plugins. This
one adds ``page.params["reading_time"]`` (whole minutes, rounded up) and
``page.params["word_count"]``; templates/page.html shows the estimate.
"""

from __future__ import annotations

import math
import re

from ssg.api import Page, Site, hookimpl

WORDS_PER_MINUTE = 200
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")


@hookimpl
def ssg_page_parsed(page: Page, site: Site) -> None:
    if page.kind != "page":
        return
    prose = _FENCE.sub(" ", page.body)       # code is skimmed, not read word by word
    words = len(_WORD.findall(prose))
    page.params["word_count"] = words
    page.params["reading_time"] = max(1, math.ceil(words / WORDS_PER_MINUTE))
