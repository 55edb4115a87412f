"""The plain-text scorecard: what `interviewer grade` prints and what the chat says after an answer."""

from __future__ import annotations

import re
from functools import lru_cache
from interviewer.records import Scorecard
from interviewer.text import words

_QUOTE_WORDS = 12
# A score of 1.0 is a grade of 5: penalties, kept as score, are said in grade points.
GRADE_SCALE = 5.0
# How many missed concepts are quoted with their sentence; the rest are named on one line.
QUOTED_MISSES = 4


def format_scorecard(card: Scorecard, *, before: Scorecard | None = None,
                     no_model_answer: bool = False) -> str:
    """Return a scorecard as a block of text.

    `before` is the previous attempt's card (a retry says how the score moved); `no_model_answer` is said
    of a probe question, whose concepts are what interviewers expect. Every cost is said in
    grade points, the unit of the grade.
    """
    head = f"score {card.score:.2f}  grade {card.grade:.1f}/5"
    if before is not None:
        head += f"  (was {before.score:.2f}: {card.score - before.score:+.2f})"
    lines = [head]
    if before is not None:
        lines.append(difference_line(difference(before, card)))
    if card.dimensions is not None and (card.matched or card.missed):
        d = card.dimensions
        lines.append(f"dimensions: coverage {d.coverage:.2f} · explanation {d.explanation:.2f} · delivery {d.delivery:.2f}")
    lines += [*_concept_lines(card, no_model_answer), *_delivery_lines(card)]
    for flag in card.flags:
        penalty = f" (−{GRADE_SCALE * flag.penalty:.2g} grade points)" if flag.penalty else ""
        lines.append(f"flag: {flag.name}{penalty} — {flag.message}")
    if card.follow_up:
        lines.append(f"follow-up: {card.follow_up}")
    return "\n".join(lines)


def _concept_lines(card: Scorecard, no_model_answer: bool) -> list[str]:
    """Say the concepts: explained, only named, and missed with the sentence of the notes (the first few)."""
    lines = []
    explained = [m.concept for m in card.matched if m.explained]
    named = [m.concept for m in card.matched if not m.explained]
    if card.matched or card.missed:  # a design answer graded by its rubric alone has no concepts
        lines.append("covered: " + (" · ".join(explained) if explained else "(nothing explained yet)"))
    if named:
        lines.append("named:   " + " · ".join(named) + " — named without saying what they do or why")
    if no_model_answer:
        lines.append("(no model answer for this one: the concepts below are what interviewers expect)")
    for i, miss in enumerate(card.missed[:QUOTED_MISSES]):
        quote = _quote(miss.reference, miss.concept)
        where = f" ({miss.source.doc}, line {miss.source.line})" if miss.source and quote else ""
        lines.append(("missed:  " if i == 0 else "         ") + miss.concept
                     + (f' — "{quote}"{where}' if quote else ""))
    rest = card.missed[QUOTED_MISSES:]
    if rest:
        lines.append(f"         … and {len(rest)} more: " + " · ".join(m.concept for m in rest))
    return lines


def _delivery_lines(card: Scorecard) -> list[str]:
    d = card.delivery
    filler_part = f"{len(d.fillers)} filler{'s' if len(d.fillers) != 1 else ''}"
    if d.fillers:
        filler_part += " (" + ", ".join(dict.fromkeys(d.fillers)) + ")"
    lines = [f"delivery: {d.words} words · {filler_part} · ~{d.speaking_seconds:.0f} s spoken"]
    if d.repeated_phrases:
        lines.append("repeated: " + " · ".join(f"{p} ×{n}" for p, n in d.repeated_phrases))
    return lines


def difference(before: Scorecard, after: Scorecard) -> dict[str, list[str]]:
    """Say what a retry changed, per concept: newly covered (missed before), newly explained (only named
    before), dropped (covered before, missed now)."""

    def status(card: Scorecard) -> dict[str, tuple[str, str]]:
        out = {(m.concept_id or m.concept): (m.concept, "explained" if m.explained else "named") for m in card.matched}
        out.update({(m.concept_id or m.concept): (m.concept, "missed") for m in card.missed})
        return out

    old, new = status(before), status(after)
    changed: dict[str, list[str]] = {"newly_covered": [], "newly_explained": [], "dropped": []}
    for key, (label, now) in new.items():
        was = old.get(key, (label, "missed"))[1]
        if was == "missed" and now != "missed":
            changed["newly_covered"].append(label)
        elif was == "named" and now == "explained":
            changed["newly_explained"].append(label)
        elif was != "missed" and now == "missed":
            changed["dropped"].append(label)
    return changed


def difference_line(changed: dict[str, list[str]]) -> str:
    """Say a retry's difference in one line."""
    parts = [f"{name.replace('_', ' ')}: {' · '.join(labels)}" for name, labels in changed.items() if labels]
    return "since last time — " + ("; ".join(parts) if parts else "the same concepts as before")


@lru_cache(maxsize=8192)
def _quote(sentence: str, concept: str) -> str:
    """Quote about a dozen words of a reference sentence around where it names the concept (the notes'
    sentences come back on every scorecard that misses their concept: each is quoted once)."""
    sentence = re.sub(r"\s+", " ", sentence or "").strip()
    ws = words(sentence)
    if len(ws) <= _QUOTE_WORDS:
        return sentence
    key = (words(concept)[:1] or [None])[0]
    at = next((i for i, w in enumerate(ws) if key is not None and w.text == key.text), 0)
    lo = max(0, min(at - 4, len(ws) - _QUOTE_WORDS))
    hi = min(len(ws), lo + _QUOTE_WORDS)
    text = sentence[ws[lo].start : ws[hi - 1].end]
    return ("…" if lo > 0 else "") + text + ("…" if hi < len(ws) else "")
