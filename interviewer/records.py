"""The records that flow between stages: frozen dataclasses, compared by value."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

HEADING_SEPARATOR = " > "

KINDS = ("open", "scenario", "probe", "choice", "concept")
DIFFICULTIES = ("easy", "medium", "hard")


@dataclass(frozen=True)
class Section:
    """A heading and the markdown under it, up to the next heading of any level."""

    doc: str
    heading_path: tuple[str, ...]
    level: int
    text: str
    line: int  # 1-based line of the heading (of the first body line for a preamble)

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)


@dataclass(frozen=True)
class Document:
    """One corpus file: its id (the file stem), title, repaired text and sections."""

    doc: str
    path: str
    title: str
    text: str
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class Chunk:
    """A passage of one section, the unit the search index stores and returns."""

    id: str
    doc: str
    heading_path: tuple[str, ...]
    text: str
    line: int

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)


@dataclass(frozen=True)
class Source:
    """Where a question comes from: document, heading path and line."""

    doc: str
    heading_path: tuple[str, ...]
    line: int

    @property
    def heading(self) -> str:
        return HEADING_SEPARATOR.join(self.heading_path)


@dataclass(frozen=True)
class Concept:
    """A key idea of a reference answer with its alternative wordings and evidence sentence."""

    label: str
    aliases: tuple[str, ...] = ()
    weight: float = 1.0
    evidence: str = ""


@dataclass(frozen=True)
class Question:
    """One question of the bank, with its model answer and where it comes from."""

    id: str
    kind: str
    topic: str
    difficulty: str
    prompt: str
    reference: str
    concepts: tuple[Concept, ...] = ()
    hints: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    answer_option: str | None = None
    source: Source = field(default_factory=lambda: Source("", (), 0))

    def to_dict(self) -> dict[str, Any]:
        """Return the question as plain JSON-ready data."""
        data = asdict(self)
        data["source"]["heading"] = self.source.heading
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        """Rebuild a question from `to_dict` output."""
        source = data["source"]
        return cls(
            id=data["id"],
            kind=data["kind"],
            topic=data["topic"],
            difficulty=data["difficulty"],
            prompt=data["prompt"],
            reference=data["reference"],
            concepts=tuple(
                Concept(c["label"], tuple(c["aliases"]), float(c["weight"]), c["evidence"])
                for c in data.get("concepts", ())
            ),
            hints=tuple(data.get("hints", ())),
            options=tuple(data.get("options", ())),
            answer_option=data.get("answer_option"),
            source=Source(source["doc"], tuple(source["heading_path"]), int(source["line"])),
        )


@dataclass(frozen=True)
class Match:
    """A concept the answer covered, with the words of the answer that covered it."""

    concept: str
    evidence: str
    weight: float = 1.0


@dataclass(frozen=True)
class Miss:
    """A concept the answer missed, with the reference sentence that explains it."""

    concept: str
    reference: str
    weight: float = 1.0


@dataclass(frozen=True)
class Flag:
    """Something about the answer that changed its score, and why."""

    name: str
    message: str
    penalty: float = 0.0


@dataclass(frozen=True)
class Delivery:
    """How the answer would sound spoken: length, fillers, speaking time, most-used words."""

    words: int
    fillers: tuple[str, ...]
    filler_rate: float
    speaking_seconds: float
    top_words: tuple[tuple[str, int], ...]
    repeated_phrases: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Scorecard:
    """The graded result of one answer."""

    question_id: str | None
    score: float
    grade: float
    matched: tuple[Match, ...]
    missed: tuple[Miss, ...]
    delivery: Delivery
    flags: tuple[Flag, ...] = ()
    follow_up: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the scorecard shaped as the Socket.IO `feedback` payload expects."""
        d = self.delivery
        return {
            "question_id": self.question_id,
            "score": self.score,
            "grade": self.grade,
            "matched": [{"concept": m.concept, "evidence": m.evidence, "weight": m.weight} for m in self.matched],
            "missed": [{"concept": m.concept, "reference": m.reference, "weight": m.weight} for m in self.missed],
            "delivery": {
                "words": d.words,
                "fillers": len(d.fillers),
                "filler_words": list(d.fillers),
                "filler_rate": d.filler_rate,
                "speaking_seconds": d.speaking_seconds,
                "top_words": [[w, n] for w, n in d.top_words],
                "repeated_phrases": [[p, n] for p, n in d.repeated_phrases],
            },
            "flags": [f.name for f in self.flags],
            "flag_details": [{"flag": f.name, "message": f.message, "penalty": f.penalty} for f in self.flags],
            "follow_up": self.follow_up,
        }
