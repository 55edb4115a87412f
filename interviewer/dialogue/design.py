"""The design round: any design prompt the candidate types, graded on the rubric (phases, estimates,
level signals) and, where the notes have passages about it, on their concepts too.

A typed prompt becomes a question of its own (`design_question`), kept in the interview state so the
summary, the scorecard page and a resumed session can read it like a bank question (`BankView`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from typing import Any, Iterable, Iterator

from interviewer.errors import GradingError, InputError
from interviewer.records import Question, Scorecard, Source
from interviewer.rubric import RUBRIC_KINDS, Rubric, rubric_for
from interviewer.text import analyze

DESIGN_TOPIC = "design"
# A typed prompt's question id starts with this (bank ids never do).
DESIGN_ID = "design-"
# A passage counts as notes about the prompt when it names the prompt's rarest word in its heading or
# at least this often in its text; at most this many such passages make the reference.
ABOUT_MENTIONS = 2
REFERENCE_PASSAGES = 2
REFERENCE_CHARS = 2_000
# With notes about the prompt, their concepts count for this share of a design answer's score; the
# rubric (phases, estimates, level signals) for the rest. Without, the rubric is the score.
NOTES_SHARE = 0.3


def design_question(prompt: str, search: Any, concepts: Any = None) -> Question:
    """Make a question of a typed design prompt; its reference is the notes' passages about it (if any),
    its concepts what `concepts(reference, prompt)` (the grader's picker) finds in them."""
    prompt = " ".join(prompt.split())
    qid = DESIGN_ID + hashlib.sha1(prompt.lower().encode("utf-8")).hexdigest()[:10]
    about = _passages_about(prompt, search)
    reference = "\n\n".join(h.text for h in about)[:REFERENCE_CHARS]
    top = about[0] if about else None
    source = Source(top.doc, tuple(p for p in top.heading.split(" > ") if p), top.line) if top else Source("", (), 0)
    picked = tuple(concepts(reference, prompt)) if concepts is not None and reference else ()
    return Question(id=qid, kind="open", topic=DESIGN_TOPIC, difficulty="medium", prompt=prompt,
                    reference=reference, concepts=picked, source=source)


def _passages_about(prompt: str, search: Any) -> list[Any]:
    terms = [t for t in dict.fromkeys(analyze(prompt)) if t not in _PROMPT_WORDS]
    if not terms:
        return []
    try:
        hits = search.search(prompt, top=REFERENCE_PASSAGES + 1).hits
    except InputError:
        return []
    df = search.document_frequency
    known = [t for t in terms if df(t) > 0]
    if not known:
        return []
    rarest = min(known, key=df)
    return [h for h in hits if rarest in analyze(h.heading) or analyze(h.text).count(rarest) >= ABOUT_MENTIONS
            ][:REFERENCE_PASSAGES]


# Words every design prompt uses ("design a system for …"): never what the prompt is about.
_PROMPT_WORDS = frozenset(analyze("design build system service application app platform how would you "
                                  "architect create implement scalable large scale like"))


def grade_design(grader: Any, q: Question, answer: str, hints: int = 0) -> tuple[Scorecard, Rubric]:
    """Grade a design answer: the rubric, and the notes' concepts when the question has notes behind it."""
    rubric = rubric_for(answer, prompt=q.prompt, kind="design")
    if q.reference.strip():
        try:
            card = grader.grade(answer, question=q, hints_used=hints)
            score = round(NOTES_SHARE * card.score + (1 - NOTES_SHARE) * rubric.score, 3)
            return replace(card, score=score, grade=round(5 * score, 1), follow_up=None), rubric
        except GradingError:
            pass
    score = round(rubric.score, 3)
    card = Scorecard(question_id=q.id, score=score, grade=round(5 * score, 1), matched=(), missed=(),
                     delivery=grader.delivery(answer), flags=(), follow_up=None)
    return card, rubric


def as_record(q: Question) -> dict[str, Any]:
    """Return a typed prompt's question as the state keeps it: plain JSON data (lists, not tuples), so a
    saved and reloaded state equals the one saved."""
    return json.loads(json.dumps(q.to_dict()))


def is_design(q: Question) -> bool:
    """Tell whether a question was made of a typed design prompt."""
    return q.id.startswith(DESIGN_ID)


def rubric_of(q: Question, answer: str) -> Rubric | None:
    """Return the rubric of an answer to an open or scenario bank question (None for other kinds)."""
    if q.kind not in RUBRIC_KINDS or is_design(q):
        return None
    return rubric_for(answer, prompt=q.prompt, kind=q.kind)


def brief(rubric: Rubric) -> str:
    """Say a rubric in a few lines under a scorecard: the verdict, the phases, what is missing, the
    estimates that are off."""
    from interviewer.rubric import format_rubric

    lines = format_rubric(rubric).split("\n")
    return "\n".join(ln for ln in lines if ln.startswith(("design rubric:", "phases:", "missing:", "estimate: ✗")))


class BankView:
    """The bank, with the questions an interview made of typed design prompts."""

    def __init__(self, bank: Any, extra: Iterable[dict[str, Any]] = ()):
        self.bank = bank
        self.extra = {d["id"]: d for d in extra}

    def get(self, question_id: str) -> Question:
        found = self.extra.get(question_id)
        if found is not None:
            return Question.from_dict(found)
        return self.bank.get(question_id)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.bank)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bank, name)
