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
    # The body parsed into blocks (interviewer.markdown.Block); derived from `text`, so not compared.
    blocks: tuple[Any, ...] = field(default=(), compare=False, repr=False)

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
class Place:
    """A line of the notes: document, heading path (joined with " > ") and file line."""

    doc: str
    heading: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"doc": self.doc, "heading": self.heading, "line": self.line}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Place | None:
        return cls(data["doc"], data["heading"], int(data["line"])) if data else None


@dataclass(frozen=True)
class Concept:
    """A key idea of a question: its inventory id, label, other wordings, weight, and the sentence of the
    notes that explains it (with where that sentence is; `explained` is False when the notes only name it)."""

    id: str
    label: str
    aliases: tuple[str, ...] = ()
    weight: float = 1.0
    evidence: str = ""
    source: Place | None = None
    explained: bool = True


@dataclass(frozen=True)
class InventoryConcept:
    """One concept the notes teach: a stable id (slug), its label and other wordings, the topics it
    belongs to, how many passages name it, concepts named with it, and the passage that defines it."""

    id: str
    label: str
    aliases: tuple[str, ...]
    topics: tuple[str, ...]
    df: int
    related: tuple[str, ...]
    defined_at: Place | None
    definition: str
    sources: tuple[str, ...] = ()  # which sources proposed it (heading, emphasis, acronym, …)

    @property
    def explained(self) -> bool:
        """Tell whether the notes define the concept (not only name it)."""
        return bool(self.definition)

    def to_dict(self) -> dict[str, Any]:
        """Return the concept as the JSON of `interviewer concepts --json`."""
        return {
            "id": self.id, "label": self.label, "aliases": list(self.aliases), "topics": list(self.topics),
            "df": self.df, "related": list(self.related),
            "defined_at": self.defined_at.to_dict() if self.defined_at else None,
            "definition": self.definition, "explained": self.explained, "sources": list(self.sources),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InventoryConcept:
        return cls(data["id"], data["label"], tuple(data["aliases"]), tuple(data["topics"]), int(data["df"]),
                   tuple(data["related"]), Place.from_dict(data.get("defined_at")), data.get("definition", ""),
                   tuple(data.get("sources", ())))


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
    references: tuple[str, ...] = ()  # other model answers; the best match counts
    focus: str = ""  # a probe's own line ("Explores X, Y, Z"); its reference is assembled from the notes

    def to_dict(self) -> dict[str, Any]:
        """Return the question as plain JSON-ready data."""
        data = asdict(self)
        data["source"]["heading"] = self.source.heading
        for c in data["concepts"]:
            c["concept_id"] = c["id"]  # the contract's name for it (`questions --json`)
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
                Concept(c["id"], c["label"], tuple(c["aliases"]), float(c["weight"]), c["evidence"],
                        Place.from_dict(c.get("source")), bool(c.get("explained", True)))
                for c in data.get("concepts", ())
            ),
            hints=tuple(data.get("hints", ())),
            options=tuple(data.get("options", ())),
            answer_option=data.get("answer_option"),
            source=Source(source["doc"], tuple(source["heading_path"]), int(source["line"])),
            references=tuple(data.get("references", ())),
            focus=data.get("focus", ""),
        )


@dataclass(frozen=True)
class Match:
    """A concept the answer covered: the answer's words that named it, and whether it said something
    about it (explained) or only named it."""

    concept: str
    evidence: str
    weight: float = 1.0
    concept_id: str = ""
    explained: bool = True


@dataclass(frozen=True)
class Miss:
    """A concept the answer missed, with the sentence of the notes that explains it and where it is."""

    concept: str
    reference: str
    weight: float = 1.0
    concept_id: str = ""
    source: Place | None = None


@dataclass(frozen=True)
class Dimensions:
    """The three things a grade is made of, each 0..1: how much of what the question asks the answer
    names (coverage), how much of what it names it explains (explanation), and how it is said — long
    enough, on topic, not repeating itself (delivery)."""

    coverage: float
    explanation: float
    delivery: float

    def to_dict(self) -> dict[str, float]:
        return {"coverage": self.coverage, "explanation": self.explanation, "delivery": self.delivery}


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
    dimensions: Dimensions | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the scorecard shaped as the Socket.IO `feedback` payload expects."""
        d = self.delivery
        return {
            "question_id": self.question_id,
            "score": self.score,
            "grade": self.grade,
            "matched": [{"concept": m.concept, "concept_id": m.concept_id, "evidence": m.evidence, "weight": m.weight,
                         "explained": m.explained} for m in self.matched],
            "missed": [{"concept": m.concept, "concept_id": m.concept_id, "reference": m.reference, "weight": m.weight,
                        "source": m.source.to_dict() if m.source else None} for m in self.missed],
            "dimensions": self.dimensions.to_dict() if self.dimensions else None,
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

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Scorecard:
        """Rebuild a scorecard from `to_dict` output (a feedback payload's extra keys are ignored)."""
        d = data.get("delivery") or {}
        fillers = d.get("filler_words")
        if fillers is None:
            fillers = d.get("fillers") if isinstance(d.get("fillers"), list) else ()
        dims = data.get("dimensions")
        details = data.get("flag_details")
        flags = (tuple(Flag(f["flag"], f.get("message", ""), float(f.get("penalty", 0.0))) for f in details)
                 if details is not None else tuple(Flag(name, "") for name in data.get("flags", ())))
        return cls(
            question_id=data.get("question_id"),
            score=float(data.get("score", 0.0)),
            grade=float(data.get("grade", 0.0)),
            matched=tuple(Match(m["concept"], m.get("evidence", ""), float(m.get("weight", 1.0)),
                                m.get("concept_id", ""), bool(m.get("explained", True)))
                          for m in data.get("matched", ())),
            missed=tuple(Miss(m["concept"], m.get("reference", ""), float(m.get("weight", 1.0)),
                              m.get("concept_id", ""), Place.from_dict(m.get("source")))
                         for m in data.get("missed", ())),
            delivery=Delivery(
                words=int(d.get("words", 0)),
                fillers=tuple(fillers),
                filler_rate=float(d.get("filler_rate", 0.0)),
                speaking_seconds=float(d.get("speaking_seconds", 0.0)),
                top_words=tuple((w, int(n)) for w, n in d.get("top_words", ())),
                repeated_phrases=tuple((p, int(n)) for p, n in d.get("repeated_phrases", ())),
            ),
            flags=flags,
            follow_up=data.get("follow_up"),
            dimensions=Dimensions(float(dims["coverage"]), float(dims["explanation"]), float(dims["delivery"]))
            if dims else None,
        )
