"""`interviewer chat` and `interviewer grade` from the command line, as a user runs them."""

from __future__ import annotations

import json
import re

import pytest

from interviewer.dialogue import REPLY_KINDS

SCRIPT = "\n".join([
    "lets do messaging, medium",
    "hmm what's a retry storm exactly?",
    "ok so um I'd put the event in an outbox table in the same local transaction as the order, "
    "and a relay publishes it to Kafka; consumers are idempotent",
    "/hint",
    "next",
    "/score",
    "/end",
]) + "\n"


def test_piped_session_shows_every_step(cli):
    result = cli("chat", "--seed", "1", input=SCRIPT)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Interviewer: Hi! I'll ask you 5 system-design questions.")
    assert "You: lets do messaging, medium" in out
    assert "Question 1 of 5 — " in out
    assert "From “Question 1: Taming the \"Retry Storm\"”" in out and "Back to the question" in out
    assert re.search(r"score \d\.\d\d  grade \d\.\d/5", out) and "delivery: " in out
    assert "So far: 1 answered" in out
    assert "Session summary:" in out and "Read next:" in out


def test_end_of_input_ends_with_the_summary(cli):
    result = cli("chat", "--seed", "2", "--topic", "caching", "--count", "2", input="/hint\n")
    assert result.exit_code == 0
    assert result.stdout.rstrip().splitlines()[-1] != ""
    assert "Session summary:" in result.stdout


def test_jsonl_replies_are_shaped_like_socket_events(cli):
    result = cli("chat", "--seed", "3", "--topic", "surprise", "--count", "1", "--jsonl",
                 input="I would shard the data by key with consistent hashing and replicate each shard\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["kind"] for r in lines][:2] == ["greeting", "question"]
    assert all(r["kind"] in REPLY_KINDS and isinstance(r["text"], str) for r in lines)
    assert lines[-1]["kind"] == "summary"
    assert "You:" not in result.stdout


def test_mock_mode_and_level_flags(cli):
    result = cli("chat", "--seed", "4", "--topic", "consistency", "--level", "easy", "--count", "1", "--mock",
                 input="Quorum: R plus W greater than N means reads see the latest write\n")
    assert "Mock mode: feedback comes at the end" in result.stdout
    assert "Session summary:" in result.stdout


def test_grade_prints_the_scorecard(cli):
    result = cli("grade", "--question", "How does the outbox pattern work?",
                 "--reference", "The outbox pattern writes the event to an outbox table in the same local "
                                "transaction as the business data. A relay publishes the rows to Kafka.",
                 "--answer", "um so I'd write the event to an outbox table in the same transaction and a relay sends it to kafka")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("score ") and "grade " in lines[0]
    assert lines[1].startswith("dimensions: coverage ") and lines[2].startswith("covered: ")
    assert any(line.startswith("delivery: ") and "(um)" in line for line in lines)


def test_grade_json_and_batch(cli, tmp_path):
    result = cli("grade", "--json", "--reference", "Shard by hashing the key.", "--answer", "hash the key to pick a shard")
    card = json.loads(result.stdout)
    assert 0 <= card["score"] <= 1 and 0 <= card["grade"] <= 5
    batch = tmp_path / "answers.jsonl"
    batch.write_text("\n".join([
        json.dumps({"id": "a", "reference": "Shard by hashing the key.", "answer": "hash the key"}),
        "{not json",
        json.dumps({"id": "c", "reference": "Use a quorum.", "answer": "a quorum of replicas", "question": "How?"}),
    ]) + "\n", encoding="utf-8")
    result = cli("grade", "--batch", str(batch))
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "c"]
    assert "error" in out[1] and "not valid JSON" in out[1]["error"]
    assert {"score", "grade", "matched", "missed", "flags", "dimensions"} <= set(out[2])


def test_grade_against_a_bank_question_by_id(cli):
    result = cli("grade", "--id", "000-open-185", "--answer",
                 "um so basically you write the order and the event in one local transaction, "
                 "then a relay polls the outbox table and pushes to kafka")
    assert result.exit_code == 0, result.output
    covered = next(ln for ln in result.stdout.splitlines() if ln.startswith("covered: ")).lower()
    assert "message relay" in covered and "kafka" in covered
    assert "change data capture" in result.stdout
    unknown = cli("grade", "--id", "no-such-question", "--answer", "a saga")
    assert unknown.exit_code == 1 and unknown.stderr == "Error: there is no question with id 'no-such-question'\n"


@pytest.mark.parametrize(("args", "error"), [
    (["--answer", "something"],
     "give --answer TEXT and either --reference TEXT or --id QUESTION_ID (or --batch FILE.jsonl)"),
    (["--reference", "Use a quorum.", "--id", "000-open-185", "--answer", "quorum"],
     "give either --reference TEXT or --id QUESTION_ID, not both"),
    (["--id", "000-open-185", "--batch", "-"], "give either --reference/--id with --answer, or --batch FILE, not both"),
])
def test_grade_says_which_arguments_it_needs(cli, args, error):
    result = cli("grade", *args)
    assert result.exit_code == 1 and result.stderr == f"Error: {error}\n"


def test_a_saved_session_resumes_where_it_stopped(cli, built_settings, tmp_path):
    from interviewer.dialogue import Config
    from interviewer.services import open_services
    from interviewer.store import Store

    db = f"sqlite:///{tmp_path / 'sessions.db'}"
    services = open_services(built_settings)
    engine = services.interviewer()
    state, replies = engine.start(Config(topic="caching", count=2, seed=11))
    with Store.open(db) as store:
        record = store.create_session({"topic": "caching"}, state.to_dict(), [r.to_dict() for r in replies])
        question = replies[-1].data["question"]["prompt"]
    result = cli("chat", "--db", db, "--resume", record.token,
                 input="A cache-aside cache with a TTL, invalidated on every write to the database\n/end\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index(question) < out.index("You: A cache-aside cache")  # the transcript is replayed first
    assert re.search(r"grade \d\.\d/5", out) and "Session summary:" in out
    with Store.open(db) as store:
        turns = store.transcript(record.id)
    assert [t.role for t in turns].count("user") == 2
    assert turns[-1].kind == "summary"


def test_resume_with_an_unknown_token_is_an_error(cli, tmp_path):
    result = cli("chat", "--db", f"sqlite:///{tmp_path / 's.db'}", "--resume", "not-a-token")
    assert result.exit_code == 1
    assert result.stderr == "Error: no saved session has that token; check it, or start a new one without --resume\n"


def test_a_new_session_says_how_to_resume_it(cli, tmp_path):
    result = cli("chat", "--db", f"sqlite:///{tmp_path / 's.db'}", "--seed", "1", "--topic", "caching",
                 "--count", "1", input="/skip\n")
    assert "resume it with: interviewer chat --resume " in result.stderr


def test_report_exports_a_session(cli, tmp_path):
    db = f"sqlite:///{tmp_path / 's.db'}"
    result = cli("chat", "--db", db, "--seed", "1", "--topic", "caching", "--count", "1",
                 input="A cache-aside cache with a TTL in front of the database, invalidated on writes\n")
    session_id = result.stderr.split("Saved as session ")[1].split(";")[0]
    md = cli("report", session_id, "--db", db)
    assert md.exit_code == 0, md.output
    assert md.stdout.startswith("# ") and "cache-aside cache with a TTL" in md.stdout
    data = json.loads(cli("report", session_id, "--db", db, "--format", "json").stdout)
    assert data["session"]["id"] == session_id and data["session"]["answered"] == 1
    out = tmp_path / "card.html"
    html = cli("report", session_id, "--db", db, "--format", "html", "-o", str(out))
    assert html.exit_code == 0 and out.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html>")
    missing = cli("report", "nope", "--db", db)
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: there is no session 'nope' in ")
