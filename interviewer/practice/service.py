"""The practice loop at the edge: what the chat hub and the terminal call around the engine.

- `Practice.turn(store, learner, before, after, replies, now)`: the reviews a turn gave (a
  `PracticeWrite` to save with the turn) and the replies, the summary ending with what comes back when;
- `Practice.review_plan(store, learner, now, seed)`: the plan of a review round for
  `Interviewer.start(config, review=plan)`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from interviewer.dialogue.replies import Reply
from interviewer.dialogue.review import DueConcept, ReviewPlan, plan_review
from interviewer.dialogue.state import State
from interviewer.dialogue.summary import ComingBack, with_coming_back
from interviewer.errors import InputError
from interviewer.practice.reviews import ConceptReview, reviews_between
from interviewer.practice.rules import PracticeRules, practice_rules
from interviewer.practice.schedule import Mastery, advance, is_due
from interviewer.store import PracticeWrite, ReviewIn


def advance_row(previous: dict[str, Any] | None, concept_id: str, rating: int, at: datetime) -> dict[str, Any]:
    """The store's scheduler step: a card row advanced by one review (see Store.record_turn)."""
    return advance(Mastery.from_row(previous) if previous else None, concept_id, rating, at).to_row()


def cards_of(rows: Iterable[dict[str, Any]]) -> dict[str, Mastery]:
    """Return the store's card rows as Mastery records by concept id."""
    return {r["concept_id"]: Mastery.from_row(r) for r in rows}


@dataclass
class Practice:
    """Reviews and review rounds over a bank and its concept inventory."""

    bank: Any
    inventory: Any = None
    rules: PracticeRules = field(default_factory=practice_rules)

    def label(self, concept_id: str) -> str:
        """Return a concept's label: the inventory's, else the id."""
        found = self.inventory.get(concept_id) if self.inventory is not None else None
        return found.label if found else concept_id.replace("-", " ")

    def reviews(self, before: State, after: State) -> list[ConceptReview]:
        """Return the reviews of the answers and follow-ups graded between two states."""
        return reviews_between(before, after, self.bank, self.rules)

    def write(self, learner: str, reviews: list[ConceptReview], at: datetime) -> PracticeWrite | None:
        """Return what to save with the turn for these reviews (None when there are none)."""
        if not reviews:
            return None
        return PracticeWrite(learner, [ReviewIn(r.concept_id, r.rating, r.rule, r.question_id, r.source, r.cap)
                                       for r in reviews], at, advance_row)

    def turn(self, store: Any, learner: str | None, before: State, after: State, replies: list[Reply],
             now: datetime) -> tuple[list[Reply], PracticeWrite | None]:
        """Return a turn's replies (a summary ends with what comes back when) and its reviews to save."""
        if learner is None or store is None:
            return replies, None
        reviews = self.reviews(before, after)
        if any(r.kind == "summary" for r in replies):
            coming = self.coming_back(store, learner, after, reviews, now)
            replies = [with_coming_back(r, coming, now) if r.kind == "summary" else r for r in replies]
        return replies, self.write(learner, reviews, now)

    def coming_back(self, store: Any, learner: str, state: State, reviews: list[ConceptReview],
                    now: datetime) -> list[ComingBack]:
        """Return when each concept of the interview comes back, with this turn's reviews applied."""
        ids = {c.id for r in state.results for c in self._concepts(r.question_id) if c.id}
        cards = cards_of(store.mastery(learner, ids))
        for r in reviews:
            cards[r.concept_id] = advance(cards.get(r.concept_id), r.concept_id, r.rating, now)
        return sorted((ComingBack(cid, self.label(cid), m.due, m.last_rating) for cid, m in cards.items()),
                      key=lambda c: (c.due, c.label))

    def due(self, cards: Iterable[Mastery], now: datetime) -> list[DueConcept]:
        """Return the concepts due at `now`, most overdue first."""
        return sorted((self._due(m) for m in cards if is_due(m, now)), key=lambda d: (d.due, d.concept_id))

    def review_plan(self, store: Any, learner: str | None, now: datetime, seed: int = 0,
                    limit: int | None = None) -> ReviewPlan | None:
        """Plan a review round for a learner: the most overdue concepts; when none is due, those due soonest."""
        if learner is None or store is None:
            return None
        cards = list(cards_of(store.mastery(learner)).values())
        limit = limit or int(self.rules.review.get("max_questions", 5))
        due = self.due(cards, now)
        if due:
            return plan_review(due, self.bank, now, limit=limit, seed=seed)
        window = now + timedelta(days=float(self.rules.review.get("ahead_days", 7)))
        soon = [self._due(m) for m in cards if m.due <= window]
        if not soon:
            return None
        # Nothing is due: the soonest are taken as if due now, and the greeting says so.
        return plan_review(soon, self.bank, now, limit=limit, seed=seed, ahead=True, due_now=0)

    def _due(self, m: Mastery) -> DueConcept:
        return DueConcept(m.concept_id, self.label(m.concept_id), m.due, m.last_review, m.last_rating)

    def _concepts(self, question_id: str):
        try:
            return self.bank.get(question_id).concepts
        except InputError:
            return ()


def parse_now(text: str) -> datetime:
    """Read a `--now` time (ISO 8601; a time without a zone is UTC); raise InputError when it is not one."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--now {text!r} is not an ISO time (e.g. 2025-03-01 or 2025-03-01T09:30:00Z)") from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def offset_clock(start: datetime | None) -> Callable[[], float]:
    """Return a clock (seconds) that reads `start` now and runs on from there (for tests and demos); None: the real one."""
    if start is None:
        return time.time
    offset = start.timestamp() - time.time()
    return lambda: time.time() + offset


def moment(clock: Callable[[], float]) -> datetime:
    """Return a clock's time as a UTC datetime."""
    return datetime.fromtimestamp(clock(), timezone.utc)
