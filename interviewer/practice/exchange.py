"""A learner's progress as a file: export (JSON) and import elsewhere, so changing browsers loses nothing;
and the weak concepts as an Anki deck (genanki), to go on practising on a phone."""

from __future__ import annotations

import json
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable

from interviewer.errors import InputError
from interviewer.practice.schedule import Mastery
from interviewer.practice.service import advance_row, parse_now
from interviewer.records import Concept
from interviewer.store import ReviewIn

FORMAT = "interviewer-progress"
VERSION = 1
# An export holds at most this many reviews (years of daily practice); a bigger file is not ours.
MAX_REVIEWS = 200_000


def export_progress(store: Any, learner: Any, now: datetime) -> dict[str, Any]:
    """Return a learner's review log and sessions as JSON-ready data (the log rebuilds every card)."""
    sessions = store.learner_sessions(learner.id, limit=10_000)
    return {"format": FORMAT, "version": VERSION, "learner": learner.name, "exported_at": now.isoformat(),
            "reviews": [e.to_dict() for e in store.review_log(learner.id)],
            "sessions": [{"session_id": s.id, "share": s.share} for s in sessions if s.share]}


def import_progress(store: Any, learner: Any, data: Any) -> dict[str, int]:
    """Merge an export into a learner's progress; return how many reviews were new and sessions adopted."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise InputError(f"that is not an interviewer progress export (no \"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise InputError(f"progress export version {data.get('version')!r} is not one this interviewer reads ({VERSION})")
    rows = data.get("reviews")
    if not isinstance(rows, list) or len(rows) > MAX_REVIEWS:
        raise InputError(f"\"reviews\" must be a list of at most {MAX_REVIEWS:,} reviews")
    entries, times = [], []
    for i, r in enumerate(rows, 1):
        try:
            rating = int(r["rating"])
            if not 1 <= rating <= 4 or not isinstance(r["concept_id"], str) or not r["concept_id"]:
                raise ValueError
            at = parse_now(str(r["reviewed_at"]))
        except (KeyError, TypeError, ValueError, InputError):
            raise InputError(f"review {i} of the export is not a review (concept_id, rating 1–4, reviewed_at)") from None
        entries.append(ReviewIn(r["concept_id"][:200], rating, str(r.get("rule") or "imported")[:60],
                                r.get("question_id"), r.get("source"), r.get("cap")))
        times.append(at)
    added = store.import_reviews(learner.id, entries, times, advance_row)
    pairs = [(s.get("session_id"), s.get("share")) for s in data.get("sessions") or () if isinstance(s, dict)]
    adopted = store.adopt_sessions(learner.id, [(a, b) for a, b in pairs if isinstance(a, str) and isinstance(b, str)])
    return {"reviews": added, "sessions": adopted}


def read_export(path: str) -> Any:
    """Read an export file; a missing or broken one is an InputError that says which."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path} ({exc.strerror or exc})") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not JSON ({exc})") from exc


def weak(cards: Iterable[Mastery], now: datetime) -> list[Mastery]:
    """Return the concepts worth a flashcard: lapsed, last missed or only named, or due now."""
    return [m for m in cards if m.lapses or m.last_rating <= 2 or m.due <= now]


def anki_deck(cards: Iterable[Mastery], inventory: Any, now: datetime, path: str, learner: str = "") -> int:
    """Write the weak concepts as an Anki deck (.apkg): a probe question on the front, the notes' defining
    sentence and its source on the back. Return how many cards it holds."""
    import genanki

    from interviewer.dialogue.hints import pointing_question
    from interviewer.dialogue.replies import cite

    model = genanki.Model(
        _stable_id("interviewer concept model"), "interviewer concept",
        fields=[{"name": "Question"}, {"name": "Concept"}, {"name": "Definition"}, {"name": "Source"}],
        templates=[{"name": "Recall", "qfmt": "{{Question}}",
                    "afmt": "{{FrontSide}}<hr id=answer><b>{{Concept}}</b><br>{{Definition}}<br><small>{{Source}}</small>"}])
    name = f"interviewer — weak concepts{f' ({learner})' if learner else ''}"
    deck = genanki.Deck(_stable_id(name), name)
    count = 0
    for m in sorted(weak(cards, now), key=lambda m: (m.due, m.concept_id)):
        found = inventory.get(m.concept_id) if inventory is not None else None
        if found is None or not found.definition:
            continue  # nothing in the notes to put on the back
        concept = Concept(found.id, found.label, found.aliases, 1.0, found.definition, found.defined_at)
        where = cite(found.defined_at.doc, found.defined_at.heading, found.defined_at.line) if found.defined_at else ""
        deck.add_note(genanki.Note(model=model, guid=genanki.guid_for("interviewer", found.id),
                                   fields=[_html(pointing_question(concept)), _html(found.label),
                                           _html(found.definition), _html(where)]))
        count += 1
    try:
        genanki.Package(deck).write_to_file(path)
    except OSError as exc:
        raise InputError(f"cannot write {path} ({exc.strerror or exc})") from exc
    return count


def _stable_id(text: str) -> int:
    # Anki wants 31-bit-ish ids that stay the same across exports, so a re-import updates the deck.
    return 1_000_000_000 + zlib.crc32(text.encode("utf-8")) % 1_000_000_000


def _html(text: str) -> str:
    from html import escape

    return escape(text or "")
