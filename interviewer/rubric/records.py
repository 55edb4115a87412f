"""The rubric's records: frozen dataclasses, compared by value, with the JSON contract's `to_dict`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _sig(x: float, digits: int = 4) -> float:
    """Round to a few significant digits for JSON (11574.074 → 11570.0)."""
    return float(f"{x:.{digits}g}")


@dataclass(frozen=True)
class Phase:
    """How an answer covers one phase of a design interview."""

    name: str  # requirements | estimates | api | data_model | high_level | deep_dive | tradeoffs
    title: str
    covered: bool
    share: float  # share of the answer's words, 0..1
    order: int | None  # 1 = the first phase the answer reached; None when not covered
    evidence: str  # the sentence that shows it best, as said
    expected: bool  # expected of this kind of answer (a missing expected phase gets the nudge)
    nudge: str = ""  # one concrete step when the phase is expected and missing

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "covered": self.covered, "share": round(self.share, 3),
                "order": self.order, "evidence": self.evidence, "expected": self.expected, "nudge": self.nudge}


@dataclass(frozen=True)
class Estimate:
    """An arithmetic claim of the answer, recomputed.

    status: "right" (within 2×), "rough" (2–10×: reported, not flagged), "wrong" (10× or more, or a
    unit slip); ok is False only for "wrong".
    """

    text: str  # the sentence, as said
    claim: str  # the figure as said ("11.6k QPS")
    stated: float  # the claim, in `unit`
    computed: float  # what the answer's own figures give, in `unit`
    unit: str  # "/s", "TB/day", "GB", "" for a count
    ratio: float  # stated / computed
    status: str
    formula: str  # "100M × 10/day = 11.6k/s"
    slip: str = ""  # the unit slip that explains a wrong figure, if one does

    @property
    def ok(self) -> bool:
        return self.status != "wrong"

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "claim": self.claim, "stated": _sig(self.stated), "computed": _sig(self.computed),
                "unit": self.unit, "ratio": _sig(self.ratio, 3), "ok": self.ok, "status": self.status,
                "formula": self.formula, "slip": self.slip}


@dataclass(frozen=True)
class CapacityNote:
    """A choice the answer's own numbers contradict ("a single Postgres" for 1M writes/s)."""

    rule: str
    choice: str
    text: str  # the sentence that makes the choice, as said
    figure: str  # the load, as said
    limit: str  # the rule of thumb's limit ("20k/s")
    note: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "choice": self.choice, "text": self.text, "figure": self.figure,
                "limit": self.limit, "note": self.note}


@dataclass(frozen=True)
class Signal:
    """One level signal: the level the answer's evidence reaches, quoted, and what the next level needs."""

    name: str
    title: str
    level: str  # junior | mid | senior | staff
    evidence: str  # the answer's sentence behind the level reached ("" at junior)
    next: str = ""  # what reaching the next level looks like ("" at the top)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "level": self.level, "evidence": self.evidence,
                "next": self.next}


@dataclass(frozen=True)
class Rubric:
    """How an open, scenario or design answer drives the design."""

    kind: str
    phases: tuple[Phase, ...]
    estimates: tuple[Estimate, ...]
    capacity: tuple[CapacityNote, ...]
    signals: tuple[Signal, ...]
    score: float  # 0..1, the verdict's basis
    verdict: str  # strong | solid | borderline | not yet
    verdict_note: str  # says it is a practice heuristic, never a hiring decision
    nudges: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the `rubric` object of `grade --json` and the feedback reply."""
        return {
            "kind": self.kind,
            "phases": [p.to_dict() for p in self.phases],
            "estimates": [e.to_dict() for e in self.estimates],
            "capacity": [c.to_dict() for c in self.capacity],
            "signals": [s.to_dict() for s in self.signals],
            "score": round(self.score, 3),
            "verdict": self.verdict,
            "verdict_note": self.verdict_note,
            "nudges": list(self.nudges),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rubric:
        """Rebuild a rubric from `to_dict` output (a stored scorecard, to render it again)."""
        return cls(
            kind=data["kind"],
            phases=tuple(Phase(p["name"], p["title"], p["covered"], p["share"], p["order"], p["evidence"],
                               p["expected"], p.get("nudge", "")) for p in data["phases"]),
            estimates=tuple(Estimate(e["text"], e["claim"], e["stated"], e["computed"], e["unit"], e["ratio"],
                                     e["status"], e["formula"], e.get("slip", "")) for e in data["estimates"]),
            capacity=tuple(CapacityNote(c["rule"], c["choice"], c["text"], c["figure"], c["limit"], c["note"])
                           for c in data.get("capacity", ())),
            signals=tuple(Signal(s["name"], s["title"], s["level"], s["evidence"], s.get("next", ""))
                          for s in data["signals"]),
            score=data["score"],
            verdict=data["verdict"],
            verdict_note=data["verdict_note"],
            nudges=tuple(data.get("nudges", ())),
        )
