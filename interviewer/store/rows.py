"""Turning the engine's messages, replies and state into rows, and rows back into records."""

from __future__ import annotations

import json
import secrets
import weakref
from dataclasses import asdict, fields, is_dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.engine import Connection

from interviewer.dialogue.state import State
from interviewer.report import printable
from interviewer.store.records import SessionRecord
from interviewer.store.schema import results, scorecards, turns

# Longer "tokens" are not ours (ours are 43 characters): refuse them before hashing.
MAX_TOKEN_CHARS = 200


def as_data(value: Any) -> Any:
    """Return a record (State, Reply, Config) as its JSON-ready dict; anything else as it is."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return value


def summarise(state: State | Mapping[str, Any]) -> dict[str, Any]:
    """Return the session row's summary columns (phase, topic, answered, average_grade) for a state."""
    if not isinstance(state, (State, Mapping)):
        state = as_data(state)
    if isinstance(state, State):
        phase, topic, results = state.phase, state.config.topic, state.results
    else:
        config = state.get("config") if isinstance(state.get("config"), Mapping) else {}
        phase, topic, results = state.get("phase"), config.get("topic"), None
    out = {"phase": phase if isinstance(phase, str) else None,
           "topic": clean(topic) if isinstance(topic, str) else None, "answered": 0, "average_grade": None}
    try:
        if results is None:
            results = State.from_dict(dict(state)).results
        answered = [r for r in results if r.answered]
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
    conn.execute(_INSERT_TURNS, [
        {"session_id": session_id, "seq": first + i, "role": r["role"], "kind": r["kind"], "text": r["text"],
         "payload": r["payload"], "created_at": now} for i, r in enumerate(rows)])
    cards = [{"session_id": session_id, "seq": first + i, "payload": r["payload"], "created_at": now, **r["card"]}
             for i, r in enumerate(rows) if r["card"] is not None]
    if cards:
        conn.execute(_INSERT_CARDS, cards)


# Built once: every turn runs them.
_INSERT_TURNS, _INSERT_CARDS = turns.insert(), scorecards.insert()


def session_record(row: Any, results: list[str] | None = None) -> SessionRecord:
    """Return a sessions row as a SessionRecord, its state's results put back from their rows' JSON
    (`results`, in order; none read for a row whose state keeps its own)."""
    return SessionRecord(id=row.id, token=row.token, created_at=row.created_at, updated_at=row.updated_at,
                         config=json.loads(row.config), state=joined_state(row.state, row.result_count, results),
                         phase=row.phase, topic=row.topic, answered=row.answered,
                         average_grade=row.average_grade, turns=row.turns, client=row.client, share=row.share,
                         learner=row.learner)


def session_records(conn: Connection, rows: Sequence[Any], per_query: int = 500) -> list[SessionRecord]:
    """Return sessions rows as SessionRecords, reading their results in one query per `per_query` sessions."""
    wanted = [r.id for r in rows if r.result_count]
    found: dict[str, list[str]] = {}
    for i in range(0, len(wanted), per_query):
        query = (select(results.c.session_id, results.c.data).where(results.c.session_id.in_(wanted[i:i + per_query]))
                 .order_by(results.c.session_id, results.c.idx))
        for sid, data in conn.execute(query):
            found.setdefault(sid, []).append(data)
    return [session_record(r, found.get(r.id)) for r in rows]


def joined_state(head: str, count: int | None, results: list[str] | None) -> dict[str, Any]:
    """Return a state from its JSON without results and its `count` results' JSON (count None: whole)."""
    state = json.loads(head)
    if count is not None:
        # The key is already in place (holding []): the dict keeps the order the engine wrote.
        state["results"] = json.loads("[" + ",".join((results or [])[:count]) + "]")
    return state


def dumps(value: Any) -> str:
    """Return value as compact JSON that any text column of any database can hold."""
    # ASCII JSON: every code point survives as an escape, NUL and lone surrogates included,
    # which PostgreSQL text (no NUL) and UTF-8 encoders (no surrogates) would otherwise refuse.
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"), default=_jsonable)


def split_state(state: State | Mapping[str, Any]) -> tuple[str, Sequence[Any] | None]:
    """Return a state's JSON with an empty results list, and its results (records or data) to store apart;
    a state with no results list comes back whole, with None."""
    if isinstance(state, State):
        return _state_head(state, "[]"), state.results
    data = as_data(state)
    items = data.get("results") if isinstance(data, Mapping) else None
    if not isinstance(items, (list, tuple)):
        return dumps(data), None
    return dumps({**data, "results": []}), items


def result_json(result: Any) -> str:
    """Return one result of a state (a Result, or its data) as the JSON the state would hold.

    `State.to_dict` builds every result's data on each call: at the end of a 20-question interview
    that was 3.5 ms of the ~7 ms a turn cost. Here a result (a frozen record, carried over unchanged
    from turn to turn) is encoded once in its life and its JSON reused until it is gone.
    """
    return _result_json(result) if is_dataclass(result) else dumps(result)


def _state_head(state: State, results: str) -> str:
    parts = []
    for name in _fields_names(State):
        encoded = results if name == "results" else _STATE_ENCODER.encode(getattr(state, name))
        parts.append(f'"{name}":{encoded}')  # field names are plain identifiers: no escaping
    return "{" + ",".join(parts) + "}"


_FIELDS: dict[type, tuple[str, ...]] = {}
# id(result) → its JSON, while the result lives (a finalizer drops the entry when it is collected,
# before its id can be reused).
_RESULTS: dict[int, str] = {}


def _fields_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS.setdefault(cls, tuple(f.name for f in fields(cls)))
    return names


def _result_json(result: Any) -> str:
    key = id(result)
    encoded = _RESULTS.get(key)
    if encoded is None:
        encoded = _STATE_ENCODER.encode(result)
        try:
            weakref.finalize(result, _RESULTS.pop, key, None)
        except TypeError:  # not weak-referenceable: encode it every time
            return encoded
        _RESULTS[key] = encoded
    return encoded


def _fields_of(value: Any) -> Any:
    # A record with its own JSON form (Result, Attempt, FollowUp, Scorecard) becomes that, as in
    # `State.to_dict`; another dataclass (Config) the object of its fields; anything else as in `dumps`.
    if not is_dataclass(value) or isinstance(value, type):
        return _jsonable(value)
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return {name: getattr(value, name) for name in _fields_names(type(value))}


_STATE_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), default=_fields_of)


def _jsonable(value: Any) -> Any:
    # Records and mappings nested in a payload become objects; anything else its text, not an error.
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    data = as_data(value)
    return data if data is not value else str(value)


def clean(text: str) -> str:
    """Return text a database column can hold and a terminal can print: no control characters, no lone surrogates."""
    # NUL no database column holds; ESC, BEL and the other controls would act on the terminal of
    # whoever prints the column (`interviewer report`, `chat --resume`). The user's exact text
    # stays in the turn's payload ("original").
    text = printable(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def now() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(timezone.utc)


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
