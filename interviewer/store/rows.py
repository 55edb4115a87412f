"""Turning the engine's messages, replies and state into rows, and rows back into records."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, is_dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from sqlalchemy.engine import Connection

from interviewer.dialogue.state import State
from interviewer.store.records import SessionRecord
from interviewer.store.schema import scorecards, turns

# Longer "tokens" are not ours (ours are 43 characters): refuse them before hashing.
MAX_TOKEN_CHARS = 200


def as_data(value: Any) -> Any:
    """Return a record (State, Reply, Config) as its JSON-ready dict; anything else as it is."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def summarise(state: Mapping[str, Any]) -> dict[str, Any]:
    """Return the session row's summary columns (phase, topic, answered, average_grade) for a state."""
    config = state.get("config") if isinstance(state.get("config"), Mapping) else {}
    phase, topic = state.get("phase"), config.get("topic")
    out = {"phase": phase if isinstance(phase, str) else None,
           "topic": clean(topic) if isinstance(topic, str) else None, "answered": 0, "average_grade": None}
    try:
        answered = [r for r in State.from_dict(dict(state)).results if r.answered]
        if answered:
            out.update(answered=len(answered),
                       average_grade=round(sum(r.grade for r in answered) / len(answered), 2))
    except (TypeError, ValueError, KeyError, AttributeError):
        # Not an engine state (a test's plain dict, a future shape): it is still saved as given.
        pass
    return out


def user_row(text: str) -> dict[str, Any]:
    """Return the turn row of a user's message."""
    shown = clean(text) if isinstance(text, str) else clean(str(text))
    # The shown text drops what a database cannot hold (NUL, lone surrogates); the exact text stays.
    payload = {} if shown == text else {"original": text}
    return {"role": "user", "kind": "message", "text": shown, "payload": dumps(payload), "card": None}


def reply_row(reply: Any) -> dict[str, Any]:
    """Return the turn row of a reply ({kind, text, ...data} or a Reply), with its scorecard if it is feedback."""
    data = dict(as_data(reply))
    kind = str(data.get("kind") or "notice")
    body = data.get("text")
    extra = {k: v for k, v in data.items() if k not in ("kind", "text")}
    card = None
    if kind == "feedback":
        card = {"question_id": _str_or_none(extra.get("question_id")), "score": _number(extra.get("score")),
                "grade": _number(extra.get("grade"))}
    return {"role": "interviewer", "kind": clean(kind)[:40], "text": clean("" if body is None else str(body)),
            "payload": dumps(extra), "card": card}


def insert_turns(conn: Connection, session_id: str, first: int, rows: list[dict[str, Any]], now: datetime) -> None:
    """Insert turn rows numbered from `first`, and the scorecards the feedback ones carry."""
    if not rows:
        return
    conn.execute(turns.insert(), [
        {"session_id": session_id, "seq": first + i, "role": r["role"], "kind": r["kind"], "text": r["text"],
         "payload": r["payload"], "created_at": now} for i, r in enumerate(rows)])
    cards = [{"session_id": session_id, "seq": first + i, "payload": r["payload"], "created_at": now, **r["card"]}
             for i, r in enumerate(rows) if r["card"] is not None]
    if cards:
        conn.execute(scorecards.insert(), cards)


def session_record(row: Any) -> SessionRecord:
    """Return a sessions row as a SessionRecord."""
    return SessionRecord(id=row.id, token=row.token, created_at=row.created_at, updated_at=row.updated_at,
                         config=json.loads(row.config), state=json.loads(row.state), phase=row.phase,
                         topic=row.topic, answered=row.answered, average_grade=row.average_grade,
                         turns=row.turns, client=row.client)


def dumps(value: Any) -> str:
    """Return value as compact JSON that any text column of any database can hold."""
    # ASCII JSON: every code point survives as an escape, NUL and lone surrogates included,
    # which PostgreSQL text (no NUL) and UTF-8 encoders (no surrogates) would otherwise refuse.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), default=_jsonable)


def _jsonable(value: Any) -> Any:
    # Records and mappings nested in a payload become objects; anything else its text, not an error.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    data = as_data(value)
    return data if data is not value else str(value)


def clean(text: str) -> str:
    """Return text a database column can hold: no NUL, no lone surrogates."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def now() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


def digest(token: str) -> str:
    """Return the digest a token is looked up by."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def plausible_token(token: Any) -> bool:
    """Tell whether a value could be a token at all."""
    return isinstance(token, str) and 0 < len(token) <= MAX_TOKEN_CHARS


def same_token(stored: str, given: str) -> bool:
    """Compare two tokens in constant time."""
    return secrets.compare_digest(stored.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass"))


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _str_or_none(value: Any) -> str | None:
    return None if value is None else clean(str(value))
