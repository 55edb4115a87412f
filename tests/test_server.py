"""The chat server end to end: Socket.IO test clients and the Flask test client against the real
bank, index and a real SQLite store in a temporary file."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from pathlib import Path

import pytest

from interviewer.server import backend, create_app, socketio
from interviewer.server.chat import Hub
from interviewer.server.guard import RateLimiter

ANSWER = ("We would put a cache in front of the database, for example Redis with a TTL on each entry, "
          "use cache-aside reads, invalidate or update entries on writes so stale reads stay bounded, "
          "and watch the hit ratio; a CDN at the edge serves static content close to users.")


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "sessions.db"


def make_app(built_settings, db_path: Path, **overrides):
    config = {"DATA_DIR": built_settings.data_dir, "CORPUS_DIR": built_settings.corpus_dir,
              "DB_URL": f"sqlite:///{db_path}", "SEED": 7, "TESTING": True,
              # Tests fire messages faster than anyone types; the rate limits have their own tests.
              "RATE_LIMIT": 1000.0, "RATE_BURST": 1000, "START_RATE": 1000.0, "START_BURST": 1000,
              "ALL_START_RATE": 1000.0, "ALL_START_BURST": 1000}
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(built_settings, db_path):
    app = make_app(built_settings, db_path)
    yield app
    backend(app).store.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def connect(app, client):
    """Open Socket.IO test clients on the app (each its own connection); disconnect them afterwards."""
    opened = []

    def open_one(flask_client=None):
        sock = socketio.test_client(app, flask_test_client=flask_client or client)
        opened.append(sock)
        return sock

    yield open_one
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


@pytest.fixture
def sock(connect):
    return connect()


def events(sock) -> list[tuple[str, dict]]:
    """Return what the server sent since the last call, as (event, data) pairs."""
    return [(e["name"], e["args"][0] if e["args"] else None) for e in sock.get_received()]


def say(sock, text) -> list[dict]:
    """Send a chat message; return the replies."""
    sock.emit("message", {"text": text})
    got = events(sock)
    assert all(name == "reply" for name, _ in got), got
    return [data for _, data in got]


def start(sock, **payload) -> tuple[dict, list[dict]]:
    """Send `start`; return the session event and the replies after it."""
    sock.emit("start", payload)
    got = events(sock)
    assert got and got[0][0] == "session", got
    return got[0][1], [data for name, data in got[1:] if name == "reply"]


def kinds(replies: list[dict]) -> list[str]:
    return [r["kind"] for r in replies]


def answer_for(question: dict) -> str:
    """A canned answer: a letter and a reason for choice questions, a long answer otherwise."""
    if question["options"]:
        return "A, because it keeps the data fresh and the latency low for the users who read it."
    return ANSWER


# --------------------------------------------------------------------------- pages


def test_chat_page_loads_with_a_strict_policy_and_only_local_assets(client):
    page = client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Start the interview" in html
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "no inline scripts"
    assert not re.search(r"\son[a-z]+=", html), "no inline event handlers"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert not [a for a in assets if a.startswith(("http:", "https:", "//"))], "no CDN"
    for asset in (a for a in assets if a.startswith("/static/")):
        with client.get(asset) as response:
            assert response.status_code == 200, asset
    assert "/static/vendor/socket.io.min.js" in assets


def test_healthz_says_ready(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert response.get_json()["questions"] > 100


def test_a_limit_from_the_environment_must_be_a_number(built_settings, db_path, monkeypatch):
    from interviewer.errors import InterviewerError

    monkeypatch.setenv("INTERVIEWER_MAX_TURNS", "lots")
    with pytest.raises(InterviewerError, match="INTERVIEWER_MAX_TURNS='lots' is not a whole number"):
        create_app({"DATA_DIR": built_settings.data_dir, "DB_URL": f"sqlite:///{db_path}"})
    monkeypatch.setenv("INTERVIEWER_MAX_TURNS", "12")
    app = make_app(built_settings, db_path)
    try:
        assert backend(app).hub.limits.max_turns == 12
    finally:
        backend(app).store.close()


def test_healthz_is_unhealthy_while_the_store_cannot_save_a_turn(client, db_path):
    import subprocess

    done = subprocess.run(["chattr", "+i", str(db_path)], capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"chattr +i does not work here ({done.stderr.strip()}); root on ext4/xfs/btrfs needed")
    try:
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.get_json()["status"] == "unhealthy" and "is read-only" in response.get_json()["store"]
    finally:
        subprocess.run(["chattr", "-i", str(db_path)], check=True)
    assert client.get("/healthz").status_code == 200


def test_requests_for_a_host_name_not_allowed_are_refused(built_settings, db_path):
    app = make_app(built_settings, db_path, ALLOWED_HOSTS="interviewer.example.com")
    try:
        browser = app.test_client()
        for host in ("localhost", "127.0.0.1:5000", "interviewer.example.com", "INTERVIEWER.example.com:443"):
            assert browser.get("/healthz", headers={"Host": host}).status_code == 200, host
        # A DNS-rebinding page reaches 127.0.0.1 under its own name: pages and Socket.IO alike are refused.
        for path in ("/", "/healthz", "/socket.io/?EIO=4&transport=polling"):
            response = browser.get(path, headers={"Host": "attacker.example:5000"})
            assert response.status_code == 400, path
            assert "INTERVIEWER_ALLOWED_HOSTS" in response.get_data(as_text=True)
    finally:
        backend(app).store.close()


# --------------------------------------------------------------------------- an interview


def test_start_with_a_topic_asks_the_first_question_at_once(sock):
    session, replies = start(sock, topic="caching", count=3, difficulty="medium")
    assert set(session) == {"session_id", "token", "resumed", "share"}
    assert session["resumed"] is False and session["share"] != session["token"]
    assert len(session["token"]) >= 40 and len(session["session_id"]) >= 16
    assert kinds(replies) == ["greeting", "question"]
    question = replies[-1]
    assert (question["number"], question["total"]) == (1, 3)
    assert question["question"]["topic"] == "caching"
    assert question["question"]["difficulty"] == "medium"
    assert set(question["question"]["source"]) == {"doc", "heading", "line"}


def test_start_in_design_mode_takes_a_typed_prompt_and_returns_the_rubric(sock):
    _, replies = start(sock, mode="design", count=1)
    assert kinds(replies) == ["greeting"] and "design round" in replies[0]["text"].lower()
    [question] = say(sock, "design a URL shortener")
    assert question["kind"] == "question" and question["question"]["prompt"] == "Design a URL shortener"
    say(sock, "First the requirements: shorten a URL and redirect. 100M DAU, each makes 10 requests a day, "
              "that is about 11.6k QPS. The API is POST /shorten and GET /{code}.")
    feedback = say(sock, "done")[0]
    assert feedback["kind"] == "feedback"
    rubric = feedback["rubric"]
    assert set(rubric) >= {"phases", "estimates", "signals", "verdict"}
    assert any(e["ok"] and e["claim"] == "11.6k QPS" for e in rubric["estimates"])


def test_a_topic_is_stored_and_shown_without_control_characters(app, sock):
    session, replies = start(sock, topic="cach\x1b]0;owned\x07ing\x9b")
    record = backend(app).store.session(session["session_id"])
    assert record.topic == record.config["topic"] == "cach]0;owneding"
    assert not any("\x1b" in r["text"] or "\x07" in r["text"] for r in replies)


def test_start_without_a_topic_asks_for_one_first(sock):
    _, replies = start(sock)
    assert kinds(replies) == ["greeting"]
    assert "caching" in replies[0]["topics"]
    replies = say(sock, "messaging please")
    assert kinds(replies)[-1] == "question"
    assert replies[-1]["question"]["topic"] == "messaging"


def test_a_whole_interview_gives_feedback_then_a_summary_all_saved(app, sock):
    session, replies = start(sock, topic="caching", count=2)
    question = replies[-1]
    sent, feedback, summary = [], [], None
    for _ in range(12):
        text = answer_for(question["question"]) if question else "next"
        sent.append(text)
        replies = say(sock, text)
        feedback += [r for r in replies if r["kind"] == "feedback"]
        question = next((r for r in replies if r["kind"] == "question"), None)
        summary = next((r for r in replies if r["kind"] == "summary"), None)
        if summary:
            break
    assert summary is not None, "the interview ends after two questions"
    assert [q["number"] for q in summary["questions"]] == [1, 2]
    first = feedback[0]
    assert 0 <= first["score"] <= 1 and 0 <= first["grade"] <= 5
    assert {"matched", "missed", "delivery", "flags", "follow_up", "answer", "reference"} <= set(first)
    assert first["delivery"]["words"] > 10
    # Everything the user typed and every scorecard is in the store.
    store = backend(app).store
    turns = store.transcript(session["session_id"])
    assert [t.text for t in turns if t.role == "user"] == sent
    assert len(store.scorecards(session["session_id"])) == len(feedback)
    assert store.session(session["session_id"]).phase == "ended"


def test_lookup_answers_from_the_notes_and_names_its_sources(sock):
    start(sock, topic="consensus")
    [reply] = say(sock, "/lookup fencing token")
    assert reply["kind"] == "lookup"
    assert reply["hits"], reply["text"]
    for hit in reply["hits"]:
        assert hit["doc"] and hit["heading"] and hit["line"] > 0
    assert "**fencing**" in reply["hits"][0]["snippet"].lower()


def test_hint_skip_repeat_and_help_work_as_typed_commands(sock):
    start(sock, topic="caching", count=3)
    assert kinds(say(sock, "/hint")) == ["hint"]
    repeat = say(sock, "/repeat")
    assert kinds(repeat) == ["question"] and repeat[0]["number"] == 1
    assert "/lookup" in say(sock, "/help")[0]["text"]
    skipped = say(sock, "/skip")
    assert kinds(skipped)[-1] == "question" and skipped[-1]["number"] == 2


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("payload, says", [
    (None, "needs a `text` field"),
    ({}, "needs a `text` field"),
    ([1, 2], "not a list"),
    (5, "not a number"),
    ({"text": 5}, "`text` must be a string, not a number"),
    ({"text": None}, "`text` must be a string, not null"),
    ({"text": ["a"]}, "`text` must be a string, not a list"),
    ({"text": "hello", "extra": 1}, "does not take 'extra'"),
    ({"text": "x" * 9000}, "9,000 bytes; the limit is 8,192"),
    ({"text": "é" * 5000}, "10,000 bytes; the limit is 8,192"),
])
def test_a_malformed_message_gets_an_error_reply_and_the_connection_lives_on(sock, payload, says):
    start(sock, topic="caching")
    sock.emit("message", payload)
    [(name, reply)] = events(sock)
    assert (name, reply["kind"]) == ("reply", "error")
    assert says in reply["text"]
    assert sock.is_connected()
    assert kinds(say(sock, "/repeat")) == ["question"], "the interview carries on"


def test_a_huge_message_is_refused_but_kept_for_the_user(sock):
    start(sock, topic="caching")
    [reply] = say(sock, "word " * 4000)
    assert reply["kind"] == "error" and reply["retry"] is True
    assert (reply["limit"], reply["size"]) == (8192, 20000)


@pytest.mark.parametrize("payload, says", [
    ([1], "not a list"),
    ("caching", "not a string"),
    ({"topic": 5}, "`topic` must be a string"),
    ({"topic": "x" * 500}, "`topic` is too long"),
    ({"count": "five"}, "`count` must be a whole number from 1 to 20"),
    ({"count": 0}, "`count` must be a whole number from 1 to 20"),
    ({"count": 99}, "`count` must be a whole number from 1 to 20"),
    ({"count": True}, "`count` must be a whole number from 1 to 20"),
    ({"difficulty": "extreme"}, "`difficulty` must be one of easy, medium, hard"),
    ({"token": 12345}, "`token` must be the session token"),
    ({"topic": "caching", "colour": "red"}, "does not take 'colour'"),
    ({"mode": "exam"}, "`mode` must be one of interview, review, design"),
])
def test_a_malformed_start_gets_an_error_reply_and_no_session(sock, payload, says):
    sock.emit("start", payload)
    [(name, reply)] = events(sock)
    assert (name, reply["kind"]) == ("reply", "error")
    assert says in reply["text"]
    session, replies = start(sock, topic="caching")
    assert kinds(replies) == ["greeting", "question"]


def test_a_message_before_start_is_told_to_start_first(sock):
    [reply] = say(sock, "hello")
    assert reply["kind"] == "error"
    assert "Start an interview first" in reply["text"]


def test_the_rate_limit_refuses_a_flood_with_a_notice_and_keeps_the_text(built_settings, tmp_path):
    app = make_app(built_settings, tmp_path / "rate.db")
    b = backend(app)
    # A clock that stands still: the bucket never refills mid-test, however slow the machine is.
    b.hub = Hub(b.hub.engine, b.hub.store, limits=b.hub.limits, rate=1.0, burst=3, clock=lambda: 0.0)
    sock = socketio.test_client(app)
    try:
        start(sock, topic="caching")  # the first of three
        replies = [r for i in range(4) for r in say(sock, f"/lookup cache {i}")]
        refused = [r for r in replies if r["kind"] == "error"]
        assert kinds(replies)[:2] == ["lookup", "lookup"]
        assert refused and "faster than I can take them" in refused[0]["text"]
        assert refused[0]["retry"] is True and refused[0]["unsent"] == "/lookup cache 2"
        assert sock.is_connected()
    finally:
        sock.disconnect()
        backend(app).store.close()


def test_the_rate_limiter_refills_over_time():
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=2, clock=lambda: now[0])
    assert [limiter.allow() for _ in range(3)] == [True, True, False]
    now[0] += 0.5
    assert [limiter.allow(), limiter.allow()] == [True, False]


def test_an_unexpected_failure_is_logged_and_the_user_gets_a_plain_error(app, sock, monkeypatch, caplog):
    start(sock, topic="caching")

    def broken(state, text):
        raise RuntimeError("boom in the engine")

    monkeypatch.setattr(backend(app).hub.engine, "handle", broken)
    with caplog.at_level(logging.ERROR):
        [reply] = say(sock, "my answer")
    assert reply["kind"] == "error" and reply["retry"] is True and reply["unsent"] == "my answer"
    assert "boom" not in reply["text"] and "Traceback" not in reply["text"]
    assert "boom in the engine" in caplog.text


# --------------------------------------------------------------------------- isolation and resume


def test_two_clients_are_isolated_from_each_other(app, connect):
    alice, bob = connect(app.test_client()), connect(app.test_client())
    a_session, _ = start(alice, topic="caching")
    b_session, _ = start(bob, topic="messaging")
    assert a_session["session_id"] != b_session["session_id"]
    assert a_session["token"] != b_session["token"]
    say(alice, ANSWER)
    assert events(bob) == [], "bob hears nothing of alice's interview"
    [repeat] = say(bob, "/repeat")
    assert repeat["question"]["topic"] == "messaging"
    store = backend(app).store
    assert [t.text for t in store.transcript(b_session["session_id"]) if t.role == "user"] == ["/repeat"]
    # Bob's token does not open Alice's scorecard.
    response = app.test_client().get(f"/sessions/{a_session['session_id']}.json?token={b_session['token']}")
    assert response.status_code == 404


def test_a_turn_being_worked_on_never_holds_up_another_session(app, connect):
    """A long answer in one session (its turn blocked in the engine here) leaves other sessions free."""
    import threading

    alice, bob = connect(app.test_client()), connect(app.test_client())
    start(alice, topic="caching")
    start(bob, topic="messaging")
    engine = backend(app).hub.engine
    handle = engine.handle
    entered, released = threading.Event(), threading.Event()

    def slow_for_alice(state, text):
        if text == "a very long answer":
            entered.set()
            released.wait(10)
        return handle(state, text)

    engine.handle = slow_for_alice
    try:
        worker = threading.Thread(target=say, args=(alice, "a very long answer"))
        worker.start()
        assert entered.wait(30)
        [reply] = say(bob, "/repeat")
        assert reply["question"]["topic"] == "messaging"
        assert worker.is_alive(), "bob's reply came only after alice's turn gave up waiting"
    finally:
        released.set()
        worker.join(30)
        engine.handle = handle


def test_a_process_behind_on_a_session_reloads_it_and_answers_from_where_it_is(built_settings, db_path):
    """Two server processes on one store (two tabs, each sent to another node): the one that is
    behind finds the session's version moved, reloads the state and answers from it — no fork."""
    a, b = make_app(built_settings, db_path), make_app(built_settings, db_path)
    on_a, on_b = socketio.test_client(a), socketio.test_client(b)
    try:
        session, opening = start(on_a, topic="caching", count=5)
        start(on_b, token=session["token"])  # the second tab: B loads the session at question 1
        asked = [r["question"]["id"] for r in say(on_a, "/skip") + say(on_a, "/skip") if r["kind"] == "question"]
        assert len(asked) == 2  # A is at question 3
        replies = say(on_b, ANSWER)
        assert replies[0]["kind"] == "notice" and "moved on in another window" in replies[0]["text"]
        assert "question 3 of 5" in replies[0]["text"]
        graded = [r for r in replies if r["kind"] == "feedback"]
        assert graded and graded[0]["question_id"] == asked[-1], "answered against question 3, not 1"
        # A is behind now, and catches up the same way: one interview, one answer, in both.
        [notice, score] = say(on_a, "/score")
        assert notice["kind"] == "notice" and "moved on in another window" in notice["text"]
        assert score["answered"] == 1 and [g["number"] for g in score["grades"]] == [3]
        store = backend(a).store
        record = store.session(session["session_id"])
        assert record.answered == 1
        assert [t.text for t in store.transcript(session["session_id"]) if t.role == "user"] == [
            "/skip", "/skip", ANSWER, "/score"]
        assert len(store.scorecards(session["session_id"])) == 1
    finally:
        for sock, app in ((on_a, a), (on_b, b)):
            sock.disconnect()
            backend(app).store.close()


def test_a_returning_client_resumes_with_the_transcript_replayed(connect):
    first = connect()
    session, _ = start(first, topic="caching", count=3)
    say(first, "/skip")
    first.disconnect()

    again = connect()
    again.emit("start", {"token": session["token"]})
    got = events(again)
    assert [name for name, _ in got] == ["session", "transcript"]
    assert got[0][1] == {**session, "resumed": True}
    turns = got[1][1]["turns"]
    assert [t["role"] for t in turns].count("user") == 1
    assert [t["kind"] for t in turns][:2] == ["greeting", "question"]
    user = next(t for t in turns if t["role"] == "user")
    assert user["text"] == "/skip"
    last_question = [t for t in turns if t["kind"] == "question"][-1]
    assert last_question["number"] == 2 and last_question["question"]["prompt"]
    # The state carries on: the open question is still number 2.
    [repeat] = say(again, "/repeat")
    assert repeat["number"] == 2


def test_a_long_session_resumes_with_its_latest_turns_and_the_page_fetches_earlier_ones(built_settings, db_path):
    app = make_app(built_settings, db_path, TRANSCRIPT_PAGE=6)
    first, again = socketio.test_client(app), socketio.test_client(app)
    try:
        session, opening = start(first, topic="caching", count=3)
        sent = [f"/lookup cache entry {i}" for i in range(5)]
        for text in sent:
            say(first, text)
        total = len(opening) + 2 * len(sent)  # each look-up: the message and its reply
        again.emit("start", {"token": session["token"]})
        [(_, resumed), (name, transcript)] = events(again)
        assert name == "transcript" and len(transcript["turns"]) == 6
        assert [t["seq"] for t in transcript["turns"]] == list(range(total - 5, total + 1))
        assert transcript["earlier"] == total - 6
        seen = transcript["turns"]
        while seen[0]["seq"] > 1:  # the page's "Show earlier turns", until the first
            again.emit("earlier", {"before": seen[0]["seq"]})
            [(name, page)] = events(again)
            assert name == "earlier" and page["earlier"] == page["turns"][0]["seq"] - 1
            seen = page["turns"] + seen
        assert [t["seq"] for t in seen] == list(range(1, total + 1))
        assert [t["text"] for t in seen if t["role"] == "user"] == sent
        again.emit("earlier", {"before": "x"})
        [(_, refused)] = events(again)
        assert refused["kind"] == "error" and "`before`" in refused["text"]
    finally:
        for sock in (first, again):
            sock.disconnect()
        backend(app).store.close()


def test_a_session_stops_taking_turns_at_its_cap_and_says_to_start_a_new_one(built_settings, db_path):
    app = make_app(built_settings, db_path, MAX_TURNS=8)
    sock = socketio.test_client(app)
    try:
        session, _ = start(sock, topic="caching", count=3)  # greeting and question: 2 turns
        for i in range(3):
            assert kinds(say(sock, f"/lookup cache {i}")) == ["lookup"]  # 2 turns each: 8
        [reply] = say(sock, "/lookup one more")
        assert reply["kind"] == "error" and "8 turns, the most one session keeps" in reply["text"]
        assert reply["unsent"] == "/lookup one more" and reply["limit"] == 8
        assert backend(app).store.session(session["session_id"]).turns == 8
        session, replies = start(sock, topic="caching")  # a new interview goes on at once
        assert kinds(replies) == ["greeting", "question"]
    finally:
        sock.disconnect()
        backend(app).store.close()


def test_starting_sessions_is_limited_per_address_and_per_process(built_settings, db_path):
    clock = [0.0]
    app = make_app(built_settings, db_path, START_RATE=0.5, START_BURST=3, ALL_START_RATE=1.0, ALL_START_BURST=5)
    hub = backend(app).hub
    from interviewer.server.chat import Hub

    hub = Hub(hub.engine, hub.store, limits=hub.limits, clock=lambda: clock[0], rate=1000, burst=1000)
    try:
        def begin(sid: str, address: str, token: str | None = None) -> str:
            hub.connect(sid, address)  # a fresh connection for every start: the per-connection limit is no help
            [(event, data), *_] = hub.start(sid, {"topic": "caching", **({"token": token} if token else {})})
            return "session" if event == "session" else data["text"]

        for i in range(3):
            assert begin(f"a{i}", "10.0.0.1") == "session"
        refused = begin("a3", "10.0.0.1")
        assert "Too many interviews were started or resumed from your address" in refused
        # A resume counts too (a token guess is one).
        assert "from your address" in begin("a4", "10.0.0.1", token="guess")
        assert begin("b0", "10.0.0.2") == "session" and begin("b1", "10.0.0.2") == "session"
        assert "on this server" in begin("c0", "10.0.0.3"), "five sessions in all: the global burst"
        clock[0] += 2.0  # one start per address per 2 s, one per second over all
        assert begin("a5", "10.0.0.1") == "session"
    finally:
        backend(app).store.close()


def test_an_idle_session_expires_and_its_token_starts_a_new_one(built_settings, db_path):
    from datetime import datetime, timedelta, timezone

    from interviewer.server.chat import Hub

    app = make_app(built_settings, db_path, SESSION_IDLE_DAYS=14)
    base = backend(app).hub
    later = [datetime.now(timezone.utc)]
    hub = Hub(base.engine, base.store, limits=base.limits, now=lambda: later[0], rate=1000, burst=1000)
    try:
        hub.connect("one", "10.0.0.1")
        [(_, session), *_] = hub.start("one", {"topic": "caching"})
        hub.disconnect("one")
        later[0] += timedelta(days=13)
        hub.connect("two", "10.0.0.1")
        [(_, resumed), (name, _)] = hub.start("two", {"token": session["token"]})
        assert resumed["resumed"] is True and name == "transcript"
        hub.disconnect("two")
        later[0] += timedelta(days=15)  # 15 days after its last turn
        hub.connect("three", "10.0.0.1")
        [(_, fresh), (_, notice), *rest] = hub.start("three", {"token": session["token"]})
        assert fresh["resumed"] is False and fresh["session_id"] != session["session_id"]
        assert "no activity for over 14 days" in notice["text"] and "History" in notice["text"]
        assert [data["kind"] for _, data in rest] == ["greeting"]  # no topic given: it asks for one
    finally:
        backend(app).store.close()


def test_a_session_resumes_after_a_server_restart(built_settings, db_path):
    app = make_app(built_settings, db_path)
    sock = socketio.test_client(app)
    session, replies = start(sock, topic="caching", count=3)
    prompt = replies[-1]["question"]["prompt"]
    sock.disconnect()
    backend(app).store.close()

    restarted = make_app(built_settings, db_path)  # a new process: nothing in memory
    sock = socketio.test_client(restarted)
    try:
        sock.emit("start", {"token": session["token"]})
        got = events(sock)
        assert got[0] == ("session", {**session, "resumed": True})
        [repeat] = say(sock, "/repeat")
        assert repeat["question"]["prompt"] == prompt
    finally:
        sock.disconnect()
        backend(restarted).store.close()


def test_an_unknown_token_starts_a_new_session_and_says_so(sock):
    session, replies = start(sock, token="not-a-token-we-ever-gave-out", topic="caching")
    assert session["resumed"] is False and session["token"] != "not-a-token-we-ever-gave-out"
    assert replies[0]["kind"] == "notice" and "couldn't find your earlier session" in replies[0]["text"]
    assert kinds(replies)[1:] == ["greeting", "question"]


def test_a_database_that_stays_locked_loses_nothing_and_the_state_does_not_move(built_settings, db_path):
    app = make_app(built_settings, db_path, STORE_OPTIONS={"busy_timeout": 0.05, "retries": 1, "retry_delay": 0.01})
    sock = socketio.test_client(app)
    try:
        session, replies = start(sock, topic="caching", count=2)
        question = replies[-1]
        blocker = sqlite3.connect(db_path, isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        try:
            [reply] = say(sock, answer_for(question["question"]))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert reply["kind"] == "error" and reply["retry"] is True
        assert reply["unsent"] == answer_for(question["question"])
        assert "locked" in reply["text"].lower()
        # The same text again, once the lock is gone: graded as the answer to question 1.
        replies = say(sock, reply["unsent"])
        feedback = next(r for r in replies if r["kind"] == "feedback")
        assert feedback["question_id"] == question["question"]["id"]
        store = backend(app).store
        assert [t.text for t in store.transcript(session["session_id"]) if t.role == "user"] == [reply["unsent"]]
    finally:
        sock.disconnect()
        backend(app).store.close()


# --------------------------------------------------------------------------- scorecards, exports, history


@pytest.fixture
def finished(app, sock):
    """A session with one answer (containing HTML) and the summary; returns its session event."""
    session, replies = start(sock, topic="caching", count=1)
    text = answer_for(replies[-1]["question"]) + " um <script>alert('x')</script>"
    replies = say(sock, text)
    if not any(r["kind"] == "summary" for r in replies):
        say(sock, "/end")
    return session


def test_a_scorecard_opens_only_with_its_own_token(app, finished, connect):
    sid, token = finished["session_id"], finished["token"]
    other, _ = start(connect(), topic="messaging")
    stranger = app.test_client()
    for url in (f"/sessions/{sid}", f"/sessions/{sid}.json", f"/sessions/{sid}.md",
                f"/sessions/{sid}?token=wrong", f"/sessions/{sid}.json?token={other['token']}",
                "/sessions/nosuchsession.json?token=" + token, f"/sessions/{sid}.txt?token={token}",
                f"/sessions/{sid}/../{sid}.json?token={token}"):
        assert stranger.get(url).status_code == 404, url
    assert stranger.get(f"/sessions/{sid}.json?token={token}").status_code == 200


def test_the_scorecard_link_is_read_only_and_no_link_stores_a_cookie(app, finished, connect):
    sid, token, share = finished["session_id"], finished["token"], finished["share"]
    browser = app.test_client()
    page = browser.get(f"/sessions/{sid}?key={share}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Scorecard" in html
    assert "Set-Cookie" not in page.headers, "a key in a URL is never stored as a cookie"
    assert "&lt;script&gt;alert(" in html and "<script>alert(" not in html
    assert html.count("<svg") == 2
    assert page.headers["Cache-Control"] == "no-store"
    assert token not in html, "the resume token never appears in a page"
    assert f"/sessions/{sid}.md?download=1&amp;key={share}" in html  # the exports open with the same key
    # The share key reads; it never resumes or continues the interview.
    session, replies = start(connect(), token=share, topic="caching")
    assert session["resumed"] is False and session["session_id"] != sid
    assert "couldn't find your earlier session" in replies[0]["text"]
    # An old link with the token in it shows the read-only link instead, and stores nothing either.
    response = browser.get(f"/sessions/{sid}?token={token}")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/sessions/{sid}?key={share}")
    assert "Set-Cookie" not in response.headers
    assert browser.get(f"/sessions/{sid}").status_code == 404, "no cookie was planted by any GET"


def test_exports_carry_the_whole_session_and_never_the_token(app, finished):
    sid, token, share = finished["session_id"], finished["token"], finished["share"]
    browser = app.test_client()
    data = browser.get(f"/sessions/{sid}.json?key={share}").get_json()
    assert data["session"]["id"] == sid and data["session"]["answered"] == 1
    [q] = data["questions"]
    assert q["status"] == "answered" and "<script>" in q["attempts"][0]["answer"]
    assert q["attempts"][0]["delivery"]["fillers"] >= 1
    assert token not in json.dumps(data) and share not in json.dumps(data)
    md = browser.get(f"/sessions/{sid}.md?key={share}").get_data(as_text=True)
    assert md.startswith("# Interview scorecard — caching")
    assert "\\<script\\>" in md and "<script>" not in md
    download = browser.get(f"/sessions/{sid}.md?key={share}&download=1")
    assert download.headers["Content-Disposition"].startswith('attachment; filename="interview-')


def test_the_html_export_is_allowed_exactly_its_own_inline_styles(app, finished):
    import base64
    import hashlib

    sid, share = finished["session_id"], finished["share"]
    response = app.test_client().get(f"/sessions/{sid}.html?key={share}")
    html = response.get_data(as_text=True)
    [css] = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    assert ".q-card" in css, "the export carries its stylesheet"
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    style_src = re.search(r"style-src ([^;]*)", response.headers["Content-Security-Policy"]).group(1).split()
    assert style_src == ["'self'", f"'sha256-{digest}'"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_claim_remembers_a_session_for_the_history_page(app, finished):
    sid, token, share = finished["session_id"], finished["token"], finished["share"]
    browser = app.test_client()
    assert "No sessions in this browser yet" in browser.get("/history").get_data(as_text=True)
    assert browser.post(f"/sessions/{sid}/claim", json={"token": "wrong"}).status_code == 404
    claimed = browser.post(f"/sessions/{sid}/claim", json={"token": token}, headers={"Sec-Fetch-Site": "same-origin"})
    cookie = claimed.headers["Set-Cookie"]
    assert claimed.status_code == 204 and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert cookie.startswith(f"itok_{sid}={share};"), "the cookie holds the read-only key, not the token"
    assert "Secure" not in cookie  # plain http on 127.0.0.1 by default
    history = browser.get("/history").get_data(as_text=True)
    assert f'href="/sessions/{sid}"' in history and "caching" in history
    assert "Average grade over time" in history
    assert browser.get(f"/sessions/{sid}").status_code == 200  # the cookie opens the scorecard
    # A forged cookie (another session's name, this key) lists nothing extra.
    browser.set_cookie("itok_forged", share)
    assert browser.get("/history").get_data(as_text=True).count('href="/sessions/') == 1


@pytest.mark.parametrize("headers", [{"Origin": "null"}, {"Origin": "https://evil.example"},
                                     {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                     {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}])
def test_another_site_cannot_plant_a_session_in_someones_history(app, finished, headers):
    sid, share = finished["session_id"], finished["share"]
    browser = app.test_client()
    response = browser.post(f"/sessions/{sid}/claim", json={"key": share}, headers=headers)
    assert response.status_code == 403 and "Set-Cookie" not in response.headers
    assert "No sessions in this browser yet" in browser.get("/history").get_data(as_text=True)
    # The same request from the server's own page goes through.
    ok = browser.post(f"/sessions/{sid}/claim", json={"key": share}, headers={"Origin": "http://localhost"})
    assert ok.status_code == 204


# --------------------------------------------------------------------------- the serve command


def test_serve_on_a_busy_port_says_so(cli):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = cli("serve", "--port", str(port))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: cannot listen on 127.0.0.1:{port} (Address already in use)")


def test_serve_with_a_bad_database_url_says_so(cli, tmp_path):
    result = cli("serve", "--port", "0", "--db", "nonsense://nowhere")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: No database driver for 'nonsense'")


def test_behind_https_the_session_cookie_is_secure(built_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("INTERVIEWER_COOKIE_SECURE", "true")
    app = make_app(built_settings, tmp_path / "s.db")
    try:
        sock = socketio.test_client(app, flask_test_client=app.test_client())
        session, _ = start(sock, topic="caching")
        response = app.test_client().post(f"/sessions/{session['session_id']}/claim", json={"token": session["token"]})
        assert "Secure" in response.headers["Set-Cookie"]
        sock.disconnect()
    finally:
        backend(app).store.close()
