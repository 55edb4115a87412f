"""Replies: typed records shaped like the Socket.IO `reply` events, and the words they say."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from interviewer.dialogue.intents import default_rules
from interviewer.records import Question

REPLY_KINDS = ("greeting", "question", "feedback", "lookup", "hint", "summary", "notice", "error")



def help_text() -> str:
    """Say how to answer and every command, from the command table (data/intents.toml)."""
    lines = ["Answer in your own words, as you would out loud; one message or several, then say “done”.",
             "Commands (or just say them):"]
    lines += [f"  {c.usage} — {c.says}" for c in default_rules().listed]
    lines.append("Ask me anything along the way (“what's a fencing token?”): I'll answer from the notes and cite them.")
    return "\n".join(lines)


def command_list() -> str:
    """Name the commands in one line: "/hint, /skip, … or /new"."""
    usages = [c.usage for c in default_rules().listed]
    return ", ".join(usages[:-1]) + " or " + usages[-1]


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


def count(n: int, noun: str) -> str:
    """Say how many of a noun: "1 filler", "3 fillers"."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def clip(text: str, limit: int) -> str:
    """Shorten text to at most `limit` characters on a word boundary."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
