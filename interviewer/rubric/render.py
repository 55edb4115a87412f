"""A rubric as text: the block `interviewer grade` prints, and Markdown for exports."""

from __future__ import annotations

from interviewer.rubric.records import Estimate, Rubric
from interviewer.text import first_word_ends

_QUOTE_WORDS = 14
_MARK = {"right": "✓", "rough": "~", "wrong": "✗"}


def quote(sentence: str, limit: int = _QUOTE_WORDS) -> str:
    """Return the first words of a sentence, with an ellipsis when it goes on."""
    sentence = " ".join(sentence.split())
    ends = first_word_ends(sentence, limit + 1)
    if len(ends) <= limit:
        return sentence
    return sentence[: ends[limit - 1]] + "…"


def estimate_line(e: Estimate) -> str:
    """Return one checked claim as a line: mark, claim, and the recomputation when it is off."""
    line = f"{_MARK[e.status]} {e.claim}"
    if e.status == "right":
        return f"{line} ({e.formula})"
    size = max(e.ratio, 1 / e.ratio)
    way = "high" if e.ratio > 1 else "low"
    times = f"{size:.2g}" if size < 10 else f"{float(f'{size:.2g}'):,.0f}"
    line += f" — {times}× too {way}; your figures give {e.formula}"
    return line + (f"; looks like {e.slip}" if e.slip else "")


def format_rubric(r: Rubric) -> str:
    """Return the rubric as the plain-text block of the terminal."""
    lines = [f"design rubric: {r.verdict} ({r.score:.2f}) — {r.verdict_note}"]
    covered = sorted((p for p in r.phases if p.covered), key=lambda p: p.order)
    if covered:
        lines.append("phases: " + " → ".join(f"{p.title} {p.share:.0%}" for p in covered))
    missing = [p.title for p in r.phases if p.expected and not p.covered]
    if missing:
        lines.append("missing: " + " · ".join(missing))
    for e in r.estimates:
        lines.append("estimate: " + estimate_line(e))
    for c in r.capacity:
        lines.append(f"capacity: {c.choice} for {c.figure} (about {c.limit} is the rule of thumb) — {c.note}")
    for s in r.signals:
        evidence = f' — "{quote(s.evidence)}"' if s.evidence else f" — {s.next}" if s.next else ""
        lines.append(f"{s.title}: {s.level}{evidence}")
    for n in r.nudges:
        lines.append(f"next: {n}")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Escape text for a Markdown table cell or line (pipes, emphasis, brackets)."""
    for ch in "\\|*_[]<>`":
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


def rubric_markdown(r: Rubric) -> str:
    """Return the rubric as Markdown (for session exports)."""
    out = [f"**Design rubric: {r.verdict}** ({r.score:.2f}) — *{_md(r.verdict_note)}*", "",
           "| # | Phase | Share | Evidence |", "|---|---|---|---|"]
    for p in sorted(r.phases, key=lambda p: (p.order is None, p.order or 0)):
        if p.covered:
            out.append(f"| {p.order} | {_md(p.title)} | {p.share:.0%} | {_md(quote(p.evidence))} |")
        elif p.expected:
            out.append(f"| – | {_md(p.title)} | missing | {_md(p.nudge)} |")
    if r.estimates:
        out += ["", "Estimates:"] + [f"- {_md(estimate_line(e))}" for e in r.estimates]
    if r.capacity:
        out += [""] + [f"- Capacity: {_md(c.choice)} for {_md(c.figure)} — {_md(c.note)}" for c in r.capacity]
    out += ["", "| Signal | Level | From your answer |", "|---|---|---|"]
    for s in r.signals:
        out.append(f"| {_md(s.title)} | {s.level} | {_md(quote(s.evidence)) if s.evidence else _md(s.next)} |")
    shown = {p.nudge for p in r.phases}
    extra = [n for n in r.nudges if n not in shown]  # the missing phases' nudges are in the table
    if extra:
        out += [""] + [f"- Next: {_md(n)}" for n in extra]
    return "\n".join(out)
