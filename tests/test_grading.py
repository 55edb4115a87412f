"""The grader on real bank questions of every kind: what a candidate would notice in the scorecard."""

from __future__ import annotations

import re
import threading

import pytest

from interviewer.grading import Grader, follow_up_for, format_scorecard, grade_to_dict
from interviewer.records import Concept, Scorecard

OUTBOX_SPOKEN = (
    "um so basically you, like, write the order and the event in one local transaction, "
    "then a relay polls the outbox table and pushes to kafka"
)
OUTBOX_FULL = (
    "The service writes the business row and the event into an outbox table in the same database, inside "
    "one local ACID transaction, so both commit or neither does. A separate message relay polls the outbox "
    "table and publishes each event to Kafka, then deletes the row. Instead of polling, change data capture "
    "with Debezium can stream the database log to Kafka."
)


@pytest.fixture(scope="module")
def ask(questions):
    """Find a bank question by the start of its prompt."""

    def find(prompt_start: str, kind: str | None = None):
        hits = [q for q in questions if q.prompt.startswith(prompt_start) and (kind is None or q.kind == kind)]
        assert hits, f"no bank question starts with {prompt_start!r}"
        return hits[0]

    return find


def covered(card: Scorecard) -> set[str]:
    return {m.concept.lower() for m in card.matched}


def missed(card: Scorecard) -> set[str]:
    return {m.concept.lower() for m in card.missed}


# --------------------------------------------------------------------------- the example


def test_outbox_spoken_answer_covers_relay_polling_kafka_and_misses_cdc(grader, ask):
    card = grader.grade(OUTBOX_SPOKEN, question=ask("What is the Outbox Pattern?", "open"))
    assert {"message relay", "polling", "kafka"} <= covered(card)
    assert all(m.explained for m in card.matched)  # said in a sentence that ties them together
    assert "change data capture" in missed(card)
    cdc = next(m for m in card.missed if m.concept.lower().startswith("change data capture"))
    assert "Debezium" in cdc.reference and "polling" in cdc.reference
    assert cdc.concept_id == "change-data-capture" and cdc.source.doc == "000-architect-deep-dive"
    assert 0.5 <= card.score <= 0.85
    assert card.grade == round(5 * card.score, 1)
    assert card.delivery.fillers == ("um", "basically", "like")
    assert card.follow_up and card.follow_up.endswith("?")


def test_evidence_quotes_the_answer_phrase_not_a_bare_word(grader, ask):
    card = grader.grade(OUTBOX_SPOKEN, question=ask("What is the Outbox Pattern?", "open"))
    relay = next(m for m in card.matched if m.concept.lower() == "message relay")
    assert relay.evidence == "then a relay polls the"  # the words around it, within its sentence
    assert all(len(m.evidence.split()) > 1 for m in card.matched)


def test_follow_up_for_cdc_asks_what_replaces_polling(lexicon):
    cdc = Concept(
        "change-data-capture",
        "Change Data Capture (CDC)",
        ("CDC",),
        1.0,
        "The modern, highly sophisticated evolution of the Outbox pattern eliminates polling entirely by "
        "utilizing Change Data Capture (CDC) tools like Debezium.",
    )
    assert follow_up_for(cdc) == "What would you use instead of polling?"


@pytest.mark.parametrize(("label", "evidence", "question"), [
    ("network partition", "During a network partition the minority side cannot reach a quorum.",
     "How would your design handle the network partition?"),
    ("leader", "If the leader fails, a follower with the newest log is elected.",
     "What happens to the leader when something fails?"),
    # Kafka's partitions are shards, not failures.
    ("Topic/Partition", "Kafka specifics: topics divided into partitions.", "What role does Topic/Partition play here?"),
    ("isolated partitions", "The solution is to implement fault isolation by partitioning the application stack.",
     "What role do isolated partitions play here?"),
    ("Kubernetes", "Kubernetes restarts the pod.", "What role does Kubernetes play here?"),
    ("Dead-letter Queues (DLQs)", "Messages that keep failing go to a dead-letter queue.",
     "What role do Dead-letter Queues (DLQs) play here?"),
])
def test_follow_up_probes_read_as_an_interviewer_would_ask(label, evidence, question):
    assert follow_up_for(Concept("", label, (), 1.0, evidence)) == question


def test_full_answer_beats_spoken_partial_beats_restated_question(grader, ask):
    q = ask("What is the Outbox Pattern?", "open")
    full = grader.grade(OUTBOX_FULL, question=q)
    partial = grader.grade(OUTBOX_SPOKEN, question=q)
    assert full.score > partial.score
    assert "change data capture" in covered(full)
    assert full.score >= 0.75


# --------------------------------------------------------------------------- flags


def test_a_list_of_the_right_terms_grades_at_most_two_and_says_what_to_explain(grader, ask):
    q = ask("What is the Outbox Pattern?", "open")
    listed = grader.grade("outbox table, local transaction, message relay, kafka, CDC, debezium, polling, dual write", question=q)
    real = grader.grade(OUTBOX_SPOKEN, question=q)
    assert listed.grade <= 2.0 < real.grade
    assert listed.dimensions.coverage > real.dimensions.coverage  # it names more…
    assert listed.dimensions.explanation < 0.5  # …and explains none of it
    flag = next(f for f in listed.flags if f.name == "no_explanation")
    assert flag.message.count(", ") >= 2 and "dual write" in flag.message and ": explain " in flag.message
    assert not [m for m in listed.matched if m.explained]


def test_restating_the_question_earns_nothing(grader, ask):
    card = grader.grade("The outbox pattern is the outbox pattern.", question=ask("What is the Outbox Pattern?", "open"))
    assert card.score == 0.0
    assert "copied_question" in [f.name for f in card.flags]


def test_a_right_answer_in_the_question_words_plus_one_is_not_a_restatement(grader):
    # A short answer that must reuse a long question's words is right when it adds its own word.
    card = grader.grade("as many as you need", reference="Unlimited number.",
                        question_text="How many constructors can be created for a class?")
    assert "copied_question" not in [f.name for f in card.flags]


@pytest.mark.parametrize(
    "answer",
    [
        "I would buy a bigger monitor and learn to type faster, then go for a walk in the park.",
        "My favourite recipe uses tomatoes, basil, garlic and olive oil on fresh pasta.",
    ],
)
def test_off_topic_answer_scores_zero_and_says_why(grader, ask, answer):
    card = grader.grade(answer, question=ask("What is the Outbox Pattern?", "open"))
    assert card.score == 0.0
    assert "off_topic" in [f.name for f in card.flags]
    assert not card.matched


def test_two_words_for_a_long_reference_is_too_short(grader, ask):
    card = grader.grade("message relay", question=ask("What is the Outbox Pattern?", "open"))
    flag = next(f for f in card.flags if f.name == "too_short")
    assert flag.penalty > 0


def test_each_hint_costs_a_documented_penalty(grader, ask):
    q = ask("What is the Outbox Pattern?", "open")
    plain = grader.grade(OUTBOX_SPOKEN, question=q)
    hinted = grader.grade(OUTBOX_SPOKEN, question=q, hints_used=2)
    flag = next(f for f in hinted.flags if f.name == "hints_used")
    assert flag.penalty == pytest.approx(0.10)
    assert hinted.score == pytest.approx(plain.score - 0.10, abs=1e-3)


def test_settings_are_keyword_arguments(lexicon, ask):
    q = ask("What is the Outbox Pattern?", "open")
    default = Grader(lexicon).grade(OUTBOX_SPOKEN, question=q)
    linear = Grader(lexicon, gamma=1.0).grade(OUTBOX_SPOKEN, question=q)
    assert linear.score < default.score  # the concave calibration lifts partial answers
    with pytest.raises(TypeError, match="unknown grading setting"):
        Grader(lexicon, gama=1.0)


# --------------------------------------------------------------------------- every kind of question


def test_probe_question_credits_the_named_topics(grader, ask):
    q = ask("How would you handle distributed transactions across multiple microservices without using 2PC", "probe")
    card = grader.grade(
        "I'd use a saga: every service commits a local transaction and publishes an event; when a step fails the "
        "earlier steps run compensating transactions, so the system is eventually consistent.",
        question=q,
    )
    assert {"sagas", "eventual consistency", "compensating actions"} <= covered(card)
    assert "event sourcing" in missed(card)
    assert card.follow_up and "event sourcing" in card.follow_up


PUB_SUB_PROBE = "How do you design pub/sub patterns for microservices with different consistency and durability"


def test_a_probe_answered_in_other_words_is_not_called_off_topic(grader, ask):
    # The probe's one line names four topics; an answer on its subject in other words shares almost
    # none of its words, and is graded on what it covers rather than thrown out.
    card = grader.grade(
        "so basically I'd pick the guarantees per topic. Payments get at-least-once delivery with durable, "
        "replicated topics and idempotent consumers, dedup by event id. Analytics events can be at-most-once.",
        question=ask(PUB_SUB_PROBE, "probe"),
    )
    assert "off_topic" not in [f.name for f in card.flags] and card.score > 0


@pytest.mark.parametrize("answer", [
    "My favourite recipe uses tomatoes, basil, garlic and olive oil on fresh pasta.",
    "The mitochondria is the powerhouse of the cell and produces energy through respiration.",
])
def test_a_probe_answered_off_the_subject_is_off_topic(grader, ask, answer):
    card = grader.grade(answer, question=ask(PUB_SUB_PROBE, "probe"))
    assert card.score == 0.0 and "off_topic" in [f.name for f in card.flags]


def test_an_ack_covers_acknowledgment_strategies(grader, ask):
    card = grader.grade("consumers send an ack only after the write is persisted, so the broker redelivers "
                        "when a subscriber fails", question=ask(PUB_SUB_PROBE, "probe"))
    assert ("acknowledgment", "send an ack only after") in [(m.concept, m.evidence) for m in card.matched]


LOCKS_PROBE = "How do you implement distributed locks for resources that span multiple microservices?"


def test_a_concept_named_with_an_aspect_word_is_about_the_thing(grader, ask):
    # "deadlock prevention" asks what to say about deadlocks: explaining how to avoid them covers it
    # without the word "prevention"; the aspect word alone ("prevention of problems") names nothing.
    q = ask(LOCKS_PROBE, "probe")
    card = grader.grade("For deadlocks when you need several locks, acquire them in a global order, sorted by "
                        "resource id, and use acquisition timeouts instead of waiting forever.", question=q)
    assert "deadlock prevention" in covered(card)
    vague = grader.grade("Prevention is better than cure, so I would plan the prevention of problems early "
                         "with the whole team and use acquisition timeouts.", question=q)
    assert "deadlock prevention" in missed(vague)


DEBUG_PROBE = "A user request is failing somewhere in a chain of 12 microservices. Walk me through your debugging"


def test_a_concept_the_question_names_is_credited_to_an_answer_about_it(grader, ask):
    # "debugging" is what the question asks for: a walk-through that debugs need not say the word again,
    # but an answer on another subject gets no credit for it.
    q = ask(DEBUG_PROBE, "probe")
    assert "debugging" in {c.label.lower() for c in q.concepts}
    card = grader.grade("First I'd take the request's trace ID and open the trace in Jaeger: with distributed "
                        "tracing the span tree shows which service errored and where the timeout fired.", question=q)
    assert {"debugging", "distributed tracing"} <= covered(card)
    other = grader.grade("I would buy a bigger monitor and learn to type faster, then go for a walk in the park "
                         "with my dog and read a good novel.", question=q)
    assert "debugging" in missed(other)


def test_probe_examples_in_parentheses_cover_their_topic(grader, ask):
    q = ask("Design a distributed cache strategy", "probe")
    card = grader.grade("Mostly cache-aside: read from Redis, on a miss load from the database.", question=q)
    assert "cache" in covered(card)  # "(write-through, write-behind, cache-aside)" name its kinds


def test_scenario_retry_storm(grader, ask):
    q = ask("You're operating a service that makes calls to a downstream dependency", "scenario")
    good = grader.grade(
        "That's a retry storm: clients retry at the same moment and hammer the struggling service. Use exponential "
        "backoff, doubling the delay after each attempt up to a cap, plus jitter, a random delay, to spread retries out.",
        question=q,
    )
    weak = grader.grade("Retries can be dangerous, configure them carefully.", question=q)
    assert {"jitter", "exponential backoff"} & covered(good)
    assert good.score > weak.score + 0.3


def test_concept_question_fencing(grader, ask):
    q = ask("Explain fencing.", "concept")
    card = grader.grade(
        "Fencing stops an old leader from writing: every write carries a monotonically increasing token or version "
        "number and a compare-and-swap rejects writes whose version is stale.",
        question=q,
    )
    assert card.score >= 0.6
    assert ("CAS", "and a compare-and-swap") in [(m.concept, m.evidence) for m in card.matched]


@pytest.mark.parametrize(
    "answer",
    ["B", "b)", "Option B", "option b, because retries are unavoidable", "I'd go with B.", "It's b",
     "No — use at-least-once plus idempotent consumers for effectively-once"],
)
def test_choice_by_letter_or_option_text(grader, ask, answer):
    q = ask("Can you achieve exactly-once delivery in a distributed system?", "choice")
    assert q.answer_option == "B"
    card = grader.grade(answer, question=q)
    assert card.score >= 0.6
    assert card.matched[0].concept.startswith("option B")
    assert not [f for f in card.flags if f.name in ("wrong_option", "no_option")]


def test_choice_why_adds_to_the_right_letter(grader, ask):
    q = ask("Can you achieve exactly-once delivery in a distributed system?", "choice")
    bare = grader.grade("B", question=q)
    why = grader.grade(
        "B. The Two Generals problem makes exactly-once impossible across a network, so you retry with "
        "at-least-once delivery and make consumers idempotent with an idempotency key.",
        question=q,
    )
    assert why.score > bare.score


@pytest.mark.parametrize("answer, flag", [("A", "wrong_option"), ("I'd go with D", "wrong_option"), ("no idea, sorry", "no_option")])
def test_choice_wrong_or_missing_option(grader, ask, answer, flag):
    q = ask("Can you achieve exactly-once delivery in a distributed system?", "choice")
    card = grader.grade(answer, question=q)
    assert card.score < 0.3
    assert flag in [f.name for f in card.flags]
    assert card.missed[0].concept.startswith("option B")
    assert card.follow_up == "Why is option B the better answer?"


def test_an_article_a_is_not_option_a(grader, ask):
    q = ask("What is the CAP theorem?", "choice")
    card = grader.grade("A network partition forces a choice between consistency and availability", question=q)
    assert "wrong_option" not in [f.name for f in card.flags]
    assert card.matched and card.matched[0].concept.startswith("option C")


# --------------------------------------------------------------------------- spoken style


@pytest.mark.parametrize(
    "prompt, clean, spoken",
    [
        (
            "How to handle distributed transactions without 2PC",
            "Two-phase commit is blocking, so I use a saga of local transactions with compensating transactions "
            "that undo earlier commits when a step fails.",
            "um so 2PC is, like, blocking, so I'd use a saga of local transactions with, uh, compensating "
            "transacions that undo earlier commits when a step fails.",
        ),
        (
            "You are designing a new highly available, partition-tolerant key-value store",
            "Every key is stored on three replicas; a write waits for two acknowledgements and a read for two "
            "responses, and since W plus R is greater than N the quorums overlap.",
            "so every key is stored on 3 replicas, uh, a write waits for 2 acknowledgements and a read for 2 "
            "responses, and since W plus R is greater than N the quorums, you know, overlap.",
        ),
    ],
)
def test_spoken_and_clean_answers_score_alike(grader, ask, prompt, clean, spoken):
    q = ask(prompt)
    a, b = grader.grade(clean, question=q), grader.grade(spoken, question=q)
    assert a.score > 0.4
    assert abs(a.score - b.score) < 0.05


# --------------------------------------------------------------------------- delivery, output shapes, threads


def test_delivery_figures(grader, ask):
    answer = "um so the relay, the relay polls the outbox table, like, the outbox table every second, you know"
    card = grader.grade(answer, question=ask("What is the Outbox Pattern?", "open"))
    d = card.delivery
    assert d.words == 18
    assert d.fillers == ("um", "like", "you know")
    assert d.filler_rate == round(3 / 18, 3)
    assert d.speaking_seconds == round(18 * 60 / 140, 1)
    assert ("relay", 2) in d.top_words and ("outbox", 2) in d.top_words
    assert ("outbox table", 2) in d.repeated_phrases


def test_format_scorecard_is_the_documented_block(grader, ask):
    card = grader.grade(OUTBOX_SPOKEN, question=ask("What is the Outbox Pattern?", "open"))
    text = format_scorecard(card)
    lines = text.splitlines()
    assert re.fullmatch(r"score \d\.\d\d  grade \d\.\d/5", lines[0])
    d = card.dimensions
    assert lines[1] == (f"dimensions: coverage {d.coverage:.2f} · explanation {d.explanation:.2f} · "
                        f"delivery {d.delivery:.2f}")
    assert lines[2].startswith("covered: ") and " · " in lines[2]
    missed = next(ln for ln in lines if ln.startswith("missed:  "))
    assert ' — "' in missed
    assert any(re.fullmatch(r"delivery: 26 words · 3 fillers \(um, basically, like\) · ~11 s spoken", ln) for ln in lines)
    assert lines[-1].startswith("follow-up: ") and lines[-1].endswith("?")


def test_scorecard_payloads(grader, ask):
    card = grader.grade(OUTBOX_SPOKEN, question=ask("What is the Outbox Pattern?", "open"))
    payload = card.to_dict()
    assert payload["matched"][0].keys() >= {"concept", "evidence"}
    assert payload["missed"][0].keys() >= {"concept", "reference"}
    line = grade_to_dict(card)
    assert set(line) == {"score", "grade", "matched", "missed", "flags", "dimensions"}
    assert set(line["dimensions"]) == {"coverage", "explanation", "delivery"}
    assert all(isinstance(x, str) for x in line["matched"] + line["missed"] + line["flags"])


def test_grading_from_many_threads_gives_the_same_cards(lexicon, questions):
    grader = Grader(lexicon)
    picked = [q for q in questions if q.kind != "choice"][:40]
    expected = [Grader(lexicon).grade(OUTBOX_SPOKEN, question=q) for q in picked]
    results: list[list[Scorecard]] = [[] for _ in range(4)]

    def work(slot: int) -> None:
        results[slot] = [grader.grade(OUTBOX_SPOKEN, question=q) for q in picked]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


def test_without_a_lexicon_grading_still_works(ask):
    card = Grader().grade(OUTBOX_SPOKEN, question=ask("What is the Outbox Pattern?", "open"))
    assert {"message relay", "polling"} <= covered(card)
    assert 0.3 < card.score < 0.9


def test_every_bank_question_can_be_graded(grader, questions):
    kinds = set()
    for q in questions:
        card = grader.grade("I would use a saga with an outbox table and a message relay to Kafka.", question=q)
        # What the card says agrees with itself: the grade is the score out of 5, and every concept of the
        # question is either covered or missed, never both.
        assert card.grade == round(5 * card.score, 1)
        said = [m.concept_id for m in card.matched] + [m.concept_id for m in card.missed]
        assert len(said) == len(set(said)) >= 1
        assert {c.id for c in q.concepts} <= set(said)
        kinds.add(q.kind)
    assert kinds == {"open", "scenario", "probe", "choice", "concept"}


def test_words_rewritten_by_a_synonym_still_count_as_said(grader):
    # "uncommitted reads" is the synonym table's dirty read; the answer still says "read uncommitted".
    reference = ("Kafka consumers choose an isolation level. **Read Uncommitted** returns every record, "
                 "including those of aborted transactions. **Read Committed** returns only committed records.")
    card = grader.grade("read uncommitted reads everything, even aborted records", reference=reference)
    assert "read uncommitted" in covered(card)


def test_a_phrase_said_in_another_order_still_counts(grader):
    # "message queue" is one token of the synonym table (with MQ, task queue …); said the other way
    # round, "a queue deletes a message", it names the same thing.
    reference = ("A message queue deletes each message once a consumer has processed it; an event stream "
                 "keeps every event in an append-only log that consumers can replay from any offset.")
    card = grader.grade("a queue deletes a message once it is consumed, a stream keeps it for replay", reference=reference)
    assert any(m.concept.startswith("message queue") for m in card.matched)
    # Words far apart in the answer are no phrase.
    far = grader.grade(
        "the message is consumed by a consumer group and can be read again by replaying the log from "
        "an offset, while the other one is a queue", reference=reference)
    assert not any(m.concept.startswith("message queue") for m in far.matched)


@pytest.mark.parametrize("said", ["smallest", "lowest"])
def test_everyday_words_for_the_minimum_count_as_the_minimum(grader, said):
    reference = "A min-heap keeps the timer with the minimum deadline at its root, so the next one to fire is found at once."
    question = "How does a scheduler find the next timer to fire?"
    graded = {w: grader.grade(f"The heap's root always holds the timer with the {w} deadline, so finding the next "
                              "one to fire takes constant time.", reference=reference, question_text=question)
              for w in (said, "minimum", "oldest")}
    assert graded[said].score == graded["minimum"].score > graded["oldest"].score
