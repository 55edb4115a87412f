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
    ("can we skip this question", "skip"), ("different question please", "skip"),
    ("I don't know", "dont_know"), ("i dont know", "dont_know"), ("no idea", "dont_know"), ("I give up", "dont_know"),
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
    # design prompts
    ("/design a URL shortener", "design"), ("let's design a URL shortener", "design_prompt"),
    ("design a chat service", "design_prompt"), ("I want to practise designing a news feed", "design_prompt"),
    # commands that do not exist
    ("/foo", "unknown_command"), ("/dance now", "unknown_command"),
    # nothing readable
    ("!!!", "noise"), ("😀😀", "noise"),
]


# What candidates say in their own words (issue 15): each phrasing was misread before this table grew.
NATURAL = [
    # trying again
    ("can I try that one again?", "retry"), ("could I try that again", "retry"), ("let me have another go at that", "retry"),
    ("can I take another shot at it", "retry"), ("I'd like to redo that one", "retry"), ("one more try at that one", "retry"),
    ("let me rephrase my answer", "retry"), ("I can do better than that", "retry"), ("can I start my answer over", "retry"),
    ("give it a second try", "retry"), ("try that question again", "retry"), ("one more time", "retry"),
    # not knowing
    ("um, honestly I don't know", "dont_know"), ("honestly no idea", "dont_know"), ("I have no clue", "dont_know"),
    ("I don't remember", "dont_know"), ("I can't remember", "dont_know"), ("never heard of it", "dont_know"),
    ("I'm blanking on this", "dont_know"), ("my mind went blank", "dont_know"), ("beats me", "dont_know"),
    ("I'm not familiar with that", "dont_know"), ("I don't know this one, sorry", "dont_know"),
    ("sorry, I really don't know", "dont_know"), ("I don't know the answer to this", "dont_know"),
    ("to be honest I don't know much about it", "dont_know"), ("I'm stumped", "dont_know"), ("I don't know the rest", "dont_know"),
    # skipping
    ("I'll pass on this one", "skip"), ("I'd rather skip this one", "skip"), ("not this one", "skip"),
    ("ask me another one", "skip"), ("can we do a different question", "skip"), ("skip this for now", "skip"),
    ("I'll come back to this", "skip"),
    # repeating
    ("sorry, what was the question again?", "repeat"), ("I missed the question", "repeat"),
    ("what did you ask?", "repeat"), ("could you repeat the question please", "repeat"),
    ("remind me what the question was", "repeat"), ("can you read that again", "repeat"),
    ("what were you asking?", "repeat"),
    # done
    ("I think that covers it", "done"), ("that's about it", "done"), ("nothing more to add", "done"),
    ("that's all from me", "done"), ("I'll stop there", "done"), ("that would be my answer", "done"),
    ("I'm done with my answer", "done"), ("I'll leave it at that", "done"), ("that's all I know", "done"),
    # adding more
    ("wait, one more thing", "add_more"), ("can I add something", "add_more"), ("I forgot to mention something", "add_more"),
    ("I have something to add", "add_more"), ("hold on, I'm not done yet", "add_more"), ("let me add to that", "add_more"),
    ("actually, let me expand on that", "add_more"),
]

# Answers and look-ups that use the same words: none of them is a command.
NOT_COMMANDS = [
    ("I don't know the exact numbers, but I'd shard by user id and add read replicas", "answer"),
    ("I'd try again with exponential backoff and jitter, and give up after five attempts", "answer"),
    ("one more thing matters here: the consumer has to be idempotent, so duplicates do no harm", "answer"),
    ("to be honest I'd just use a saga with compensating transactions", "answer"),
    ("the client should retry the request with the same idempotency key", "answer"),
    ("skip the cache for writes and invalidate on every update", "answer"),
    ("I forgot to mention that the outbox relay publishes to Kafka in order", "answer"),
    ("repeat reads return the same value under snapshot isolation", "answer"),
    ("honestly the leader should hold a lease and fence old writers with a token", "answer"),
    ("I'd design a sharded cache with consistent hashing in front of the database", "answer"),
    ("what is a retry storm?", "lookup"), ("what does done mean in a saga?", "lookup"),
    ("how do I add a node to a consistent hash ring?", "lookup"),
]


@pytest.mark.parametrize(("said", "intent"), UTTERANCES + NATURAL + NOT_COMMANDS)
def test_intent_table(said, intent):
    assert classify(said).name == intent


def test_every_intent_the_interview_answers_is_in_the_table():
    """A rule that no row of the table exercises could be removed without a failing test."""
    from interviewer.dialogue.intents import default_rules

    said = {intent for _, intent in UTTERANCES + NATURAL + NOT_COMMANDS}
    missing = ({r.intent for r in default_rules().rules} | set(default_rules().commands.values())) - said
    assert not missing, f"no utterance in the table means {sorted(missing)}"
    assert len(NATURAL) >= 40


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
