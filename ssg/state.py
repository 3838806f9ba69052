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

Everything a build learns is committed in one transaction at its end; a build
killed before that leaves the previous state, and the next build repairs the
difference (outputs on disk are compared by stat with what the state says).
New files are noted in ``.ssg/journal`` before they are written, so files of a
killed build are still known as ssg's own (and pruned if no longer produced).
"""

from __future__ import annotations

import json
import marshal
import os
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = "5"
STATE_DB = "state.db"
JOURNAL = "journal"


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
        if isinstance(self._deps, bytes):
            self._deps = marshal.loads(self._deps)
        return self._deps

    @deps.setter
    def deps(self, value: tuple[int, ...]) -> None:
        self._deps = value


def stamp_of(stat: os.stat_result) -> tuple[int, ...]:
    """What identifies a file's version without reading it. ctime cannot be set
    by tools that restore mtimes (rsync -t, tar, git)."""
    return (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_size, stat.st_ino)


DAMAGED = "state.db.damaged"
_DAMAGE_CODES = (11, 26)     # SQLITE_CORRUPT, SQLITE_NOTADB


def damaged(error: BaseException) -> bool:
    """``error`` says the state database is damaged (not merely busy or unwritable)."""
    return isinstance(error, sqlite3.DatabaseError) and getattr(error, "sqlite_errorcode", None) in _DAMAGE_CODES


class BuildState:
    """``recovered`` is set (to a warning) when a damaged database was set
    aside and the state started over empty."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.journal_path = folder / JOURNAL
        self.recovered: str | None = None
        self._staging: threading.Thread | None = None      # writing the parse cache's rows (stage_sources)
        self._staging_error: BaseException | None = None
        self._begun = False            # this build's transaction is open (stage_sources began it)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self._open()
        except sqlite3.DatabaseError as error:
            if not damaged(error):
                raise
            self.start_over(error)

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, once rows being staged in the background are written."""
        if self._staging is not None:
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
            for table in ("meta", "sources", "outputs", "deps", "folders"):
                self.db.execute(f"DROP TABLE IF EXISTS {table}")
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS sources (path TEXT PRIMARY KEY, stamp BLOB, sha TEXT, parsed BLOB);
            CREATE TABLE IF NOT EXISTS outputs (path TEXT PRIMARY KEY, plan TEXT, sha TEXT, size INTEGER,
                                                mtime_ns INTEGER, deps BLOB);
            CREATE TABLE IF NOT EXISTS deps (id INTEGER PRIMARY KEY, key TEXT, fp TEXT);
            CREATE TABLE IF NOT EXISTS folders (path TEXT PRIMARY KEY, mtime_ns INTEGER);
        """)
        if version != SCHEMA_VERSION:       # written only then: a build that changes nothing writes nothing
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def meta(self, key: str) -> str | None:
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return row[0] if row else None

    def sources(self, *, parsed: bool) -> dict[str, SourceRecord]:
        column = "parsed" if parsed else "NULL"
        return {path: SourceRecord(tuple(marshal.loads(stamp)), sha, blob)
                for path, stamp, sha, blob in self.db.execute(f"SELECT path, stamp, sha, {column} FROM sources")}

    def outputs(self) -> dict[str, OutputRecord]:
        """Output records; their ``deps`` are loaded when first read."""
        return {path: OutputRecord(plan, sha, size, mtime, deps)
                for path, plan, sha, size, mtime, deps in self.db.execute("SELECT * FROM outputs")}

    def output_stamps(self) -> list[tuple[str, int, int, bool]]:
        """(path, size, mtime_ns, built) of every output: what a build where
        nothing changed checks, without making records."""
        return self.db.execute("SELECT path, size, mtime_ns, plan != '' FROM outputs").fetchall()

    def deps(self) -> dict[int, tuple[str, str]]:
        """id -> (key text, fingerprint)."""
        return {row[0]: (row[1], row[2]) for row in self.db.execute("SELECT id, key, fp FROM deps")}

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
                               needles)
        for path, plan, sha, size, mtime, deps in rows:
            record = OutputRecord(plan, sha, size, mtime, deps)
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

    def folders(self) -> dict[str, int]:
        """Output folder (relative, "" for the root) -> its mtime after the last build."""
        return dict(self.db.execute("SELECT path, mtime_ns FROM folders"))

    def parsed_page(self, path: str) -> bytes | None:
        """The parse cache's page for the content file ``path``, if any."""
        row = self.db.execute("SELECT parsed FROM sources WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def journal(self) -> list[str]:
        """Output paths a build announced it would write and did not commit."""
        try:
            return [line for line in self.journal_path.read_text("utf-8", "replace").splitlines() if line]
        except FileNotFoundError:
            return []

    def stage_sources(self, sources: dict[str, SourceRecord]) -> None:
        """Begin the build's transaction and write these source rows (the
        parse cache: 38 MB at 10,000 pages) in a background thread, while the
        build plans on this one (SQLite works without the GIL). They are
        committed with everything else by ``commit``, or rolled back if the
        build ends without it. Any other use of the state waits for them."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        self._begun = True
        rows = [(p, marshal.dumps(r.stamp), r.sha, r.parsed) for p, r in sources.items()]

        def write() -> None:
            try:
                db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)", rows)
            except BaseException as error:    # raised where the state is next used
                self._staging_error = error

        self._staging = threading.Thread(target=write, name="ssg-state", daemon=True)
        self._staging.start()

    def commit(self, *, meta: dict[str, str], sources: dict[str, SourceRecord], dropped_sources: set[str],
               outputs: dict[str, OutputRecord], dropped_outputs: set[str],
               deps: dict[int, tuple[str, str]], dropped_deps: set[int], folders: dict[str, int],
               all_folders: bool = True, reset: bool = False) -> str:
        """Write everything a build learnt in one transaction, then forget the
        journal. ``reset`` first forgets every output and dependency (the
        settings changed or the output folder moved). ``folders`` are the
        output folders' mtimes: all of them, or (``all_folders`` False) those
        that changed. Returns the new ``token`` of the state: who committed
        last (a warm model checks the state is still the one it committed)."""
        token = secrets.token_hex(8)
        meta = {**meta, "token": token}
        db = self.db
        if not self._begun:
            db.execute("BEGIN IMMEDIATE")
        self._begun = False
        try:
            if reset:
                db.execute("DELETE FROM outputs")
                db.execute("DELETE FROM deps")
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
            db.executemany("DELETE FROM sources WHERE path = ?", ((p,) for p in dropped_sources))
            db.executemany("INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?)",
                           ((p, marshal.dumps(r.stamp), r.sha, r.parsed) for p, r in sources.items()))
            db.executemany("DELETE FROM deps WHERE id = ?", ((i,) for i in dropped_deps))
            db.executemany("INSERT OR REPLACE INTO deps VALUES (?, ?, ?)",
                           ((i, key, fp) for i, (key, fp) in deps.items()))
            if all_folders:
                db.execute("DELETE FROM folders")
            db.executemany("INSERT OR REPLACE INTO folders VALUES (?, ?)", folders.items())
            db.executemany("DELETE FROM outputs WHERE path = ?", ((p,) for p in dropped_outputs))
            db.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?, ?)",
                           ((p, r.plan, r.sha, r.size, r.mtime_ns, marshal.dumps(tuple(r.deps)))
                            for p, r in outputs.items()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        try:
            self.journal_path.unlink()
        except FileNotFoundError:
            pass
        return token

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
    return SourceRecord(tuple(marshal.loads(row[0])), row[1], row[2]) if row else None


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
    return {path: (sha, size, mtime) for path, sha, size, mtime in rows if len(sha) == 64 and size >= 0}
