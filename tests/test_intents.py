"""Intents by rules: a table of what people say and what they mean."""

import pytest

from interviewer.dialogue import Intent, classify
from interviewer.dialogue.intents import continues
from interviewer.text import analyze

# The open question is about retry storms, so these are its key terms.
RETRY_TERMS = frozenset(analyze("retry storm exponential backoff jitter circuit breaker downstream dependency"))

UTTERANCES = [
    # hints, as typed and as dictated
    ("/hint", "hint"), ("hint", "hint"), ("hint please", "hint"), ("can I get a hint", "hint"),
    ("uh can i get a hint", "hint"), ("could you give me a hint?", "hint"), ("any hints?", "hint"),
    ("I'm stuck", "hint"), ("um I'm stuck", "hint"), ("give me a clue", "hint"), ("hnt", "hint"),
    ("/hnt", "hint"), ("another hint pls", "hint"), ("help me out", "hint"),
    # skipping
    ("/skip", "skip"), ("skip", "skip"), ("skp", "skip"), ("skip this one", "skip"), ("pass", "skip"),
    ("I don't know", "skip"), ("i dont know", "skip"), ("no idea", "skip"), ("I give up", "skip"),
    ("can we skip this question", "skip"), ("different question please", "skip"),
    # next
    ("next", "next"), ("next one pls", "next"), ("next question", "next"), ("move on", "next"),
    ("let's move on", "next"), ("nxt", "next"), ("ok next", "next"), ("continue", "next"),
    ("ready", "next"),
    # done with a multi-part answer
    ("done", "done"), ("that's it", "done"), ("that's all", "done"), ("submit", "done"), ("/done", "done"),
    ("i'm done", "done"), ("that's my answer", "done"), ("finished", "done"), ("ok that's it", "done"),
    ("", "empty"), ("   ", "empty"),
    # repeat and retry
    ("/repeat", "repeat"), ("repeat", "repeat"), ("can you repeat the question", "repeat"),
    ("say that again", "repeat"), ("what was the question?", "repeat"), ("sorry I didn't catch that", "repeat"),
    ("repaet", "repeat"), ("/retry", "retry"), ("let me try again", "retry"), ("try again", "retry"),
    ("can I retry", "retry"), ("I want to answer that again", "retry"), ("redo", "retry"),
    # the end, score, help, restart
    ("/end", "end"), ("quit", "end"), ("exit", "end"), ("end the interview", "end"), ("bye", "end"),
    ("let's call it a day", "end"), ("i want to stop", "end"), ("/quit", "end"),
    ("/score", "score"), ("show my score", "score"), ("how am I doing?", "score"), ("what's my grade", "score"),
    ("/help", "help"), ("help", "help"), ("?", "help"), ("what can I do", "help"), ("what are the commands", "help"),
    ("/new", "restart"), ("start over", "restart"), ("new interview please", "restart"),
    # small talk, yes and no
    ("hi", "smalltalk"), ("hello there", "smalltalk"), ("thanks", "smalltalk"), ("thank you!", "smalltalk"),
    ("cool", "smalltalk"), ("good morning", "smalltalk"), ("yes", "affirm"), ("sure", "affirm"),
    ("no", "deny"), ("nope", "deny"),
    # look-ups
    ("what's a fencing token?", "lookup"), ("what is a saga", "lookup"), ("/lookup quorum", "lookup"),
    ("how does consistent hashing work", "lookup"), ("explain the outbox pattern", "lookup"),
    ("define idempotency", "lookup"), ("tell me about vector clocks", "lookup"),
    ("um so like what is CQRS?", "lookup"), ("wait, what's PACELC?", "lookup"),
    ("what's the difference between 2PC and sagas?", "lookup"), ("whats a split brain", "lookup"),
    # answers, including ones that start like questions
    ("I'd use a saga with compensating transactions so each service commits locally", "answer"),
    ("ok so um I'd add exponential backoff with jitter and a circuit breaker", "answer"),
    ("What I would do is add jitter to the retries so they don't synchronise", "answer"),
    ("What is needed here is idempotency keys on every write", "answer"),
    ("what about idempotency keys?", "answer"),
    ("how about a circuit breaker in front of the dependency?", "answer"),
    ("How I'd handle it: first a timeout, then retries with backoff, then a breaker.", "answer"),
    ("Use a quorum: with N=3, W=2 and R=2 every read overlaps the latest write.", "answer"),
    ("B", "answer"), ("option b", "answer"), ("Strong consistency, because balances must be exact", "answer"),
    ("consistent hashing with virtual nodes", "answer"),
    # commands that do not exist
    ("/foo", "unknown_command"), ("/dance now", "unknown_command"),
    # nothing readable
    ("!!!", "noise"), ("😀😀", "noise"),
]


@pytest.mark.parametrize(("said", "intent"), UTTERANCES)
def test_intent_table(said, intent):
    assert classify(said).name == intent


def test_the_table_is_large_and_varied():
    assert len(UTTERANCES) >= 80
    assert len({intent for _, intent in UTTERANCES}) >= 15


@pytest.mark.parametrize(
    ("said", "intent"),
    [
        # A short question about the open question's own subject could be either: ask.
        ("what is a retry storm with exponential backoff", "unsure"),
        # With a question mark it reads as a question.
        ("what's a retry storm exactly?", "lookup"),
        # A long explanation that opens with "how" is an answer.
        ("how retries with exponential backoff and jitter spread the load so the downstream dependency "
         "can recover, and a circuit breaker stops calls while it is down, then probes it half-open", "answer"),
    ],
)
def test_lookup_or_answer_on_topic(said, intent):
    assert classify(said, RETRY_TERMS).name == intent


@pytest.mark.parametrize(
    ("said", "query"),
    [
        ("what's a fencing token?", "a fencing token"),
        ("/lookup change data capture", "change data capture"),
        ("can you explain the bulkhead pattern?", "the bulkhead pattern"),
        ("tell me about quorum reads", "quorum reads"),
    ],
)
def test_lookup_carries_its_query(said, query):
    assert classify(said) == Intent("lookup", query)


@pytest.mark.parametrize(
    ("text", "more"),
    [("First, the order service commits locally,", True), ("and then…", True), ("I'd use a saga and", True),
     ("I'd use a saga.", False), ("Compensating transactions undo each step", False)],
)
def test_a_message_that_trails_off_continues(text, more):
    assert continues(text) is more
