"""Session exports: the report as data (JSON), Markdown and HTML, and the SVG charts drawn on the server.

Pure functions over what the store returns (a session record, its turns and scorecards) and the
bank; no Flask, so the CLI can render the same reports. Every text drawn into SVG or HTML is escaped.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import datetime
from html import escape
from typing import Any, Iterable, Sequence

from interviewer.dialogue.replies import count
from interviewer.dialogue.state import Result, State
from interviewer.dialogue.summary import DefinedAt, weakest
from interviewer.errors import InputError
from interviewer.rubric import Rubric, rubric_markdown

# Grade bands for colours and words, checked top down: (lowest grade, band).
BANDS = ((4.0, "strong"), (2.5, "fair"), (0.0, "weak"))
# Colours with at least 4.5:1 contrast on white, so their labels stay readable.
COLOURS = {"strong": "#1b6e3a", "fair": "#8a5a00", "weak": "#b3261e", "none": "#5f6368", "axis": "#5f6368",
           "grid": "#dadce0", "text": "#202124", "line": "#1a57b0"}


# Control characters a terminal acts on (ESC starts escape sequences, BEL rings): C0 but tab and
# newlines, DEL and C1. Every text a report prints goes without them, whatever the store holds.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def printable(value: Any) -> Any:
    """Return text (or the texts in lists and dicts) without control characters; anything else as it is."""
    if isinstance(value, str):
        return CONTROL.sub("", value)
    if isinstance(value, dict):
        return {printable(k): printable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [printable(v) for v in value]
    return value


# --------------------------------------------------------------------------- the report as data


EXPORT_FORMATS = ("md", "json", "html")


def report_from_store(store: Any, record: Any, bank: Any = None, defined_at: DefinedAt | None = None) -> dict[str, Any]:
    """Return the report of a stored session: its transcript and scorecards read from the store."""
    return printable(session_report(record, store.transcript(record.id), store.scorecards(record.id), bank,
                                    defined_at))


def export(report: dict[str, Any], fmt: str) -> str:
    """Render a report as Markdown, JSON or a standalone HTML page."""
    if fmt == "json":
        return json.dumps(report, ensure_ascii=False, indent=2)
    if fmt == "md":
        return to_markdown(report)
    if fmt == "html":
        return to_html(report)
    raise InputError(f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}")


def session_report(record: Any, turns: Sequence[Any], scorecards: Sequence[Any], bank: Any = None,
                   defined_at: DefinedAt | None = None) -> dict[str, Any]:
    """Return everything about a session as JSON-ready data: questions, answers, grades, delivery.
    The weakest concepts are the chat summary's own (`dialogue.summary.weakest`)."""
    state = State.from_dict(record.state)
    seen = _questions_seen(turns)
    graded_at = _graded_at(scorecards)
    results = {r.question_id: r for r in state.results}
    order = list(state.asked) + [r.question_id for r in state.results if r.question_id not in state.asked]
    questions = [_question(qid, i + 1, results.get(qid), state, seen, bank, graded_at.get(qid, []))
                 for i, qid in enumerate(order)]
    questions.sort(key=lambda q: q["number"])
    answered = [q for q in questions if q["status"] == "answered"]
    config = state.config
    session = {
        "id": record.id,
        "created_at": _iso(record.created_at),
        "updated_at": _iso(record.updated_at),
        "topic": config.topic or "not chosen yet",
        "difficulty": config.difficulty or "mixed",
        "count": config.count,
        "mode": config.mode,
        "phase": state.phase,
        "asked": len(questions),
        "answered": len(answered),
        "skipped": sum(1 for q in questions if q["status"] == "skipped"),
        "average_grade": round(sum(q["grade"] for q in answered) / len(answered), 2) if answered else None,
    }
    return {
        "session": session,
        "questions": questions,
        "topics": _topics(questions),
        "delivery": _delivery([q["attempts"][-1]["delivery"] for q in answered]
                              + [q["follow_up"]["delivery"] for q in answered if (q["follow_up"] or {}).get("delivery")]),
        "weakest_concepts": [w.to_dict() for w in weakest(state.results, bank, defined_at or _nowhere)],
        "transcript": [{"seq": t.seq, "role": t.role, "kind": t.kind, "text": t.text, "at": _iso(t.created_at)}
                       for t in turns],
    }


def history_row(record: Any) -> dict[str, Any]:
    """Return one line of the history page for a session record."""
    created = _iso(record.created_at)
    state = record.state or {}
    config = state.get("config") or {}
    count = int(config.get("count") or 0)
    if record.phase != "ended":
        status = "in progress"
    elif state.get("ended_by") == "user" and record.answered < count:
        status = "ended early"
    else:
        status = "finished"
    return printable({"id": record.id, "created_at": created, "date": created[:16].replace("T", " "),
                      "topic": _topic_words(record.topic, state), "answered": record.answered, "count": count,
                      "average_grade": record.average_grade, "phase": record.phase, "status": status})


def _topic_words(topic: str | None, state: dict[str, Any]) -> str:
    """Say a session's topic as a person would: "surprise" is a mix of topics; a design round says so."""
    if (state.get("config") or {}).get("round") == "design":
        return "design round"
    if topic == "surprise":
        return "mixed topics"
    return topic or "not chosen yet"


def _questions_seen(turns: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Return the question cards the interviewer showed, by question id (the bank may have changed since)."""
    seen: dict[str, dict[str, Any]] = {}
    for t in turns:
        q = (t.payload or {}).get("question") if t.kind == "question" else None
        if isinstance(q, dict) and q.get("id"):
            seen.setdefault(q["id"], q)
    return seen


def _graded_at(scorecards: Sequence[Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for row in scorecards:
        if (row.payload or {}).get("question_kind") != "follow_up":
            out[row.question_id].append(_iso(row.created_at))
    return out


def _card(qid: str, seen: dict[str, dict[str, Any]], bank: Any) -> dict[str, Any]:
    if qid in seen:
        return seen[qid]
    try:
        q = bank.get(qid)
    except (InputError, AttributeError, KeyError):
        return {"id": qid, "prompt": qid, "kind": "?", "topic": "?", "difficulty": "?", "options": [],
                "source": {"doc": "", "heading": "", "line": 0}}
    return {"id": q.id, "prompt": q.prompt, "kind": q.kind, "topic": q.topic, "difficulty": q.difficulty,
            "options": [{"letter": "ABCDEFGH"[i], "text": t} for i, t in enumerate(q.options)],
            "source": {"doc": q.source.doc, "heading": q.source.heading, "line": q.source.line}}


def _question(qid: str, position: int, result: Result | None, state: State, seen: dict[str, dict[str, Any]],
              bank: Any, graded_at: list[str]) -> dict[str, Any]:
    card = _card(qid, seen, bank)
    attempts = []
    if result is not None:
        reference = _reference(qid, bank)
        for i, a in enumerate(result.attempts):
            sc = a.scorecard.to_dict()
            attempts.append({
                "attempt": i + 1, "answer": a.answer, "score": sc["score"], "grade": sc["grade"],
                "matched": sc["matched"], "missed": sc["missed"], "delivery": sc["delivery"],
                "flags": sc["flag_details"], "hints": a.hints, "seconds": a.seconds, "rubric": a.rubric,
                "dimensions": sc.get("dimensions"),
                "reference": reference, "graded_at": graded_at[i] if i < len(graded_at) else None,
            })
    status = "answered" if attempts else ("skipped" if result is not None and result.skipped else "open")
    fu = result.follow_up if result is not None else None
    number = result.number if result is not None else (state.number if qid == state.current else position)
    return {
        "number": number, "question_id": qid, "prompt": card.get("prompt", qid), "kind": card.get("kind", "?"),
        "topic": card.get("topic", "?"), "difficulty": card.get("difficulty", "?"),
        "options": card.get("options", []), "source": card.get("source", {}),
        "status": status, "grade": result.grade if attempts else 0.0, "score": result.score if attempts else 0.0,
        "band": band(result.grade) if attempts else "none", "hints": result.hints if result is not None else 0,
        "reference": attempts[-1]["reference"] if attempts else "",
        "attempts": attempts,
        "follow_up": None if fu is None else {
            "prompt": fu.prompt, "concept": fu.concept, "answer": fu.answer,
            "score": fu.scorecard.score if fu.scorecard else None,
            "covered": result.recovered is not None,
            "delivery": fu.scorecard.to_dict()["delivery"] if fu.scorecard else None,
        },
    }


def _topics(questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Average score (as "coverage", its old name) and grade per topic; a skipped question counts as 0."""
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for q in questions:
        if q["status"] != "open":
            by[q["topic"]].append(q)
    out = []
    for topic, qs in by.items():
        out.append({"topic": topic, "questions": len(qs),
                    "answered": sum(1 for q in qs if q["status"] == "answered"),
                    "coverage": round(sum(q["score"] for q in qs) / len(qs), 3),
                    "average_grade": round(sum(q["grade"] for q in qs) / len(qs), 2)})
    return sorted(out, key=lambda t: (t["coverage"], t["topic"]))


def _delivery(cards: list[dict[str, Any]]) -> dict[str, Any]:
    words = sum(d.get("words", 0) for d in cards)
    fillers = sum(d.get("fillers", 0) for d in cards)
    filler_words: Counter[str] = Counter()
    top: Counter[str] = Counter()
    for d in cards:
        filler_words.update(d.get("filler_words", []))
        top.update({w: n for w, n in d.get("top_words", [])})
    return {"words": words, "fillers": fillers, "filler_rate": round(fillers / words, 3) if words else 0.0,
            "filler_words": [w for w, _ in filler_words.most_common()],
            "speaking_seconds": round(sum(d.get("speaking_seconds", 0) for d in cards), 1),
            "top_words": [[w, n] for w, n in top.most_common(8)]}


def _nowhere(_concept_id: str) -> None:
    return None


def _reference(qid: str, bank: Any) -> str:
    """Return a question's model answer, when the bank still has the question."""
    try:
        return bank.get(qid).reference
    except (InputError, AttributeError, KeyError):
        return ""


def band(grade: float | None) -> str:
    """Name the band a grade falls in: strong, fair or weak (none without a grade)."""
    if grade is None:
        return "none"
    return next(name for low, name in BANDS if grade >= low)


def highlight(text: str, fillers: Iterable[str]) -> list[tuple[str, bool]]:
    """Split text into (part, is_filler) pieces so the filler words can be marked."""
    words = sorted({w.strip().lower() for w in fillers if w and w.strip()}, key=len, reverse=True)
    if not words or not text:
        return [(text, False)] if text else []
    pattern = re.compile(r"(?<![\w'])(" + "|".join(re.escape(w) for w in words) + r")(?![\w'])", re.IGNORECASE)
    parts: list[tuple[str, bool]] = []
    at = 0
    for m in pattern.finditer(text):
        if m.start() > at:
            parts.append((text[at:m.start()], False))
        parts.append((m.group(0), True))
        at = m.end()
    if at < len(text):
        parts.append((text[at:], False))
    return parts


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    return str(value) if value is not None else ""


# --------------------------------------------------------------------------- Markdown


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md(text: Any) -> str:
    """Escape text for Markdown so an answer's symbols (and any HTML in it) show as typed."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def to_markdown(report: dict[str, Any]) -> str:
    """Render a session report as a Markdown document."""
    s = report["session"]
    avg = f"{s['average_grade']:.1f}/5 average" if s["average_grade"] is not None else "no grades yet"
    skipped = f" ({s['skipped']} skipped)" if s["skipped"] else ""
    out = [f"# Interview scorecard — {md(s['topic'])}", "",
           f"{s['created_at'][:16].replace('T', ' ')} · {s['answered']} of {s['count']} answered{skipped}"
           f" · {avg} · level: {s['difficulty']} · {s['mode']} mode", ""]
    if report["questions"]:
        out += ["| # | Question | Topic | Grade |", "|---|---|---|---|"]
        for q in report["questions"]:
            out.append(f"| {q['number']} | {md(_clip(q['prompt'], 70))} | {md(q['topic'])} | {_grade_word(q)} |")
        out.append("")
    for q in report["questions"]:
        out += _md_question(q)
    d = report["delivery"]
    if d["words"]:
        out += ["## Delivery", "",
                f"{count(d['words'], 'word')} · {count(d['fillers'], 'filler')} ({d['filler_rate']:.0%})"
                + (f": {md(', '.join(d['filler_words']))}" if d["filler_words"] else "")
                + f" · about {_duration(d['speaking_seconds'])} spoken", ""]
        if d["top_words"]:
            out += ["Most used words: " + ", ".join(f"{md(w)} ({n})" for w, n in d["top_words"]), ""]
    if report["topics"]:
        out += ["## By topic", ""]
        out += [f"- {md(t['topic'])}: average score {t['coverage']:.2f}, {t['average_grade']:.1f}/5 over {t['questions']}"
                f" question{'s' if t['questions'] != 1 else ''}" for t in report["topics"]]
        out.append("")
    if report["weakest_concepts"]:
        out += ["## Study next", ""]
        out += [f"- **{md(w['concept'])}**" + (f" — {md(_clip(w['reference'], 200))}" if w["reference"] else "")
                + (f" (read: {md(w['read']['doc'])}, “{md(w['read']['heading'])}”, line {w['read']['line']})"
                   if w.get("read") else "")
                for w in report["weakest_concepts"]]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _md_question(q: dict[str, Any]) -> list[str]:
    src = q["source"] or {}
    out = [f"## {q['number']}. {md(q['prompt'])}", "",
           f"*{md(q['kind'])} · {md(q['topic'])} · {md(q['difficulty'])}*"
           + (f" — source: {md(src.get('doc', ''))}, “{md(src.get('heading', ''))}”, line {src.get('line')}"
              if src.get("doc") else ""), ""]
    for o in q["options"]:
        out.append(f"- {o['letter']}. {md(o['text'])}")
    if q["options"]:
        out.append("")
    if q["status"] != "answered":
        out += [f"**{'Skipped' if q['status'] == 'skipped' else 'Not answered'}.**", ""]
        return out
    a = q["attempts"][-1]
    out += [f"**Grade {q['grade']:.1f}/5** (score {q['score']:.2f}; {_covered_count(a)})"
            + (f" · {q['hints']} hint{'s' if q['hints'] != 1 else ''}" if q["hints"] else "")
            + (f" · attempt {a['attempt']}" if a["attempt"] > 1 else ""), "",
            "Your answer:", ""]
    out += ["> " + md(line) if line.strip() else ">" for line in a["answer"].splitlines() or [""]]
    out.append("")
    dims = a.get("dimensions")
    if dims:
        out.append(f"- Dimensions: coverage {dims['coverage']:.2f} · explanation {dims['explanation']:.2f} · "
                   f"delivery {dims['delivery']:.2f}")
    if a["matched"]:
        out.append("- Covered: " + " · ".join(md(m["concept"]) for m in a["matched"]))
    for m in a["missed"]:
        out.append(f"- Missed: {md(m['concept'])}" + (f" — “{md(_clip(m['reference'], 200))}”" if m.get("reference") else ""))
    for f in a["flags"]:
        out.append(f"- Note: {md(f.get('message', f.get('flag', '')))}")
    d = a["delivery"]
    if d:
        fillers = f" ({md(', '.join(sorted(set(d.get('filler_words', [])))))})" if d.get("filler_words") else ""
        out.append(f"- Delivery: {count(d.get('words', 0), 'word')} · {count(d.get('fillers', 0), 'filler')}{fillers} · "
                   f"about {_duration(d.get('speaking_seconds', 0))} spoken")
    fu = q["follow_up"]
    if fu:
        line = f"- Follow-up: {md(fu['prompt'])}"
        if fu["answer"]:
            line += f" — answered: “{md(_clip(fu['answer'], 200))}” (score {fu['score']:.2f})"
        out.append(line)
    out.append("")
    if a.get("rubric"):
        out += [rubric_markdown(Rubric.from_dict(a["rubric"])), ""]
    if a["reference"]:
        out += ["<details><summary>Model answer</summary>", "", *(md(line) for line in a["reference"].splitlines()),
                "", "</details>", ""]
    return out


def _covered_count(a: dict[str, Any]) -> str:
    """Say how many of the question's key concepts an attempt covered: "2 of 5 key concepts covered"."""
    total = len(a["matched"]) + len(a["missed"])
    return f"{len(a['matched'])} of {total} key concepts covered" if total else "graded by the design rubric"


def _grade_word(q: dict[str, Any]) -> str:
    return f"{q['grade']:.1f}/5" if q["status"] == "answered" else q["status"]


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _duration(seconds: float) -> str:
    seconds = round(seconds or 0)
    return f"{seconds} s" if seconds < 90 else f"{seconds / 60:.1f} min"


# --------------------------------------------------------------------------- HTML


def to_html(report: dict[str, Any], *, standalone: bool = True) -> str:
    """Render a session report as a self-contained HTML page (styles inline, charts as SVG)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    from interviewer.config import bundled

    web = bundled("web")
    env = Environment(loader=FileSystemLoader(str(web / "templates")), autoescape=select_autoescape(["html"]))
    env.filters.update(TEMPLATE_FILTERS)
    css = (web / "static" / "report.css").read_text(encoding="utf-8") if standalone else ""
    charts = {"grades": Markup(grades_svg(report["questions"])), "topics": Markup(topics_svg(report["topics"]))}
    return env.get_template("report.html").render(report=report, charts=charts, css=Markup(css.replace("</", "<\\/")))


def _fillers(answer: str, delivery: dict[str, Any]) -> list[tuple[str, bool]]:
    return highlight(answer, (delivery or {}).get("filler_words", []))


# Filters the report templates use (the Flask app registers them too).
TEMPLATE_FILTERS = {"band": band, "duration": _duration, "fillers": _fillers}


# --------------------------------------------------------------------------- SVG charts


def _svg(name: str, width: int, height: int, title: str, desc: str, body: list[str]) -> str:
    # Drawn at its own size (never scaled up: a 12 px label stays 12 px); CSS shrinks it on a narrow screen.
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
            f'role="img" aria-labelledby="{name}-title {name}-desc" class="chart chart-{name}" '
            f'preserveAspectRatio="xMinYMin meet">'
            f'<title id="{name}-title">{escape(title)}</title><desc id="{name}-desc">{escape(desc)}</desc>'
            + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 14, colour: str = "text",
          weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{COLOURS[colour]}" font-family="system-ui, sans-serif">{escape(text)}</text>')


def _bar_row(y: float, name: str, share: float, fill: str, title: str, *, label_w: int, plot_w: int, row: int,
             inset: int, size: int = 14) -> list[str]:
    """Draw one row of a horizontal bar chart: its name, the track, the bar (`share` of the track, with a
    tooltip) and the share in per cent."""
    thick = row - 2 * inset - 2
    return [
        _text(label_w - 8, y + row / 2 + 4, name, anchor="end", size=size),
        f'<rect x="{label_w}" y="{y + inset}" width="{plot_w}" height="{thick}" fill="{COLOURS["grid"]}" rx="2"/>',
        f'<rect x="{label_w}" y="{y + inset}" width="{max(1.0, plot_w * share):.1f}" height="{thick}" '
        f'fill="{fill}" rx="2"><title>{escape(title)}</title></rect>',
        _text(label_w + plot_w + 6, y + row / 2 + 4, f"{share:.0%}", size=size),
    ]


# The chart builders other pages draw with (the progress page's mastery charts).
svg_chart, svg_text, svg_bar_row = _svg, _text, _bar_row


def _grade_axis(left: int, right: int, top: int, plot_h: int, width: int) -> list[str]:
    """Draw the horizontal grid lines and labels of a 0–5 grade axis."""
    body = []
    for g in range(6):
        y = top + plot_h - plot_h * g / 5
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{COLOURS["grid"]}"/>')
        body.append(_text(left - 6, y + 4, str(g), anchor="end", size=13, colour="axis"))
    return body


def grades_svg(questions: Sequence[dict[str, Any]], *, width: int = 480, height: int = 220) -> str:
    """Draw the grade (0–5) of each question as a bar; skipped and open questions as a labelled stub."""
    if not questions:
        return _svg("grades", width, 60, "Grade per question", "No questions yet.", [_text(10, 35, "No questions yet.")])
    left, right, top, bottom = 34, 10, 14, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    body = _grade_axis(left, right, top, plot_h, width)
    slot = plot_w / len(questions)
    bar = min(48.0, slot * 0.6)
    for i, q in enumerate(questions):
        cx = left + slot * (i + 0.5)
        label = f"Q{q['number']}"
        if q["status"] == "answered":
            h = max(1.5, plot_h * float(q["grade"]) / 5)
            colour = COLOURS[band(q["grade"])]
            tip = f"Question {q['number']} ({q['topic']}): {q['grade']:.1f}/5"
            body.append(f'<rect x="{cx - bar / 2:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                        f'fill="{colour}" rx="2"><title>{escape(tip)}</title></rect>')
            body.append(_text(cx, top + plot_h - h - 4, f"{q['grade']:.1f}", anchor="middle", size=13))
        else:
            body.append(_text(cx, top + plot_h - 6, q["status"], anchor="middle", size=12, colour="none"))
        body.append(_text(cx, height - bottom + 16, label, anchor="middle", size=13, colour="axis"))
    summary = "; ".join(f"Q{q['number']} {q['grade']:.1f}" if q["status"] == "answered" else f"Q{q['number']} {q['status']}"
                        for q in questions)
    body.append(_text(left, height - 4, "grade out of 5, per question", size=12, colour="axis"))
    return _svg("grades", width, height, "Grade per question", summary, body)


def topics_svg(topics: Sequence[dict[str, Any]], *, width: int = 480, row: int = 28) -> str:
    """Draw the average score per topic as horizontal bars (0–1)."""
    if not topics:
        return _svg("topics", width, 60, "Coverage per topic", "No graded questions yet.", [_text(10, 35, "No graded questions yet.")])
    label_w, right, top = 150, 48, 8
    height = top + row * len(topics) + 24
    plot_w = width - label_w - right
    body = []
    for i, t in enumerate(topics):
        y = top + i * row
        name = t["topic"] if len(t["topic"]) <= 18 else t["topic"][:17] + "…"
        share = max(0.0, min(1.0, float(t["coverage"])))
        body += _bar_row(y, name, share, COLOURS[band(t["average_grade"])],
                         f'{t["topic"]}: average score {share:.2f} over {t["questions"]} question(s)',
                         label_w=label_w, plot_w=plot_w, row=row, inset=4)
    body.append(_text(label_w, height - 6, "average score (0–1)", size=12, colour="axis"))
    desc = "; ".join(f"{t['topic']} {float(t['coverage']):.0%}" for t in topics)
    return _svg("topics", width, height, "Coverage per topic", desc, body)


def trend_svg(rows: Sequence[dict[str, Any]], *, width: int = 480, height: int = 200) -> str:
    """Draw the average grade of each graded session, oldest to newest, as a line."""
    points = [r for r in rows if r.get("average_grade") is not None]
    if not points:
        return _svg("trend", width, 60, "Average grade over time", "No graded sessions yet.",
                    [_text(10, 35, "No graded sessions yet: finish an interview to start the trend.")])
    left, right, top, bottom = 34, 16, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    body = _grade_axis(left, right, top, plot_h, width)
    step = plot_w / max(1, len(points) - 1)
    xy = []
    for i, p in enumerate(points):
        x = left + (step * i if len(points) > 1 else plot_w / 2)
        y = top + plot_h - plot_h * float(p["average_grade"]) / 5
        xy.append((x, y, p))
    if len(xy) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in xy)
        body.append(f'<polyline points="{path}" fill="none" stroke="{COLOURS["line"]}" stroke-width="2"/>')
    every = max(1, len(xy) // 6)
    for i, (x, y, p) in enumerate(xy):
        tip = f"{p['date']} · {p['topic']}: {float(p['average_grade']):.1f}/5"
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{COLOURS[band(p["average_grade"])]}">'
                    f'<title>{escape(tip)}</title></circle>')
        if i % every == 0 or i == len(xy) - 1:
            # The first date starts at its point and the last ends at it, so neither is cut at the edge.
            anchor = "start" if i == 0 and len(xy) > 1 else "end" if i == len(xy) - 1 and len(xy) > 1 else "middle"
            body.append(_text(x, height - bottom + 16, p["date"][:10], anchor=anchor, size=12, colour="axis"))
    desc = "; ".join(f"{p['date'][:10]} {float(p['average_grade']):.1f}" for _, _, p in xy)
    return _svg("trend", width, height, "Average grade over time", desc, body)
