"""Learners, their review log and their mastery per concept (schema version 3).

The review log is written in the same transaction as the turn whose answer it rates (see
`Store.record_turn(..., practice=)`), so a turn saved once is reviewed once, and a turn refused as
stale (another process answered first) reviews nothing. The mastery table is what the log leaves:
the scheduler's `advance` is applied inside the transaction, one learner at a time.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Iterable, Sequence

from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Connection

from interviewer.errors import InputError
from interviewer.store.rows import clean, dumps, now, plausible_token, session_records
from interviewer.store.schema import digest, learners, mastery, reviews, sessions

# Advance one concept's card by one review: (previous card row or None, concept id, rating, when) → card row.
Advance = Callable[[dict[str, Any] | None, str, int, datetime], dict[str, Any]]

MAX_LEARNER_NAME = 200
# PostgreSQL advisory locks of practice writes: one per learner (hashtext of its id) under this class.
_LEARNER_LOCK = 7_300_452


@dataclass(frozen=True)
class Learner:
    """Whose progress it is: a terminal learner has a name, a browser's learner a key (its cookie)."""

    id: str
    name: str | None
    created_at: datetime


@dataclass(frozen=True)
class ReviewIn:
    """One concept's review to save: what rated it and how (see interviewer/practice/reviews.py)."""

    concept_id: str
    rating: int
    rule: str
    question_id: str | None = None
    source: str | None = None
    cap: str | None = None


@dataclass(frozen=True)
class PracticeWrite:
    """The reviews a turn gives a learner, when they were given, and the scheduler step to apply."""

    learner: str
    reviews: Sequence[ReviewIn]
    at: datetime
    advance: Advance


@dataclass(frozen=True)
class ReviewEntry:
    """One line of a learner's review log, as stored."""

    id: int
    concept_id: str
    rating: int
    rule: str
    cap: str | None
    question_id: str | None
    source: str | None
    session_id: str | None
    seq: int | None
    reviewed_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"concept_id": self.concept_id, "rating": self.rating, "rule": self.rule, "cap": self.cap,
                "question_id": self.question_id, "source": self.source, "session_id": self.session_id,
                "reviewed_at": self.reviewed_at.isoformat()}


class LearnerStore:
    """The learner side of the Store (mixed into it; uses its `_read` and `_write`)."""

    def learner(self, name: str | None = None, *, key: str | None = None, create: bool = True) -> Learner | None:
        """Return the learner with this name (the terminal) or this key (a browser's cookie), made if missing."""
        if (name is None) == (key is None):
            raise ValueError("name a learner by name or by key, not both")
        if name is not None:
            name = " ".join(clean(name).split())
            if not name or len(name) > MAX_LEARNER_NAME:
                raise InputError(f"a learner's name has 1 to {MAX_LEARNER_NAME} characters")
            where = learners.c.name == name
        else:
            if not plausible_token(key):
                return None
            where = learners.c.key_hash == digest(key)
        found = self._read(lambda c: c.execute(learners.select().where(where)).first())
        if found is not None or not create:
            return Learner(found.id, found.name, found.created_at) if found else None
        record = Learner(secrets.token_urlsafe(15), name, now())

        def work(conn: Connection) -> Learner:
            again = conn.execute(learners.select().where(where)).first()  # made meanwhile by another request
            if again is not None:
                return Learner(again.id, again.name, again.created_at)
            conn.execute(learners.insert().values(id=record.id, name=name, key_hash=digest(key) if key else None,
                                                  created_at=record.created_at))
            return record

        return self._write(work)

    def mastery(self, learner_id: str, concept_ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Return a learner's card rows (all, or those of some concepts), the card's JSON parsed."""
        query = mastery.select().where(mastery.c.learner == learner_id)
        if concept_ids is not None:
            ids = sorted(set(concept_ids))
            if not ids:
                return []
            query = query.where(mastery.c.concept_id.in_(ids))
        rows = self._read(lambda c: c.execute(query.order_by(mastery.c.due, mastery.c.concept_id)).all())
        return [_mastery_row(r) for r in rows]

    def review_log(self, learner_id: str) -> list[ReviewEntry]:
        """Return a learner's whole review log, oldest first."""
        query = reviews.select().where(reviews.c.learner == learner_id).order_by(reviews.c.id)
        return [ReviewEntry(r.id, r.concept_id, r.rating, r.rule, r.cap, r.question_id, r.source, r.session_id,
                            r.seq, r.reviewed_at) for r in self._read(lambda c: c.execute(query).all())]

    def learner_sessions(self, learner_id: str, limit: int = 200) -> list[Any]:
        """Return a learner's sessions, newest first."""
        query = (sessions.select().where(sessions.c.learner == learner_id)
                 .order_by(sessions.c.created_at.desc(), sessions.c.id.desc()).limit(limit))
        return self._read(lambda c: session_records(c, c.execute(query).all()))

    def adopt_sessions(self, learner_id: str, keys: Iterable[tuple[str, str]]) -> int:
        """Make the sessions whose (id, share key or token) pairs are given this learner's; return how many."""
        adopted = 0
        for session_id, key in keys:
            record = self.readable(session_id, key)
            if record is None:
                continue
            self._write(lambda c, sid=session_id: c.execute(
                sessions.update().where(sessions.c.id == sid).values(learner=learner_id)))
            adopted += 1
        return adopted

    def import_reviews(self, learner_id: str, entries: Sequence[ReviewIn | Any], times: Sequence[datetime],
                       advance: Advance) -> int:
        """Merge reviews from elsewhere (an export) into a learner's log, skipping ones it already holds, and
        rebuild the learner's cards from the merged log in time order; return how many were new."""

        def work(conn: Connection) -> int:
            self._lock_learner(conn, learner_id)
            held = conn.execute(select(reviews).where(reviews.c.learner == learner_id).order_by(reviews.c.id)).all()
            seen = {(r.concept_id, r.rating, r.reviewed_at) for r in held}
            fresh = []
            for entry, at in zip(entries, times):
                if (entry.concept_id, entry.rating, at) in seen:
                    continue
                seen.add((entry.concept_id, entry.rating, at))
                fresh.append({"learner": learner_id, "concept_id": entry.concept_id, "rating": entry.rating,
                              "rule": entry.rule, "cap": entry.cap, "question_id": entry.question_id,
                              "source": entry.source, "session_id": None, "seq": None, "reviewed_at": at})
            if not fresh:
                return 0
            conn.execute(reviews.insert(), fresh)
            log = sorted([{"concept_id": r.concept_id, "rating": r.rating, "reviewed_at": r.reviewed_at}
                          for r in held] + fresh, key=lambda r: r["reviewed_at"])
            cards: dict[str, dict[str, Any]] = {}
            for r in log:
                cards[r["concept_id"]] = advance(cards.get(r["concept_id"]), r["concept_id"], r["rating"],
                                                 r["reviewed_at"])
            conn.execute(mastery.delete().where(mastery.c.learner == learner_id))
            conn.execute(mastery.insert(), [_mastery_values(learner_id, row) for row in cards.values()])
            return len(fresh)

        return self._write(work)

    # ------------------------------------------------------------------ inside a turn's transaction

    def _save_practice(self, conn: Connection, session_id: str, seq: int | None, practice: PracticeWrite) -> None:
        """Append a turn's reviews to the log and advance the learner's cards (inside the turn's transaction)."""
        if not practice.reviews:
            return
        self._lock_learner(conn, practice.learner)
        ids = sorted({r.concept_id for r in practice.reviews})
        held = {r.concept_id: _mastery_row(r) for r in conn.execute(
            _HELD_CARDS, {"b_learner": practice.learner, "b_ids": ids}).all()}
        cards = dict(held)
        for r in practice.reviews:
            cards[r.concept_id] = practice.advance(cards.get(r.concept_id), r.concept_id, r.rating, practice.at)
        conn.execute(_INSERT_REVIEWS, [
            {"learner": practice.learner, "concept_id": r.concept_id, "rating": r.rating, "rule": r.rule,
             "cap": r.cap, "question_id": r.question_id, "source": r.source, "session_id": session_id,
             "seq": seq, "reviewed_at": practice.at} for r in practice.reviews])
        changed = [_mastery_values(practice.learner, row) for cid, row in cards.items() if cid in held]
        fresh = [_mastery_values(practice.learner, row) for cid, row in cards.items() if cid not in held]
        if changed:
            conn.execute(_UPDATE_CARDS, [{f"b_{k}": v for k, v in row.items()} for row in changed])
        if fresh:
            conn.execute(_INSERT_CARDS, fresh)

    @staticmethod
    def _lock_learner(conn: Connection, learner_id: str) -> None:
        # SQLite writers are one at a time already (BEGIN IMMEDIATE); PostgreSQL's take the learner's lock,
        # so two sessions of one learner never advance a card from the same old row.
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:cls, hashtext(:id))"),
                         {"cls": _LEARNER_LOCK, "id": learner_id})


# Built once: every graded turn runs them (building a statement cost more than running it).
_HELD_CARDS = mastery.select().where(mastery.c.learner == bindparam("b_learner"),
                                     mastery.c.concept_id.in_(bindparam("b_ids", expanding=True)))
_INSERT_REVIEWS, _INSERT_CARDS = reviews.insert(), mastery.insert()
_CARD_COLUMNS = ("state", "due", "stability", "difficulty", "reviews", "lapses", "last_rating", "last_review", "card")
_UPDATE_CARDS = (mastery.update()
                 .where(mastery.c.learner == bindparam("b_learner"), mastery.c.concept_id == bindparam("b_concept_id"))
                 .values({c: bindparam(f"b_{c}", type_=mastery.c[c].type) for c in _CARD_COLUMNS}))


def _mastery_row(r: Any) -> dict[str, Any]:
    return {"concept_id": r.concept_id, "state": r.state, "due": r.due, "stability": r.stability,
            "difficulty": r.difficulty, "reviews": r.reviews, "lapses": r.lapses, "last_rating": r.last_rating,
            "last_review": r.last_review, "card": json.loads(r.card)}


def _mastery_values(learner_id: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"learner": learner_id, "concept_id": row["concept_id"], "state": row["state"], "due": row["due"],
            "stability": row["stability"], "difficulty": row["difficulty"], "reviews": row["reviews"],
            "lapses": row["lapses"], "last_rating": row["last_rating"], "last_review": row["last_review"],
            "card": dumps(row["card"])}
