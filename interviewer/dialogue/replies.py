"""Replies: typed records shaped like the Socket.IO `reply` events, and the words they say."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from interviewer.records import Question

REPLY_KINDS = ("greeting", "question", "feedback", "lookup", "hint", "summary", "notice", "error")

HELP = (
    "Answer in your own words, as you would out loud; one message or several, then say “done”.\n"
    "Commands (or just say them): /hint, /skip, /repeat, /retry, /lookup <topic>, /score, /end, /help.\n"
    "Ask me anything along the way (“what's a fencing token?”): I'll answer from the notes and cite them."
)


@dataclass(frozen=True)
class Reply:
    """One message from the interviewer: a kind, its text, and structured data for rich clients."""

    kind: str
    text: str
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return the reply as the `reply` event payload: {kind, text, ...data}."""
        return {"kind": self.kind, "text": self.text, **self.data}


def question_data(q: Question) -> dict[str, Any]:
    """Return what a client shows on a question card."""
    return {
        "id": q.id,
        "kind": q.kind,
        "topic": q.topic,
        "difficulty": q.difficulty,
        "prompt": q.prompt,
        "options": [{"letter": "ABCDEFGH"[i], "text": t} for i, t in enumerate(q.options)],
        "source": {"doc": q.source.doc, "heading": q.source.heading, "line": q.source.line},
    }


# Headings that name a part of an answer rather than its subject: a citation names the heading above.
STRUCTURAL_HEADINGS = frozenset({
    "solution", "approach", "answer", "overview", "summary", "indepth", "in depth", "explanation",
    "sample question", "sample interview question", "question", "details", "notes",
})


def cite(doc: str, heading: str, line: int) -> str:
    """Name a passage of the corpus the way the interviewer cites it: its most specific subject heading."""
    parts = [p for p in heading.split(" > ") if p] if heading else []
    subject = next((p for p in reversed(parts) if p.lower().rstrip(":") not in STRUCTURAL_HEADINGS),
                   parts[-1] if parts else doc)
    return f"“{subject}” ({doc}, line {line})"


def question_text(q: Question, number: int, total: int, lead: str = "") -> str:
    """Render a question as the interviewer says it."""
    head = f"Question {number} of {total} — {q.kind} · {q.topic} · {q.difficulty} (source: {cite(q.source.doc, q.source.heading, q.source.line)})"
    lines = [lead, head, q.prompt] if lead else [head, q.prompt]
    for i, option in enumerate(q.options):
        lines.append(f"  {'ABCDEFGH'[i]}. {option}")
    if q.options:
        lines.append("Answer with a letter, or the option in your words — and say why.")
    return "\n".join(lines)


def feedback_text(card: Mapping[str, Any], previous: Mapping[str, Any] | None = None) -> str:
    """Render a scorecard payload as a short block of text."""
    lines = [f"Grade {card['grade']:.1f}/5 (score {card['score']:.2f})"]
    if previous is not None:
        delta = card["score"] - previous["score"]
        lines[0] += f" — was {previous['score']:.2f}, now {card['score']:.2f} ({delta:+.2f})"
    if card.get("question_kind") == "probe":
        # A probe has no model answer: name what interviewers expect, and where to read about it.
        expected = [f"{m['concept']} ✓" for m in card["matched"]] + [f"{m['concept']} ✗" for m in card["missed"]]
        lines.append("No model answer for this one; interviewers expect: " + " · ".join(expected))
    else:
        if card["matched"]:
            lines.append("Covered: " + " · ".join(m["concept"] for m in card["matched"]))
        for m in card["missed"][:4]:
            sentence = m["reference"]
            lines.append(f"Missed: {m['concept']} — “{clip(sentence, 160)}”" if sentence else f"Missed: {m['concept']}")
        if len(card["missed"]) > 4:
            lines.append(f"… and {len(card['missed']) - 4} more: " + " · ".join(m["concept"] for m in card["missed"][4:]))
    for flag in card.get("flag_details", ()):
        lines.append(f"Note ({flag['flag']}): {flag['message']}")
    d = card["delivery"]
    fillers = f" ({', '.join(sorted(set(d['filler_words'])))})" if d["filler_words"] else ""
    lines.append(f"Delivery: {count(d['words'], 'word')} · {count(d['fillers'], 'filler')}{fillers} · "
                 f"~{round(d['speaking_seconds'])} s spoken")
    for s in card.get("study", ()):
        lines.append(f"Study {s['concept']}: {cite(s['doc'], s['heading'], s['line'])}")
    if card.get("follow_up"):
        lines.append(f"Follow-up: {card['follow_up']}")
    return "\n".join(lines)


def count(n: int, noun: str) -> str:
    """Say how many of a noun: "1 filler", "3 fillers"."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def clip(text: str, limit: int) -> str:
    """Shorten text to at most `limit` characters on a word boundary."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
