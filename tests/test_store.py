"""The session store, on a real SQLite file and on PostgreSQL: turns, scorecards, tokens, schema, threads."""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
from dataclasses import asdict
from datetime import timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from interviewer.dialogue import Config, Interviewer, Reply, State
from interviewer.errors import StoreError
from interviewer.grading import Grader
from interviewer.lexicon import Lexicon
from interviewer.store import SCHEMA_VERSION, ScorecardRow, SessionRecord, StaleState, Store, Turn, schema

PG_URL = os.environ.get("INTERVIEWER_TEST_PG") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"

OUTBOX_ANSWER = ("um so basically you write the order and the event in one local transaction into an outbox "
                 "table, then a relay process polls the outbox and publishes the events to Kafka, at least once")


# ---------------------------------------------------------------------- backends


def pg_reachable() -> str | None:
    """Return why PostgreSQL at PG_URL cannot be used, or None when it can."""
    engine = create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL unreachable at {make_url(PG_URL).render_as_string(hide_password=True)}: {exc}"
    finally:
        engine.dispose()


_PG_PROBLEM: list[str | None] = []


def pg_schema_url():
    """Yield a URL of PostgreSQL whose tables live in a fresh schema of their own (dropped afterwards)."""
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(pg_reachable())
    if _PG_PROBLEM[0]:
        pytest.skip(_PG_PROBLEM[0])
    name = f"interviewer_test_{secrets.token_hex(6)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={name}",
                                              "application_name": name})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A URL of an empty database: a real SQLite file, or a private schema of PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'interviewer.db'}"
    else:
        yield from pg_schema_url()


@pytest.fixture
def store(db_url):
    with Store.open(db_url, retry_delay=0.01) as s:
        yield s


def greeting(text: str = "Hi! Pick a topic.") -> dict:
    return {"kind": "greeting", "text": text, "topics": ["messaging", "storage"]}


def feedback(question_id: str, score: float, grade: float, answer: str = "an answer") -> dict:
    return {"kind": "feedback", "text": f"Grade {grade}/5", "question_id": question_id, "score": score,
            "grade": grade, "matched": [{"concept": "outbox", "evidence": "…"}],
            "missed": [{"concept": "idempotent consumer", "reference": "…"}],
            "delivery": {"words": 12, "fillers": 1}, "flags": [], "follow_up": None, "answer": answer}


def user_texts(turns: list[Turn]) -> list[str]:
    return [t.text for t in turns if t.role == "user"]


# ---------------------------------------------------------------------- sessions and turns


def test_a_new_session_keeps_its_opening_replies(store):
    record = store.create_session({"topic": None, "count": 5}, {"phase": "setup", "turn": 0}, [greeting()],
                                  client="web")
    assert record == store.session(record.id)
    assert (record.config, record.state, record.phase, record.turns, record.client) == (
        {"topic": None, "count": 5}, {"phase": "setup", "turn": 0}, "setup", 1, "web")
    assert record.created_at.tzinfo == timezone.utc and record.created_at == record.updated_at
    assert store.transcript(record.id) == [Turn(1, "interviewer", "greeting", "Hi! Pick a topic.",
                                                {"topics": ["messaging", "storage"]}, record.created_at)]
    assert store.transcript(record.id)[0].reply() == greeting()


def test_ids_and_tokens_are_long_random_and_distinct(store):
    records = [store.create_session({}, {}, []) for _ in range(20)]
    assert len({r.id for r in records}) == len({r.token for r in records}) == 20
    assert all(len(r.id) >= 16 and len(r.token) >= 40 for r in records)


def test_turns_come_back_in_order_with_dense_numbers(store):
    record = store.create_session({}, {"phase": "setup"}, [greeting()])
    assert store.record_turn(record.id, "messaging, medium", [{"kind": "notice", "text": "Great"},
                                                              {"kind": "question", "text": "Q1?", "number": 1}],
                             {"phase": "asking"}) == 4
    assert store.record_turn(record.id, "/hint", [{"kind": "hint", "text": "Think outbox."}], {"phase": "asking"}) == 6
    # A step with no user text (the page's timer, a server notice) still numbers its replies on.
    assert store.record_turn(record.id, None, [{"kind": "notice", "text": "Still there?"}], {"phase": "asking"}) == 7
    transcript = store.transcript(record.id)
    assert [(t.seq, t.role, t.kind, t.text) for t in transcript] == [
        (1, "interviewer", "greeting", "Hi! Pick a topic."),
        (2, "user", "message", "messaging, medium"),
        (3, "interviewer", "notice", "Great"),
        (4, "interviewer", "question", "Q1?"),
        (5, "user", "message", "/hint"),
        (6, "interviewer", "hint", "Think outbox."),
        (7, "interviewer", "notice", "Still there?"),
    ]
    assert transcript[3].payload == {"number": 1}
    assert [t.created_at for t in transcript] == sorted(t.created_at for t in transcript)
    latest = store.session(record.id)
    assert (latest.turns, latest.phase, latest.state) == (7, "asking", {"phase": "asking"})
    assert latest.updated_at > latest.created_at


def test_scorecards_are_taken_from_feedback_replies(store):
    record = store.create_session({}, {}, [greeting()])
    store.record_turn(record.id, "answer one", [feedback("q-1", 0.4, 2.0), {"kind": "question", "text": "Q2"}], {})
    store.record_turn(record.id, "/hint", [{"kind": "hint", "text": "h"}], {})
    store.record_turn(record.id, "answer two", [feedback("q-2", 0.9, 4.5, "outbox…")], {})
    cards = store.scorecards(record.id)
    assert [(c.seq, c.question_id, c.score, c.grade) for c in cards] == [(3, "q-1", 0.4, 2.0), (8, "q-2", 0.9, 4.5)]
    expected = feedback("q-2", 0.9, 4.5, "outbox…")
    assert cards[1].payload == {k: v for k, v in expected.items() if k not in ("kind", "text")}
    assert store.transcript(record.id)[cards[1].seq - 1].kind == "feedback"
    assert store.scorecards("no-such-session") == []


def test_a_turn_for_an_unknown_session_is_refused_and_writes_nothing(store):
    record = store.create_session({}, {}, [greeting()])
    with pytest.raises(StoreError, match="no session 'nope'"):
        store.record_turn("nope", "hello", [feedback("q", 0.5, 2.5)], {"phase": "asking"})
    assert store.transcript("nope") == [] and store.scorecards("nope") == []
    assert store.session(record.id).turns == 1


def test_large_answers_and_states_round_trip(store):
    answer = ("the leader holds a lease and every write carries a fencing token; " * 130)[:8192]
    state = {"phase": "asking", "results": [], "log": ["x" * 1000 + str(i) for i in range(400)]}  # ~400 KB
    record = store.create_session({}, state, [])
    store.record_turn(record.id, answer, [feedback("q", 0.7, 3.5, answer)], state)
    assert store.transcript(record.id)[0].text == answer
    assert store.scorecards(record.id)[0].payload["answer"] == answer
    assert store.session(record.id).state == state


def test_reply_and_state_records_are_accepted_as_they_come_from_the_engine(store):
    state = State(config=Config(topic="messaging"), phase="asking")
    record = store.create_session(Config(topic="messaging"), state, [Reply("greeting", "Hi", {"topics": ("a", "b")})])
    store.record_turn(record.id, "hello", [Reply("notice", "Go on")], state)
    assert State.from_dict(store.session(record.id).state) == state
    assert record.config["topic"] == "messaging" and record.topic == "messaging"
    assert [t.reply() for t in store.transcript(record.id) if t.role == "interviewer"] == [
        {"kind": "greeting", "text": "Hi", "topics": ["a", "b"]}, {"kind": "notice", "text": "Go on"}]


def test_a_write_conditional_on_a_version_that_moved_on_changes_nothing(store):
    record = store.create_session({}, {"phase": "asking", "at": 0}, [greeting()])
    assert record.turns == 1
    # Two processes read the session at version 1; the first to write wins…
    assert store.record_turn(record.id, "my answer", [{"kind": "notice", "text": "Go on"}], {"at": 1}, version=1) == 3
    # …the second finds the version moved and writes nothing at all.
    with pytest.raises(StaleState) as stale:
        store.record_turn(record.id, "an older answer", [{"kind": "notice", "text": "Stale"}], {"at": "stale"},
                          version=1)
    assert (stale.value.expected, stale.value.found) == (1, 3)
    assert isinstance(stale.value, StoreError)
    latest = store.session(record.id)
    assert (latest.turns, latest.state) == (3, {"at": 1})
    assert user_texts(store.transcript(record.id)) == ["my answer"]
    # Reloaded at the version it found, it writes.
    assert store.record_turn(record.id, "an older answer", [{"kind": "notice", "text": "Ok"}], {"at": 2}, version=3) == 5


def test_a_transcript_comes_in_pages_from_the_latest(store):
    record = store.create_session({}, {}, [greeting()])
    for i in range(10):
        store.record_turn(record.id, f"message {i}", [{"kind": "notice", "text": f"reply {i}"}], {})
    page, earlier = store.transcript_page(record.id, limit=4)
    assert [t.seq for t in page] == [18, 19, 20, 21] and earlier == 17
    page, earlier = store.transcript_page(record.id, before=18, limit=4)
    assert [t.seq for t in page] == [14, 15, 16, 17]
    assert earlier == 13
    page, earlier = store.transcript_page(record.id, before=3, limit=4)
    assert [t.seq for t in page] == [1, 2] and earlier == 0
    assert store.transcript_page(record.id, before=1) == ([], 0)
    assert store.transcript_page("no-such-session") == ([], 0)


# ---------------------------------------------------------------------- a real interview


class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def engine(bank, search_index, built_settings):
    return Interviewer(bank, search_index, Grader(Lexicon.load(built_settings.lexicon_path)), clock=Clock())


def test_a_real_interview_is_saved_and_resumes_where_it_stopped(store, engine):
    state, replies = engine.start(Config(topic="surprise", count=2, seed=3))
    payloads = [r.to_dict() for r in replies]
    record = store.create_session(asdict(state.config), state.to_dict(), payloads, client="test")
    sent = [r.to_dict() for r in replies]
    for message in ["/hint", OUTBOX_ANSWER, "done", "next", "/score"]:
        state, replies = engine.handle(state, message)
        # The server hands the State itself (encoded without to_dict's deep copies).
        store.record_turn(record.id, message, [r.to_dict() for r in replies], state)
        sent += [{"role": "user", "text": message}] + [r.to_dict() for r in replies]

    resumed = store.session_by_token(record.token)
    assert State.from_dict(resumed.state) == state  # the engine continues from exactly here
    assert resumed.state == json.loads(json.dumps(state.to_dict()))
    transcript = store.transcript(record.id)
    assert len(transcript) == len(sent) == resumed.turns
    for turn, expected in zip(transcript, sent, strict=True):
        if turn.role == "user":
            assert turn.text == expected["text"]
        else:
            assert turn.reply() == json.loads(json.dumps(expected))
    graded = [p for p in sent if p.get("kind") == "feedback"]
    assert graded, "the scripted answer should be graded"
    assert [(c.question_id, c.score, c.grade) for c in store.scorecards(record.id)] == [
        (p["question_id"], p["score"], p["grade"]) for p in graded]
    answered = [r for r in state.results if r.answered]
    assert resumed.answered == len(answered)
    assert resumed.average_grade == round(sum(r.grade for r in answered) / len(answered), 2)
    assert resumed.phase == state.phase and resumed.topic == "surprise"


# ---------------------------------------------------------------------- tokens and history


def test_a_token_opens_its_own_session_only(store):
    mine = store.create_session({}, {"who": "me"}, [greeting()])
    theirs = store.create_session({}, {"who": "them"}, [greeting()])
    assert store.session_by_token(mine.token) == mine
    assert store.authorised(mine.id, mine.token) == mine
    assert store.authorised(mine.id, theirs.token) is None  # a stolen token opens only its own session
    assert store.authorised(theirs.id, mine.token) is None


@pytest.mark.parametrize("guess", ["", "x", "a" * 43, "a" * 10_000, None, 42, ["t"], "🙂" * 43, "\ud800",
                                   "' OR 1=1 --", "%"])
def test_a_guessed_or_malformed_token_opens_nothing(store, guess):
    record = store.create_session({}, {}, [greeting()])
    assert store.session_by_token(guess) is None
    assert store.authorised(record.id, guess) is None
    assert store.sessions([guess]) == []


def test_a_near_miss_token_opens_nothing(store):
    record = store.create_session({}, {}, [])
    near = record.token[:-1] + ("A" if record.token[-1] != "A" else "B")
    assert store.session_by_token(near) is None and store.authorised(record.id, near) is None
    assert store.session_by_token(record.token.upper() if record.token != record.token.upper() else near) is None
    assert store.authorised("no-such-id", record.token) is None and store.session("no-such-id") is None


def test_history_lists_the_sessions_of_the_given_tokens_newest_first(store):
    first, second, other = (store.create_session({}, {"phase": "setup"}, [greeting()]) for _ in range(3))
    store.record_turn(first.id, "hello", [], {"phase": "asking"})
    found = store.sessions([first.token, second.token, "not-a-token", first.token])
    assert [r.id for r in found] == [r.id for r in sorted([store.session(first.id), second],
                                                         key=lambda r: r.created_at, reverse=True)]
    assert other.id not in {r.id for r in found}
    assert {r.id: r.phase for r in found} == {first.id: "asking", second.id: "setup"}
    assert store.sessions([]) == [] and store.sessions(iter([other.token])) == [other]
    assert store.sessions(other.token) == [other]  # one token, not its characters


# ---------------------------------------------------------------------- the schema


def test_a_new_database_gets_the_current_schema_and_keeps_its_data_on_reopening(db_url):
    with Store.open(db_url) as s:
        assert s.schema_version() == SCHEMA_VERSION == 4
        record = s.create_session({}, {"phase": "setup"}, [greeting()])
    with Store.open(db_url) as again:
        assert again.schema_version() == SCHEMA_VERSION
        assert again.session(record.id) == record
        assert again.transcript(record.id)[0].text == greeting()["text"]


def test_an_older_database_is_migrated_step_by_step(db_url, monkeypatch):
    with Store.open(db_url) as s:
        record = s.create_session({}, {}, [greeting()])

    def add_notes(conn):
        conn.execute(text("ALTER TABLE sessions ADD COLUMN notes TEXT"))
        conn.execute(text("UPDATE sessions SET notes = 'migrated'"))

    monkeypatch.setitem(schema.MIGRATIONS, SCHEMA_VERSION + 1, add_notes)
    with Store.open(db_url) as s:
        assert s.schema_version() == SCHEMA_VERSION + 1
        with s.engine.connect() as conn:
            assert conn.execute(text("SELECT notes FROM sessions")).scalar() == "migrated"
        assert s.session(record.id).id == record.id


def test_a_version_1_database_gets_a_share_key_for_every_session(db_url):
    with Store.open(db_url) as s:
        old = [s.create_session({}, {"phase": "setup"}, [greeting()]) for _ in range(3)]
        with s.engine.begin() as conn:  # back to version 1: no share keys
            conn.execute(text("DROP INDEX ix_sessions_share_hash"))
            conn.execute(text("ALTER TABLE sessions DROP COLUMN share_hash"))
            conn.execute(text("ALTER TABLE sessions DROP COLUMN share"))
            conn.execute(schema.schema_version.update().values(version=1))
    with Store.open(db_url) as s:
        assert s.schema_version() == SCHEMA_VERSION
        migrated = [s.session(r.id) for r in old]
        keys = {r.share for r in migrated}
        assert len(keys) == 3 and None not in keys and not keys & {r.token for r in old}
        for record in migrated:
            assert s.readable(record.id, record.share) == record
            assert s.session_by_token(record.share) is None  # a share key never resumes


def test_a_database_from_a_newer_version_is_refused(db_url):
    with Store.open(db_url) as s:
        with s.engine.begin() as conn:
            conn.execute(schema.schema_version.update().values(version=SCHEMA_VERSION + 1))
    with pytest.raises(StoreError, match=rf"newer interviewer \(schema version {SCHEMA_VERSION + 1}; this one "
                                         rf"knows up to {SCHEMA_VERSION}\)"):
        Store.open(db_url)


def test_a_database_with_someone_elses_sessions_table_is_refused(db_url):
    with Store.open(db_url) as s:
        with s.engine.begin() as conn:
            conn.execute(text("DROP TABLE schema_version"))
    with pytest.raises(StoreError, match="that interviewer did not make"):
        Store.open(db_url)


@pytest.mark.parametrize("url, message", [
    ("not a url", "is not a database URL"),
    ("nosuchdb://x/y", "No database driver"),
    ("sqlite:////proc/no-such-dir/interviewer.db", "cannot be opened"),
])
def test_an_unusable_url_gives_a_clear_error(url, message):
    with pytest.raises(StoreError, match=message):
        Store.open(url, retries=0)


def test_an_in_memory_store_works_for_quick_runs():
    with Store.open("sqlite://") as s:
        record = s.create_session({}, {}, [greeting()])
        assert s.record_turn(record.id, "hi", [], {}) == 2 and s.where == "in memory"


# ---------------------------------------------------------------------- threads


def test_many_threads_lose_no_turn(store):
    own = [store.create_session({}, {}, []) for _ in range(6)]
    shared = store.create_session({}, {}, [])
    per_thread, errors = 15, []

    def chat(n: int, session_id: str) -> None:
        try:
            for i in range(per_thread):
                store.record_turn(session_id, f"t{n}-{i}", [{"kind": "notice", "text": f"r{n}-{i}"}], {"i": i})
        except Exception as exc:  # collected and reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=chat, args=(n, r.id)) for n, r in enumerate(own)]
    threads += [threading.Thread(target=chat, args=(100 + n, shared.id)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for n, record in enumerate(own):
        transcript = store.transcript(record.id)
        assert [t.seq for t in transcript] == list(range(1, 2 * per_thread + 1))
        assert user_texts(transcript) == [f"t{n}-{i}" for i in range(per_thread)]
    transcript = store.transcript(shared.id)
    assert [t.seq for t in transcript] == list(range(1, 6 * 2 * per_thread + 1))
    assert store.session(shared.id).turns == len(transcript)
    for n in range(100, 106):  # each thread's turns are all there, in its order, each reply after its message
        assert [t for t in user_texts(transcript) if t.startswith(f"t{n}-")] == [f"t{n}-{i}" for i in range(per_thread)]
    for message, reply in zip(transcript[::2], transcript[1::2], strict=True):
        assert reply.text == "r" + message.text[1:]


# ---------------------------------------------------------------------- any text at all

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**53, 2**53) | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
# Everything a browser's JSON can carry, lone surrogates and NUL included.
any_text = st.text(st.characters(codec=None, categories=None), max_size=300) | st.text(max_size=50).map(
    lambda s: s + "\x00\ud83d" + s)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(message=any_text, reply_text=any_text, data=st.dictionaries(st.text(max_size=10), json_values, max_size=5))
def test_any_unicode_round_trips(store, message, reply_text, data):
    data.pop("kind", None), data.pop("text", None)
    record = store.create_session({"topic": message}, {"phase": "asking", "note": message}, [])
    store.record_turn(record.id, message, [{"kind": "feedback", "text": reply_text, "question_id": message,
                                            "score": 0.5, "grade": 2.5, **data}], {"phase": "asking", "note": message})
    user, reply = store.transcript(record.id)
    # Shown text can hold no NUL, no lone surrogate and no control character a terminal would act
    # on (ESC, BEL…); the exact message is always kept beside it.
    assert user.payload.get("original", user.text) == message
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", user.text + reply.text)
    if not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]", message):
        assert user.text == message and user.payload == {}
    assert reply.payload == {"question_id": message, "score": 0.5, "grade": 2.5, **data}
    assert store.scorecards(record.id) == [ScorecardRow(2, user.text, 0.5, 2.5, reply.payload,
                                                        reply.created_at)]
    session = store.session(record.id)
    assert session.state == {"phase": "asking", "note": message} and session.config == {"topic": message}
    assert isinstance(session, SessionRecord)
