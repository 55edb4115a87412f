"""A review round: questions chosen to cover the learner's most overdue concepts, mixing topics, and a
greeting that says how many concepts are due and why each question was chosen.

Pure: the edge turns the learner's cards into `DueConcept`s (interviewer/practice) and hands the plan
to `Interviewer.start(config, review=plan)`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from interviewer.dialogue.replies import Reply, clip, count
from interviewer.records import Question

# How much a question's due concepts count against picking its topic again: mixing topics wins a tie.
SAME_TOPIC = 0.5


@dataclass(frozen=True)
class DueConcept:
    """A concept the learner should review: when it fell due, how it went last time, when that was."""

    concept_id: str
    label: str
    due: datetime
    last_review: datetime
    last_rating: int  # 1 again … 4 easy

    def overdue_days(self, now: datetime) -> float:
        return (now - self.due).total_seconds() / 86400

    def why(self, now: datetime) -> str:
        """Say why the concept is back: how it went, and how long ago ("you missed “quorum” 3 days ago")."""
        ago = _ago(now, self.last_review)
        if self.last_rating <= 1:
            return f"you missed “{self.label}” {ago}"
        if self.last_rating == 2:
            return f"you only named “{self.label}” {ago}"
        return f"“{self.label}” is due: you explained it {ago}"


@dataclass(frozen=True)
class Pick:
    """One planned question, the due concepts it covers (most overdue first) and why it was chosen."""

    question_id: str
    concepts: tuple[str, ...]
    reason: str
    topic: str = ""


@dataclass(frozen=True)
class ReviewPlan:
    """The questions of a review round and what the greeting says about them."""

    picks: tuple[Pick, ...]
    due: int  # concepts due now
    ahead: bool = False  # nothing was due: the round takes the concepts due soonest

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(p.question_id for p in self.picks)

    @property
    def focus(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for p in self.picks for c in p.concepts))


def plan_review(due: Iterable[DueConcept], bank: Iterable[Question], now: datetime, *, limit: int = 5,
                seed: int = 0, ahead: bool = False, due_now: int | None = None) -> ReviewPlan:
    """Choose up to `limit` questions for the most overdue concepts: each pick covers the most overdue concept
    not yet covered, in the question that covers the most other due concepts, preferring a topic not yet
    asked; ties go to an injected random choice."""
    due = sorted(due, key=lambda d: (-d.overdue_days(now), d.concept_id))
    by_id = {d.concept_id: d for d in due}
    rank = {d.concept_id: i for i, d in enumerate(due)}
    questions = [q for q in bank if any(c.id in by_id for c in q.concepts)]
    rng = random.Random(f"review:{seed}")
    picks: list[Pick] = []
    covered: set[str] = set()
    topics: list[str] = []
    for d in due:
        if len(picks) >= limit:
            break
        if d.concept_id in covered:
            continue
        options = [q for q in questions if q.id not in {p.question_id for p in picks}
                   and any(c.id == d.concept_id for c in q.concepts)]
        if not options:
            continue
        scores = {q.id: _score(q, by_id, rank, covered, topics) for q in options}
        best = max(scores.values())
        q = rng.choice(sorted((q for q in options if scores[q.id] == best), key=lambda q: q.id))
        mine = sorted({c.id for c in q.concepts if c.id in by_id and c.id not in covered}, key=rank.__getitem__)
        covered |= set(mine)
        topics.append(q.topic)
        others = [by_id[c].label for c in mine if c != d.concept_id]
        reason = d.why(now) + (f" (also: {', '.join(f'“{o}”' for o in others[:3])})" if others else "")
        picks.append(Pick(q.id, tuple(mine), reason, q.topic))
    return ReviewPlan(tuple(picks), len(due) if due_now is None else due_now, ahead)


def _score(q: Question, due: dict[str, DueConcept], rank: dict[str, int], covered: set[str], topics: list[str]) -> float:
    # Every uncovered due concept in the question counts, the more overdue the more, weighted by how
    # central the concept is to the question (its weight: the main idea 1.0, a side mention less).
    gain = sum(c.weight / (1 + rank[c.id] / 10) for c in q.concepts if c.id in due and c.id not in covered)
    return round(gain - SAME_TOPIC * topics.count(q.topic), 6)


def review_greeting(plan: ReviewPlan) -> Reply:
    """Say how many concepts are due, which questions come and why each was chosen."""
    n = len(plan.picks)
    if plan.ahead:
        lead = (f"Nothing is due for review yet — so here {'is' if n == 1 else 'are'} {count(n, 'question')} on the "
                "concepts that come back soonest:")
    else:
        mixed = ", mixing topics" if len({p.topic for p in plan.picks}) > 1 else ""
        lead = (f"Review: {count(plan.due, 'concept')} {'is' if plan.due == 1 else 'are'} due. "
                f"I'll ask {count(n, 'question')}{mixed}:")
    lines = [lead] + [f"  {i}. {clip(p.reason, 160)}" for i, p in enumerate(plan.picks, 1)]
    lines.append("Answer as you would out loud; say /help for commands.")
    data: dict[str, Any] = {"review": {"due": plan.due, "ahead": plan.ahead, "questions": [
        {"question_id": p.question_id, "concepts": list(p.concepts), "reason": p.reason} for p in plan.picks]}}
    return Reply("greeting", "\n".join(lines), data)


NOTHING_TO_REVIEW = ("There's nothing to review yet: reviews come from graded answers. Here's an interview "
                     "instead — what you miss comes back in review.")


def _ago(now: datetime, then: datetime) -> str:
    days = (now - then).total_seconds() / 86400
    if days < 0.5:
        return "earlier today"
    if days < 1.5:
        return "yesterday"
    if days < 14:
        return f"{round(days)} days ago"
    if days < 60:
        return f"{round(days / 7)} weeks ago"
    return f"{round(days / 30)} months ago"
