"""SQLite specifics: connections in WAL mode, and a guard that notices the file vanishing under us.

An SQLite connection keeps working on a file that was deleted (it holds the inode), so without a
check every later turn would be written to a file nobody can open again. The guard keeps one extra
connection (the keeper) for the life of the store, checks the file before and after each write, and
when the file is gone copies the keeper's view of the database back to the path with SQLite's
backup API: no acknowledged turn is lost.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import quote

log = logging.getLogger(__name__)

# SQLite's on-disk side files in WAL mode; stale ones must not be replayed into a restored copy.
SIDE_FILES = ("-wal", "-shm", "-journal")


class Gate:
    """A lock many may hold at once (shared) or one alone (exclusive); exclusive waiters go first."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._shared = 0
        self._exclusive = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._shared += 1
        try:
            yield
        finally:
            with self._cond:
                self._shared -= 1
                if not self._shared:
                    self._cond.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._cond:
            while self._exclusive:
                self._cond.wait()
            self._exclusive = True
            while self._shared:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._exclusive = False
                self._cond.notify_all()


def connect(path: Path, *, busy_timeout: float, synchronous: str, create: bool = False) -> sqlite3.Connection:
    """Open the database file (creating it only when asked) with the store's pragmas."""
    # mode=rw: a pooled connection must fail on a missing file, not silently start an empty one.
    uri = f"file:{quote(str(path))}?mode={'rwc' if create else 'rw'}"
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout, check_same_thread=False, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
    except BaseException:
        conn.close()
        raise
    return conn


def memory_connection() -> sqlite3.Connection:
    """Open a private in-memory database (one connection, shared by every thread under a lock)."""
    conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class FileGuard:
    """Watches one SQLite file: is it still the file we opened, and can it be written?"""

    def __init__(self, path: Path, *, busy_timeout: float, synchronous: str = "NORMAL") -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous
        self.keeper: sqlite3.Connection | None = None
        self.ident: tuple[int, int] | None = None

    def connect(self, create: bool = False) -> sqlite3.Connection:
        """Open a connection for the pool."""
        return connect(self.path, busy_timeout=self.busy_timeout, synchronous=self.synchronous, create=create)

    def open(self) -> None:
        """Create the file if needed, switch it to WAL and keep one connection on it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # WAL needs to write the file and create its side files beside it; say so plainly up front
        # rather than let SQLite fail with "unable to open database file".
        for needed in (self.path, self.path.parent):
            if needed.exists() and not os.access(needed, os.W_OK):
                raise PermissionError(errno.EACCES, "read-only", str(needed))
        keeper = self.connect(create=True)
        try:
            mode = keeper.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("SQLite kept journal mode %s for %s (WAL unsupported here)", mode, self.path)
            # A read opens the WAL, so the keeper holds every part of the database open.
            keeper.execute("SELECT count(*) FROM sqlite_master").fetchone()
            self.ident = self._stat()
        except BaseException:
            keeper.close()
            raise
        self.keeper = keeper

    def close(self) -> None:
        """Let go of the keeper."""
        if self.keeper is not None:
            self.keeper.close()
            self.keeper = None

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_dev, st.st_ino

    def problem(self, writing: bool) -> str | None:
        """Return "missing", "replaced" or "readonly" when the file is not fit to use, else None."""
        ident = self._stat()
        if ident is None:
            return "missing"
        if ident != self.ident:
            return "replaced"
        # os.access sees `chattr +i` and read-only mounts even for root, who passes every chmod.
        if writing and not os.access(self.path, os.W_OK):
            return "readonly"
        return None

    def backup(self) -> Path:
        """Copy the keeper's view of the (deleted) database to a file beside its path; return that file."""
        if self.keeper is None:
            raise sqlite3.OperationalError("no open connection holds the deleted database")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        copy = self.path.with_name(f"{self.path.name}.restore-{os.getpid()}")
        copy.unlink(missing_ok=True)
        try:
            target = sqlite3.connect(copy, isolation_level=None)
            try:
                self.keeper.backup(target)
            finally:
                target.close()
            for suffix in SIDE_FILES:
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
        except BaseException:
            copy.unlink(missing_ok=True)
            raise
        return copy

    def swap_in(self, copy: Path, attempts: int = 5) -> None:
        """Put the backup at the path and keep it open as the new keeper; the old keeper goes.

        The caller has closed every other connection of the old file (the store's gate and a
        pool dispose), so the keeper is the last: closing it may unlink "<path>-wal" and
        "<path>-shm" by name, which are still the old file's because nothing has opened the copy yet.
        """
        self.close()
        for suffix in SIDE_FILES:
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        wanted = os.stat(copy)
        for attempt in range(attempts):
            # A hard link, not a rename: if the path is deleted again before the keeper holds it,
            # the copy still has every page and the next attempt links it again.
            try:
                os.link(copy, self.path)
            except FileExistsError:
                pass
            keeper = None
            try:
                keeper = self.connect()
                keeper.execute("SELECT count(*) FROM sqlite_master").fetchone()
                ident = self._stat()
                if ident == (wanted.st_dev, wanted.st_ino):
                    self.keeper, self.ident = keeper, ident
                    copy.unlink(missing_ok=True)
                    return
            except sqlite3.OperationalError:
                if attempt == attempts - 1:
                    raise
                ident = None
            if keeper is not None:
                keeper.close()
            if ident is not None:
                raise FileExistsError(f"another file appeared at {self.path} while restoring it; "
                                      f"the restored copy is kept at {copy}")
        raise sqlite3.OperationalError(f"{self.path} kept disappearing; the restored copy is kept at {copy}")
