"""The store's tables (SQLAlchemy Core) and the numbered steps that create or migrate them."""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import (Column, DateTime, Float, ForeignKey, ForeignKeyConstraint, Index, Integer,
                        MetaData, String, Table, Text, inspect, select, text)
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from interviewer.errors import StoreError


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; pass a timezone-aware one")
        value = value.astimezone(timezone.utc)
        # SQLite stores the text of the datetime: keep it zone-free so it sorts as text.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


metadata = MetaData()

# One row: the version of the schema the database holds (see MIGRATIONS).
schema_version = Table(
    "schema_version", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)

# One row per interview. The state is the dialogue engine's JSON, replaced on every turn; the
# summary columns (phase … average_grade) are copied out of it so the history page reads no blobs.
sessions = Table(
    "sessions", metadata,
    Column("id", String(40), primary_key=True),
    Column("token", String(80), nullable=False),
    # Lookups go through a digest of the token, so the index never compares secret prefixes.
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("client", String(200)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("config", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("phase", String(40)),
    Column("topic", Text),
    Column("answered", Integer, nullable=False, default=0),
    Column("average_grade", Float),
    Column("turns", Integer, nullable=False, default=0),
    # The read-only key of the scorecard's share link (and of the browser's history cookie): it
    # opens the scorecard and its exports, never the interview itself. Added in version 2.
    Column("share", String(80)),
    Column("share_hash", String(64)),
    # The learner the session belongs to (its history and progress); None before version 3, and for
    # a client that named none. Added in version 3.
    Column("learner", String(40)),
    # How many rows of `results` make up the state's "results" list (its JSON holds [] in their
    # place); None when the state carries no results list, which the state JSON then holds as given.
    # Added in version 4.
    Column("result_count", Integer),
)
Index("ix_sessions_created_at", sessions.c.created_at)
Index("ix_sessions_share_hash", sessions.c.share_hash, unique=True)
Index("ix_sessions_learner", sessions.c.learner, sessions.c.created_at)

# Every user message and every reply, numbered densely per session from 1.
turns = Table(
    "turns", metadata,
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("role", String(20), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

# One row per result of a session's state (one per asked question), its JSON as in the state. Kept
# apart from the state so that a turn rewrites the results it changed, not all of them. Version 4.
results = Table(
    "results", metadata,
    Column("session_id", String(40), ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("data", Text, nullable=False),
)

# One row per `feedback` reply; `seq` is the number of the turn that carried it.
scorecards = Table(
    "scorecards", metadata,
    Column("session_id", String(40), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("question_id", Text),
    Column("score", Float),
    Column("grade", Float),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    ForeignKeyConstraint(["session_id", "seq"], ["turns.session_id", "turns.seq"], ondelete="CASCADE"),
)


# Whose progress it is: a terminal learner by name (one per name per database), a browser's by the
# digest of the key its cookie holds. Version 3.
learners = Table(
    "learners", metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(200), unique=True),
    Column("key_hash", String(64), unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)

# The review log: one row per concept per graded answer or follow-up, in the order given (id).
# Replaying it through the scheduler gives `mastery` again. Version 3.
reviews = Table(
    "reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("learner", String(40), nullable=False),
    Column("concept_id", String(200), nullable=False),
    Column("rating", Integer, nullable=False),
    Column("rule", String(60), nullable=False),
    Column("cap", String(60)),
    Column("question_id", Text),
    Column("source", String(20)),
    Column("session_id", String(40)),
    Column("seq", Integer),  # the turn (the user's message) that was graded
    Column("reviewed_at", UTCDateTime, nullable=False),
)
Index("ix_reviews_learner", reviews.c.learner, reviews.c.id)

# Each learner's FSRS card per concept, as the log leaves it (kept so pages read no log). Version 3.
mastery = Table(
    "mastery", metadata,
    Column("learner", String(40), primary_key=True),
    Column("concept_id", String(200), primary_key=True),
    Column("state", String(20), nullable=False),
    Column("due", UTCDateTime, nullable=False),
    Column("stability", Float, nullable=False),
    Column("difficulty", Float, nullable=False),
    Column("reviews", Integer, nullable=False),
    Column("lapses", Integer, nullable=False),
    Column("last_rating", Integer, nullable=False),
    Column("last_review", UTCDateTime, nullable=False),
    Column("card", Text, nullable=False),
)
Index("ix_mastery_due", mastery.c.learner, mastery.c.due)


def digest(secret: str) -> str:
    """Return the digest a token or share key is looked up by."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_share_key() -> str:
    """Return a fresh read-only share key."""
    return secrets.token_urlsafe(24)


def _create_v1(conn: Connection) -> None:
    # The tables as they are now: a new database gets the later steps' columns at once, and those
    # steps see them there and add nothing.
    metadata.create_all(conn, tables=[sessions, turns, scorecards])


def _add_share_keys(conn: Connection) -> None:
    """v2: give every session a read-only share key of its own, apart from its resume token."""
    if "share" not in {c["name"] for c in inspect(conn).get_columns("sessions")}:
        conn.execute(text("ALTER TABLE sessions ADD COLUMN share VARCHAR(80)"))
        conn.execute(text("ALTER TABLE sessions ADD COLUMN share_hash VARCHAR(64)"))
    for sid in conn.execute(select(sessions.c.id).where(sessions.c.share.is_(None))).scalars().all():
        key = new_share_key()
        conn.execute(sessions.update().where(sessions.c.id == sid).values(share=key, share_hash=digest(key)))
    conn.execute(text("CREATE UNIQUE INDEX IF NOT EXISTS ix_sessions_share_hash ON sessions (share_hash)"))


def _add_learners(conn: Connection) -> None:
    """v3: learners, the review log and the mastery per concept; each session may name its learner."""
    if "learner" not in {c["name"] for c in inspect(conn).get_columns("sessions")}:
        conn.execute(text("ALTER TABLE sessions ADD COLUMN learner VARCHAR(40)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_sessions_learner ON sessions (learner, created_at)"))
    metadata.create_all(conn, tables=[learners, reviews, mastery])


def _split_results(conn: Connection) -> None:
    """v4: move each session's results out of its state JSON into rows of `results`, one per result."""
    if "result_count" not in {c["name"] for c in inspect(conn).get_columns("sessions")}:
        conn.execute(text("ALTER TABLE sessions ADD COLUMN result_count INTEGER"))
    metadata.create_all(conn, tables=[results])
    ids = conn.execute(select(sessions.c.id).where(sessions.c.result_count.is_(None))).scalars().all()
    for i in range(0, len(ids), _MIGRATE_BATCH):
        batch = ids[i:i + _MIGRATE_BATCH]
        query = select(sessions.c.id, sessions.c.state).where(sessions.c.id.in_(batch))
        for sid, encoded in conn.execute(query).all():
            try:
                state = json.loads(encoded)
            except ValueError:
                continue  # not JSON: left as it is, and read as it is
            if not isinstance(state, dict) or not isinstance(state.get("results"), list):
                continue
            items = state["results"]
            state["results"] = []
            if items:
                conn.execute(results.insert(), [{"session_id": sid, "idx": n, "data": _dumps(item)}
                                                for n, item in enumerate(items)])
            conn.execute(sessions.update().where(sessions.c.id == sid)
                         .values(state=_dumps(state), result_count=len(items)))


# Sessions whose states a migration reads at a time.
_MIGRATE_BATCH = 200


def _dumps(value: object) -> str:
    # The store's JSON (rows.dumps, which imports this module): ASCII, compact.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


# Step N takes a database at version N-1 to version N. Add a step, never edit an old one.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _create_v1, 2: _add_share_keys, 3: _add_learners,
                                                 4: _split_results}


def current_version() -> int:
    """Return the schema version this code writes."""
    return max(MIGRATIONS)


def stored_version(conn: Connection) -> int:
    """Return the version a database holds: 0 for an empty one."""
    names = set(inspect(conn).get_table_names())
    if "schema_version" not in names:
        ours = names & {"sessions", "turns", "scorecards"}
        if ours:
            raise StoreError(
                f"the database already has {', '.join(sorted(ours))} table(s) that interviewer did not make "
                "(no schema_version table); point --db / INTERVIEWER_DB at another database")
        return 0
    row = conn.execute(select(schema_version.c.version).where(schema_version.c.id == 1)).first()
    return int(row.version) if row else 0


def migrate(conn: Connection, where: str) -> int:
    """Bring the schema up to `current_version()` inside the caller's transaction; return the old version."""
    target = current_version()
    found = stored_version(conn)
    if found > target:
        raise StoreError(
            f"the database {where} was written by a newer interviewer (schema version {found}; this one "
            f"knows up to {target}); upgrade interviewer, or point --db / INTERVIEWER_DB at another database")
    if found == target:
        return found
    metadata.create_all(conn, tables=[schema_version])
    for version in range(found + 1, target + 1):
        MIGRATIONS[version](conn)
    if found == 0:
        conn.execute(schema_version.insert().values(id=1, version=target))
    else:
        conn.execute(schema_version.update().where(schema_version.c.id == 1).values(version=target))
    return found
