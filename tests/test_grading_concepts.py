"""Concepts from references, and the alternative wordings the grader accepts for them."""

from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from interviewer.grading import concepts_for, extract_concepts, load_synonyms, probe_concepts
from interviewer.text import analyze, words


def labels(concepts) -> list[str]:
    return [c.label.lower() for c in concepts]


# --------------------------------------------------------------------------- extraction


def test_outbox_reference_yields_its_key_ideas(questions, lexicon):
    q = next(q for q in questions if q.prompt == "What is the Outbox Pattern?")
    concepts = concepts_for(q, lexicon)
    assert {"message relay", "outbox table", "change data capture (cdc)", "kafka"} <= set(labels(concepts))
    relay = next(c for c in concepts if c.label == "Message Relay")
    assert "asynchronous background worker" in relay.aliases  # "(called a Message Relay)"
    cdc = next(c for c in concepts if c.label.startswith("Change Data Capture"))
    assert "CDC" in cdc.aliases and "Debezium" in cdc.evidence
    assert max(c.weight for c in concepts) == 1.0
    assert all(0 < c.weight <= 1 for c in concepts)


def test_probe_line_topics_become_the_concepts(questions, lexicon):
    q = next(q for q in questions if q.kind == "probe" and q.prompt.startswith("How would you handle distributed transactions across"))
    concepts = concepts_for(q, lexicon)
    assert set(labels(concepts)) == {
        "saga patterns", "event sourcing", "eventual consistency", "compensation logic", "handling partial failures",
    }
    # Topics named after "Expect follow-ups about…" weigh less than the ones the line leads with.
    weight = {c.label: c.weight for c in concepts}
    assert weight["compensation logic"] < weight["saga patterns"]
    assert "compensating transaction" in next(c for c in concepts if c.label == "compensation logic").aliases


def test_probe_topic_examples_are_aliases():
    concepts = probe_concepts(
        "Covers cache patterns (write-through, write-behind, cache-aside), invalidation strategies, and cache warming."
    )
    cache = next(c for c in concepts if c.label == "cache patterns")
    assert cache.aliases[:3] == ("write-through", "write-behind", "cache-aside")
    assert {"invalidation strategies", "cache warming"} <= set(labels(concepts))


def test_products_listed_as_examples_are_wordings_of_the_idea(questions, lexicon, grader):
    q = next(q for q in questions if q.prompt == "What is a message queue vs event stream (RabbitMQ vs Kafka)?")
    concepts = concepts_for(q, lexicon)
    # "Message queue (RabbitMQ, SQS, ActiveMQ)": nobody is marked down for not naming ActiveMQ …
    assert not {"activemq", "rabbitmq/sqs", "pulsar", "kinesis"} & set(labels(concepts))
    queue = next(c for c in concepts if c.label == "message queue")
    assert {"RabbitMQ", "SQS", "ActiveMQ"} <= set(queue.aliases)
    # … and naming one of them is naming a message queue.
    card = grader.grade("D: SQS deletes each message once a consumer acknowledges it", question=q)
    assert ("message queue", "SQS") in [(m.concept, m.evidence) for m in card.matched]


def test_a_missed_concept_is_explained_by_prose_not_by_a_row_of_a_diagram(questions, lexicon):
    q = next(q for q in questions if q.prompt == "What is a message queue vs event stream (RabbitMQ vs Kafka)?")
    evidence = {c.label: c.evidence for c in concepts_for(q, lexicon)}
    # The diagram's "Consumer Group A    Consumer Group B    Consumer Group C" names boxes; the line
    # that explains consumer groups comes later.
    assert evidence["Consumer Group"] == "Consumer group: each partition consumed by exactly one consumer in the group."


def test_a_line_set_in_context_does_not_define_its_context():
    concepts = labels(extract_concepts(
        "In banking: Kafka carries the core events, with retention for the auditors.\n"
        "The Tail: the last node of the chain answers every read.\n"
        "Kafka specifics: topics are divided into partitions."))
    assert "banking" not in concepts and "in banking" not in concepts
    assert "tail" in concepts
    assert "kafka specifics" not in concepts  # a page's label ("specifics"), not an idea


def test_a_phrase_at_the_end_of_a_long_run_loses_its_rating_words():
    concepts = labels(extract_concepts(
        "Inserting random UUIDs into a B-Tree index causes brutal index fragmentation. This is the most "
        "widely used scheme today. It has a ceiling (biggest AWS instance is finite). Deploy systems in "
        "multiple regions for latency."))
    assert "index fragmentation" in concepts and "brutal index fragmentation" not in concepts
    assert "aws instance" in concepts and not {"scheme today", "biggest aws instance"} & set(concepts)
    assert "multiple regions" in concepts  # a wording the synonym table knows keeps its rating word


def test_a_parenthesised_list_of_plain_words_is_not_folded():
    concepts = extract_concepts("Pick a consistency level (strong, eventual, causal) for each **read path**.")
    assert "strong" not in {a.lower() for c in concepts for a in c.aliases}


def test_every_bank_question_has_concepts_with_evidence_from_its_reference(questions, lexicon):
    kinds = set()
    for q in questions:
        concepts = concepts_for(q, lexicon)
        assert concepts, q.id
        ref_words = {w.text for w in words(q.reference)}
        for c in concepts:
            assert c.label.strip() and c.evidence.strip(), (q.id, c)
            # The evidence is a sentence of the reference (markup stripped), not made up.
            assert {w.text for w in words(c.evidence)} <= ref_words | {"-"}, (q.id, c.evidence)
        kinds.add(q.kind)
    assert kinds == {"open", "scenario", "probe", "choice", "concept"}


def test_markdown_emphasis_and_acronym_pairs_are_concepts():
    concepts = extract_concepts(
        "We avoid **Two-Phase Commit (2PC)** because it blocks. Instead each service keeps an `outbox` table "
        "and a relay publishes events; consumers stay *idempotent*."
    )
    got = labels(concepts)
    assert "two-phase commit (2pc)" in got
    assert "idempotent" in got
    twopc = concepts[got.index("two-phase commit (2pc)")]
    assert "2PC" in twopc.aliases


def test_code_and_tables_do_not_become_concepts():
    concepts = extract_concepts(
        "Exponential backoff doubles the delay.\n"
        "A common formula is `delay = min(cap, initial_backoff * 2^attempt)`.\n"
        "| Mode | Latency |\n|---|---|\n| Read Committed | Lower |\n"
    )
    got = labels(concepts)
    assert "exponential backoff" in got
    assert not [g for g in got if any(ch in g for ch in "^=*_")]
    assert "committed lower" not in " ".join(got)


def test_no_lexicon_still_extracts():
    concepts = extract_concepts("A load balancer spreads requests over servers with round robin or least connections.")
    assert {"load balancer", "round robin", "least connections"} <= set(labels(concepts))


@pytest.mark.parametrize("reference", ["", "   ", "the of and to it is", "😀🔥", "<br/><br/>"])
def test_a_reference_without_content_words_has_no_concepts(reference):
    assert extract_concepts(reference) == ()


# --------------------------------------------------------------------------- alternative wordings


@pytest.mark.parametrize(
    "reference, answer, concept",
    [
        ("Coordinators use two-phase commit to make the transaction atomic.", "we rely on 2PC", "two-phase commit"),
        ("Coordinators use 2PC to make the transaction atomic.", "we rely on two phase commit", "2pc"),
        ("Coordinators use two-phase commit to make the transaction atomic.", "we rely on twophase commit", "two-phase commit"),
        ("Put a load balancer in front of the web servers.", "an LB in front", "load balancer"),
        ("Put an LB in front of the web servers.", "a load balancer in front", "lb"),
        ("Deploy the services on Kubernetes.", "deploy on k8s", "kubernetes"),
        ("Services communicate through publish–subscribe messaging.", "pub-sub messaging", "publish-subscribe messaging"),
        ("Consumers must be idempotent.", "consumers need idempotency", "idempotent"),
        # A count is a value, not part of the concept ("4 partitions" is no concept); the answer's "3" still reads.
        ("Keep three replicas of every partition.", "keep 3 replicas", "replicas"),
        ("Run the cluster on Kubernetes.", "run it on kuberntes", "kubernetes"),
        ("Eventual consistency is acceptable for the feed.", "eventual consistancy is fine", "eventual consistency"),
        ("Use the Change Data Capture (CDC) approach with Debezium.", "use CDC", "change data capture (cdc)"),
        ("Cache entries expire after their TTL.", "they expire after the time to live", "ttl"),
        ("Promote a failover replica.", "fail over to a replica", "failover replica"),
        ("Sharding splits the table by a shard key.", "horizontal partitioning by partition key", "shard key"),
    ],
)
def test_alternative_wordings_cover_the_concept(grader, reference, answer, concept):
    card = grader.grade(answer, reference=reference)
    assert concept in [m.concept.lower() for m in card.matched], card.matched


@pytest.mark.parametrize(
    "reference, answer, concept",
    [
        ("Store the data in a NoSQL database such as Cassandra.", "store it in a SQL database", "nosql database"),
        ("Store the data in SQL such as PostgreSQL.", "store it in NoSQL", "sql"),
        ("Replicate asynchronously to followers.", "replicate synchronously", "replicate asynchronously"),
        ("Readers may see stale data.", "readers may see state data", "stale data"),
        ("Use optimistic locking.", "use pessimistic locking", "optimistic locking"),
    ],
)
def test_near_misses_do_not_cover_the_concept(grader, reference, answer, concept):
    card = grader.grade(answer, reference=reference)
    assert concept in [m.concept.lower() for m in card.missed], card.matched


# --------------------------------------------------------------------------- the synonym table as data


def test_synonym_table_is_clean():
    raw = tomllib.loads((resources.files("interviewer") / "data" / "synonyms.toml").read_text(encoding="utf-8"))
    owner: dict[tuple[str, ...], str] = {}
    entries = 0
    for section in raw.values():
        for canonical, others in section.items():
            canon = tuple(analyze(canonical))
            assert canon, f"{canonical!r} has no terms"
            for wording in others:
                key = tuple(analyze(wording))
                entries += 1
                assert key, f"{wording!r} ({canonical}) has no terms"
                assert key != canon, f"{wording!r} is {canonical!r} already, after stemming"
                assert not (len(key) == 1 and len(wording.split()) > 1), f"{wording!r} collapses to one word"
            for wording in (canonical, *others):
                key = tuple(analyze(wording))
                assert owner.setdefault(key, canonical) == canonical, f"{wording!r} is in {owner[key]!r} and {canonical!r}"
    assert 300 <= entries  # a few hundred entries, written for this domain


def test_synonyms_load_from_a_file_and_say_what_is_wrong(tmp_path):
    good = tmp_path / "syn.toml"
    good.write_text('"load balancer" = ["lb"]\n', encoding="utf-8")
    table = load_synonyms(good)
    assert table.canonical(tuple(analyze("an LB"))) == table.canonical(tuple(analyze("a load balancer")))
    bad = tmp_path / "bad.toml"
    bad.write_text('"load balancer" = "lb"\n', encoding="utf-8")
    from interviewer.errors import GradingError

    with pytest.raises(GradingError, match="must be a list of strings"):
        load_synonyms(bad)
    with pytest.raises(GradingError, match="cannot read the synonym table"):
        load_synonyms(tmp_path / "missing.toml")
