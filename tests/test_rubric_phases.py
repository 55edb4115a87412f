"""Phases of a design answer: which are covered, in what order, with what share and which sentence shows each."""

from __future__ import annotations

import pytest

from interviewer.rubric import phase_trace, rubric_for

URL = "Design a URL shortener"

STRUCTURED = (
    "Okay, let me walk through how I'd design a URL shortener. "
    "First, let me clarify the requirements: users paste a long URL and get a short link, and the short link redirects. "
    "Redirects must be fast, under 50 ms at p99, and highly available. "
    "For scale, assume 100M new URLs a month, which is about 40 writes per second. "
    "The API would be POST /urls with the long URL, returning the short code, and GET /{code}, which redirects. "
    "For the data model, a single table keyed by the short code holding the long URL and the expiry. "
    "At a high level, clients hit a load balancer in front of stateless web servers, which read through a Redis cache. "
    "To avoid a single counter becoming the bottleneck, each server leases a range of IDs from ZooKeeper. "
    "Hashing the long URL instead would avoid coordination, but then we have to handle collisions. "
    "If a cache node fails, requests fall through to the database. "
    "That's the design; happy to go deeper."
)
# The same terms with no structure: design first, numbers without arithmetic, requirements last.
UNSTRUCTURED = (
    "There's a load balancer and web servers and a Redis cache in front of the database. "
    "IDs come from ZooKeeper in ranges and get encoded in base62. "
    "There's POST /urls and GET /{code}. "
    "The table has the short code, the long URL and expiry. "
    "Maybe 100M URLs a month. "
    "It should be fast and available. "
    "Hashing could have collisions."
)


def covered(answer: str, prompt: str = URL, kind: str = "design") -> list[str]:
    r = rubric_for(answer, prompt, kind)
    return [p.name for p in sorted((p for p in r.phases if p.covered), key=lambda p: p.order)]


@pytest.mark.parametrize(
    "sentence, phase",
    [
        ("First, let me clarify the requirements: do we need custom aliases?", "requirements"),
        ("We need to support custom aliases, and analytics is out of scope.", "requirements"),
        ("The system must never lose a message, and delivery should feel instant.", "requirements"),
        ("Let's estimate: 100M DAU × 10 requests a day is about 11.6k QPS.", "estimates"),
        ("Each message is about 1 KB, so 20 billion messages a day is 20 TB a day.", "estimates"),
        ("The API would be POST /urls returning the short code.", "api"),
        ("Endpoints: GET /feed?cursor=abc returns a page of posts.", "api"),
        ("The main calls are send_message(conversation_id, body) and sync(cursor).", "api"),
        ("The schema is a table keyed by user id with a created_at column.", "data_model"),
        ("For the data model, messages are partitioned by conversation id in Cassandra.", "data_model"),
        ("At a high level, clients go through a load balancer to stateless app servers.", "high_level"),
        ("The write path goes through the post service, which emits an event to Kafka.", "high_level"),
        ("To scale this, we shard by user id with consistent hashing.", "deep_dive"),
        ("The bottleneck is the hot key for celebrities, so we fan out on read for them.", "deep_dive"),
        ("I'd use a token bucket per key, updated atomically with a Lua script.", "deep_dive"),
        ("If this node fails, a replica takes over and clients retry with backoff.", "tradeoffs"),
        ("The trade-off is freshness: fan-out on write is fast to read but wastes work.", "tradeoffs"),
        ("We could use a sliding window log instead, but it stores every timestamp.", "tradeoffs"),
    ],
)
def test_a_sentence_gets_the_phase_its_cues_name(sentence, phase):
    (row,) = phase_trace(sentence)
    assert row.phase == phase, row.scores


@pytest.mark.parametrize(
    "sentence",
    [
        "That's my design, happy to go deeper on any part.",
        "Yeah, I think that's it.",
    ],
)
def test_wrap_ups_show_no_phase(sentence):
    rows = phase_trace("To scale this, we shard the table by user id. " + sentence)
    assert rows[-1].phase is None


def test_the_opening_that_names_the_task_shows_no_phase():
    rows = phase_trace("Let me sketch a video platform like YouTube. Users can upload videos and watch them.", "Design YouTube")
    assert rows[0].phase is None and rows[1].phase == "requirements"


def test_a_sentence_with_no_cue_continues_the_phase_before_it():
    rows = phase_trace("To scale this, we shard by user id with consistent hashing. Each of them holds a tenth of the keys.")
    assert [r.phase for r in rows] == ["deep_dive", "deep_dive"]
    assert rows[1].own is False


def test_a_structured_answer_covers_every_phase_in_order():
    assert covered(STRUCTURED) == ["requirements", "estimates", "api", "data_model", "high_level", "deep_dive",
                                   "tradeoffs"]


def test_shares_are_shares_of_the_words_and_evidence_is_the_answers_own_sentence():
    r = rubric_for(STRUCTURED, URL)
    shares = [p.share for p in r.phases]
    assert 0.8 <= sum(shares) < 1.0  # the opening and the wrap-up belong to no phase
    assert all(p.share > 0.05 for p in r.phases)
    api = next(p for p in r.phases if p.name == "api")
    assert api.evidence.startswith("The API would be POST /urls") and api.evidence in STRUCTURED


def test_an_unstructured_answer_shows_its_order_and_is_told_to_clarify_first():
    names = covered(UNSTRUCTURED)
    assert names[0] == "high_level" and names.index("requirements") > names.index("api")
    r = rubric_for(UNSTRUCTURED, URL)
    assert any("Clarify the requirements before designing" in n for n in r.nudges)


@pytest.mark.parametrize(
    "answer, missing",
    [
        ("At a high level, clients go through a load balancer to app servers and a database.",
         {"requirements", "estimates", "api", "data_model", "deep_dive", "tradeoffs"}),
        (STRUCTURED, set()),
    ],
)
def test_each_missing_expected_phase_gets_one_concrete_nudge(answer, missing):
    r = rubric_for(answer, URL)
    assert {p.name for p in r.phases if p.nudge} == missing
    assert len(r.nudges) == len(missing)
    assert all(p.nudge for p in r.phases if p.name in missing)


def test_an_open_question_is_not_expected_to_name_an_api_or_estimates():
    r = rubric_for("The outbox pattern writes the event in the same transaction; if the relay crashes, it retries.",
                   "What is the transactional outbox pattern?", kind="open")
    expected = {p.name for p in r.phases if p.expected}
    assert expected == {"high_level", "deep_dive", "tradeoffs"}
    assert not any("Name the interface" in n for n in r.nudges)


def test_a_dictated_answer_with_no_full_stops_is_split_into_its_phases():
    dictated = (
        "okay so design a chat app first let me clarify the requirements we need one to one chat and group chat "
        "and messages should be delivered in order and not lost let's say 100 million daily users sending 50 messages "
        "a day that's 5 billion messages a day or about 58 thousand messages per second clients connect over "
        "websockets to a chat server and the chat server writes the message to a database to scale this we keep "
        "a mapping from user to server in redis if a chat server crashes the clients reconnect to another server"
    )
    names = covered(dictated, "Design a chat service like WhatsApp")
    assert names == ["requirements", "estimates", "high_level", "deep_dive", "tradeoffs"]


def test_fillers_do_not_hide_the_cues():
    spoken = ("Um, so, first I'd like to, uh, clarify what we need, like, do we need custom URLs? "
              "And the schema is just, um, short code as the primary key and the long URL.")
    assert covered(spoken) == ["requirements", "data_model"]
