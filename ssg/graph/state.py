"""The build state in the site's ``.ssg/state.db`` (SQLite): what the last build
read, produced and wrote. A clean build is a build from an empty state.

Tables:
    meta      settings fingerprints, the output folder, reported stray files
    sources   per input file: stat stamp, sha256, and for content files the
              parsed page (pickled), so an unchanged file is never re-parsed
    outputs   per output file ssg wrote: plan fingerprint, sha256, size,
              mtime, and the dependency keys it read (ids into ``deps``)
    deps      dependency key -> its fingerprint as of the last build (keys are
              unique by how ids are given: no index needed, half the insert time)
    folders   mtime of every output folder as the last build left it (a file
              added or removed by hand changes its folder's mtime)
    roots     the files ssg wrote in other output folders (``--out``): when a
              build goes to another folder, the records of the one it leaves
              are kept here, so a later build there still knows its files

The state is input like any other (a restored CI cache, a committed folder):
every path read from it is checked (``ssg.graph.relpaths``) and every value decoded
with care; anything that does not hold makes the database count as damaged
(``StateDamaged``): it is set aside and the build starts over from empty.

Everything a build learns is committed in one transaction at its end; a build
killed before that leaves the previous state, and the next build repairs the
difference (outputs on disk are compared by stat with what the state says).
Every file a build writes (new or overwritten) is first noted in
``.ssg/journal``, after a first line naming the output folder, so the files
of a killed build are still known as ssg's own (and pruned if no longer
produced).
"""

from __future__ import annotations

import json
import marshal
import os
import queue
import re
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ssg.graph.journal import JOURNAL, read_journal
from ssg.graph.relpaths import bad_paths

SCHEMA_VERSION = "7"
STATE_DB = "state.db"


class StateDamaged(Exception):
    """A value read from the state is not one ssg writes (a path leading out,
    a row that does not decode): the state is set aside like a damaged database."""


def checked_paths(paths: list[Any], table: str) -> None:
    """Raise StateDamaged when one of ``paths`` (read from ``table``) is not a safe relative path."""
    bad = bad_paths(paths)
    if bad:
        raise StateDamaged(f"its {table} table holds {len(bad)} path(s) that are not relative paths inside their "
                           f"folder, such as {bad[0]}")


def _decoded(blob: Any, what: str) -> tuple[int, ...]:
    """A marshalled tuple of ints from the state."""
    try:
        value = marshal.loads(blob)
    except (ValueError, EOFError, TypeError) as error:
        raise StateDamaged(f"a {what} does not decode ({error})") from None
    if type(value) is not tuple or not all(type(v) is int for v in value):
        raise StateDamaged(f"a {what} is not a tuple of integers")
    return value


@dataclass
class SourceRecord:
    stamp: tuple[int, ...]
    sha: str
    parsed: bytes | None = None


class OutputRecord:
    """One output file ssg wrote. ``plan`` "" means it must be rebuilt (it
    failed, or was found on disk after an interrupted build)."""

    __slots__ = ("plan", "sha", "size", "mtime_ns", "_deps")

    def __init__(self, plan: str, sha: str, size: int, mtime_ns: int, deps: tuple[int, ...] | bytes = ()):
        self.plan, self.sha, self.size, self.mtime_ns, self._deps = plan, sha, size, mtime_ns, deps

    @property
    def deps(self) -> tuple[int, ...]:
        """Ids of the dependency keys it read (stored marshalled; decoded on first use)."""
        if not isinstance(self._deps, tuple):
            self._deps = _decoded(self._deps, "list of an output's dependency keys")
        return self._deps

    @deps.setter
    def deps(self, value: tuple[int, ...]) -> None:
        self._deps = value


@dataclass
class Learnt:
    """What one build learnt, committed in one transaction (``BuildState.commit``)."""

    meta: dict[str, str]                                   # meta rows to set
    sources: dict[str, SourceRecord] = field(default_factory=dict)     # input path -> its new row
    dropped_sources: set[str] = field(default_factory=set)
    outputs: dict[str, OutputRecord] = field(default_factory=dict)     # output path -> its new record
    dropped_outputs: set[str] = field(default_factory=set)
    deps: dict[int, tuple[str, str]] = field(default_factory=dict)    # key id -> (key text, fingerprint), changed
    dropped_deps: set[int] = field(default_factory=set)
    folders: dict[str, int] = field(default_factory=dict)              # output folder -> mtime
    all_folders: bool = True       # ``folders`` are all of them (False: only those that changed)
    reset: bool = False            # forget every output and key first (the settings changed)
    pages: Iterable[tuple[str, bytes]] = ()      # (page source, its page index row) of those that changed
    dropped_pages: set[str] = field(default_factory=set)
    # The folder this build wrote (a full build says it): when it is not the last
    # build's, the records of the last one's are kept in ``roots``, as are the files a
    # killed build's journal names in another folder.
    output_root: str | None = None


def stamp_of(stat: os.stat_result) -> tuple[int, ...]:
    """What identifies a file's version without reading it. ctime cannot be set
    by tools that restore mtimes (rsync -t, tar, git)."""
    return (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)


DAMAGED = "state.db.damaged"
_DAMAGE_CODES = (11, 26)     # SQLITE_CORRUPT, SQLITE_NOTADB


def damaged(error: BaseException) -> bool:
    """``error`` says the state database is damaged (not merely busy or unwritable)."""
    return isinstance(error, StateDamaged) or (isinstance(error, sqlite3.DatabaseError)
                                               and getattr(error, "sqlite_errorcode", None) in _DAMAGE_CODES)


class BuildState:
    """``recovered`` is set (to a warning) when a damaged database was set
    aside and the state started over empty."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.journal_path = folder / JOURNAL
        self.recovered: str | None = None
        self._staging: threading.Thread | None = None      # writing the parse cache's rows (stage_sources)
        self._staging_error: BaseException | None = None
        self._rows: queue.SimpleQueue[tuple | None] | None = None    # the rows to stage, until the state is used
        self._begun = False            # this build's transaction is open (stage_sources began it)
        self._journal: tuple[str, list[str]] | None = None   # (output folder, paths) read from the journal
        self.journal_warning: str | None = None    # the journal was cut short or set aside
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self._open()
        except (sqlite3.DatabaseError, StateDamaged) as error:
            if not damaged(error):
                raise
            self.start_over(error)

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, once rows being staged in the background are written."""
        if self._staging is not None:
            if self._rows is not None:
                self._rows.put(None)
                self._rows = None
            self._staging.join()
            self._staging = None
            if self._staging_error is not None:
                error, self._staging_error = self._staging_error, None
                raise error
        return self._db

    def _open(self) -> None:
        self._db = sqlite3.connect(self.folder / STATE_DB, isolation_level=None, check_same_thread=False)
        self._begun = False
        self.db.execute("PRAGMA journal_mode=WAL")
        # No fsync, ever: SQLite's checkpoints would flush 60 MB a first build of 10,000
        # pages writes (0.4 s), or leave it to the next build's close. A killed process
        # loses nothing this way; a power cut may damage the file, which the next build
        # finds and starts over from (``start_over``): outputs are checked again and no
        # file is deleted on the word of a damaged state. Output files are not fsynced either.
        self.db.execute("PRAGMA synchronous=OFF")
        self._create()

    def start_over(self, error: BaseException) -> None:
        """Set a damaged database aside (as ``state.db.damaged``) and begin
        an empty state: every output is checked again, nothing is deleted
        (only files the state knows as ssg's ever are), and the journal of
        files an interrupted build wrote is kept."""
        if hasattr(self, "_db"):
            self.close()
        database = self.folder / STATE_DB
        if database.exists():
            os.replace(database, self.folder / DAMAGED)
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        self._open()
        self.recovered = (f"{database} was damaged ({error}); set aside as {DAMAGED} and started over: "
                          "every output is checked again, and files ssg wrote before are no longer known as its "
                          "own (one no longer produced is reported, not deleted)")

    def _create(self) -> None:
        version = self.meta("schema")
        if version is not None and version != SCHEMA_VERSION:
            for table in ("meta", "sources", "outputs", "deps", "folders", "roots", "pages"):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS sources (path TEXT PRIMARY KEY, stamp BLOB, sha TEXT, parsed BLOB);
            CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, plan TEXT, sha TEXT, size INTEGER,
                                                mtime_ns INTEGER, deps BLOB);
            CREATE TABLE IF NOT EXISTS deps (id INTEGER PRIMARY KEY, key TEXT, fp TEXT);
            CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, mtime_ns INTEGER);
            CREATE TABLE IF NOT EXISTS pages (source TEXT PRIMARY KEY, fields BLOB);
            CREATE TABLE IF NOT EXISTS roots (root TEXT, path TEXT, sha TEXT, size INTEGER, mtime_ns INTEGER,
                                              PRIMARY KEY (root, path));
        """)
        if version != SCHEMA_VERSION:       # written only then: a build that changes nothing writes nothing
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def meta(self, key: str) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None
        value = row[0] if row else None
        if value is not None and type(value) is not str:
            raise StateDamaged(f"its setting '{key}' is not text")
        return value

    def meta_json(self, key: str, kind: type) -> Any:
        """A setting stored as JSON (a list, a dict), or an empty one."""
        import json

        text = self.meta(key)
        try:
            value = json.loads(text) if text else kind()
        except ValueError:
            raise StateDamaged(f"its setting '{key}' is not JSON") from None
        if type(value) is not kind or (kind is list and not all(type(v) is str for v in value)):
            raise StateDamaged(f"its setting '{key}' is not a {kind.__name__} of text")
        return value

    def skipped(self) -> dict[str, int]:
        """The counts of pages the last full build left out, by reason."""
        value = self.meta_json("skipped", dict)
        if not all(type(k) is str and type(v) is int for k, v in value.items()):
            raise StateDamaged("its setting 'skipped' is not a table of counts")
        return value

    def meta_time(self, key: str) -> Any:
        """A setting stored as an ISO date with its zone (a datetime), or None."""
        from datetime import datetime

        text = self.meta(key)
        if not text:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise StateDamaged(f"its setting '{key}' is not a date") from None
        if value.tzinfo is None:
            raise StateDamaged(f"its setting '{key}' is a date without a time zone")
        return value

    def sources(self, *, parsed: bool) -> dict[str, SourceRecord]:
        column = "parsed" if parsed else "NULL"
        rows = self.db.execute(f"SELECT path, stamp, sha, {column} FROM sources").fetchall()
        return {path: _source_record(path, stamp, sha, blob) for path, stamp, sha, blob in rows}

    def outputs(self) -> dict[str, OutputRecord]:
        """Output records; their ``deps`` are loaded when first read."""
        return _output_records(self.db.execute("SELECT * FROM outputs").fetchall())

    def other_root(self, root: str) -> dict[str, OutputRecord]:
        """The records of the files ssg wrote in the output folder ``root``
        when it was not the last build's (kept in ``roots``): to be built
        again (plan ""), and known as ssg's, by their bytes."""
        rows = self.db.execute("SELECT path, '', sha, size, mtime_ns, NULL FROM roots WHERE root = ?",
                               (root,)).fetchall()
        return _output_records(rows, deps=False)

    def output_stamps(self) -> list[tuple[str, int, int, bool]]:
        """(path, size, mtime_ns, built) of every output: what a build where
        nothing changed checks, without making records."""
        rows = self.db.execute("SELECT path, size, mtime_ns, plan != '' FROM outputs").fetchall()
        checked_paths([row[0] for row in rows], "outputs")
        if not all(type(size) is int and type(mtime) is int for _p, size, mtime, _b in rows):
            raise StateDamaged("its outputs table holds a size or time that is not a number")
        return rows

    def deps(self) -> dict[int, tuple[str, str]]:
        """id -> (key text, fingerprint)."""
        rows = {row[0]: (row[1], row[2]) for row in self.db.execute("SELECT id, key, fp FROM deps")}
        if not all(type(key) is str and type(fp) is str for key, fp in rows.values()):
            raise StateDamaged("its deps table holds a key or fingerprint that is not text")
        return rows

    def source(self, path: str) -> SourceRecord | None:
        """The row of one input file, with its parsed page if it has one."""
        return read_source(self.db, path)

    def outputs_reading(self, ids: set[int]) -> dict[str, OutputRecord]:
        """The records of the outputs that read any of the keys ``ids``. Each
        id is looked for by its four bytes in the stored (marshalled) lists
        first, in SQLite, so only those rows are decoded and checked."""
        if not ids:
            return {}
        found = {}
        needles = [dep_id.to_bytes(4, "little", signed=True) for dep_id in ids]
        rows = self.db.execute(f"SELECT * FROM outputs WHERE {' OR '.join(['instr(deps, ?) > 0'] * len(needles))}",
                               needles).fetchall()
        for path, record in _output_records(rows).items():
            if not ids.isdisjoint(record.deps):
                found[path] = record
        return found

    def page_deps(self, source: str) -> dict[int, tuple[str, str]]:
        """id -> (key text, fingerprint) of the keys about the page ``source``:
        the page as a whole and its single fields."""
        whole, fields = f"page\x1f{source}", f"field\x1f{source}\x1f"
        return {row[0]: (row[1], row[2]) for row in self.db.execute(
            "SELECT id, key, fp FROM deps WHERE key = ? OR substr(key, 1, ?) = ?", (whole, len(fields), fields))}

    def deps_of(self, ids: set[int]) -> dict[int, tuple[str, str]]:
        """id -> (key text, fingerprint) of the keys ``ids`` (those the state has)."""
        found: dict[int, tuple[str, str]] = {}
        listed = sorted(ids)
        for start in range(0, len(listed), 500):
            chunk = listed[start:start + 500]
            found.update((row[0], (row[1], row[2])) for row in self.db.execute(
                f"SELECT id, key, fp FROM deps WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def source_shas(self, paths: list[str]) -> dict[str, str]:
        """path -> sha256 of those of the input files ``paths`` the state has a row of."""
        found: dict[str, str] = {}
        if len(paths) > 2000:     # many (a fresh checkout): one pass over the table
            wanted = set(paths)
            found = {path: sha for path, sha in self.db.execute("SELECT path, sha FROM sources") if path in wanted}
        for start in range(0, len(paths) if len(paths) <= 2000 else 0, 500):
            chunk = paths[start:start + 500]
            found.update(self.db.execute(
                f"SELECT path, sha FROM sources WHERE path IN ({','.join('?' * len(chunk))})", chunk))
        if not all(type(sha) is str for sha in found.values()):
            raise StateDamaged("its sources table holds a hash that is not text")
        return found

    def output_shas(self) -> dict[str, str]:
        """path -> sha256 of every output file ssg wrote."""
        found = dict(self.db.execute("SELECT path, sha FROM outputs"))
        if not all(type(sha) is str for sha in found.values()):
            raise StateDamaged("its outputs table holds a hash that is not text")
        return found

    def restamp(self, *, meta: dict[str, str], outputs: dict[str, int], folders: dict[str, int]) -> None:
        """Give output files and folders found with a new mtime but what the
        state records (path -> mtime) their new mtime, and write ``meta`` (the
        listing of the inputs), in one transaction with a new ``token`` (a
        warm model must not take the state as its own)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", {**meta, "token": secrets.token_hex(8)}.items())
            db.executemany("UPDATE outputs SET mtime_ns = ? WHERE path = ?", ((m, p) for p, m in outputs.items()))
            db.executemany("UPDATE folders SET mtime_ns = ? WHERE path = ?", ((m, p) for p, m in folders.items()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def folders(self) -> dict[str, int]:
        """Output folder (relative, "" for the root) -> its mtime after the last build."""
        found = dict(self.db.execute("SELECT path, mtime_ns FROM folders"))
        checked_paths([path for path in found if path != ""], "folders")
        if not all(type(mtime) is int for mtime in found.values()):
            raise StateDamaged("its folders table holds a time that is not a number")
        return found

    def page_index(self) -> list[tuple[str, bytes]]:
        """(source, row) of every page of the page index (ssg/sources/pageindex.py)."""
        return self.db.execute("SELECT source, fields FROM pages").fetchall()

    def indexed_sources(self) -> set[str]:
        return {source for (source,) in self.db.execute("SELECT source FROM pages")}

    def parsed_page(self, path: str) -> bytes | None:
        """The parse cache's page for the content file ``path``, if any."""
        row = self.db.execute("SELECT parsed FROM sources WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def journal(self, output_root: str) -> list[str]:
        """Output paths a build into ``output_root`` announced it would write
        and did not commit. A journal of another output folder is kept for
        that folder (``roots``, at the commit). A journal ending in NUL bytes
        (a power cut) is read up to them; one that is unreadable or holds
        anything but safe relative paths is set aside (``journal.damaged``),
        unused, and said in ``journal_warning``."""
        if self._journal is None:
            root, paths, self.journal_warning = read_journal(self.journal_path)
            self._journal = root, paths
        root, paths = self._journal
        return paths if root == output_root else []

    def stage_sources(self) -> Callable[[str, SourceRecord], None]:
        """Begin the build's transaction; the source rows (the parse cache: 38
        MB at 10,000 pages) handed to the function returned are written as they
        come, by a background thread (SQLite works without the GIL), so the
        build never holds them all. They are committed with everything else by
        ``commit``, or rolled back if the build ends without it. Any other use
        of the state ends the staging first, and waits for the rows."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        self._begun = True
        rows: queue.SimpleQueue[tuple | None] = queue.SimpleQueue()
        self._rows = rows

        def write() -> None:
            try:
                db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)", iter(rows.get, None))
            except BaseException as error:    # raised where the state is next used
                self._staging_error = error
                while rows.get() is not None:    # the rows still coming are dropped
                    pass

        self._staging = threading.Thread(target=write, name="ssg-state", daemon=True)
        self._staging.start()

        def stage(path: str, record: SourceRecord) -> None:
            if self._rows is not rows:
                raise RuntimeError("source rows staged after the state was used")
            rows.put((path, marshal.dumps(record.stamp), record.sha, record.parsed))
        return stage

    def commit(self, learnt: Learnt) -> str:
        """Write everything a build learnt in one transaction, then forget the
        journal (``Learnt`` says what each part means). Returns the new
        ``token`` of the state: who committed last (a kept model checks the
        state is still the one it committed)."""
        token = secrets.token_hex(8)
        meta = {**learnt.meta, "token": token}
        output_root, folders = learnt.output_root, learnt.folders
        db = self.db
        if not self._begun:
            db.execute("BEGIN IMMEDIATE")
        self._begun = False
        try:
            if output_root is not None:
                self._switch_root(db, output_root)
            if learnt.reset:
                db.execute("DELETE FROM outputs")
                db.execute("DELETE FROM deps")
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
            db.executemany("DELETE FROM sources WHERE path = ?", ((p,) for p in learnt.dropped_sources))
            db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
                           ((p, marshal.dumps(r.stamp), r.sha, r.parsed) for p, r in learnt.sources.items()))
            db.executemany("DELETE FROM deps WHERE id = ?", ((i,) for i in learnt.dropped_deps))
            db.executemany("INSERT OR REPLACE INTO deps VALUES (?, ?, ?)",
                           ((i, key, fp) for i, (key, fp) in learnt.deps.items()))
            if learnt.all_folders:
                db.execute("DELETE FROM folders")
            db.executemany("INSERT OR REPLACE INTO folders VALUES (?, ?)", folders.items())
            db.executemany("DELETE FROM pages WHERE source = ?", ((p,) for p in learnt.dropped_pages))
            db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?)", learnt.pages)
            db.executemany("DELETE FROM outputs WHERE path = ?", ((p,) for p in learnt.dropped_outputs))
            db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?)",
                           ((p, r.plan, r.sha, r.size, r.mtime_ns, marshal.dumps(tuple(r.deps)))
                            for p, r in learnt.outputs.items()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            self.journal_path.unlink()
        except FileNotFoundError:
            pass
        self._journal = ("", [])
        return token

    def _switch_root(self, db: sqlite3.Connection, output_root: str) -> None:
        """Keep the records of the output folder the last build wrote (and of
        another folder's journal) for that folder; forget those of ``output_root``,
        which this build records as its own."""
        previous = self.meta("output_root")
        if previous != output_root:
            if previous:
                db.execute("INSERT OR REPLACE INTO roots SELECT ?, path, sha, size, mtime_ns FROM outputs",
                           (previous,))
            db.execute("DELETE FROM roots WHERE root = ?", (output_root,))
        root, paths = self._journal or ("", [])
        if root and root != output_root:
            db.executemany("INSERT OR REPLACE INTO roots VALUES (?, ?, '', -1, -1)", ((root, p) for p in paths))

    def close(self) -> None:
        """Close (an open transaction, if the build did not commit, is rolled back)."""
        try:
            db = self.db
        except BaseException:       # the staged rows failed: they are rolled back with the rest
            db = self._db
        db.close()


def read_source(db: sqlite3.Connection, path: str) -> SourceRecord | None:
    """The ``sources`` row of one input file, through the connection ``db``."""
    row = db.execute("SELECT stamp, sha, parsed FROM sources WHERE path = ?", (path,)).fetchone()
    return _source_record(path, *row) if row else None


_SOURCE_PATH = re.compile(r"[\x00\\]|(^|/)\.\.?(/|$)")


def _source_record(path: Any, stamp: Any, sha: Any, parsed: Any) -> SourceRecord:
    """A ``sources`` row, checked: the path is only ever a key (the site's
    own files are listed from disk), but it must still be a plain path."""
    if type(path) is not str or not path or _SOURCE_PATH.search(path):
        raise StateDamaged(f"its sources table holds a path that is not a plain path ({str(path)[:80]!r})")
    if type(sha) is not str or (parsed is not None and type(parsed) is not bytes):
        raise StateDamaged(f"its sources row of {path!r} does not hold a hash and a parsed page")
    return SourceRecord(_decoded(stamp, "file stamp"), sha, parsed)


def _output_records(rows: list[tuple], deps: bool = True) -> dict[str, OutputRecord]:
    """``outputs`` rows as records, checked: every path a safe relative path,
    every value of its type (``deps`` are decoded when first read)."""
    checked_paths([row[0] for row in rows], "outputs")
    for _path, plan, sha, size, mtime, blob in rows:
        if (type(plan) is not str or type(sha) is not str or type(size) is not int or type(mtime) is not int
                or (deps and type(blob) is not bytes)):
            raise StateDamaged(f"its record of the output {_path!r} does not hold what ssg writes there")
    return {path: OutputRecord(plan, sha, size, mtime, blob if deps else ())
            for path, plan, sha, size, mtime, blob in rows}


def last_build_failure(folder: Path, output_root: Path) -> list[str] | None:
    """None when the last build into ``output_root`` succeeded (or no build state
    is there); else its errors as the build reported them (file:line and what
    is wrong), [] when that build did not record them. Read-only, like
    output_hashes."""
    database = folder / STATE_DB
    if not database.is_file():
        return None
    try:
        db = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('output_root', 'failed', 'errors')"))
        finally:
            db.close()
    except sqlite3.Error:
        return None
    if meta.get("output_root") != str(output_root) or meta.get("failed") != "1":
        return None
    try:
        errors = json.loads(meta.get("errors") or "[]")
    except ValueError:
        errors = []
    return [str(e) for e in errors] if isinstance(errors, list) else []


def output_hashes(folder: Path, output_root: Path) -> dict[str, tuple[str, int, int]]:
    """(sha256, size, mtime_ns) of every output file as the last build wrote it
    into ``output_root``, read from the state in ``folder`` without writing to
    it (deploys compare these with the target). {} when there is no usable state."""
    database = folder / STATE_DB
    if not database.is_file():
        return {}
    try:
        db = sqlite3.connect(f"{database.resolve().as_uri()}?mode=ro", uri=True)
        try:
            meta = dict(db.execute("SELECT key, value FROM meta WHERE key IN ('schema', 'output_root')"))
            if meta.get("schema") != SCHEMA_VERSION or meta.get("output_root") != str(output_root):
                return {}
            rows = db.execute("SELECT path, sha, size, mtime_ns FROM outputs WHERE plan != ''").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return {}
    return {path: (sha, size, mtime) for path, sha, size, mtime in rows
            if type(sha) is str and len(sha) == 64 and type(size) is int and size >= 0 and type(mtime) is int
            and not bad_paths([path])}
