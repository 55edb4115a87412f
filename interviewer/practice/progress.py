"""A learner's progress: mastery by topic and by concept, what is due today and this week, a chart per topic.

`progress_json` is the contract of `interviewer progress --json`; `progress_view` adds what the
/progress page and the text table show; `mastery_svg` draws one topic's chart (server-rendered SVG,
as report.py draws the scorecard's).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable

from interviewer.dialogue.summary import when
from interviewer.practice.schedule import Mastery, due_by, is_due, retrievability
from interviewer.report import COLOURS, svg_bar_row, svg_chart, svg_text

# A topic's chart shows at most this many concepts (the soonest due); the table lists them all.
CHART_CONCEPTS = 12
WEEK = timedelta(days=7)


def concept_row(m: Mastery, label: str, topics: Iterable[str]) -> dict[str, Any]:
    """Return one concept's entry of `progress --json`."""
    return {"concept_id": m.concept_id, "label": label, "topics": list(topics), "state": m.state,
            "due": m.due.isoformat(), "stability": round(m.stability, 2), "reviews": m.reviews, "lapses": m.lapses,
            "last_grade": m.last_grade}


def progress_json(cards: Iterable[Mastery], inventory: Any, now: datetime) -> dict[str, Any]:
    """Return `{concepts: [{concept_id, label, topics, state, due, stability, reviews, lapses, last_grade}],
    due_now}`: every reviewed concept, soonest due first, and how many are due at `now`."""
    cards = sorted(cards, key=lambda m: (m.due, m.concept_id))
    return {"concepts": [concept_row(m, *_names(m.concept_id, inventory)) for m in cards],
            "due_now": sum(1 for m in cards if is_due(m, now))}


def progress_view(cards: Iterable[Mastery], inventory: Any, now: datetime) -> dict[str, Any]:
    """Return what the progress page shows: the JSON's concepts with their recall and when they are due,
    counts due now, today and this week, and the concepts grouped by topic."""
    cards = sorted(cards, key=lambda m: (m.due, m.concept_id))
    rows = []
    for m in cards:
        label, topics = _names(m.concept_id, inventory)
        rows.append({**concept_row(m, label, topics), "recall": round(retrievability(m, now), 3),
                     "when": when(m.due, now), "due_now": is_due(m, now), "due_week": m.due < due_by(now) + WEEK,
                     "last_review": m.last_review.isoformat()})
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        for topic in row["topics"] or ["other"]:
            by_topic.setdefault(topic, []).append(row)
    topics = [{"topic": t, "concepts": rs, "due": sum(r["due_now"] for r in rs),
               "recall": round(sum(r["recall"] for r in rs) / len(rs), 3)}
              for t, rs in sorted(by_topic.items(), key=lambda kv: (-sum(r["due_now"] for r in kv[1]), kv[0]))]
    return {"now": now.isoformat(), "concepts": rows, "topics": topics,
            "due_now": sum(r["due_now"] for r in rows), "due_today": sum(1 for m in cards if m.due < due_by(now)),
            "due_this_week": sum(r["due_week"] for r in rows), "reviews": sum(m.reviews for m in cards)}


def progress_text(view: dict[str, Any]) -> str:
    """Return the progress as a plain table for the terminal."""
    if not view["concepts"]:
        return "No reviews yet: answer some questions (interviewer chat) and your concepts appear here."
    lines = [f"{len(view['concepts'])} concepts · {view['due_today']} due today · "
             f"{view['due_this_week']} due this week · {view['reviews']} reviews"]
    lines.append(f"{'due':<11} {'concept':<34} {'state':<10} {'stability':>9} {'reviews':>7} {'lapses':>6}  last")
    for r in view["concepts"]:
        label = r["label"] if len(r["label"]) <= 34 else r["label"][:33] + "…"
        lines.append(f"{r['when']:<11} {label:<34} {r['state']:<10} {r['stability']:>8.1f}d {r['reviews']:>7} "
                     f"{r['lapses']:>6}  {r['last_grade']}")
    return "\n".join(lines)


def mastery_svg(topic: dict[str, Any], *, width: int = 760, row: int = 22) -> str:
    """Draw a topic's concepts as bars of how likely each is recalled now (FSRS retrievability), coloured by
    when it is due: now (red), this week (amber), later (green)."""
    shown = topic["concepts"][:CHART_CONCEPTS]
    label_w, right, top = 200, 48, 6
    height = top + row * len(shown) + 24
    plot_w = width - label_w - right
    body = []
    for i, r in enumerate(shown):
        y = top + i * row
        name = r["label"] if len(r["label"]) <= 28 else r["label"][:27] + "…"
        share = max(0.0, min(1.0, float(r["recall"])))
        colour = COLOURS["weak"] if r["due_now"] else COLOURS["fair"] if r["due_week"] else COLOURS["strong"]
        body += svg_bar_row(y, name, share, colour, f'{r["label"]}: {share:.0%} recall now, due {r["when"]}',
                            label_w=label_w, plot_w=plot_w, row=row, inset=3, size=12)
    body.append(svg_text(label_w, height - 6, "chance of recall now · red due · amber this week · green later",
                      size=11, colour="axis"))
    desc = "; ".join(f"{r['label']} {float(r['recall']):.0%}" for r in shown)
    return svg_chart(f"mastery-{_slug(topic['topic'])}", width, height, f"Recall per concept: {topic['topic']}", desc, body)


def _names(concept_id: str, inventory: Any) -> tuple[str, tuple[str, ...]]:
    found = inventory.get(concept_id) if inventory is not None else None
    if found is None:
        return concept_id.replace("-", " "), ()
    return found.label, tuple(found.topics)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-") or "topic"
