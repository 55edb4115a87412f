"""Choices the answer's own numbers contradict: "a single Postgres" named for 1M writes/s.

Each rule of thumb in data/rubric.toml names the choices it covers, what loads them (figures of
writes, any rate, or bytes) and a limit; a choice named within a sentence of a figure above the
limit is noted, unless the sentence says the choice is not enough ("one database won't cut it").
"""

from __future__ import annotations

from typing import Sequence

from interviewer.rubric.display import format_quantity
from interviewer.rubric.estimates import SentenceFigures, dimension
from interviewer.rubric.quantities import Figure
from interviewer.rubric.records import CapacityNote
from interviewer.rubric.rules import CapacityRule, Rules
from interviewer.rubric.sentences import Sentence
from interviewer.rubric.units import quantity_of


def capacity_notes(sentences: Sequence[Sentence], figures: Sequence[SentenceFigures], rules: Rules) -> list[CapacityNote]:
    """Note each choice named for a load above its rule of thumb."""
    notes = []
    w = rules.capacity_window
    for rule in rules.capacity:
        limit = quantity_of(rule.limit)
        limit_dimension = str(limit.dimensionality)
        for s in sentences:
            near = [f for sf in figures[max(0, s.index - w) : s.index + w + 1] for f in sf.figures]
            loads = [f for f in near if dimension(f) == limit_dimension and _loads(f, rule)]
            if not loads or not rule.choices.find(s.stems, s.clean) or rules.negations.find(s.stems, s.clean):
                continue
            over = [f for f in loads if f.quantity().to(limit.units).magnitude > limit.magnitude]
            if over:
                top = max(over, key=lambda f: f.quantity().to(limit.units).magnitude)
                if any(n.figure == top.text for n in notes):
                    break  # one load, one note: "one Redis box" is also "one box", and the Redis rule comes first
                notes.append(CapacityNote(rule.name, rule.choice, s.text, top.text,
                                          format_quantity(limit.magnitude, limit.units), rule.note))
                break
    return notes


def _loads(fig: Figure, rule: CapacityRule) -> bool:
    """Return whether a figure loads what a rule covers (its nouns, any rate, or bytes)."""
    if rule.bytes:
        return True
    return rule.any_rate or bool(fig.nouns & rule.measures)
