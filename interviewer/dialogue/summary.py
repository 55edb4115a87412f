"""The end-of-interview summary and the "how am I doing" progress note."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable, Iterable

from interviewer.dialogue.replies import Reply, cite, clip, count
from interviewer.dialogue.state import Result, State
from interviewer.errors import InputError
from interviewer.grading import is_option_label
from interviewer.records import Concept, Place, Question

# Where a concept is defined in the notes (the inventory's defining passage), by concept id.
DefinedAt = Callable[[str], "Place | None"]

# How many of the weakest concepts the summary names, each with a passage to read next.
WEAKEST = 5
# How many concepts the summary's last line says come back, soonest first.
COMING_BACK = 5


def progress_reply(state: State, bank) -> Reply:
    """Say how the interview is going so far."""
    if state.config.mode == "mock" and state.phase != "ended":
        return Reply("notice", "Mock mode: scores are revealed at the end. Keep going!")
    answered = [r for r in state.results if r.answered]
    if not answered:
        return Reply("notice", "No answers graded yet.", {"answered": 0, "average_grade": None})
    avg = sum(r.grade for r in answered) / len(answered)
    last = answered[-1]
    text = (f"So far: {len(answered)} answered, average {avg:.1f}/5. "
            f"Last: question {last.number}, {last.grade:.1f}/5. Question {state.number} of {state.config.count} is open."
            if state.phase != "setup" else "")
    return Reply("notice", text, {"answered": len(answered), "average_grade": round(avg, 2),
                                  "grades": [{"number": r.number, "grade": r.grade} for r in answered]})


def summary_reply(state: State, bank, defined_at: DefinedAt = lambda _id: None) -> Reply:
    """Summarise the interview: grade per question, concepts, delivery, weakest spots, what to read."""
    rows = [_row(r, bank) for r in state.results]
    answered = [r for r in state.results if r.answered]
    avg = round(sum(r.grade for r in answered) / len(answered), 2) if answered else None
    delivery = _delivery(answered)
    by_topic: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_topic[row["topic"]].append(row["grade"])
    weakest_topics = sorted(({"topic": t, "average_grade": round(sum(g) / len(g), 2)} for t, g in by_topic.items()),
                            key=lambda x: x["average_grade"])
    weak = weakest(state.results, bank, defined_at)
    skipped = sum(1 for r in rows if r["skipped"])
    data = {"questions": rows, "answered": len(answered), "skipped": skipped, "average_grade": avg,
            "delivery": delivery, "weakest_topics": weakest_topics, "weakest_concepts": [w.concept for w in weak],
            "read_next": read_next(weak), "ended_by": state.ended_by}
    return Reply("summary", _text(data), data)


@dataclass(frozen=True)
class Weak:
    """A concept worth studying after an interview: which question missed it, and where the notes define it."""

    concept: str
    concept_id: str
    question_id: str
    read: Place | None
    reference: str = ""  # the sentence of the notes that explains it

    def to_dict(self) -> dict[str, Any]:
        return {"concept": self.concept, "concept_id": self.concept_id, "question_id": self.question_id,
                "reference": self.reference, "read": self.read.to_dict() if self.read else None}


def weakest(results: Iterable[Result], bank, defined_at: DefinedAt = lambda _id: None,
            limit: int = WEAKEST) -> list[Weak]:
    """Name the concepts most worth studying: the most important miss of each question, weakest question
    first, then each one's next miss, and so on (a question with many concepts does not crowd out the
    others). A skipped question's concepts count as missed; a concept covered on the follow-up, or
    covered in another answer of the interview, does not count. The chat summary, the scorecard page
    and its exports all use this one list."""
    results = list(results)
    covered = {key for r in results for key in _covered(r)}
    misses = [_misses(r, bank, defined_at, covered) for r in sorted(results, key=lambda r: r.grade)]
    out: list[Weak] = []
    seen: set[str] = set()
    for rank in range(max((len(m) for m in misses), default=0)):
        for weak in misses:
            if rank < len(weak) and (weak[rank].concept_id or weak[rank].concept) not in seen:
                seen.add(weak[rank].concept_id or weak[rank].concept)
                out.append(weak[rank])
    return out[:limit]


def _misses(r: Result, bank, defined_at: DefinedAt, covered: set[str]) -> list[Weak]:
    """Return a question's misses, the most important first (a skipped question: all its concepts)."""
    if r.attempts:
        ranked = sorted(r.card.missed, key=lambda m: -m.weight)
        return [Weak(m.concept, m.concept_id, r.question_id,
                     defined_at(m.concept_id) or m.source or _model_answer(r.question_id, bank), m.reference)
                for m in ranked if not is_option_label(m.concept) and not {m.concept_id, m.concept} & covered]
    if r.skipped:
        return [Weak(c.label, c.id, r.question_id, defined_at(c.id) or c.source or _model_answer(r.question_id, bank),
                     c.evidence)
                for c in _concepts(r.question_id, bank) if not {c.id, c.label} & covered]
    return []


def read_next(weak: Iterable[Weak]) -> list[dict[str, Any]]:
    """Point at each weak concept's defining passage, once per passage (five concepts read in one place
    are one pointer)."""
    seen: set[tuple[str, str]] = set()
    out = []
    for w in weak:
        if w.read is not None and (w.read.doc, w.read.heading) not in seen:
            seen.add((w.read.doc, w.read.heading))
            out.append({"concept": w.concept, "concept_id": w.concept_id, **w.read.to_dict()})
    return out


def _covered(r: Result) -> set[str]:
    """Return the concepts (ids and labels) an answer explained or named, and the follow-up recovered."""
    keys = {key for m in (r.card.matched if r.card else ()) for key in (m.concept_id, m.concept) if key}
    if r.follow_up and r.follow_up.covered:
        keys |= {k for k in (r.follow_up.concept_id, r.follow_up.concept) if k}
    return keys


def _question(question_id: str, bank) -> Question | None:
    try:
        return bank.get(question_id)
    except InputError:
        return None


def _concepts(question_id: str, bank) -> list[Concept]:
    q = _question(question_id, bank)
    return sorted(q.concepts, key=lambda c: -c.weight) if q else []


def _model_answer(question_id: str, bank) -> Place | None:
    """Point at the passage a question's model answer comes from (a probe question has none)."""
    q = _question(question_id, bank)
    if q is None or q.kind == "probe":
        return None
    return Place(q.source.doc, q.source.heading, q.source.line)


def _row(r: Result, bank) -> dict[str, Any]:
    try:
        q = bank.get(r.question_id)
        prompt, kind, topic = q.prompt, q.kind, q.topic
        concepts = [c.label for c in sorted(q.concepts, key=lambda c: -c.weight)]
    except InputError:
        prompt, kind, topic, concepts = r.question_id, "?", "?", []
    last = r.card
    return {
        "number": r.number, "question_id": r.question_id, "prompt": prompt, "kind": kind, "topic": topic,
        "grade": r.grade, "score": r.score, "skipped": r.skipped and not r.attempts, "hints": r.hints,
        "attempts": len(r.attempts), "concepts": concepts,
        # A concept missed in the answer and covered on the follow-up counts as covered, saying so.
        "matched": ([_short(m.concept) for m in last.matched] if last else [])
        + ([f"{r.recovered} (on the follow-up)"] if r.recovered else []),
        "missed": [_short(m.concept) for m in last.missed if m.concept != r.recovered] if last else [],
        "follow_up": ({"prompt": r.follow_up.prompt, "concept": r.follow_up.concept,
                       "score": r.follow_up.scorecard.score if r.follow_up.scorecard else None}
                      if r.follow_up else None),
    }


def _short(concept: str) -> str:
    """Shorten a choice question's "option D: <its text>" entry to "option D"."""
    return concept.split(":", 1)[0] if is_option_label(concept) else concept


def _spoken(seconds: float) -> str:
    """Say a speaking time in seconds under a minute ("~13 s"), else in minutes ("~1.5 min")."""
    return f"~{round(seconds)} s" if seconds < 60 else f"~{seconds / 60:.1f} min"


def _delivery(answered: list[Result]) -> dict[str, Any]:
    """Add up how every graded answer was said, follow-up answers included."""
    cards = [r.card.delivery for r in answered if r.card]
    cards += [r.follow_up.scorecard.delivery for r in answered if r.follow_up and r.follow_up.scorecard]
    words = sum(d.words for d in cards)
    fillers = sum(len(d.fillers) for d in cards)
    top: Counter[str] = Counter()
    for d in cards:
        top.update(dict(d.top_words))
    return {"words": words, "fillers": fillers, "filler_rate": round(fillers / words, 3) if words else 0.0,
            "speaking_seconds": round(sum(d.speaking_seconds for d in cards), 1),
            "top_words": [[w, n] for w, n in top.most_common(8)]}


def _text(data: dict[str, Any]) -> str:
    if not data["questions"]:
        return "Session summary: no questions answered this time. Say “new” to start an interview."
    avg = f"{data['average_grade']:.1f}/5 average" if data["average_grade"] is not None else "no grades"
    lines = [f"Session summary: {avg} over {data['answered']} answered"
             + (f" ({data['skipped']} skipped)." if data["skipped"] else ".")]
    for row in data["questions"]:
        if row["skipped"]:
            lines.append(f"  {row['number']}. [{row['kind']} · {row['topic']}] skipped — {clip(row['prompt'], 70)}")
            continue
        parts = []
        if row["matched"]:
            parts.append("covered " + ", ".join(row["matched"][:3]))
        if row["missed"]:
            parts.append("missed " + ", ".join(row["missed"][:3]))
        detail = " — " + "; ".join(parts) if parts else ""
        lines.append(f"  {row['number']}. [{row['kind']} · {row['topic']}] {row['grade']:.1f}/5{detail}")
    d = data["delivery"]
    if d["words"]:
        top = ", ".join(w for w, _ in d["top_words"][:5])
        lines.append(f"Delivery: {count(d['words'], 'word')} · {count(d['fillers'], 'filler')} ({d['filler_rate']:.0%}) · "
                     f"{_spoken(d['speaking_seconds'])} spoken" + (f" · most used: {top}" if top else ""))
    if data["weakest_concepts"]:
        lines.append("Weakest: " + ", ".join(f"“{c}”" for c in data["weakest_concepts"]))
    if len(data["weakest_topics"]) > 1:
        t = data["weakest_topics"][0]
        lines.append(f"Weakest topic: {t['topic']} ({t['average_grade']:.1f}/5)")
    if data["read_next"]:
        lines.append("Read next: " + "; ".join(
            f"{r['concept']} → {cite(r['doc'], r['heading'], r['line'])}" for r in data["read_next"]))
    return "\n".join(lines)


@dataclass(frozen=True)
class ComingBack:
    """A concept of the interview and when its review falls due (from the learner's schedule)."""

    concept_id: str
    label: str
    due: datetime
    last_rating: int = 0


def with_coming_back(reply: Reply, items: Iterable[ComingBack], now: datetime, limit: int = COMING_BACK) -> Reply:
    """End a summary with what will come back and when ("Coming back: “quorum” tomorrow, …")."""
    items = sorted(items, key=lambda c: (c.due, c.label))
    if not items:
        return reply
    shown = [f"“{c.label}” {when(c.due, now)}" for c in items[:limit]]
    more = f" and {count(len(items) - limit, 'more concept')}" if len(items) > limit else ""
    line = f"Coming back for review: {', '.join(shown)}{more}."
    data = {**reply.data, "coming_back": [{"concept_id": c.concept_id, "label": c.label, "due": c.due.isoformat(),
                                           "when": when(c.due, now)} for c in items]}
    return replace(reply, text=f"{reply.text}\n{line}", data=data)


def when(due: datetime, now: datetime) -> str:
    """Say when a review falls due, by calendar day: "today", "tomorrow", "in 3 days", "in 2 weeks"."""
    days = (due.date() - now.date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days < 14:
        return f"in {days} days"
    if days < 60:
        return f"in {round(days / 7)} weeks"
    return f"in {round(days / 30)} months"
