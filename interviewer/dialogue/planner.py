"""Choosing the next question: on topic, at the level asked, never twice, a mix of kinds, and not the
same subject again in other words ("What is the bulkhead pattern?" after "Explain the bulkhead pattern")."""

from __future__ import annotations

import math
import random
from collections import Counter

from interviewer.dialogue.state import State
from interviewer.errors import InputError
from interviewer.records import DIFFICULTIES, Question
from interviewer.text import analyze


class Planner:
    """Pick questions from the bank for a session."""

    def __init__(self, bank, *, pool_size: int = 12, same_subject: float = 2 / 3, rare_share: float = 0.04):
        """`pool_size`: how many of the most relevant questions on a topic are in play for the kind mix.

        Two prompts are about one subject when they share `same_subject` of the shorter one's words
        (weighted by IDF over the bank's prompts), one of them a word at most `rare_share` of the
        prompts use ("bulkhead", not "microservices").
        """
        self.bank = bank
        self.pool_size = pool_size
        self.same_subject = same_subject
        self._subjects = {q.id: _subject(q) for q in bank}
        df = Counter(t for words in self._subjects.values() for t in words)
        n = max(1, len(self._subjects))
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._rare = frozenset(t for t, c in df.items() if c <= rare_share * n)
        # The bank questions on the same subject as a question, found once per question asked.
        self._similar: dict[str, frozenset[str]] = {}
        # The bank is fixed for the planner's life (as the subjects above): the bank's topics, the
        # questions filed under each and those a free-text topic finds, in order, are found once,
        # not on every turn (each turn then only leaves out the questions asked).
        self._topics: frozenset[str] | None = None
        self._filed: dict[str, tuple[Question, ...]] = {}
        self._found: dict[tuple[str | None, str | None], tuple[Question, ...]] = {}

    @staticmethod
    def rng_for(state: State) -> random.Random:
        """Return the random choices for the next question: one stream per seed and question number."""
        return random.Random(f"{state.config.seed}:{len(state.asked)}")

    def preview(self, state: State, count: int) -> list[tuple[Question, str | None]]:
        """Return the next `count` questions and their notices as `next_question` will choose them (no
        answer changes the choice; a retry or an addition can)."""
        plan: list[tuple[Question, str | None]] = []
        for _ in range(count):
            question, notice = self.next_question(state, self.rng_for(state))
            if question is None:
                break
            plan.append((question, notice))
            state = state.evolve(asked=state.asked + (question.id,))
        return plan

    def next_question(self, state: State, rng: random.Random) -> tuple[Question | None, str | None]:
        """Return the next question and, if the choice had to be relaxed, a notice saying how."""
        if state.plan:
            # A review round's questions were chosen up front (dialogue/review.py), in order.
            planned = next((qid for qid in state.plan if qid not in state.asked and _known(self.bank, qid)), None)
            return (self.bank.get(planned) if planned else None), None
        config = state.config
        topic = None if config.topic in (None, "surprise") else config.topic
        exclude = set(state.asked)
        tries = [(topic, config.difficulty, None)]
        if config.difficulty:
            tries.append((topic, None, f"I'm out of {config.difficulty} questions on {topic or 'this'}; "
                                       "here's one at another level."))
        if topic:
            tries.append((None, config.difficulty, f"I'm out of questions on {topic}; here's one from another area."))
            tries.append((None, None, f"I'm out of questions on {topic}; here's one from another area."))
        for t, level, notice in tries:
            filed = self._filed_under(t, level, exclude)
            if filed:
                # A topic of the bank's own: every question filed under it is on topic, so any may come.
                return self._mix(filed, state, rng, ranked=False), notice
            try:
                candidates = self._select(t, level, exclude)
            except InputError:
                candidates = []
            if candidates:
                return self._mix(candidates, state, rng, ranked=t is not None), notice
        return None, None

    def _filed_under(self, topic: str | None, level: str | None, exclude: set[str]) -> list[Question]:
        """Return the questions the bank files under `topic`, when it is one of the bank's topics."""
        if topic is None:
            return []
        if self._topics is None:
            filed: dict[str, list[Question]] = {}
            for q in self.bank:
                filed.setdefault(q.topic, []).append(q)
            self._filed = {t: tuple(qs) for t, qs in filed.items()}
            self._topics = frozenset(self.bank.topics())
        if topic not in self._topics:
            return []
        if level is not None and level not in DIFFICULTIES:
            self.bank.select(difficulty=level)  # refused as the bank refuses it
        return [q for q in self._filed[topic] if (level is None or q.difficulty == level) and q.id not in exclude]

    def _select(self, topic: str | None, level: str | None, exclude: set[str]) -> list[Question]:
        """Return `bank.select(topic=topic, difficulty=level, exclude=exclude)`, the search done once per topic."""
        found = self._found.get((topic, level))
        if found is None:
            found = tuple(self.bank.select(topic=topic, difficulty=level))
            if len(self._found) < 1024:  # topics are free text: keep a bounded number
                self._found[(topic, level)] = found
        return [q for q in found if q.id not in exclude]

    def _mix(self, candidates: list[Question], state: State, rng: random.Random, ranked: bool) -> Question:
        """Prefer the kind asked least so far; on free-text topics one of the three most relevant such questions."""
        pool = candidates[: self.pool_size] if ranked else candidates
        asked = [self.bank.get(qid) for qid in state.asked if _known(self.bank, qid)]
        taken = frozenset().union(*(self._same_subject(q) for q in asked))
        fresh = [q for q in pool if q.id not in taken]
        pool = fresh or pool  # when every one left repeats a subject, a repeat beats no question
        used = Counter(q.kind for q in asked)
        least = min(used[q.kind] for q in pool)
        pool = [q for q in pool if used[q.kind] == least]
        return rng.choice(pool[:3] if ranked else pool)

    def _same_subject(self, q: Question) -> frozenset[str]:
        """Return the ids of the bank questions on the same subject as `q` (computed once per question:
        each turn then costs a few set operations, not every candidate against every question asked)."""
        found = self._similar.get(q.id)
        if found is None:
            subject = self._subject_of(q)
            found = frozenset(qid for qid, other in self._subjects.items() if self._same(other, subject))
            self._similar[q.id] = found
        return found

    def _subject_of(self, q: Question) -> frozenset[str]:
        found = self._subjects.get(q.id)
        return found if found is not None else _subject(q)

    def _same(self, a: frozenset[str], b: frozenset[str]) -> bool:
        shared = a & b
        if not shared & self._rare:
            return False
        return self._weight(shared) >= self.same_subject * min(self._weight(a), self._weight(b))

    def _weight(self, words: frozenset[str]) -> float:
        return sum(self._idf.get(t, 0.0) for t in words)


# Words prompts of every subject use ("Explain the saga pattern", "in distributed systems").
_PROMPT_WORDS = frozenset(analyze("explain describe discuss pattern work use design would handle implement approach "
                                   "strategy distributed systems architecture multi"))


def _subject(q: Question) -> frozenset[str]:
    """Return the words of a prompt that say what it is about."""
    return frozenset(analyze(q.prompt)) - _PROMPT_WORDS


def _known(bank, question_id: str) -> bool:
    try:
        bank.get(question_id)
        return True
    except InputError:
        return False
