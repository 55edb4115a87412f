"""What one turn of an interview taught the scheduler: a review per concept of every answer graded in it.

`reviews_between(before, after, bank)` compares the engine's state before and after a message: each
new attempt rates every concept of its question, and a follow-up graded in the turn rates the concept
it asked about. Pure: the edge (the chat hub, the terminal) stamps the time and saves them with the turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from interviewer.dialogue.state import Attempt, Result, State
from interviewer.errors import InputError
from interviewer.grading import is_option_label
from interviewer.practice.rules import Outcome, PracticeRules, practice_rules, revealed_kinds
from interviewer.records import Scorecard


@dataclass(frozen=True)
class ConceptReview:
    """One concept's review from one graded answer: its rating (1..4) and the rules that chose it."""

    concept_id: str
    label: str
    rating: int
    rule: str
    question_id: str
    source: str  # "answer" or "follow_up"
    cap: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"concept_id": self.concept_id, "label": self.label, "rating": self.rating, "rule": self.rule,
                "cap": self.cap, "question_id": self.question_id, "source": self.source}


def reviews_between(before: State, after: State, bank, rules: PracticeRules | None = None) -> list[ConceptReview]:
    """Return the reviews of the answers and follow-ups graded between two states of one interview."""
    rules = rules or practice_rules()
    if after.started_at != before.started_at or after.turn < before.turn:
        return []  # "new": another interview began; the summary of the old one grades nothing new
    out: list[ConceptReview] = []
    for result in after.results:
        old = before.result_for(result.question_id)
        done = len(old.attempts) if old else 0
        for n, attempt in enumerate(result.attempts[done:], start=done + 1):
            previous = result.attempts[n - 2] if n > 1 else None
            out += _answer_reviews(result, attempt, n, previous, _revealed(before), bank, rules)
        fu = result.follow_up
        graded_before = old is not None and old.follow_up is not None and old.follow_up.scorecard is not None
        if fu is not None and fu.scorecard is not None and fu.concept_id and not graded_before:
            out += _follow_up_review(result, _revealed(before), rules)
    return out


def _answer_reviews(result: Result, attempt: Attempt, n: int, previous: Attempt | None, revealed: tuple[str, ...],
                    bank, rules: PracticeRules) -> list[ConceptReview]:
    try:
        q = bank.get(result.question_id)
    except InputError:
        return []
    card = attempt.scorecard
    conceded = _conceded(card)
    out = []
    for concept in q.concepts:
        if not concept.id or is_option_label(concept.label):
            continue
        covered, explained = _status(card, concept.id, concept.label)
        before = _named_status(previous.scorecard, concept.id, concept.label) if previous else None
        outcome = Outcome(covered, explained, conceded, attempt=n, hints=attempt.hints, before=before,
                          revealed=revealed_kinds(revealed, concept.id))
        decision = rules.rate(outcome)
        if decision.rating:
            out.append(ConceptReview(concept.id, concept.label, decision.rating, decision.rule, q.id, "answer",
                                     decision.cap))
    return out


def _follow_up_review(result: Result, revealed: tuple[str, ...], rules: PracticeRules) -> list[ConceptReview]:
    fu = result.follow_up
    covered, explained = _status(fu.scorecard, fu.concept_id, fu.concept)
    # The probe named the concept: recalling its name earns nothing, so it is never a first-try Easy.
    outcome = Outcome(covered, explained, _conceded(fu.scorecard), attempt=1, hints=1,
                      revealed=revealed_kinds(revealed, fu.concept_id))
    decision = rules.rate(outcome)
    if not decision.rating:
        return []
    return [ConceptReview(fu.concept_id, fu.concept, decision.rating, decision.rule, result.question_id,
                          "follow_up", decision.cap)]


def _revealed(state: State) -> tuple[str, ...]:
    """Return the help taken on the open question, and the due concepts a review round's greeting named."""
    return state.revealed + tuple(f"{cid}@review" for cid in state.focus)


def _conceded(card: Scorecard) -> bool:
    return any(f.name == "conceded" for f in card.flags)


def _status(card: Scorecard, concept_id: str, label: str) -> tuple[bool, bool]:
    """Return whether a scorecard covered a concept, and whether it explained it."""
    for m in card.matched:
        if (m.concept_id and m.concept_id == concept_id) or m.concept == label:
            return True, m.explained
    return False, False


def _named_status(card: Scorecard, concept_id: str, label: str) -> str:
    covered, explained = _status(card, concept_id, label)
    return "explained" if explained else "named" if covered else "missed"
