"""Long page texts kept in a file instead of the build's memory.

A full load holds every page of the site, and each page's markdown source
(``Page.body``) is read only by the templates and plugins that show it: most
read none. The load writes each body to an unlinked temporary file in the
temporary folder (``TMPDIR``, where SQLite also puts its temporary files; not
.ssg/, whose free space the state needs) and the page holds a ``KeptText``
(where it is in that file); reading ``page.body`` reads it back
(ssg/model.py). At 100,000 posts this is
150 MB the build process does not hold. Render workers, forked from the
process that loaded the site, inherit the file and read it where they need
it (``os.pread``: no shared file position)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

WORTH = 256    # bytes: a shorter text stays in memory (a KeptText and its bytes' place cost about 100)


class TextStore:
    """Texts appended to one unlinked temporary file in ``folder`` (None: the
    temporary folder), closed when the last text kept in it is gone."""

    def __init__(self, folder: Path | None = None):
        self._file = tempfile.TemporaryFile(dir=folder, prefix="ssg-texts-")
        self._fd = self._file.fileno()
        self._end = 0

    def keep(self, text: str) -> str | KeptText:
        """``text`` as a page holds it: a KeptText, or the text itself when it
        is short, not a plain ``str``, or cannot be written (a full disk)."""
        if type(text) is not str or len(text) < WORTH:
            return text
        data = text.encode("utf-8", "surrogatepass")
        try:
            written = os.pwrite(self._fd, data, self._end)
        except OSError:
            return text
        if written != len(data):
            return text
        kept = KeptText(self, self._end, len(data))
        self._end += len(data)
        return kept

    def read(self, offset: int, length: int) -> str:
        return os.pread(self._fd, length, offset).decode("utf-8", "surrogatepass")


class KeptText:
    """Where one text is in a TextStore. Compares equal to its text, and
    pickles and prints as it."""

    __slots__ = ("store", "offset", "length")

    def __init__(self, store: TextStore, offset: int, length: int):
        self.store, self.offset, self.length = store, offset, length

    def text(self) -> str:
        return self.store.read(self.offset, self.length)

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, KeptText):
            return other is self or self.text() == other.text()
        return isinstance(other, str) and self.text() == other

    __hash__ = None     # type: ignore[assignment]  # equal to a str, so it cannot hash as anything else

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return str, (self.text(),)

    def __repr__(self) -> str:
        return repr(self.text())
