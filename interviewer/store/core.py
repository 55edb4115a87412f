"""The session store: sessions, turns and scorecards in SQLite (default) or PostgreSQL.

Every write is one short transaction, retried on transient errors (a locked file, a dropped
connection) and reported as a StoreError that says what happened when it keeps failing. A failed
write leaves the database as it was, so the caller can send the same call again later.
"""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
import threading
import time
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

from sqlalchemy import bindparam, create_engine, event, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import QueuePool, StaticPool

from interviewer.dialogue.state import State
from interviewer.errors import StoreError
from interviewer.store import schema
from interviewer.store.faults import Fault, classify, explain
from interviewer.store.learners import LearnerStore, PracticeWrite
from interviewer.store.records import ScorecardRow, SessionRecord, Turn
from interviewer.store.rows import (as_data, clean, dumps, insert_turns, joined_state, now, plausible_token,
                                    reply_row, result_json, same_token, session_records, split_state, summarise,
                                    user_row)
from interviewer.store.schema import digest, results, scorecards, sessions, turns
from interviewer.store.sqlite import FileGuard, Gate, memory_connection

log = logging.getLogger(__name__)

T = TypeVar("T")

# Any key for PostgreSQL's advisory lock that serialises schema migrations of concurrent starts.
_MIGRATION_LOCK = 7_300_451
# Tokens handed to sessions() per query (SQLite caps bound parameters; a history is short anyway).
_TOKENS_PER_QUERY = 500


def _advance(conditional: bool) -> Any:
    """The UPDATE that saves a turn's state and counts its rows in (if `conditional`, only from the
    turn count the writer read); built once, since building statements was a third of a turn's cost."""
    where = sessions.c.id == bindparam("b_id")
    if conditional:
        where = where & (sessions.c.turns == bindparam("b_version"))
    return (sessions.update().where(where)
            .values(turns=sessions.c.turns + bindparam("b_added"), state=bindparam("b_state"),
                    updated_at=bindparam("b_at", type_=schema.UTCDateTime), phase=bindparam("b_phase"),
                    topic=bindparam("b_topic"), answered=bindparam("b_answered"),
                    average_grade=bindparam("b_average_grade"), result_count=bindparam("b_count"))
            .returning(sessions.c.turns))


_ADVANCE, _ADVANCE_FROM = _advance(False), _advance(True)
# A result row written whether or not it is there yet (the same text on SQLite and PostgreSQL).
_PUT_RESULTS = text("INSERT INTO results (session_id, idx, data) VALUES (:session_id, :idx, :data) "
                    "ON CONFLICT (session_id, idx) DO UPDATE SET data = excluded.data")
_DROP_RESULTS = results.delete().where(results.c.session_id == bindparam("b_id"),
                                       results.c.idx >= bindparam("b_from"))


def _changed(items: Sequence[Any] | None, before: Any) -> tuple[list[int], bool]:
    """Return the indexes of the results to write (those not carried over from `before`, the state the
    database holds; all of them without it) and whether rows past the new results must go."""
    items = items or ()
    if before is None:
        return list(range(len(items))), True
    if isinstance(before, State):
        old = before.results
    else:
        data = as_data(before)
        old = data.get("results") if isinstance(data, Mapping) else None
        old = old if isinstance(old, (list, tuple)) else ()
    # A result is a frozen record, carried over as the same object while unchanged; data (a dict) is
    # compared by value.
    fresh = [i for i, r in enumerate(items)
             if i >= len(old) or not (r is old[i] or (isinstance(r, Mapping) and r == old[i]))]
    return fresh, len(old) > len(items)


class StaleState(StoreError):
    """A write conditional on the session's version found that another process wrote a turn first."""

    def __init__(self, session_id: str, expected: int, found: int):
        super().__init__(f"session {session_id} has moved on ({found} turns saved, not {expected}); "
                         "reload its state and answer from that")
        self.session_id, self.expected, self.found = session_id, expected, found


class Store(LearnerStore):
    """Sessions, their turns and scorecards, learners and their reviews, in any SQLAlchemy database; safe
    to share between threads."""

    def __init__(self, url: str, *, retries: int = 3, retry_delay: float = 0.05, busy_timeout: float = 5.0,
                 synchronous: str = "NORMAL", pool_size: int = 10, max_overflow: int = 20,
                 connect_timeout: float = 5.0) -> None:
        """Connect to `url`, then create or migrate its schema.

        retries: further tries of a write after a transient error, `retry_delay` seconds apart,
        doubling each time. busy_timeout: seconds SQLite waits for a lock before calling it locked.
        synchronous: SQLite's fsync policy; NORMAL in WAL mode loses no committed turn when the
        process dies, only (possibly the last few) on power loss — FULL closes that too, at ~2× the cost.
        """
        self.url = url
        self.retries = max(0, int(retries))
        self.retry_delay = retry_delay
        self.busy_timeout = busy_timeout
        self._guard: FileGuard | None = None
        # SQLite allows one writer at a time: queue this process's writers on a lock rather than
        # on SQLite's busy-wait, and let the file guard swap the file only when nobody is inside.
        self._writer = threading.RLock()
        self._gate = Gate()
        self._serial = False  # every call under the writer lock (one shared in-memory connection)
        self.engine = self._engine(url, synchronous=synchronous, pool_size=pool_size,
                                   max_overflow=max_overflow, connect_timeout=connect_timeout)
        try:
            self._write(self._migrate, saving=False)
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, url: str, **kw: Any) -> Store:
        """Connect to `url` and create or migrate its schema; raise StoreError when that cannot be done."""
        return cls(url, **kw)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every connection (first putting back a database file deleted since the last call)."""
        if self._guard is not None and self._guard.keeper is not None and self._guard.problem(False) == "missing":
            try:
                self._check(writing=False)
            except StoreError as exc:
                log.error("store: %s", exc)
        self.engine.dispose()
        if self._guard is not None:
            self._guard.close()

    # ------------------------------------------------------------------ writes

    def create_session(self, config: Mapping[str, Any], state: Mapping[str, Any], replies: Iterable[Any],
                       client: str | None = None, *, learner: str | None = None,
                       at: datetime | None = None) -> SessionRecord:
        """Start a session with a fresh id and token, its opening replies saved as its first turns.

        `state` may be the engine's State itself (it is encoded faster than its `to_dict()`).
        learner: the id of the learner it belongs to; at: its time (now; a clock injected for tests and demos).
        """
        config = as_data(config)
        rows = [reply_row(r) for r in replies]
        summary = summarise(state)
        config_json, (head, items) = dumps(config), split_state(state)
        encoded = [result_json(r) for r in items or ()]
        count = None if items is None else len(encoded)
        sid, token, share = secrets.token_urlsafe(12), secrets.token_urlsafe(32), schema.new_share_key()
        at = at or now()
        values = dict(id=sid, token=token, token_hash=digest(token), share=share, share_hash=digest(share),
                      client=clean(client)[:200] if client else None, learner=learner,
                      created_at=at, updated_at=at, config=config_json, state=head, result_count=count,
                      turns=len(rows), **summary)

        def work(conn: Connection) -> None:
            conn.execute(sessions.insert().values(**values))
            insert_turns(conn, sid, 1, rows, at)
            if encoded:
                conn.execute(_PUT_RESULTS, [{"session_id": sid, "idx": i, "data": d} for i, d in enumerate(encoded)])

        self._write(work)
        return SessionRecord(id=sid, token=token, created_at=at, updated_at=at, config=json.loads(config_json),
                             state=joined_state(head, count, encoded), turns=len(rows), client=values["client"],
                             share=share, learner=learner, **summary)

    def record_turn(self, session_id: str, text: str | None, replies: Iterable[Any],
                    state: Any, *, version: int | None = None, practice: PracticeWrite | None = None,
                    at: datetime | None = None, before: Any = None) -> int:
        """Save a user message, the replies to it, their scorecards and the new state in one transaction.

        Return the session's turn count, which is also its version. version: the turn count the
        caller's state was read at; the write then happens only if the session still has exactly
        that many turns, else StaleState is raised — another process (a second server behind the
        load balancer) wrote a turn since, and the caller must reload the state and answer from it.
        Raise StoreError (having changed nothing) when it cannot save.
        practice: the concept reviews the turn's graded answers gave its learner, saved in the same
        transaction (so a turn saved once is reviewed once). at: the turn's time (default now).
        before: the state the session holds now (the one `state` was worked out from): only the results
        that are not carried over from it unchanged are written, so a turn costs what it changed, not
        what the session holds. Without it every result is written.
        """
        rows = ([] if text is None else [user_row(text)]) + [reply_row(r) for r in replies]
        if version is not None and not rows:
            raise ValueError("a write conditional on the version must add a turn, or the version stays put")
        summary = summarise(state)
        head, items = split_state(state)
        fresh, shrunk = _changed(items, before)
        count = None if items is None else len(items)
        puts = [{"session_id": session_id, "idx": i, "data": result_json(items[i])} for i in fresh]
        at = at or now()

        def work(conn: Connection) -> int:
            # The UPDATE comes first: it takes the write lock (SQLite) or the row lock (PostgreSQL),
            # so two writers on one session get dense, distinct turn numbers; with a version, the
            # second of two writers that read the same state finds the count moved and writes nothing.
            last = conn.execute(_ADVANCE if version is None else _ADVANCE_FROM, {
                "b_id": session_id, "b_version": version, "b_added": len(rows), "b_state": head, "b_at": at,
                "b_count": count, **{f"b_{k}": v for k, v in summary.items()}}).scalar()
            if last is None:
                found = conn.execute(select(sessions.c.turns).where(sessions.c.id == session_id)).scalar()
                if found is not None and version is not None:
                    raise StaleState(session_id, version, int(found))
                raise StoreError(f"There is no session {session_id!r} in the database {self.where}; "
                                 "start a new interview.")
            insert_turns(conn, session_id, last - len(rows) + 1, rows, at)
            if puts:
                conn.execute(_PUT_RESULTS, puts)
            if shrunk:
                conn.execute(_DROP_RESULTS, {"b_id": session_id, "b_from": count or 0})
            if practice is not None:
                self._save_practice(conn, session_id, last - len(rows) + 1, practice)
            return int(last)

        def landed(conn: Connection) -> int | None:
            # The session holds this very state (its turn counter makes it unique), with the results
            # this write changed, and ends with these very rows: the COMMIT whose answer was lost went through.
            row = conn.execute(select(sessions.c.turns, sessions.c.state, sessions.c.result_count)
                               .where(sessions.c.id == session_id)).first()
            if row is None or row.state != head or row.result_count != count or row.turns < len(rows):
                return None
            if puts:
                stored = dict(conn.execute(select(results.c.idx, results.c.data).where(
                    results.c.session_id == session_id, results.c.idx.in_([p["idx"] for p in puts]))).all())
                if any(stored.get(p["idx"]) != p["data"] for p in puts):
                    return None
            tail = conn.execute(
                select(turns.c.role, turns.c.kind, turns.c.text, turns.c.payload)
                .where(turns.c.session_id == session_id, turns.c.seq > row.turns - len(rows))
                .order_by(turns.c.seq)
            ).all()
            written = [(r["role"], r["kind"], r["text"], r["payload"]) for r in rows]
            return int(row.turns) if [tuple(t) for t in tail] == written else None

        return self._write(work, landed=landed)

    # ------------------------------------------------------------------ reads

    def session(self, session_id: str) -> SessionRecord | None:
        """Return a session by id (no token check: for the owner's own tools, like `report`)."""
        if not isinstance(session_id, str) or not session_id:
            return None
        query = sessions.select().where(sessions.c.id == session_id)
        found = self._read(lambda c: session_records(c, c.execute(query).all()))
        return found[0] if found else None

    def session_by_token(self, token: str | None) -> SessionRecord | None:
        """Return the session this token opens, or None."""
        if not plausible_token(token):
            return None
        found = self._read(lambda c: session_records(c, [
            r for r in c.execute(sessions.select().where(sessions.c.token_hash == digest(token))).all()
            if same_token(r.token, token)]))
        return found[0] if found else None

    def authorised(self, session_id: str, token: str | None) -> SessionRecord | None:
        """Return the session only when `token` is its own, else None."""
        record = self.session(session_id)
        return record if record and plausible_token(token) and same_token(record.token, token) else None

    def readable(self, session_id: str, key: str | None) -> SessionRecord | None:
        """Return the session when `key` is its share key or its token (either may read it), else None."""
        record = self.session(session_id)
        if record is None or not plausible_token(key):
            return None
        return record if same_token(record.share or "", key) or same_token(record.token, key) else None

    def sessions(self, keys: Iterable[str]) -> list[SessionRecord]:
        """Return the sessions these share keys (or tokens) open, newest first (one browser's history)."""
        if isinstance(keys, str):
            keys = [keys]
        wanted = {}
        for key in keys or ():
            if plausible_token(key):
                wanted[digest(key)] = key
        hashes = list(wanted)

        def read(conn: Connection) -> list[SessionRecord]:
            rows = []
            for i in range(0, len(hashes), _TOKENS_PER_QUERY):
                part = hashes[i:i + _TOKENS_PER_QUERY]
                rows += conn.execute(sessions.select().where(sessions.c.share_hash.in_(part)
                                                             | sessions.c.token_hash.in_(part))).all()
            rows = [r for r in rows if (r.share_hash in wanted and same_token(r.share, wanted[r.share_hash]))
                    or (r.token_hash in wanted and same_token(r.token, wanted[r.token_hash]))]
            rows = list({r.id: r for r in rows}.values())
            rows.sort(key=lambda r: (r.created_at, r.id), reverse=True)
            # The sessions and their results in one transaction: a turn saved meanwhile shows whole or not at all.
            return session_records(conn, rows, _TOKENS_PER_QUERY)

        return self._read(read)

    def transcript(self, session_id: str) -> list[Turn]:
        """Return every turn of a session in order."""
        if not isinstance(session_id, str):
            return []
        query = turns.select().where(turns.c.session_id == session_id).order_by(turns.c.seq)
        return [Turn(seq=r.seq, role=r.role, kind=r.kind, text=r.text, payload=json.loads(r.payload),
                     created_at=r.created_at) for r in self._read(lambda c: c.execute(query).all())]

    def transcript_page(self, session_id: str, before: int | None = None, limit: int = 200) -> tuple[list[Turn], int]:
        """Return up to `limit` turns before turn number `before` (the latest, without it), in order,
        and how many turns come before those (turns are numbered densely from 1)."""
        if not isinstance(session_id, str):
            return [], 0
        query = turns.select().where(turns.c.session_id == session_id)
        if before is not None:
            query = query.where(turns.c.seq < before)
        query = query.order_by(turns.c.seq.desc()).limit(max(1, int(limit)))
        rows = list(reversed(self._read(lambda c: c.execute(query).all())))
        page = [Turn(seq=r.seq, role=r.role, kind=r.kind, text=r.text, payload=json.loads(r.payload),
                     created_at=r.created_at) for r in rows]
        return page, (page[0].seq - 1 if page else 0)

    def scorecards(self, session_id: str) -> list[ScorecardRow]:
        """Return a session's scorecards in the order they were given."""
        if not isinstance(session_id, str):
            return []
        query = scorecards.select().where(scorecards.c.session_id == session_id).order_by(scorecards.c.seq)
        return [ScorecardRow(seq=r.seq, question_id=r.question_id, score=r.score, grade=r.grade,
                             payload=json.loads(r.payload), created_at=r.created_at)
                for r in self._read(lambda c: c.execute(query).all())]

    def schema_version(self) -> int:
        """Return the schema version the database holds."""
        return self._read(schema.stored_version)

    def health(self) -> str | None:
        """Return why a turn could not be saved right now (read-only, unreachable, replaced…), or None.

        One try, no retries: a health check must answer quickly, and say so when the store cannot.
        """
        guard = self._guard
        if guard is not None:
            problem = guard.problem(writing=True)
            if problem == "readonly":
                return explain(Fault("readonly", ""), str(guard.path))
            if problem == "replaced":
                return f"The database file {guard.path} was replaced by another file; restart interviewer."
        try:
            with self._writer if self._serial else nullcontext(), self._gate.shared(), self.engine.connect() as conn:
                with conn.begin():
                    if conn.dialect.name == "postgresql":
                        # A standby, or a database set read-only, takes reads and refuses every write.
                        if conn.execute(text("SHOW transaction_read_only")).scalar() == "on":
                            return explain(Fault("readonly", ""), self.where)
                    else:
                        conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            return explain(classify(exc), self.where, saving=False)
        return None

    # ------------------------------------------------------------------ plumbing

    @property
    def where(self) -> str:
        """Name the database for messages: its file, or its URL without the password."""
        if self._guard is not None:
            return str(self._guard.path)
        if self._serial:
            return "in memory"
        return make_url(self.url).render_as_string(hide_password=True)

    def _engine(self, url: str, *, synchronous: str, pool_size: int, max_overflow: int,
                connect_timeout: float) -> Engine:
        try:
            parsed = make_url(url)
        except (ArgumentError, ValueError) as exc:
            raise StoreError(f"{url!r} is not a database URL (try sqlite:///path/to/interviewer.db or "
                             "postgresql+psycopg://user@host/dbname).") from exc
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            return self._sqlite_engine(parsed.database, synchronous, pool_size, max_overflow)
        connect_args: dict[str, Any] = {}
        if backend == "postgresql":
            connect_args["connect_timeout"] = max(1, round(connect_timeout))
        try:
            return create_engine(parsed, pool_pre_ping=True, pool_size=pool_size, max_overflow=max_overflow,
                                 connect_args=connect_args)
        except (NoSuchModuleError, ImportError) as exc:
            raise StoreError(f"No database driver for {parsed.drivername!r}; use sqlite:///… or "
                             "postgresql+psycopg://…, or install the driver.") from exc

    def _sqlite_engine(self, database: str | None, synchronous: str, pool_size: int, max_overflow: int) -> Engine:
        if not database or database == ":memory:" or database.startswith("file::memory:"):
            self._serial = True
            memory = memory_connection()
            engine = create_engine("sqlite://", creator=lambda: memory, poolclass=StaticPool)
        else:
            self._guard = FileGuard(Path(database).expanduser().resolve(), busy_timeout=self.busy_timeout,
                                    synchronous=synchronous)
            try:
                self._guard.open()
            except (sqlite3.Error, OSError) as exc:
                raise StoreError(explain(classify(exc), str(self._guard.path), saving=False)) from exc
            engine = create_engine("sqlite://", creator=self._guard.connect, poolclass=QueuePool,
                                   pool_size=pool_size, max_overflow=max_overflow)

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # The driver runs in autocommit; we say BEGIN ourselves. IMMEDIATE takes the write
            # lock up front, so a writer waits (busy_timeout) instead of failing on lock upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

        return engine

    def _migrate(self, conn: Connection) -> int:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        return schema.migrate(conn, self.where)

    def _write(self, work: Callable[[Connection], T], saving: bool = True,
               landed: Callable[[Connection], T | None] | None = None) -> T:
        """Run `work` in one write transaction, retrying transient errors; raise StoreError at the end.

        landed: after a connection lost during a write, tell whether that write committed all the same
        (its result, or None), so a retry never writes it twice.
        """
        fault: Fault | None = None
        tries = self.retries + 1
        for attempt in range(tries):
            if attempt:
                time.sleep(self.retry_delay * 2 ** (attempt - 1))
            try:
                with self._writer if self._guard or self._serial else nullcontext():
                    self._check(writing=True)
                    with self._gate.shared(), self.engine.connect() as conn:
                        if landed is not None and fault is not None and fault.reason == "unreachable":
                            already = landed(conn)
                            conn.rollback()
                            if already is not None:
                                log.info("store: the write before the lost connection had committed")
                                return already
                        with conn.execution_options(write=True).begin():
                            result = work(conn)
                    # A file deleted during the transaction took this commit with it: put it back.
                    self._check(writing=False, after_commit=True)
                return result
            except StoreError:
                raise
            except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
                fault = classify(exc)
                if not fault.transient:
                    raise StoreError(explain(fault, self.where, saving=saving)) from exc
                log.info("store: transient %s on try %d of %d: %s", fault.reason, attempt + 1, tries, fault.detail)
        raise StoreError(explain(fault, self.where, tries, saving=saving))

    def _read(self, work: Callable[[Connection], T]) -> T:
        """Run `work` in one read transaction, retrying transient errors; raise StoreError at the end."""
        fault: Fault | None = None
        tries = self.retries + 1
        for attempt in range(tries):
            if attempt:
                time.sleep(self.retry_delay * 2 ** (attempt - 1))
            try:
                with self._writer if self._serial else nullcontext():
                    self._check(writing=False)
                    with self._gate.shared(), self.engine.connect() as conn:
                        with conn.begin():
                            return work(conn)
            except StoreError:
                raise
            except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
                fault = classify(exc)
                if not fault.transient:
                    raise StoreError(explain(fault, self.where, saving=False)) from exc
        raise StoreError(explain(fault, self.where, tries, saving=False))

    def _check(self, writing: bool, after_commit: bool = False) -> None:
        """Make sure the SQLite file is still ours (putting it back if deleted) and, to write, writable."""
        guard = self._guard
        if guard is None:
            return
        problem = guard.problem(writing)
        if problem is None:
            return
        path = guard.path
        if problem == "readonly":
            raise StoreError(explain(Fault("readonly", ""), str(path)))
        if problem == "replaced":
            raise StoreError(
                f"The database file {path} was replaced by another file while interviewer was running. "
                "Nothing was saved; restart interviewer to use the new file.")
        with self._writer, self._gate.exclusive():
            if guard.problem(False) != "missing":  # another thread put it back meanwhile
                return
            try:
                copy = guard.backup()
            except (sqlite3.Error, OSError) as exc:
                if after_commit:
                    # The commit is safe in the open (deleted) file; the next call tries again.
                    log.error("store: %s was deleted and could not be restored yet: %s", path, exc)
                    return
                raise StoreError(
                    f"The database file {path} was deleted while interviewer was running, and putting it "
                    f"back failed ({exc}). Nothing was saved; the sessions are still held open in memory: "
                    f"make {path.parent} writable (or free space) and try again before stopping "
                    "interviewer.") from exc
            self.engine.dispose()
            try:
                guard.swap_in(copy)
            except (sqlite3.Error, OSError) as exc:
                raise StoreError(f"The database file {path} was deleted while interviewer was running and "
                                 f"could not be put back ({exc}). Restart interviewer.") from exc
            log.warning("store: %s was deleted while in use; put it back from the open connection", path)
