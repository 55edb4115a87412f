"""Abuse of a real `interviewer serve` over real sockets: garbage Socket.IO frames, a flood, guessed and
stolen tokens. (Payload shapes through the test client, the rate-limit notice and a message before
`start` are in test_server.py; this adds what only a real process on a real socket shows.)
"""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.request

import pytest
import websocket
from procs import LOAD_ENV, Server, answer_for, copy_data_dir, kinds

pytestmark = pytest.mark.slow

# Seconds the module's server gives a client to send its request headers (short, to see it act).
HEADER_TIMEOUT = 1.0

SECRET = ("My secret answer: a write-through cache in front of PostgreSQL with a TTL of ninety seconds, "
          "and a Bloom filter so that misses never reach the database.")


@pytest.fixture(scope="module")
def server(built_settings, tmp_path_factory):
    """One server for the module, on an SQLite file the tests read back."""
    tmp = tmp_path_factory.mktemp("security")
    server = Server(copy_data_dir(built_settings.data_dir, tmp / "data"), f"sqlite:///{tmp / 'sessions.db'}",
                    env={**LOAD_ENV, "INTERVIEWER_HEADER_TIMEOUT": str(HEADER_TIMEOUT)})
    server.db_path = tmp / "sessions.db"
    server.start()
    yield server
    server.kill()


def rows(server: Server, sql: str, *args) -> list[tuple]:
    conn = sqlite3.connect(f"file:{server.db_path}?mode=ro", uri=True)
    try:
        return conn.execute(sql, args).fetchall()
    finally:
        conn.close()


# --------------------------------------------------------------------------- garbage on the wire


class RawSocket:
    """A bare Engine.IO v4 websocket with the Socket.IO namespace joined: frames go out exactly as given."""

    def __init__(self, port: int, headers: list[str] | None = None):
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket",
                                              timeout=5, header=headers or [])
        assert self.ws.recv().startswith("0{")  # Engine.IO open
        self.ws.send("40")
        assert self.ws.recv().startswith("40{")  # Socket.IO connect
        self.closed = False

    def send(self, frame: str | bytes) -> None:
        try:
            if isinstance(frame, bytes):
                self.ws.send_binary(frame)
            else:
                self.ws.send(frame)
        except Exception:  # the server closed this connection
            self.closed = True

    def events(self, quiet: float = 0.3) -> list | None:
        """Return the Socket.IO events received until `quiet` seconds pass without one; None once closed."""
        got: list = []
        self.ws.settimeout(quiet)
        while not self.closed:
            try:
                frame = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                return got
            except Exception:  # closed by the server, or what came back is not a websocket frame
                frame = ""
            if not frame:
                self.closed = True
                break
            if isinstance(frame, str) and frame.startswith("42"):
                got.append(json.loads(frame[2:]))
            elif frame == "2":  # Engine.IO ping
                self.ws.send("3")
        return None

    def close(self) -> None:
        try:
            self.ws.abort()
            self.ws.shutdown()
        except Exception:
            pass


GARBAGE = [
    ('42["message"', "JSON cut short"),
    ('42{"text": "hi"}', "an object, not an event list"),
    ("42[]", "no event name"),
    ('42[5, {"text": "hi"}]', "a number for the event name"),
    ("42[null]", "null for the event name"),
    ('42["no-such-event", {"text": "hi"}]', "an unknown event"),
    ("4", "a Socket.IO packet with no type"),
    ("49", "an unknown Socket.IO packet type"),
    ("9", "an unknown Engine.IO packet type"),
    (b"\x00\x01\xff", "binary with no packet header"),
    ('42["message", ' + "[" * 50_000 + "]" * 50_000 + "]", "50,000 nested lists"),
    ('42["message", {"text": "' + "x" * 300_000 + '"}]', "a 300 KB frame"),
    ("", "an empty frame"),
    ("x", "text that is no packet at all"),
]


@pytest.mark.parametrize("frame", [f for f, _ in GARBAGE], ids=[why for _, why in GARBAGE])
def test_a_garbage_frame_costs_at_most_its_own_connection(server, clients, frame):
    raw = RawSocket(server.port)
    try:
        raw.send('42["start", {"topic": "caching"}]')
        assert [e[0] for e in raw.events()][:1] == ["session"]
        raw.send(frame)
        raw.events()
        raw.send('42["message", {"text": "/help"}]')
        after = raw.events()
        # The connection either lives on and answers, or the server dropped it; nothing in between.
        assert after is None or [e[0] for e in after] == ["reply"], after
        if after:
            assert "/lookup" in after[0][1]["text"]
    finally:
        raw.close()
    assert server.alive() and server.get("/healthz")[0] == 200
    other = clients(server.url)
    _, opening = other.start(topic="messaging", count=2)
    assert kinds(opening) == ["greeting", "question"]
    # Bad input from a client costs a log line at most, never a traceback anyone can pile up.
    assert "Traceback" not in server.stderr()


@pytest.mark.parametrize("frames, says", [
    (['42["message", {"text": "hi"}, "and", 2]'], "`message` takes an object like {'text'}, not a list."),
    (['451-["message", {"_placeholder": true, "num": 0}]', b"\x00\xff"],
     "`message` takes an object like {'text'}, not bytes."),
    (['451-["message", {"text": {"_placeholder": true, "num": 0}}]', b"\x00\xff"],
     "`text` must be a string, not bytes."),
    (['42["start", {"token": {"$ne": null}}]'], "`token` must be the session token string the server gave you."),
])
def test_a_well_formed_frame_of_the_wrong_shape_gets_an_error_reply_saying_why(server, frames, says):
    raw = RawSocket(server.port)
    try:
        raw.send('42["start", {"topic": "caching"}]')
        raw.events()
        for frame in frames:
            raw.send(frame)
        [(event, reply)] = raw.events()
        assert (event, reply["kind"], reply["text"]) == ("reply", "error", says)
    finally:
        raw.close()


def test_half_an_emoji_is_read_as_a_replacement_character_not_an_error(server, clients):
    # A client that cuts a long message in two may split a surrogate pair: JSON carries "\ud83d".
    raw = RawSocket(server.port)
    try:
        raw.send('42["start", {"topic": "caching", "count": 2}]')
        [(_, session), *_] = raw.events()
        raw.send('42["message", {"text": "/lookup cache stampede \\ud83d"}]')
        [(event, reply)] = raw.events()
        assert (event, reply["kind"]) == ("reply", "lookup") and reply["hits"]
    finally:
        raw.close()
    [(text,)] = rows(server, "SELECT text FROM turns WHERE session_id = ? AND role = 'user'", session["session_id"])
    assert text == "/lookup cache stampede \ufffd"


# --------------------------------------------------------------------------- the HTTP edge


def test_the_server_header_names_no_versions(server):
    with urllib.request.urlopen(server.url + "/healthz", timeout=10) as response:
        assert response.headers["Server"] == "interviewer"


def test_half_sent_requests_are_dropped_after_the_header_timeout_and_others_are_served(server):
    import socket

    held = []
    try:
        for _ in range(100):  # each would hold one of the server's threads for as long as it likes
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            held.append(sock)
        assert server.get("/healthz")[0] == 200
        for sock in held:  # the server closes each one itself (recv would time out after 10 s)
            assert sock.recv(1024) == b""
    finally:
        for sock in held:
            sock.close()


def test_a_websocket_idle_past_the_header_timeout_lives_on_and_its_close_logs_no_error(server, clients):
    import threading

    client = clients(server.url)
    client.start(topic="caching")
    threading.Event().wait(HEADER_TIMEOUT * 2)  # idle for twice the header deadline
    assert kinds(client.say("/help")) == ["notice"]
    before = server.stderr()
    client.sio.disconnect()  # a polite close, as a closed tab sends
    assert server.get("/healthz")[0] == 200
    logged = server.stderr()[len(before):]
    assert "ERROR" not in logged and "Bad" not in logged, logged


# --------------------------------------------------------------------------- a flood


def test_a_flood_is_refused_with_notices_and_other_clients_are_served_as_usual(server, clients):
    flooder = clients(server.url)
    flood_session, _ = flooder.start(topic="caching", count=20)
    alice = clients(server.url)
    _, opening = alice.start(topic="messaging", count=3)
    before = len(flooder.events)
    sent = 400
    for i in range(sent):  # as fast as the socket takes them, without waiting for a reply
        flooder.sio.emit("message", {"text": f"/lookup cache {i}"})

    # Meanwhile Alice's interview goes on: every message answered, no error.
    for text in [answer_for(opening[-1]["question"]), "next", "/hint", "/lookup quorum"]:
        replies = alice.say(text)
        assert replies and "error" not in kinds(replies), replies

    # Every flood message gets exactly one reply: its lookup, or a notice to slow down.
    deadline = time.monotonic() + 30
    while len(flooder.events) - before < sent and time.monotonic() < deadline:
        time.sleep(0.1)
    got = flooder.events[before:]
    assert len(got) == sent, [r for r in got if "faster than" not in r["text"]][:5]
    refused = [r for r in got if r["kind"] == "error"]
    answered = [r for r in got if r["kind"] != "error"]
    assert len(refused) > sent / 2 and answered
    assert all("faster than I can take them" in r["text"] and r["retry"] is True for r in refused)
    assert {r["unsent"] for r in refused} <= {f"/lookup cache {i}" for i in range(sent)}
    # What was answered is saved; what was refused is not.
    saved = rows(server, "SELECT text FROM turns WHERE session_id = ? AND role = 'user' ORDER BY seq",
                 flood_session["session_id"])
    assert len(saved) == len(answered)
    assert not {t for (t,) in saved} & {r["unsent"] for r in refused}


def test_a_flood_of_starts_opens_no_more_sessions_than_the_burst(server):
    raw = RawSocket(server.port)
    (before,) = rows(server, "SELECT count(*) FROM sessions")[0]
    try:
        for _ in range(60):
            raw.send('42["start", {"topic": "caching"}]')
        got = []
        while (more := raw.events(quiet=1.0)):
            got += more
    finally:
        raw.close()
    sessions = [data for event, data in got if event == "session"]
    refused = [data for event, data in got if event == "reply" and data["kind"] == "error"]
    assert 0 < len(sessions) <= 12 and len(sessions) + len(refused) == 60
    assert all("faster than I can take them" in r["text"] for r in refused)
    (after,) = rows(server, "SELECT count(*) FROM sessions")[0]
    assert after - before == len(sessions)


def test_starting_sessions_is_limited_per_client_address_behind_a_proxy(built_settings, tmp_path):
    # Behind nginx every client arrives from the proxy's address; with INTERVIEWER_PROXIES=1 the
    # address the proxy puts in X-Forwarded-For is the one limited. New connections each time: the
    # limit holds across connections, which the per-connection one did not.
    env = {"INTERVIEWER_PROXIES": "1", "INTERVIEWER_START_RATE": "0.01", "INTERVIEWER_START_BURST": "2"}
    with Server(copy_data_dir(built_settings.data_dir, tmp_path / "data"), f"sqlite:///{tmp_path / 's.db'}",
                env=env) as server:
        def start_from(address: str) -> str:
            raw = RawSocket(server.port, headers=[f"X-Forwarded-For: {address}"])
            try:
                raw.send('42["start", {"topic": "caching"}]')
                [(event, data), *_] = raw.events()
                return event if event == "session" else data["text"]
            finally:
                raw.close()

        assert [start_from("203.0.113.7") for _ in range(2)] == ["session", "session"]
        refused = start_from("203.0.113.7")
        assert refused.startswith("Too many interviews were started or resumed from your address")
        assert start_from("198.51.100.9") == "session", "another client behind the same proxy is not held up"
        (count,) = sqlite3.connect(tmp_path / "s.db").execute("SELECT count(*) FROM sessions").fetchone()
        assert count == 3


# --------------------------------------------------------------------------- tokens


def http_get(server: Server, path: str, cookie: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(server.url + path, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


@pytest.fixture
def alice(server, clients) -> dict:
    """A session with something private in it; returns its session event."""
    page = clients(server.url)
    session, _ = page.start(topic="caching", count=2)
    replies = page.say(SECRET)
    assert kinds(replies)[0] == "feedback", replies
    return session


def guesses(session: dict) -> list[str]:
    token, sid = session["token"], session["session_id"]
    flipped = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    return [sid, token[:-1], token + "A", token.upper(), token.swapcase(), flipped, token[:22], " " + token,
            token + " ", token + "\x00", "", "null", "' OR '1'='1", "%", "*", "../" + token]


def test_a_guessed_token_never_resumes_another_session(server, clients, alice):
    for guess in guesses(alice):
        mallory = clients(server.url)
        session, events = mallory.start(token=guess, topic="messaging")
        shown = json.dumps([session, events])
        assert alice["session_id"] not in shown and alice["token"] not in shown, guess
        assert "secret answer" not in shown and "_transcript" not in kinds(events), guess
        if session is not None:  # a new session of Mallory's own, saying the old one was not found
            assert session["resumed"] is False
            assert kinds(events)[-1] == "question"
        else:
            [reply] = events
            assert reply["kind"] == "error" and "`token`" in reply["text"], guess
        mallory.close()


def test_a_scorecard_or_export_opens_only_with_its_own_token(server, clients, alice):
    sid, token = alice["session_id"], alice["token"]
    mallory, _ = clients(server.url).start(topic="messaging")
    paths = [f"/sessions/{sid}{fmt}" for fmt in ("", ".json", ".md", ".html")]
    for path in paths:
        attempts = [(path, None),  # no token at all
                    (f"{path}?token=", None),
                    (f"{path}?token={mallory['token']}", None),  # a real token, of another session
                    (path, f"itok_{sid}={mallory['token']}"),  # another session's token in this one's cookie
                    (path, f"itok_{mallory['session_id']}={token}"),  # this token under another name
                    *[(f"{path}?token={urllib.request.quote(g)}", None) for g in guesses(alice)]]
        for url, cookie in attempts:
            status, body = http_get(server, url, cookie)
            assert status == 404 and "secret answer" not in body, (url, cookie, status)
    # The owner's token opens each of them (the same requests, done right).
    for path in paths[1:]:
        status, body = http_get(server, f"{path}?token={token}")
        assert status == 200 and "secret answer" in body, path
