"""The end-of-interview summary and the "how am I doing" progress note."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Callable, Iterable

from interviewer.dialogue.replies import Reply, cite, clip, count
from interviewer.dialogue.state import Result, State
from interviewer.errors import InputError
from interviewer.grading import is_option_label

# How many of the weakest concepts the summary names, each with a passage to read next.
WEAKEST = 5


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


def summary_reply(state: State, bank, study: Callable[[Iterable[str]], list[dict[str, Any]]]) -> Reply:
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
    weakest_of = _weakest(state.results, rows)
    weakest = [concept for concept, _ in weakest_of]
    found = {p["concept"]: p for p in study(weakest)}
    pointers = (found.get(concept) or _own_passage(concept, qid, bank) for concept, qid in weakest_of)
    read_next = _one_per_passage([p for p in pointers if p])
    skipped = sum(1 for r in rows if r["skipped"])
    data = {"questions": rows, "answered": len(answered), "skipped": skipped, "average_grade": avg,
            "delivery": delivery, "weakest_topics": weakest_topics, "weakest_concepts": weakest,
            "read_next": read_next}
    return Reply("summary", _text(data), data)


def _weakest(results: tuple[Result, ...], rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Name the concepts most worth studying, each with its question's id: the most important miss
    of each question, weakest question first, then each one's next miss, and so on (a question with
    many concepts does not crowd out the others). A skipped question's concepts count as missed."""
    misses: list[list[tuple[str, str]]] = []
    for r, row in sorted(zip(results, rows), key=lambda pair: pair[1]["grade"]):
        if r.attempts:
            ranked = sorted(r.attempts[-1].scorecard["missed"], key=lambda m: -float(m.get("weight", 1.0)))
            misses.append([(m["concept"], r.question_id) for m in ranked
                           if not is_option_label(m["concept"]) and m["concept"] != r.recovered])
        elif row["skipped"]:
            misses.append([(c, r.question_id) for c in row["concepts"]])
    out: list[tuple[str, str]] = []
    for rank in range(max((len(m) for m in misses), default=0)):
        for concepts in misses:
            if rank < len(concepts) and concepts[rank][0] not in (c for c, _ in out):
                out.append(concepts[rank])
    return out[:WEAKEST]


def _own_passage(concept: str, question_id: str, bank) -> dict[str, Any] | None:
    """Point at the passage a question's model answer comes from, where its missed concept is explained
    (when no other passage of the corpus talks about the concept). A probe question has no model answer."""
    try:
        q = bank.get(question_id)
    except InputError:
        return None
    if q.kind == "probe":
        return None
    return {"concept": concept, "doc": q.source.doc, "heading": q.source.heading, "line": q.source.line}


def _one_per_passage(pointers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep the first pointer to each passage: five concepts read in one place are one pointer."""
    seen: set[tuple[str, str]] = set()
    out = []
    for p in pointers:
        if (p["doc"], p["heading"]) not in seen:
            seen.add((p["doc"], p["heading"]))
            out.append(p)
    return out


def _row(r: Result, bank) -> dict[str, Any]:
    try:
        q = bank.get(r.question_id)
        prompt, kind, topic = q.prompt, q.kind, q.topic
        concepts = [c.label for c in sorted(q.concepts, key=lambda c: -c.weight)]
    except InputError:
        prompt, kind, topic, concepts = r.question_id, "?", "?", []
    last = r.attempts[-1].scorecard if r.attempts else None
    return {
        "number": r.number, "question_id": r.question_id, "prompt": prompt, "kind": kind, "topic": topic,
        "grade": r.grade, "score": r.score, "skipped": r.skipped and not r.attempts, "hints": r.hints,
        "attempts": len(r.attempts), "concepts": concepts,
        # A concept missed in the answer and covered on the follow-up counts as covered, saying so.
        "matched": ([_short(m["concept"]) for m in last["matched"]] if last else [])
        + ([f"{r.recovered} (on the follow-up)"] if r.recovered else []),
        "missed": [_short(m["concept"]) for m in last["missed"] if m["concept"] != r.recovered] if last else [],
        "follow_up": ({"prompt": r.follow_up.prompt, "concept": r.follow_up.concept,
                       "score": r.follow_up.scorecard["score"] if r.follow_up.scorecard else None}
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
    cards = [r.attempts[-1].scorecard["delivery"] for r in answered]
    cards += [r.follow_up.scorecard["delivery"] for r in answered if r.follow_up and r.follow_up.scorecard]
    words = sum(d["words"] for d in cards)
    fillers = sum(d["fillers"] for d in cards)
    top: Counter[str] = Counter()
    for d in cards:
        top.update({w: n for w, n in d["top_words"]})
    return {"words": words, "fillers": fillers, "filler_rate": round(fillers / words, 3) if words else 0.0,
            "speaking_seconds": round(sum(d["speaking_seconds"] for d in cards), 1),
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
