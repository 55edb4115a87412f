"""Hints that teach, and the gist said when the candidate doesn't know.

A hint is about the most important concept the answer has not covered yet, in three steps: a question
that points at it, then the notes' sentence with the concept blanked out, then the sentence itself
(cited). Only then does the next concept get its first step. Everything here is a pure function of the
question, what was revealed and what the answer covered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from interviewer.dialogue.replies import cite, clip
from interviewer.grading import follow_up_for
from interviewer.records import Concept, Question
from interviewer.vocabulary import terms_of

# The three steps of a hint on one concept; a look-up that found the concept is recorded as a fourth way.
ASK, BLANK, SAY = 1, 2, 3
LOOKUP = "lookup"
# A question made from a definition keeps at most this many of its words.
QUESTION_WORDS = 22
# How much of the notes the gist quotes.
GIST_SENTENCES = 2
GIST_CHARS = 320

_DEFINES = re.compile(r"^(?:an?\s+|the\s+)?(?P<label>.+?)\s*(?:\([^)]{1,60}\)\s*)?\b(?P<verb>is|are|means|refers\s+to)\s+"
                      r"(?P<rest>.{12,})$", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(])")


@dataclass(frozen=True)
class Hint:
    """One hint: what it says, the concept it is about (None for a choice question's own hints), its step,
    and the key that records it as revealed."""

    text: str
    key: str
    concept: str | None = None
    step: int = 0


def revealed_step(revealed: Iterable[str], concept: Concept) -> int:
    """Return how far hints have gone on a concept (0: not yet; a plain label from an older session: all the way)."""
    step = 0
    for key in revealed:
        name, _, n = key.rpartition("@")
        if name == _key(concept) and n.isdigit():
            step = max(step, int(n))
        elif key == concept.label:
            step = SAY
    return step


def concept_hint(concepts: Iterable[Concept], revealed: Iterable[str], covered: set[str], prompt: str = "") -> Hint | None:
    """Return the next hint on the concepts an answer has not covered, the most important first; a
    concept the question itself names ("What is the outbox pattern?") comes after the others."""
    revealed = tuple(revealed)
    asked = set(terms_of(prompt))
    ranked = sorted(concepts, key=lambda c: (bool(asked) and set(terms_of(c.label)) <= asked, -c.weight))
    for c in ranked:
        if c.label in covered or (c.id and c.id in covered):
            continue
        done = revealed_step(revealed, c)
        if done >= SAY:
            continue
        step = _next_step(c, done)
        return Hint(_say(c, step), f"{_key(c)}@{step}", c.label, step)
    return None


def looked_up(concepts: Iterable[Concept], query: str, passages: Iterable[str]) -> tuple[str, ...]:
    """Return the revealed keys ("<id>@lookup") of the concepts a look-up named, or whose explaining
    sentence it quoted: help taken on the open question, like a hint."""
    asked = set(terms_of(query))
    texts = [" ".join(p.split()) for p in passages]
    out = []
    for c in concepts:
        names = [set(terms_of(f)) for f in (c.label, *c.aliases) if f.strip()]
        named = any(n and n <= asked for n in names)
        evidence = " ".join((c.evidence or "").split())[:80]
        quoted = bool(evidence) and any(evidence in t for t in texts)
        if named or quoted:
            out.append(f"{_key(c)}@{LOOKUP}")
    return tuple(out)


def _next_step(c: Concept, done: int) -> int:
    """Skip a step that would say nothing new: no blank without the concept's words in its sentence."""
    step = done + 1
    if step == BLANK and blanked(c.evidence, c) is None:
        step = SAY
    return step


def _say(c: Concept, step: int) -> str:
    if step == ASK:
        return pointing_question(c)
    if step == BLANK:
        return f"The notes put it like this — what fills the gap? “{blanked(c.evidence, c)}”"
    where = f" — {cite(c.source.doc, c.source.heading, c.source.line)}" if c.source else ""
    if not c.evidence:
        return f"Think about {c.label}.{where}"
    return f"{c.label}: “{clip(c.evidence, 300)}”{where}"


def pointing_question(c: Concept) -> str:
    """Ask a question that points at a concept, without naming it when the notes allow.

    The follow-up rules give "How would you prevent split brain?" or "What would you use instead of
    polling?" (the problem, not the concept); a sentence that defines the concept ("A fencing token is a
    number that …") gives "What do we call a number that …?"; failing both, the question names it.
    """
    question = follow_up_for(c, c.evidence)
    if not _names(question, c):
        return question
    defined = _DEFINES.match(" ".join((c.evidence or "").split()).rstrip("."))
    if defined and _names(defined.group("label"), c) and not _names(defined.group("rest"), c):
        rest = _clip_words(defined.group("rest"), QUESTION_WORDS)
        if defined.group("verb").lower() in ("is", "are"):
            return f"What do we call {rest}?"
        return f"Which idea means {rest}?"
    return question


def blanked(sentence: str, c: Concept) -> str | None:
    """Return the sentence with the concept's words blanked out ("f_______ t____"), None when it never names
    it. A sentence that says the concept's words apart ("within a timeout … the lock" for *lock timeouts*)
    gets each of them blanked."""
    text = " ".join((sentence or "").split())
    forms = [f for f in sorted({c.label, *c.aliases}, key=len, reverse=True) if f.strip()]
    if not forms:
        return None
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(f)}(?:s|es)?(?!\w)" for f in forms), re.I)
    if not pattern.search(text):
        pattern = _words_apart(text, c.label)
        if pattern is None:
            return None
    return clip(pattern.sub(lambda m: " ".join(w[0] + "_" * (len(w) - 1) for w in m.group(0).split()), text), 300)


def _words_apart(text: str, label: str) -> re.Pattern[str] | None:
    """Return a pattern of the sentence's words that say a label of several words apart, if it says every one."""
    wanted = set(terms_of(label))
    if len(wanted) < 2:
        return None
    said = {w: set(terms_of(w)) for w in set(re.findall(r"[A-Za-z][\w'-]*", text))}
    hits = [w for w, t in said.items() if t and t <= wanted]
    if set().union(*(said[w] for w in hits)) != wanted:
        return None
    return re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in sorted(hits, key=len, reverse=True)))


def gist(q: Question) -> str:
    """Say the key idea of a question in two or three lines, with where it comes from."""
    if q.options and q.answer_option:
        letter = q.answer_option.strip()[:1].upper()
        index = "ABCDEFGH".find(letter)
        option = q.options[index] if 0 <= index < len(q.options) else ""
        why = first_sentences(q.reference, 1)
        return f"The answer is {letter}: {option}. {why} — {cite(q.source.doc, q.source.heading, q.source.line)}"
    if q.kind == "probe" or not q.reference.strip():
        lines = [f"{c.label}: {clip(c.evidence, 160)}" + (f" — {cite(c.source.doc, c.source.heading, c.source.line)}"
                                                         if c.source else "")
                 for c in sorted(q.concepts, key=lambda c: -c.weight)[:3] if c.evidence]
        return "\n".join(lines) or "interviewers expect: " + " · ".join(c.label for c in q.concepts[:5])
    return f"{first_sentences(q.reference, GIST_SENTENCES)} — {cite(q.source.doc, q.source.heading, q.source.line)}"


def first_sentences(text: str, n: int) -> str:
    """Return the first `n` sentences of some notes as plain text, clipped to GIST_CHARS."""
    plain = " ".join(re.sub(r"[*_`#>]+", "", text or "").split())
    return clip(" ".join(_SENTENCE_END.split(plain)[:n]), GIST_CHARS)


def _key(c: Concept) -> str:
    return c.id or c.label


def _names(text: str, c: Concept) -> bool:
    low = f" {' '.join(re.findall(r'[a-z0-9]+', text.lower()))} "
    return any(f" {' '.join(re.findall(r'[a-z0-9]+', f.lower()))} " in low for f in (c.label, *c.aliases) if f.strip())


def _clip_words(text: str, limit: int) -> str:
    """Keep a clause's first words: up to the first comma or semicolon past eight words, at most `limit`."""
    ws = text.split()
    for i, w in enumerate(ws[:limit]):
        if i >= 8 and w.endswith((",", ";", ":")):
            return " ".join(ws[: i + 1]).rstrip(",;:")
    return " ".join(ws[:limit]).rstrip(",;:")
