"""The practice loop over HTTP and Socket.IO, and `interviewer progress` / `chat --review` on the command line:
a learner cookie, reviews saved with each turn, review rounds, the progress page and its files."""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from datetime import datetime, timedelta, timezone
from io import BytesIO

import pytest
from test_server import make_app, say, start

from interviewer.server import backend, socketio

DAY1 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "sessions.db"


@pytest.fixture
def day_app(built_settings, db_path):
    """Apps on one database whose clocks start on a given day (the server's --now)."""
    made = []

    def at(day: int):
        app = make_app(built_settings, db_path, NOW=DAY1 + timedelta(days=day))
        made.append(app)
        return app

    yield at
    for app in made:
        backend(app).store.close()


def browser_socket(app, browser):
    return socketio.test_client(app, flask_test_client=browser)


def interview(app, browser, **payload):
    """Open the chat page (which gives the browser its learner), start, answer each question weakly, end."""
    assert browser.get("/").status_code == 200
    sock = browser_socket(app, browser)
    session, replies = start(sock, **payload)
    while True:
        q = next((r for r in reversed(replies) if r["kind"] == "question"), None)
        if q is None or any(r["kind"] == "summary" for r in replies):
            break
        replies = say(sock, "I don't know")
    if not any(r["kind"] == "summary" for r in replies):
        replies = say(sock, "/end")
    sock.disconnect()
    return session, replies


def test_the_first_page_gives_a_browser_its_learner_cookie(day_app):
    app = day_app(0)
    browser = app.test_client()
    first = browser.get("/")
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("learner=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Set-Cookie" not in browser.get("/").headers  # kept, not made again
    assert "take an interview first" in first.get_data(as_text=True)


def test_a_browsers_graded_answers_become_its_progress_and_history(day_app, db_path):
    app = day_app(0)
    browser = app.test_client()
    session, replies = interview(app, browser, topic="consensus", count=2)
    summary = next(r for r in replies if r["kind"] == "summary")
    assert "Coming back for review: " in summary["text"] and "tomorrow" in summary["text"]
    assert summary["coming_back"][0]["when"] == "tomorrow"
    page = browser.get("/progress").get_data(as_text=True)
    assert re.search(r'id="due-today">0<', page) and re.search(r'id="due-week">\d+<', page)
    assert page.count("<svg") >= 1 and "chance of recall now" in page
    history = browser.get("/history").get_data(as_text=True)
    assert "consensus" in history
    # The learner's own session opens with the learner cookie alone.
    assert browser.get(f"/sessions/{session['session_id']}").status_code == 200
    # Another browser has another learner: nothing of the first.
    other = app.test_client()
    assert "No reviews yet" in other.get("/progress").get_data(as_text=True)
    assert other.get(f"/sessions/{session['session_id']}").status_code == 404
    conn = sqlite3.connect(db_path)
    try:
        [(n,)] = conn.execute("SELECT COUNT(*) FROM reviews").fetchall()
        [(learner,)] = conn.execute("SELECT learner FROM sessions WHERE id = ?", (session["session_id"],)).fetchall()
    finally:
        conn.close()
    assert n > 0 and learner


def later(app, browser):
    """Return a client of another app (a later day) that holds the browser's learner cookie."""
    again = app.test_client()
    again.set_cookie("learner", browser.get_cookie("learner").value)
    return again


def test_two_days_later_a_review_round_brings_back_the_misses(day_app):
    first = day_app(0)
    browser = first.test_client()
    interview(first, browser, topic="consensus", count=1)
    app = day_app(2)
    browser = later(app, browser)
    assert re.search(r"\d+ concepts? due for review", browser.get("/").get_data(as_text=True))
    sock = browser_socket(app, browser)
    session, replies = start(sock, mode="review")
    greeting = replies[0]
    assert greeting["kind"] == "greeting" and greeting["text"].startswith("Review: ")
    assert "you missed “" in greeting["text"] and "2 days ago" in greeting["text"]
    assert greeting["review"]["questions"] and replies[1]["kind"] == "question"
    first = greeting["review"]["questions"][0]
    assert replies[1]["question"]["id"] == first["question_id"]


def test_a_review_without_a_learner_history_is_an_interview(day_app):
    app = day_app(0)
    browser = app.test_client()
    browser.get("/")
    session, replies = start(browser_socket(app, browser), mode="review")
    assert replies[0]["kind"] == "notice" and "nothing to review yet" in replies[0]["text"]
    assert any(r["kind"] == "question" for r in replies)


def test_progress_moves_to_another_browser_as_a_file(day_app):
    app = day_app(0)
    old = app.test_client()
    session, _ = interview(app, old, topic="consensus", count=1)
    exported = old.get("/progress.json")
    assert exported.headers["Content-Disposition"].startswith('attachment; filename="interviewer-progress-2025-03-01')
    data = exported.get_json()
    assert data["format"] == "interviewer-progress" and data["reviews"]
    new = app.test_client()
    new.get("/progress")
    upload = {"file": (BytesIO(json.dumps(data).encode()), "progress.json")}
    done = new.post("/progress/import", data=upload, content_type="multipart/form-data",
                    headers={"Sec-Fetch-Site": "same-origin"})
    assert done.status_code == 303
    page = new.get(done.headers["Location"]).get_data(as_text=True)
    assert f"Imported {len(data['reviews'])} reviews, 1 sessions" in page
    assert new.get("/progress.json").get_json()["reviews"] == [
        {**r, "session_id": None} for r in data["reviews"]]
    assert "consensus" in new.get("/history").get_data(as_text=True)
    # Another site cannot post into a learner's progress; a broken file is said, and changes nothing.
    assert new.post("/progress/import", data={"file": (BytesIO(b"{}"), "x.json")}, content_type="multipart/form-data",
                    headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    bad = new.post("/progress/import", data={"file": (BytesIO(b'{"format": "nope"}'), "x.json")},
                   content_type="multipart/form-data", headers={"Sec-Fetch-Site": "same-origin"})
    assert bad.status_code == 400 and "not an interviewer progress export" in bad.get_data(as_text=True)


def test_the_weak_concepts_download_as_an_anki_deck(day_app):
    app = day_app(0)
    browser = app.test_client()
    interview(app, browser, topic="consensus", count=1)
    deck = browser.get("/progress.apkg")
    assert deck.status_code == 200 and deck.headers["Content-Disposition"].endswith('.apkg"')
    with zipfile.ZipFile(BytesIO(deck.data)) as z:
        assert "collection.anki2" in z.namelist()


# ---------------------------------------------------------------------- the command line


def run_chat(cli, db, *args, input):
    return cli("chat", "--db", db, "--seed", "5", *args, input=input)


def test_progress_json_has_exactly_the_contract_shape(cli, tmp_path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    done = run_chat(cli, db, "--topic", "consensus", "--count", "1", "--learner", "ann", "--now", "2025-03-01T09:00Z",
                    input="I don't know\n")
    assert done.exit_code == 0, done.output
    assert "Coming back for review: " in done.stdout
    result = cli("progress", "--db", db, "--learner", "ann", "--json", "--now", "2025-03-02T10:00Z")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"concepts", "due_now"}
    assert data["concepts"] and data["due_now"] == len(data["concepts"])
    for c in data["concepts"]:
        assert set(c) == {"concept_id", "label", "topics", "state", "due", "stability", "reviews", "lapses", "last_grade"}
        assert c["last_grade"] == "again" and c["reviews"] == 1 and c["due"].startswith("2025-03-02T09:")
    # Another learner of the same store has nothing yet; the day before it was due, nothing is due.
    assert json.loads(cli("progress", "--db", db, "--learner", "bob", "--json").stdout) == {"concepts": [], "due_now": 0}
    assert json.loads(cli("progress", "--db", db, "--learner", "ann", "--json", "--now", "2025-03-01T20:00Z").stdout
                      )["due_now"] == 0
    table = cli("progress", "--db", db, "--learner", "ann", "--now", "2025-03-02T10:00Z").stdout
    assert table.startswith(f"{len(data['concepts'])} concepts · {len(data['concepts'])} due today")


def test_chat_review_asks_for_what_is_due_and_the_learner_comes_from_the_environment(cli, cli_runner, built_settings,
                                                                                      tmp_path):
    from interviewer.cli import main

    db = f"sqlite:///{tmp_path / 'p.db'}"
    base = ["--data-dir", str(built_settings.data_dir), "--corpus", str(built_settings.corpus_dir)]
    env = {"INTERVIEWER_LEARNER": "carol", "INTERVIEWER_DEBUG": None}
    first = cli_runner.invoke(main, [*base, "chat", "--db", db, "--seed", "5", "--topic", "consensus", "--count", "1",
                                     "--now", "2025-03-01T09:00Z"], input="I don't know\n", env=env)
    assert first.exit_code == 0, first.output
    review = cli_runner.invoke(main, [*base, "chat", "--db", db, "--seed", "5", "--review", "--now", "2025-03-03T09:00Z"],
                               input="/end\n", env=env)
    assert review.exit_code == 0, review.output
    assert re.search(r"Interviewer: Review: \d+ concepts? (is|are) due\.", review.stdout)
    assert "you missed “" in review.stdout and "2 days ago" in review.stdout
    nobody = cli("chat", "--db", db, "--review", "--learner", "dave", input="/end\n")
    assert "nothing to review yet" in nobody.stdout


@pytest.mark.parametrize("args, error", [
    (["progress", "--now", "yesterday"], "Error: --now 'yesterday' is not an ISO time"),
    (["progress", "--import", "/no/such/file.json"], "Error: cannot read /no/such/file.json"),
    (["chat", "--now", "3/4/25"], "Error: --now '3/4/25' is not an ISO time"),
])
def test_bad_practice_options_say_what_is_wrong(cli, tmp_path, args, error):
    result = cli(*args, "--db", f"sqlite:///{tmp_path / 'p.db'}", input="")
    assert result.exit_code == 1 and error in result.stderr


def test_progress_export_import_and_anki_from_the_command_line(cli, tmp_path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    run_chat(cli, db, "--topic", "consensus", "--count", "1", "--learner", "ann", "--now", "2025-03-01T09:00Z",
             input="I don't know\n")
    out = tmp_path / "ann.json"
    assert cli("progress", "--db", db, "--learner", "ann", "--export", str(out)).exit_code == 0
    moved = cli("progress", "--db", f"sqlite:///{tmp_path / 'other.db'}", "--learner", "ann", "--import", str(out),
                "--json", "--now", "2025-03-02T10:00Z")
    assert moved.exit_code == 0 and "imported" in moved.stderr
    mine = cli("progress", "--db", db, "--learner", "ann", "--json", "--now", "2025-03-02T10:00Z").stdout
    assert json.loads(moved.stdout) == json.loads(mine)
    deck = cli("progress", "--db", db, "--learner", "ann", "--anki", str(tmp_path / "weak.apkg"))
    assert deck.exit_code == 0 and re.search(r"wrote .*weak\.apkg: [1-9]\d* cards", deck.stderr)


def test_an_export_bigger_than_a_chat_packet_imports(day_app):
    app = day_app(0)
    browser = app.test_client()
    browser.get("/progress")
    reviews = [{"concept_id": f"concept-{i % 300}", "rating": 1 + i % 4, "rule": "imported",
                "reviewed_at": (DAY1 + timedelta(hours=i)).isoformat()} for i in range(3000)]
    body = json.dumps({"format": "interviewer-progress", "version": 1, "reviews": reviews}).encode()
    assert len(body) > app.config["MAX_PACKET_BYTES"]
    done = browser.post("/progress/import", data={"file": (BytesIO(body), "p.json")},
                        content_type="multipart/form-data", headers={"Sec-Fetch-Site": "same-origin"})
    assert done.status_code == 303 and "3000+reviews" in done.headers["Location"]
