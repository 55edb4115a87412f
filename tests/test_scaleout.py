"""Scale-out: two `interviewer serve` processes on one Redis message queue and one shared store.

A sticky load balancer (nginx `ip_hash`) sends each browser to one process; when that process dies
the browser lands on another, which resumes the session from the shared store. The Redis queue joins
the processes: an event emitted anywhere reaches a client of any process.
"""

from __future__ import annotations

import json
import os
import secrets
import time

import pytest
from procs import Gunicorn, Server, answer_for, copy_data_dir, kinds
from test_store import pg_schema_url

pytestmark = pytest.mark.slow

REDIS_URL = os.environ.get("INTERVIEWER_TEST_REDIS") or "redis://127.0.0.1:6379"


@pytest.fixture(scope="module")
def redis_url() -> str:
    """The Redis of INTERVIEWER_TEST_REDIS; skip, saying why, when it cannot be reached."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # any failure to connect means: skip, and say why
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture
def channel() -> str:
    """A queue channel of this test's own, so other runs on the same Redis never cross it."""
    return f"interviewer-test-{secrets.token_hex(6)}"


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db(request, tmp_path):
    """One store for both processes: an SQLite file on this machine, or a private PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
    else:
        yield from pg_schema_url()


@pytest.fixture
def pair(built_settings, tmp_path, redis_url, channel):
    """Start two servers (each with its own copy of the index, as on two nodes) on one queue and store."""
    started: list[Server] = []

    def start(db_url: str, kind: type[Server] = Server) -> tuple[Server, Server]:
        for name in ("a", "b"):
            data = copy_data_dir(built_settings.data_dir, tmp_path / f"node-{name}")
            server = kind(data, db_url, queue=redis_url, channel=channel)
            started.append(server)
            server.start()
        return started[0], started[1]

    yield start
    for server in started:
        server.kill()


def subscribers(redis_url: str, channel: str, at_least: int, timeout: float = 10.0) -> int:
    """Wait until `at_least` processes listen on the channel (each subscribes on its first connection)."""
    import redis

    conn = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    try:
        while True:
            [(_, count)] = conn.pubsub_numsub(channel)
            if count >= at_least or time.monotonic() > deadline:
                return count
            time.sleep(0.05)
    finally:
        conn.close()


def user_texts(transcript: dict) -> list[str]:
    return [t["text"] for t in transcript["turns"] if t["role"] == "user"]


def test_a_session_resumes_on_the_second_process_after_the_first_is_killed(pair, shared_db, clients):
    resumes_after_a_kill(*pair(shared_db), clients)


@pytest.fixture
def pg_db():
    """A private PostgreSQL schema, dropped after the servers using it are gone (request it first)."""
    yield from pg_schema_url()


def test_the_documented_deployment_gunicorn_postgresql_redis(pg_db, pair, clients):
    # README, "Past one machine": each node runs gunicorn (one worker, threads) on the app factory,
    # configured by INTERVIEWER_DB and INTERVIEWER_MESSAGE_QUEUE, all nodes on one PostgreSQL.
    resumes_after_a_kill(*pair(pg_db, Gunicorn), clients)


def resumes_after_a_kill(a: Server, b: Server, clients) -> None:
    """Alice on A, Bob on B; A is killed mid-answer; Alice resumes on B and goes on; Bob notices nothing."""
    alice = clients(a.url)  # the balancer sent Alice to A…
    bob = clients(b.url)  # …and Bob to B
    session, opening = alice.start(topic="caching", count=3)
    _, b_opening = bob.start(topic="messaging", count=3)
    sent = [answer_for(opening[-1]["question"]), "next", "First I would put a cache in front of the database,"]
    seen = list(opening)
    for text in sent:
        replies = alice.say(text)
        assert "error" not in kinds(replies), replies
        seen += replies
    question = [e for e in seen if e["kind"] == "question"][-1]

    a.kill()
    alice.wait_for("_disconnect")
    alice = clients(b.url)  # A is gone: the balancer sends Alice to B
    resumed, [transcript] = alice.start(token=session["token"])
    assert resumed == {**session, "resumed": True}
    assert transcript["kind"] == "_transcript" and transcript["phase"] == "answering"
    assert user_texts(transcript) == sent
    assert [(t["kind"], t["text"]) for t in transcript["turns"] if t["role"] != "user"] == \
        [(e["kind"], e["text"]) for e in seen]
    replies = alice.say("then a TTL on each entry, and invalidate entries on writes.")
    assert kinds(replies) == ["notice"]
    [feedback] = alice.say("done")
    assert feedback["kind"] == "feedback" and feedback["question_id"] == question["question"]["id"]
    assert feedback["answer"].startswith("First I would put a cache in front of the database,")
    assert 0 <= feedback["score"] <= 1

    # Bob, on B all along, noticed nothing and never hears Alice's interview.
    assert kinds(bob.say(answer_for(b_opening[-1]["question"])))[0] == "feedback"
    assert not [e for e in bob.events if e.get("session_id") == session["session_id"]]
    assert "Traceback" not in b.stderr()


def test_a_process_behind_on_a_session_reloads_it_and_answers_from_there(pair, shared_db, clients):
    """Two tabs of one interview on two processes: writes are conditional on the session's version,
    so the process that is behind reloads the state instead of forking the interview."""
    a, b = pair(shared_db)
    alice = clients(a.url)
    session, opening = alice.start(topic="caching", count=5)
    tab = clients(b.url)  # the same interview in a second tab, sent to the other process
    resumed, [transcript] = tab.start(token=session["token"])
    assert resumed["resumed"] is True and transcript["kind"] == "_transcript"
    asked = [e["question"]["id"] for text in ("/skip", "/skip") for e in alice.say(text) if e["kind"] == "question"]
    assert len(asked) == 2  # A has moved on to question 3; B still holds question 1

    replies = tab.say(answer_for({"options": []}))
    assert replies[0]["kind"] == "notice" and "question 3 of 5" in replies[0]["text"], replies
    [feedback] = [e for e in replies if e["kind"] == "feedback"]
    assert feedback["question_id"] == asked[-1]
    # A, behind in turn, catches up before it answers: the score both tabs see is the same.
    score = alice.say("/score")[-1]
    assert score["answered"] == 1 and [g["number"] for g in score["grades"]] == [3]

    status, body = a.get(f"/sessions/{session['session_id']}.json?key={session['share']}")
    report = json.loads(body)
    assert status == 200 and report["session"]["answered"] == 1
    assert [t["text"] for t in report["transcript"] if t["role"] == "user"] == [
        "/skip", "/skip", answer_for({"options": []}), "/score"]
    assert "Traceback" not in a.stderr() + b.stderr()


def test_an_event_sent_through_the_queue_reaches_clients_of_every_process(pair, tmp_path, redis_url, channel,
                                                                          clients):
    a, b = pair(f"sqlite:///{tmp_path / 'shared.db'}")
    on_a, on_b = clients(a.url), clients(b.url)
    for client in (on_a, on_b):
        client.start(topic="caching")
    assert subscribers(redis_url, channel, 2) == 2

    # Another program (a maintenance script, say) speaks through the queue, as Flask-SocketIO documents.
    outside, elsewhere = emitter(redis_url, channel), emitter(redis_url, channel + "-other")
    try:
        notice = {"kind": "notice", "text": "The server restarts at noon; your interview is saved."}
        outside.emit("reply", notice)
        assert on_a.wait_for("notice", timeout=10)["text"] == notice["text"]
        assert on_b.wait_for("notice", timeout=10)["text"] == notice["text"]

        # Addressed to one connection: only that client, on the other process, gets it.
        since_a, since_b = len(on_a.events), len(on_b.events)
        outside.emit("reply", {"kind": "notice", "text": "Just for you."}, to=on_b.sio.get_sid())
        assert on_b.wait_for("notice", since=since_b, timeout=10)["text"] == "Just for you."
        # A channel of another deployment reaches nobody here.
        elsewhere.emit("reply", {"kind": "notice", "text": "Not for this deployment."})
        on_a.say("/repeat")  # a round trip on A after the emits: anything sent to A has arrived
        on_b.say("/repeat")
        assert [e for e in on_a.events[since_a:] if e["kind"] == "notice"] == []
        assert [e["text"] for e in on_b.events[since_b:] if e["kind"] == "notice"] == ["Just for you."]
    finally:
        for one in (outside, elsewhere):
            if one.server.manager.redis is not None:
                one.server.manager.redis.close()


def emitter(redis_url: str, channel: str):
    """A write-only Socket.IO on the queue: how a program outside the servers sends to their clients."""
    from flask_socketio import SocketIO

    return SocketIO(message_queue=redis_url, channel=channel)
