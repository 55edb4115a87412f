"""The interview state: plain frozen records that round-trip through JSON, so a session can be
saved with every turn and resumed in another process. Scorecards stay typed records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from interviewer.records import Scorecard

# wrapup: the last answer fell far short; "Anything to add before we wrap up?" waits for a reply.
PHASES = ("setup", "asking", "answering", "clarify", "followup", "wrapup", "ended")
MODES = ("practice", "mock")
# The kind of round (Socket.IO `start` {mode}): bank questions; review of due concepts; an open design prompt.
ROUNDS = ("interview", "review", "design")
ANSWER_MODES = ("auto", "lines")
LEVELS = ("easy", "medium", "hard")

DEFAULT_COUNT = 5
MAX_COUNT = 20


@dataclass(frozen=True)
class Config:
    """How the candidate wants the interview: topic, level, length and mode."""

    topic: str | None = None  # None: ask during set-up; "surprise": any topic
    difficulty: str | None = None  # None: a mix of levels
    count: int = DEFAULT_COUNT
    mode: str = "practice"  # practice: feedback after each answer; mock: all feedback at the end
    answer_mode: str = "auto"  # auto: a full message is an answer; lines: collect until an empty line
    seed: int = 0
    round: str = "interview"  # one of ROUNDS


@dataclass(frozen=True)
class Attempt:
    """One graded answer to a question."""

    answer: str
    scorecard: Scorecard
    hints: int = 0
    seconds: float | None = None
    rubric: dict[str, Any] | None = None  # the design rubric of an open, scenario or design answer (its JSON)

    def to_dict(self) -> dict[str, Any]:
        return {"answer": self.answer, "scorecard": self.scorecard.to_dict(), "hints": self.hints,
                "seconds": self.seconds, "rubric": self.rubric}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Attempt:
        return cls(data["answer"], Scorecard.from_dict(data["scorecard"]), int(data.get("hints", 0)), data.get("seconds"),
                   data.get("rubric"))


@dataclass(frozen=True)
class FollowUp:
    """The follow-up probe on a missed concept, and the candidate's answer to it."""

    prompt: str
    concept: str
    reference: str
    share: float  # the concept's share of the question's total concept weight
    answer: str | None = None
    scorecard: Scorecard | None = None
    concept_id: str = ""

    @property
    def covered(self) -> bool:
        """Tell whether the answer to the follow-up covered the concept it asked about."""
        return self.scorecard is not None and any(m.concept == self.concept for m in self.scorecard.matched)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(replace(self, scorecard=None))
        data["scorecard"] = self.scorecard.to_dict() if self.scorecard is not None else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FollowUp:
        card = data.get("scorecard")
        return cls(data["prompt"], data["concept"], data.get("reference", ""), float(data.get("share", 0.0)),
                   data.get("answer"), Scorecard.from_dict(card) if card else None, data.get("concept_id", ""))


@dataclass(frozen=True)
class Result:
    """Everything about one asked question: attempts, follow-up, whether it was skipped."""

    question_id: str
    number: int
    attempts: tuple[Attempt, ...] = ()
    follow_up: FollowUp | None = None
    skipped: bool = False
    hints: int = 0

    @property
    def answered(self) -> bool:
        return bool(self.attempts)

    @property
    def card(self) -> Scorecard | None:
        """Return the scorecard of the latest attempt."""
        return self.attempts[-1].scorecard if self.attempts else None

    @property
    def score(self) -> float:
        """Return the latest attempt's score plus credit earned on the follow-up probe."""
        if not self.attempts:
            return 0.0
        fu = self.follow_up
        credit = fu.share * fu.scorecard.score if fu and fu.scorecard else 0.0
        return round(min(1.0, self.attempts[-1].scorecard.score + credit), 3)

    @property
    def recovered(self) -> str | None:
        """Return the concept the follow-up probed when its answer covered it, else None."""
        fu = self.follow_up
        return fu.concept if fu and fu.covered else None

    @property
    def grade(self) -> float:
        """Return the latest attempt's grade plus the follow-up credit in grade points."""
        if not self.attempts:
            return 0.0
        fu = self.follow_up
        credit = 5.0 * fu.share * fu.scorecard.score if fu and fu.scorecard else 0.0
        return round(min(5.0, self.attempts[-1].scorecard.grade + credit), 1)

    def to_dict(self) -> dict[str, Any]:
        return {"question_id": self.question_id, "number": self.number,
                "attempts": [a.to_dict() for a in self.attempts],
                "follow_up": self.follow_up.to_dict() if self.follow_up else None,
                "skipped": self.skipped, "hints": self.hints}


@dataclass(frozen=True)
class State:
    """Where the interview stands: the phase, the open question, the draft answer, the results."""

    config: Config = field(default_factory=Config)
    phase: str = "setup"
    asked: tuple[str, ...] = ()  # question ids in the order they were asked
    current: str | None = None  # the open question's id
    number: int = 0  # the open question's number, 1-based
    draft: tuple[str, ...] = ()  # parts of an answer not yet submitted
    hints: int = 0  # hints taken on the open question
    revealed: tuple[str, ...] = ()  # concepts (or options) the hints revealed
    pending: str | None = None  # a message waiting for "question or answer?"
    back_to: str | None = None  # the phase to return to once the pending message is resolved
    retrying: bool = False  # the open question is a retry of an answered one
    results: tuple[Result, ...] = ()
    turn: int = 0
    asked_at: float | None = None
    started_at: float | None = None
    ended_by: str | None = None  # "user" (End, New) or "last" (the last question was answered)
    notes: tuple[str, ...] = ()  # what the interviewer has said once and need not say again
    designs: tuple[dict[str, Any], ...] = ()  # questions made of typed design prompts (Question.to_dict)
    plan: tuple[str, ...] = ()  # a review round's questions, chosen up front, asked in this order
    focus: tuple[str, ...] = ()  # a review round's due concepts (ids): follow-ups probe these first

    def evolve(self, **changes: Any) -> State:
        """Return a copy with some fields changed."""
        return replace(self, **changes)

    def result_for(self, question_id: str | None) -> Result | None:
        """Return the latest result recorded for a question."""
        return next((r for r in reversed(self.results) if r.question_id == question_id), None)

    def with_result(self, result: Result) -> State:
        """Return a copy with a question's result added or replaced."""
        others = tuple(r for r in self.results if r.question_id != result.question_id)
        ordered = sorted(others + (result,), key=lambda r: r.number)
        return replace(self, results=tuple(ordered))

    def to_dict(self) -> dict[str, Any]:
        """Return the state as JSON-ready data."""
        data = asdict(replace(self, results=()))
        data["results"] = [r.to_dict() for r in self.results]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> State:
        """Rebuild a state from `to_dict` output (a state saved before scorecards were typed reads too)."""
        results = []
        for r in data.get("results", ()):
            fu = r.get("follow_up")
            results.append(Result(
                question_id=r["question_id"],
                number=int(r["number"]),
                attempts=tuple(Attempt.from_dict(a) for a in r.get("attempts", ())),
                follow_up=FollowUp.from_dict(fu) if fu else None,
                skipped=bool(r.get("skipped")),
                hints=int(r.get("hints", 0)),
            ))
        known = {f for f in cls.__dataclass_fields__ if f not in ("config", "results")}
        fields = {k: v for k, v in data.items() if k in known}
        for key in ("asked", "draft", "revealed", "notes", "designs", "plan", "focus"):
            fields[key] = tuple(fields.get(key, ()))
        return cls(config=Config(**data.get("config", {})), results=tuple(results), **fields)
