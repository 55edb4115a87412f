"""What the store hands back: sessions, turns and scorecards as frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SessionRecord:
    """One interview: who may continue it (token) or only read it (share), its settings, latest state and summary."""

    id: str
    token: str
    created_at: datetime  # timezone-aware, UTC
    updated_at: datetime
    config: dict[str, Any]
    state: dict[str, Any]
    phase: str | None
    topic: str | None
    answered: int
    average_grade: float | None
    turns: int  # the number of turns saved, which is also the session's version
    client: str | None = None
    share: str | None = None  # the read-only key of its scorecard's share link
    learner: str | None = None  # the id of the learner it belongs to (schema version 3)


@dataclass(frozen=True)
class Turn:
    """One line of the transcript: a user message or an interviewer reply, numbered from 1."""

    seq: int
    role: str  # "user" | "interviewer"
    kind: str  # "message" for the user; the reply kind for the interviewer
    text: str  # as shown; NUL removed and broken surrogates replaced (payload["original"] keeps the exact text)
    payload: dict[str, Any]  # the reply's data beyond kind and text
    created_at: datetime

    def reply(self) -> dict[str, Any]:
        """Return the turn shaped like the `reply` event it was: {kind, text, ...data}."""
        return {"kind": self.kind, "text": self.text, **self.payload}


@dataclass(frozen=True)
class ScorecardRow:
    """One scorecard, taken from a `feedback` reply; `seq` is that reply's turn number."""

    seq: int
    question_id: str | None
    score: float | None
    grade: float | None
    payload: dict[str, Any]  # the whole feedback reply data: matched, missed, delivery, answer, …
    created_at: datetime
