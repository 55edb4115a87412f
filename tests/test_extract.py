"""The question-bank extractors, on the real corpus files and on small synthetic documents."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from interviewer.extract import (
    TOPIC_NAMES, extract_concept_sections, extract_marked_choices, extract_open, extract_probes,
    extract_questions, extract_quiz, extract_scenarios, infer_answer_option,
)
from interviewer.extract.rules import casing_of, phrase_concept
from interviewer.ingest import load_corpus, parse_document
from interviewer.records import DIFFICULTIES, KINDS, Question, Source

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
MOJIBAKE = ("â€", "Ã", "‚Ä", "\uf8ff", "\ufffd")


@pytest.fixture(scope="module")
def documents():
    return load_corpus(CORPUS).documents


@pytest.fixture(scope="module")
def docs(documents):
    return {d.doc[:3]: d for d in documents}


@pytest.fixture(scope="module")
def bank(documents):
    return extract_questions(documents)


@pytest.fixture(scope="module")
def by_id(bank):
    return {q.id: q for q in bank}


# --------------------------------------------------------------------------- counts


def test_every_format_is_found_with_the_corpus_own_counts(bank):
    counts = Counter((q.source.doc[:3], q.kind) for q in bank)
    assert counts[("000", "open")] == 20
    assert counts[("001", "probe")] == 100
    assert counts[("002", "scenario")] == 50  # 16 sets × 3 + 2 random design questions
    assert counts[("002", "probe")] == 1  # the book situation, which has no model answer
    assert counts[("003", "choice")] == 20
    assert counts[("004", "choice")] == 19  # 20 marked questions, one of them copied twice
    assert sum(n for (_, kind), n in counts.items() if kind == "concept") >= 50
    assert not {kind for (doc, kind) in counts if doc in ("000", "003")} - {"open", "choice"}


def test_probes_are_numbered_1_to_100(bank):
    numbers = sorted(int(q.id.rsplit("-", 1)[1]) for q in bank if q.id.startswith("001-probe-"))
    assert numbers == list(range(1, 101))


def test_scenario_sets_have_three_questions_each(bank):
    sets = Counter(q.id.rsplit("-", 1)[0] for q in bank if q.kind == "scenario")
    assert sets.pop("002-scenario-random-design-questions") == 2
    assert len(sets) == 16 and set(sets.values()) == {3}


# --------------------------------------------------------------------------- whole records

EXPECTED = [
    Question(
        id="000-open-181", kind="open", topic="transactions", difficulty="medium",
        prompt="How to handle distributed transactions without 2PC?",
        reference=(
            "Two-Phase Commit (2PC) is notoriously slow, blocking, and lacks partition tolerance (it fails if the "
            "central coordinator crashes). Instead, I handle distributed transactions utilizing eventual consistency "
            "patterns, primarily the Saga Pattern.\n\nIf an e-commerce order spans the Order, Inventory, and Payment "
            "microservices, I do not lock all three databases simultaneously.\nInstead, I execute a sequence of local "
            "transactions. The Order service commits its local database row, then fires an 'OrderCreated' "
            "asynchronous event via Kafka. The Inventory service consumes this, deducts stock locally, and fires an "
            "event. If Payment fails, I do not execute a massive rollback. I fire a 'PaymentFailed' event, which "
            "triggers Compensating Transactions in the Inventory and Order services to mathematically reverse their "
            "previous local commits.\n\nCompensating transactions are fundamentally different from traditional SQL "
            "`ROLLBACK` commands. A `ROLLBACK` prevents a transaction from ever occurring. A Compensating Transaction "
            "accepts that the data was physically committed to disk briefly, and executes a brand new `INSERT` or "
            "`UPDATE` operation appending a negative value to cancel out the previous financial impact."
        ),
        hints=("Think about Saga Pattern.", "Think about Compensating Transactions."),
        source=Source("000-architect-deep-dive",
                      ("181–200: Architect Level Deep Dive", "181. How to handle distributed transactions without 2PC?"), 3),
    ),
    Question(
        id="001-probe-1", kind="probe", topic="transactions", difficulty="hard",
        prompt="How would you handle distributed transactions across multiple microservices without using 2PC?",
        reference=("Probes your knowledge of saga patterns, event sourcing, and eventual consistency. Expect "
                   "follow-ups about compensation logic and handling partial failures."),
        hints=("Think about saga patterns.", "Think about event sourcing.", "Think about eventual consistency."),
        source=Source("001-system-design-concepts", ("Hard Questions", "Architecture & Design Patterns (1-20)"), 1197),
    ),
    Question(
        id="002-scenario-failure-detection-2", kind="scenario", topic="reliability", difficulty="medium",
        prompt=(
            "Imagine you are designing a system with two key components: a central job scheduler and a fleet of "
            "worker nodes. The scheduler's primary responsibility is to assign tasks to available workers. It is "
            "critical that the scheduler does not assign a new task to a worker node that has crashed.\n\n"
            "Compare and contrast the two primary approaches to failure detection: reactive and proactive. Which "
            "approach would be more suitable for the job scheduler to use to check the health of its worker nodes, "
            "and why?"
        ),
        reference=(
            "The two approaches differ in when they detect a failure.\n\n- Reactive Detection: This is the most "
            "common approach, where failures are detected at the time of communication. A client (like the "
            "scheduler) sends a request to a server (a worker) and, if it doesn't get a response within a timeout, it "
            "considers the server to be unavailable. It's simple but only provides information when you're already "
            "trying to do something.\n\n- Proactive Detection: This approach involves actively monitoring the health "
            "of other processes before a real request needs to be sent. Instead of waiting for a task-assignment "
            "request to fail, the scheduler would constantly check the availability of the workers in the "
            "background.\n\nFor the job scheduler and worker fleet, proactive failure detection is the more suitable "
            "approach.\n\nThe document states that proactive methods are used for processes that interact frequently "
            "and where an immediate action must be taken as soon as a process becomes unreachable. In this case, the "
            "scheduler needs to know the health of the worker fleet before it makes a scheduling decision. By "
            "proactively monitoring the workers, it can maintain an up-to-date list of healthy nodes and avoid "
            "wasting time trying to assign a job to a node that is already known to be down."
        ),
        hints=("Think about Reactive Detection.", "Think about timeout.", "Think about Proactive Detection."),
        source=Source("002-interview-question-sets",
                      ("System Design Interview Questions: Failure Detection",
                       "Question 2: Proactive vs. Reactive Failure Detection"), 1137),
    ),
    Question(
        id="003-choice-3", kind="choice", topic="transactions", difficulty="medium",
        prompt="What is the outbox pattern?",
        reference=(
            "The problem: you need to write to DB AND publish an event. These are two separate systems — no shared "
            "transaction.\n\n// Naive approach — breaks!\ndb.save(transfer)          // ✓ succeeds\n"
            "kafka.publish(event)       // ✗ fails — network error\n// DB has the transfer, but no event published\n"
            "// Downstream consumers never learn about it\n\nThe outbox pattern solves this with a single DB "
            "transaction:\n\nBEGIN TRANSACTION;\n  INSERT INTO transfers (id, from, to, amount) VALUES (...);\n"
            "  INSERT INTO outbox (id, event_type, payload) VALUES (...);\nCOMMIT;\n// Both writes are atomic — "
            "either both succeed or both fail\n\nThen a separate relay process:\n\n// Runs continuously (or on "
            "schedule):\n1. SELECT * FROM outbox WHERE published = false;\n2. For each row: "
            "kafka.publish(row.payload);\n3. UPDATE outbox SET published = true WHERE id = row.id;\n// If relay "
            "crashes → restarts → re-reads unpublished rows\n\nTrade-offs: events are eventually published (slight "
            "delay). Consumers may receive duplicates (relay crash after publish but before marking) — must be "
            "idempotent.\n\nAlternative implementations: Debezium (CDC — captures DB changes from WAL and publishes "
            "to Kafka automatically), polling publisher, transaction log tailing.\n\nRelated patterns: Idempotent "
            "consumer (handles duplicate events), Saga (multi-step workflows using events), Event sourcing (events AS "
            "the primary store). Real-world: standard at Revolut, Starling, most fintechs for reliable event "
            "publishing."
        ),
        hints=("Problem: DB write succeeds but Kafka publish fails → data inconsistency. How to make both atomic?",),
        options=(
            "Publish events to Kafka before writing to database",
            "Use a separate event store instead of a relational DB",
            "Write business data + event to DB in ONE transaction. A relay publishes from outbox to Kafka",
            "Store Kafka offsets in the database",
        ),
        answer_option="C",
        source=Source("003-distributed-systems-quiz", ("Distributed Systems", "3 of 20: What is the outbox pattern?"), 74),
    ),
    Question(
        # The marked answer sits under option C and the explanation comes before option D.
        id="004-choice-choosing-between-redis-and-memcached-for-a-cache", kind="choice", topic="caching",
        difficulty="easy",
        prompt=("Choosing between Redis and Memcached for a cache that must persist across process restarts, which "
                "feature tilts the decision?"),
        reference=("Redis provides disk-based durability options (RDB, AOF) to persist data across process restarts, "
                   "whereas Memcached does not. Hence, Redis is the right choice when persistence is needed."),
        hints=("Think about Redis vs Memcached: persistence capabilities.",),
        options=("LRU eviction", "Binary protocol", "RDB/AOF persistence", "Multi-core scalability"),
        answer_option="C",
        source=Source("004-design-concept-notes", ("Redis vs Memcached: Persistence Capabilities", "Sample Question"), 816),
    ),
    Question(
        id="001-concept-two-phase-commit-2pc", kind="concept", topic="transactions", difficulty="medium",
        prompt="Explain two-phase commit (2PC).",
        reference=(
            "Goal:\nEnsure all participants in a distributed transaction either all commit or all roll back.\n\n"
            "Roles:\n- Coordinator — orchestrates the commit.\n- Participants (Resource Managers) — e.g., databases, "
            "queues.\n\nPhases:\n1. Prepare phase\n   - Coordinator → Participants: \"Can you commit?\"\n"
            "   - Participants:\n     - Validate transaction feasibility (constraints, locks).\n     - If OK → reply "
            "YES (and lock resources so they can commit later).\n     - If not OK → reply NO.\n2. Commit/Abort phase\n"
            "   - If all YES → Coordinator sends COMMIT to all.\n   - If any NO → Coordinator sends ROLLBACK to all.\n\n"
            "Pros:\n- Strong consistency.\n- Simple to reason about.\n\nCons:\n- Blocking — If coordinator crashes "
            "after prepare but before commit, participants wait indefinitely.\n- Locks held across prepare → commit "
            "can hurt performance."
        ),
        hints=("Think about Coordinator.", "Think about Participants (Resource Managers).", "Think about Prepare phase."),
        source=Source("001-system-design-concepts",
                      ("Databases and Storage", "Distributed Transaction Protocols & Patterns", "1. Two-Phase Commit (2PC)"),
                      576),
    ),
]


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda q: q.id)
def test_whole_records(by_id, expected):
    assert by_id[expected.id] == expected


def test_the_book_situation_is_a_probe_with_the_situation_as_reference(by_id):
    q = by_id["002-probe-chapter-23-messaging"]
    assert q.kind == "probe" and q.topic == "messaging"
    assert q.prompt.startswith("Video Encoding:\n- The API gateway uploads the video to a file store (e.g., S3).\n")
    assert q.prompt.endswith("how does the message channel know that the request message is processed successfully or not?")
    assert q.reference.startswith("Video Encoding:\n- The API gateway")
    # The wrapped bullet line in the file is read back as one line.
    assert "- It then writes a message to the channel, including a link to the uploaded file.\n" in q.reference
    assert q.source == Source("002-interview-question-sets",
                              ("Book: Understanding Distributed Systems", "Chapter 23: Messaging"), 3)


def test_a_random_design_question_keeps_its_solution_subsections(by_id):
    q = by_id["002-scenario-random-design-questions-2"]
    assert q.prompt == ("How would you design an idempotent feature-flag system that keeps your UI fast without "
                        "hammering the backend?")
    assert q.reference.startswith("Of course. This is a great question")
    for part in ("Core Architecture & Workflow", "The Big Problem: Handling Stale Cache", "What Else Could Go Wrong?",
                 "POST /api/process-payment"):
        assert part in q.reference
    assert "##" not in q.reference and "**" not in q.reference


def test_a_scenario_without_a_question_paragraph_asks_its_scenario(by_id):
    q = by_id["002-scenario-leader-election-1"]
    assert q.prompt.startswith("You are explaining the Raft leader election algorithm")
    assert q.prompt.endswith("endless cycle of failed elections?\"")


# --------------------------------------------------------------------------- answer keys

# Read off the quiz by hand: the option the detailed explanation argues for.
QUIZ_KEY = {
    1: "B",   # no exactly-once: at-least-once + idempotent consumers
    2: "C",   # partition → choose consistency or availability
    3: "C",   # business data + event in one transaction, relay publishes
    4: "B",   # fail fast after N failures
    5: "D",   # same result as once; unique idempotency key
    6: "A",   # central coordinator vs services reacting to events
    7: "B",   # local transactions with compensating actions
    8: "C",   # every state change as an immutable event
    9: "A",   # separate write and read models
    10: "D",  # may lose vs may duplicate
    11: "B",  # lock shared across service instances
    12: "C",  # consumer tells producer to slow down
    13: "A",  # more machines vs bigger machine
    14: "D",  # queue deletes, stream retains and replays
    15: "A",  # replicas converge, reads may be stale meanwhile
    16: "C",  # repeatedly failing messages set aside
    17: "B",  # requests per user per window, token bucket
    18: "D",  # isolate resources
    19: "A",  # trace id propagated across services
    20: "B",  # infrastructure layer for service-to-service traffic
}


def test_quiz_answer_inference_agrees_with_the_key_read_by_hand(bank):
    quiz = {int(q.id.rsplit("-", 1)[1]): q for q in bank if q.id.startswith("003-choice-")}
    assert {n: q.answer_option for n, q in quiz.items()} == QUIZ_KEY
    assert all(len(q.options) == 4 and len(q.hints) == 1 for q in quiz.values())


# (line of the question in 004, how the prompt starts, the marked letter)
MARKED = [
    (54, "Designing a payment ledger", "C"),          # "** Correct Answer: C. …**"
    (145, "A real-time bidding system", "B"),         # "**Correct Answer**: **B. CDN edge**"
    (241, "Which redundancy pattern", "C"),           # "**Q13. …**"
    (349, "Which strategy best achieves canary", "B"),
    (565, "A streaming analytics job", "A"),          # "**Question**:" + next line
    (637, "For an IoT fleet", "D"),                   # "Correct Answer: D — …"
    (691, "Why does adding a second read replica", "A"),
    (768, "Which consistency guarantee", "D"),        # "**Correct Answer**" under option D
    (816, "Choosing between Redis and Memcached", "C"),  # under option C, before option D
    (951, "In an active-passive failover setup", "A"),
    (1036, "Which cache warm-up strategy", "B"),
    (1127, "A distributed cron scheduler", "B"),
    (1174, "Why does hash-based data partitioning", "C"),  # "**A.** …" options
    (1265, "Which API rate-limiting response header", "B"),
    (1307, "Under eventual consistency", "B"),
    (1346, "A high-availability MySQL cluster", "B"),
    (1426, "In a video-streaming CDN", "B"),
    (1479, "When designing a Saga", "B"),             # "** Correct Answer:** B"
    (1541, "A client consistently sends requests", "B"),  # "**Scenario:**", "- A. …", answer on the next line
]


def test_marked_answers_of_the_concept_notes(bank):
    marked = sorted((q.source.line, q.prompt, q.answer_option) for q in bank if q.id.startswith("004-choice-"))
    assert [(line, letter) for line, _, letter in marked] == [(line, letter) for line, _, letter in MARKED]
    for (_, prompt, _), (_, start, _) in zip(marked, MARKED):
        assert prompt.startswith(start)


def test_marked_choices_have_four_options_and_an_explanation(bank):
    for q in (q for q in bank if q.id.startswith("004-choice-")):
        assert len(q.options) == 4 and not any(o[:2] in ("A.", "B.", "C.", "D.") for o in q.options)
        assert q.reference and "Explanation" not in q.reference and "Correct Answer" not in q.reference


# --------------------------------------------------------------------------- ids, duplicates, clean text


def test_ids_are_unique_url_safe_and_short(bank):
    ids = [q.id for q in bank]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", i) and len(i) <= 60 for i in ids)
    assert all(q.id.startswith(f"{q.source.doc[:3]}-{q.kind}-") for q in bank)


def test_ids_do_not_depend_on_document_order_or_other_documents(documents, bank):
    extra = parse_document("900-extra", "## Caching\n\n" + "Caching keeps hot data close to the reader. " * 10)
    again = extract_questions([extra, *reversed(documents)])
    assert {q.id: q for q in bank} == {q.id: q for q in again if q.source.doc != "900-extra"}


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def test_the_bank_holds_no_duplicates(bank, docs):
    keys = [(_normal(q.prompt), _normal(q.reference)) for q in bank]
    assert len(keys) == len(set(keys))
    # 004 repeats the "Canary Deployment with Session Stickiness" note verbatim.
    assert len(extract_marked_choices(docs["004"])) == 20
    assert sum(q.prompt.startswith("Which strategy best achieves canary") for q in bank) == 1
    assert sum(q.prompt == "Explain canary deployment with session stickiness." for q in bank) == 1


def test_no_mojibake_and_no_emphasis_markers(bank):
    for q in bank:
        fields = [q.prompt, q.reference, *q.hints, *q.options, *q.source.heading_path]
        assert not [f for f in fields if any(m in f for m in MOJIBAKE)], q.id
        assert not re.search(r"\*\*|__|(?<![\w*])\*(?=\w)", q.prompt), q.id
        assert "**" not in q.reference and not re.search(r"^#+ ", q.reference, re.M), q.id


def test_every_record_is_well_formed(bank):
    for q in bank:
        assert q.kind in KINDS and q.difficulty in DIFFICULTIES and q.topic in TOPIC_NAMES, q.id
        assert q.prompt and q.reference and q.concepts == (), q.id
        assert 1 <= len(q.hints) <= 3 and all(h.strip() for h in q.hints), q.id
        if q.kind == "choice":
            assert len(q.options) >= 2 and q.answer_option in "ABCDEFGH"[: len(q.options)], q.id
        else:
            assert q.options == () and q.answer_option is None, q.id


def test_sources_point_at_the_question_line(bank, docs):
    for q in bank:
        line = docs[q.source.doc[:3]].text.split("\n")[q.source.line - 1]
        if q.source.doc.startswith("003"):
            assert re.fullmatch(rf"{q.id.rsplit('-', 1)[1]} of 20", line.strip()), q.id
        elif q.kind == "probe" and q.source.doc.startswith("001"):
            assert line.replace("**", "").endswith(q.prompt), q.id
        elif q.kind == "choice":
            # The line of the question text, or of the label ("**Question**:") that opens it.
            lines = docs[q.source.doc[:3]].text.split("\n")[q.source.line - 1 : q.source.line + 1]
            assert q.prompt[:20] in " ".join(lines).replace("**", ""), q.id
        else:
            assert line.startswith("#") and q.source.heading_path, q.id


def test_every_kind_has_a_mix_of_difficulties_and_topics_are_spread(bank):
    for kind in KINDS:
        levels = Counter(q.difficulty for q in bank if q.kind == kind)
        assert len(levels) >= 2, (kind, levels)
    topics = Counter(q.topic for q in bank)
    assert len(topics) >= 15
    assert topics["general"] <= len(bank) * 0.05
    assert max(topics.values()) <= len(bank) * 0.15


# --------------------------------------------------------------------------- concepts


def test_concepts_at_a_useful_granularity(bank):
    concepts = {q.prompt: q for q in bank if q.kind == "concept"}
    for prompt in ("Explain caching.", "Explain the CAP theorem.", "What is ZooKeeper?",
                   "Explain the bulkhead pattern and when you would use it.", "Explain two-phase commit (2PC).",
                   "Compare normalization and denormalization: when would you choose each?",
                   "Explain exponential backoff with jitter.",
                   "How would you ensure single execution in distributed cron schedulers?"):
        assert prompt in concepts, prompt
    caching = concepts["Explain caching."]
    assert "Advantages of Caching" in caching.reference and "Cache-Aside:" in caching.reference
    assert "medium.com" not in caching.reference  # the References link list is dropped
    assert not any(p.startswith("Explain advantages") for p in concepts)
    # The CAP theorem keeps its tables; linearizability is a concept of its own.
    assert "Once a write completes" not in concepts["Explain the CAP theorem."].reference
    assert "Explain Linearizability (strong consistency)." in concepts


def test_concepts_exclude_generic_headings_and_other_formats(bank):
    for q in (q for q in bank if q.kind == "concept"):
        heading = q.source.heading_path[-1]
        assert not re.match(r"(?i)(table of contents|approach|steps|summary|overview|pros|cons|sample|questions?"
                            r"|solution|key takeaways|references|hard questions|indepth)\b", heading), q.id
        assert q.source.doc[:3] in ("001", "002", "004"), q.id
        assert "Hard Questions" not in q.source.heading_path, q.id


def test_link_lists_and_short_sections_are_not_concepts():
    prose = ("A Bloom filter answers whether an item might be in a set using a bit array and several hash "
             "functions. It never gives a false negative, so a miss means the item is certainly absent, "
             "which lets a client skip a lookup that would fail anyway. ")
    doc = parse_document("014-x", (
        "## Further Reading\n\n- [Bloom](https://example.com/a)\n- [Cuckoo](https://example.com/b)\n"
        + "- [Quotient](https://example.com/c)\n" * 20
        + "\n## Tiny Note\n\nJust a few words here.\n\n## Bloom Filters\n\n" + prose * 2
        + "\n### Pros\n\n- Small memory footprint.\n"
    ))
    [q] = extract_concept_sections(doc)
    assert (q.id, q.prompt, q.kind) == ("014-concept-bloom-filters", "Explain Bloom filters.", "concept")
    assert q.reference.endswith("Pros\n\n- Small memory footprint.")


@pytest.mark.parametrize("heading, prompt", [
    ("What is ZooKeeper?", "What is ZooKeeper?"),
    ("SQL vs NoSQL vs Object Store", "Compare SQL, NoSQL and object store: when would you choose each?"),
    ("Semi-Synchronous vs Asynchronous Replication in MySQL",
     "Compare semi-synchronous and asynchronous replication in MySQL: when would you choose each?"),
    ("The Bulkhead Pattern", "Explain the bulkhead pattern and when you would use it."),
    ("The Solution: Exponential Backoff with Jitter", "Explain exponential backoff with jitter."),
    ("1. Two-Phase Commit (2PC)", "Explain two-phase commit (2PC)."),
    ("A. LRU Eviction (Least Recently Used)", "Explain LRU eviction (least recently used)."),
    ("CAP Theorem", "Explain the CAP theorem."),
    ("How Vector Clocks Work", "Explain how vector clocks work."),
    ("Managing Risk from Configuration Changes", "How would you manage risk from configuration changes?"),
    ("Monitoring Types", "Explain monitoring types."),
])
def test_concept_prompts_follow_the_heading_shape(heading, prompt):
    casing = casing_of("We use a pattern, a theorem and an object store; clocks work; risk and changes; "
                       "we ran it on MySQL and ZooKeeper with an eviction policy that is least recently used.")
    assert phrase_concept(heading, casing) == prompt


# --------------------------------------------------------------------------- format detection


FORMATS = {
    extract_open: {"000"},
    extract_probes: {"001", "002"},
    extract_scenarios: {"002"},
    extract_quiz: {"003"},
    extract_marked_choices: {"004"},
    extract_concept_sections: {"001", "002", "004"},
}


@pytest.mark.parametrize("extractor", FORMATS, ids=lambda f: f.__name__)
def test_each_format_is_detected_from_content_and_nowhere_else(docs, extractor):
    found = {key for key, doc in docs.items() if extractor(doc)}
    assert found == FORMATS[extractor]


def test_formats_do_not_depend_on_file_names(docs):
    renamed = parse_document("my-notes", docs["003"].text)
    quiz = extract_quiz(renamed)
    assert len(quiz) == 20 and quiz[0].id == "my-notes-choice-1"


# --------------------------------------------------------------------------- synthetic edge cases


@pytest.mark.parametrize("extractor", FORMATS, ids=lambda f: f.__name__)
def test_an_empty_document_has_no_questions(extractor):
    assert extractor(parse_document("empty", "")) == []
    assert extractor(parse_document("blank", "\n\n   \n")) == []


def test_a_scenario_without_a_solution_becomes_a_probe():
    doc = parse_document("010-x", (
        "# Questions: Caching\n\n## Question 1: Cold caches\n\n"
        "**Scenario:** A deploy empties every cache node at once.\n\n"
        "**Question:** What happens to the database, and how do you avoid it?\n"
    ))
    assert extract_scenarios(doc) == []
    [probe] = extract_probes(doc)
    assert probe.kind == "probe" and probe.id == "010-probe-question-1-cold-caches"
    assert probe.prompt == ("A deploy empties every cache node at once.\n\n"
                            "What happens to the database, and how do you avoid it?")
    assert probe.reference == "A deploy empties every cache node at once."


def test_an_open_question_without_an_indepth_note():
    doc = parse_document("011-x", '### 7. What is a fencing token?\n"A number that grows with every new leader."\n')
    [q] = extract_open(doc)
    assert (q.id, q.prompt, q.reference) == ("011-open-7", "What is a fencing token?",
                                             "A number that grows with every new leader.")
    assert q.hints  # rule-derived when the answer has no bold terms


def test_a_numbered_heading_without_a_quoted_answer_is_not_an_open_question():
    assert extract_open(parse_document("x", "### 1. What is an HTTPS certificate?\n- An X.509 certificate.\n")) == []


def test_a_marked_question_without_options_is_skipped():
    doc = parse_document("x", "## Sample Question\n\n**Q: Which one?**\n\n**Correct Answer:** B\n\n**Explanation:** Because.\n")
    assert extract_marked_choices(doc) == []


def test_a_marked_question_without_an_explanation_answers_with_its_option():
    doc = parse_document("012-x", "## Sample Question\n\n**Q: Which header tells a client when to retry?**\n\n"
                                  "A. ETag\nB. Retry-After\nC. Content-Type\n\n**Correct Answer:** B\n")
    [q] = extract_marked_choices(doc)
    assert (q.options, q.answer_option, q.reference) == (("ETag", "Retry-After", "Content-Type"), "B", "B. Retry-After")


def test_a_quiz_item_without_options_is_skipped():
    text = ("1 of 2\nWhat is a saga?\nHint\n\nThink local.\n\nDetailed explanation\n\nLocal steps.\n"
            "2 of 2\nWhat is CQRS?\nAOne model\nBSeparate read and write models\nHint\n\nTwo sides.\n"
            "Detailed explanation\n\nSeparate read and write models for queries and commands.\n")
    [q] = extract_quiz(parse_document("013-x", text))
    assert (q.id, q.options, q.answer_option, q.hints) == (
        "013-choice-2", ("One model", "Separate read and write models"), "B", ("Two sides.",))


def test_a_probe_item_needs_its_italic_line():
    doc = parse_document("x", "## Hard\n\n1. **How do you shard a hot key?**\n\nNo italic line here.\n")
    assert extract_probes(doc) == []


# --------------------------------------------------------------------------- answer inference


def test_inference_follows_an_explanation_that_rejects_an_option_by_name():
    options = ["Reject duplicate requests", "Return the stored result for a repeated key"]
    explanation = ("Why not reject duplicate requests (option A)? Rejecting duplicate requests with 409 leaves the "
                   "client unsure; duplicate requests are retries. Return the stored result.")
    assert infer_answer_option(options, explanation) == "B"
    # Without naming the option, the same words would argue for it.
    assert infer_answer_option(options, explanation.replace(" (option A)", "")) == "A"


def test_inference_without_options_is_an_error():
    with pytest.raises(ValueError, match="no options"):
        infer_answer_option([], "anything")


# --------------------------------------------------------------------------- any text

_PIECES = st.sampled_from([
    "# Title", "## Question 1: X", "### Solution", "### 3. What is Y?", '"A quoted answer."', "#### Indepth",
    "**Scenario:** s", "**Question:** q?", "1 of 2", "AYes", "BNo", "Hint", "Detailed explanation",
    "**Correct Answer:** B", "A. one", "B. two", "**Explanation:** e", "1. **Bold?**", "   *italic*",
    "- bullet", "| a | b |", "```", "---", "", "plain words about caching and retries",
])


@settings(max_examples=25, deadline=None)
@given(st.lists(_PIECES, max_size=40))
def test_any_text_gives_well_formed_questions(pieces):
    bank = extract_questions([parse_document("099-fuzz", "\n".join(pieces))])
    assert len({q.id for q in bank}) == len(bank)
    assert all(re.fullmatch(r"[a-z0-9-]{1,60}", q.id) and q.prompt for q in bank)


def test_an_empty_solution_is_no_answer():
    doc = parse_document("015-x", "## Question 1: Hot keys\n\n**Scenario:** One key gets all the reads.\n\n"
                                  "**Question:** What do you do?\n\n### Solution\n\n")
    assert extract_scenarios(doc) == []
    assert [q.kind for q in extract_probes(doc)] == ["probe"]
