"""Mastery per concept with FSRS (the `fsrs` package): one card per learner and concept id.

A card is advanced by one review at a time (`advance`); the store keeps the card and the whole log,
and `replay` rebuilds every card from the log alone — the two agree, which the tests check.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, Iterable

from fsrs import Card, Rating, ReviewLog, Scheduler
from fsrs import State as CardState

from interviewer.practice.rules import RATING_NAMES, practice_rules

STATE_NAMES = {CardState.Learning: "learning", CardState.Review: "review", CardState.Relearning: "relearning"}


@dataclass(frozen=True)
class Mastery:
    """Where a learner stands on one concept: its FSRS card and the counts the progress page shows."""

    concept_id: str
    state: str  # learning | review | relearning
    due: datetime
    stability: float
    difficulty: float
    reviews: int
    lapses: int
    last_rating: int  # 1 again … 4 easy
    last_review: datetime
    card: dict[str, Any]  # the fsrs Card's own dict, so a later fsrs reads it back whole

    @property
    def last_grade(self) -> str:
        return RATING_NAMES.get(self.last_rating, "none")

    def interval_days(self) -> float:
        """Return the days from the last review to the due date."""
        return (self.due - self.last_review).total_seconds() / 86400

    def to_row(self) -> dict[str, Any]:
        """Return the store's columns for this card."""
        return {"concept_id": self.concept_id, "state": self.state, "due": self.due, "stability": self.stability,
                "difficulty": self.difficulty, "reviews": self.reviews, "lapses": self.lapses,
                "last_rating": self.last_rating, "last_review": self.last_review, "card": self.card}

    @classmethod
    def from_row(cls, row: Any) -> Mastery:
        get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
        return cls(get("concept_id"), get("state"), _utc(get("due")), float(get("stability")),
                   float(get("difficulty")), int(get("reviews")), int(get("lapses")), int(get("last_rating")),
                   _utc(get("last_review")), dict(get("card")))


@dataclass(frozen=True)
class LoggedReview:
    """One line of a learner's review log: which concept, the rating, when."""

    concept_id: str
    rating: int
    reviewed_at: datetime


@lru_cache(maxsize=1)
def scheduler() -> Scheduler:
    """Return the FSRS scheduler the practice table configures."""
    s = practice_rules().scheduler
    return Scheduler(
        desired_retention=float(s.get("desired_retention", 0.9)),
        learning_steps=tuple(timedelta(minutes=m) for m in s.get("learning_steps_minutes", ())),
        relearning_steps=tuple(timedelta(minutes=m) for m in s.get("relearning_steps_minutes", ())),
        maximum_interval=int(s.get("maximum_interval_days", 365)),
        enable_fuzzing=bool(s.get("enable_fuzzing", False)),
    )


def card_id(concept_id: str) -> int:
    """Return the fsrs card id of a concept: the same number for the same id, everywhere."""
    return zlib.crc32(concept_id.encode("utf-8"))


def advance(previous: Mastery | None, concept_id: str, rating: int, at: datetime) -> Mastery:
    """Return a concept's mastery after one more review, rated 1 (again) … 4 (easy), at `at` (UTC)."""
    at = _utc(at)
    card = Card.from_dict(previous.card) if previous else Card(card_id=card_id(concept_id), due=at)
    reviewed, _ = scheduler().review_card(card, Rating(rating), at)
    floor = at + timedelta(days=float(practice_rules().scheduler.get("min_days_after_recall", 0)))
    if rating >= Rating.Good and reviewed.due < floor:
        reviewed.due = floor  # explained: not back the next day (data/practice.toml)
    lapse = previous is not None and rating == Rating.Again
    return Mastery(concept_id, STATE_NAMES[reviewed.state], reviewed.due, float(reviewed.stability),
                   float(reviewed.difficulty), (previous.reviews if previous else 0) + 1,
                   (previous.lapses if previous else 0) + int(lapse), rating, at, dict(reviewed.to_dict()))


def replay(log: Iterable[LoggedReview]) -> dict[str, Mastery]:
    """Rebuild every concept's mastery from a review log (in the order given, oldest first)."""
    out: dict[str, Mastery] = {}
    for r in log:
        out[r.concept_id] = advance(out.get(r.concept_id), r.concept_id, r.rating, r.reviewed_at)
    return out


def rescheduled(concept_id: str, log: Iterable[LoggedReview]) -> Card:
    """Return a concept's card as fsrs itself reschedules it from the log (`Scheduler.reschedule_card`): the
    same memory state (stability, difficulty) as `replay`; the due date without our floor after a recall."""
    entries = [r for r in log if r.concept_id == concept_id]
    cid = card_id(concept_id)
    logs = [ReviewLog(cid, Rating(r.rating), _utc(r.reviewed_at), None) for r in entries]
    return scheduler().reschedule_card(Card(card_id=cid, due=_utc(entries[0].reviewed_at)), logs)


def due_by(now: datetime) -> datetime:
    """Return the end of `now`'s day (UTC): a concept due before it is due today, so a review at 8:00 finds
    what yesterday's 9:00 answer scheduled for "tomorrow" (FSRS counts whole days)."""
    now = _utc(now)
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), timezone.utc)


def is_due(m: Mastery, now: datetime) -> bool:
    """Tell whether a concept is due for review on `now`'s day."""
    return m.due < due_by(now)


def retrievability(m: Mastery, at: datetime) -> float:
    """Return the chance the learner recalls the concept at `at` (FSRS's forgetting curve)."""
    return float(scheduler().get_card_retrievability(Card.from_dict(m.card), _utc(at)))


def _utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


__all__ = ["LoggedReview", "Mastery", "advance", "card_id", "replay", "rescheduled", "retrievability", "scheduler"]
