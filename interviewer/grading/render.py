"""The plain-text scorecard the `grade` command prints."""

from __future__ import annotations

import re

from interviewer.records import Scorecard
from interviewer.text import words

_QUOTE_WORDS = 12


def format_scorecard(card: Scorecard) -> str:
    """Return a scorecard as the plain-text block of `interviewer grade`."""
    lines = [f"score {card.score:.2f}  grade {card.grade:.1f}/5"]
    if card.matched:
        lines.append("covered: " + " · ".join(m.concept for m in card.matched))
    else:
        lines.append("covered: (nothing yet)")
    for i, miss in enumerate(card.missed):
        quote = _quote(miss.reference, miss.concept)
        head = "missed:  " if i == 0 else "         "
        lines.append(f"{head}{miss.concept}" + (f' — "{quote}"' if quote else ""))
    d = card.delivery
    filler_part = f"{len(d.fillers)} filler{'s' if len(d.fillers) != 1 else ''}"
    if d.fillers:
        filler_part += " (" + ", ".join(dict.fromkeys(d.fillers)) + ")"
    lines.append(f"delivery: {d.words} words · {filler_part} · ~{d.speaking_seconds:.0f} s spoken")
    if d.repeated_phrases:
        lines.append("repeated: " + " · ".join(f"{p} ×{n}" for p, n in d.repeated_phrases))
    for flag in card.flags:
        penalty = f" (−{flag.penalty:.2f})" if flag.penalty else ""
        lines.append(f"flag: {flag.name}{penalty} — {flag.message}")
    if card.follow_up:
        lines.append(f"follow-up: {card.follow_up}")
    return "\n".join(lines)


def _quote(sentence: str, concept: str) -> str:
    """Quote about a dozen words of a reference sentence around where it names the concept."""
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
