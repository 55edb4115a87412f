"""Look-ups as a candidate asks them mid-interview: one vocabulary, comparisons, "what is X",
conversational tails, questions that index their answers, heading weights, pluggable vocabularies,
and the labelled question set of bench/lookups.jsonl."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from interviewer.ingest import parse_document
from interviewer.lexicon import Lexicon
from interviewer.records import Question, Source
from interviewer.search import PhraseDefinitions, PhraseVocabulary, SearchIndex, chunk_document, write_index

BENCH = Path(__file__).resolve().parent.parent / "bench"


def places(result, top: int = 3) -> list[tuple[str, int]]:
    return [(h.doc, h.line) for h in result.hits[:top]]


# --------------------------------------------------------------------------- one vocabulary


@pytest.mark.parametrize(("short", "long"), [
    ("k8s pod restart", "kubernetes pod restart"),
    ("db replicas lag", "database replicas lag"),
])
def test_a_short_form_finds_what_its_long_form_finds(search_index, short, long):
    # The grader's synonym table is the search's too: the same passages, the best one first.
    a, b = search_index.search(short, top=3), search_index.search(long, top=3)
    assert a.hits[0].text == b.hits[0].text
    assert set(places(a)) == set(places(b))


def test_other_wordings_count_less_than_the_users_own(search_index):
    plan = search_index._planner.plan("k8s pod restart")
    weights = {c.terms: c.weight for c in plan.clauses}
    assert weights[("k8s",)] == 1.0 and 0 < weights[("kubernet",)] < 1.0


def test_another_wording_of_a_whole_name_counts_in_full(search_index):
    # "write-back" names one thing, and the table says write-behind is that thing.
    plan = search_index._planner.plan("write-back")
    weights = {c.terms: c.weight for c in plan.clauses}
    assert weights[("write", "back")] == weights[("write", "behind")] == 1.0
    assert weights[("back",)] < 1.0  # alone, "back" is a word of many other things


# --------------------------------------------------------------------------- comparisons


@pytest.mark.parametrize(("query", "wanted"), [
    # the passage that defines both (001, near line 507), not a list of questions naming them
    ("what's the difference between write-through and write-back again?", [("001-system-design-concepts", "Strategies")]),
    ("load shedding or rate limiting?", [("002-interview-question-sets", "Load Shedding vs. Rate-Limiting")]),
    ("pings vs heartbeats", [("002-interview-question-sets", "Pings vs. Heartbeats")]),
    ("how is event sourcing different from cqrs", [("000-architect-deep-dive", "Event Sourcing vs CQRS")]),
    ("lamport clock vs vector clock", [("000-architect-deep-dive", "Vector Clocks vs Logical Clocks")]),
])
def test_a_comparison_finds_the_passage_that_compares(search_index, query, wanted):
    result = search_index.search(query, top=3)
    assert result.kind == "comparison"
    assert any(h.doc == doc and piece in h.heading for h in result.hits for doc, piece in wanted), \
        [(h.doc, h.heading) for h in result.hits]


def test_a_comparison_shows_each_side(search_index):
    # "strong vs eventual consistency": the first side takes the head noun it shares with the second.
    result = search_index.search("strong vs eventual consistency", top=3)
    text = " ".join(h.text for h in result.hits).lower()
    assert "strong consistency" in text and "eventual consistency" in text
    assert result.topic == "strong vs eventual consistency"


@pytest.mark.parametrize(("query", "kind", "topic"), [
    ("what's the difference between write-through and write-back again?", "comparison", "write-through vs write-back"),
    ("token bucket vs leaky bucket", "comparison", "token bucket vs leaky bucket"),
    ("snowflake or uuid for primary keys?", "comparison", "snowflake vs uuid for primary keys"),
    ("how do I stop a retry storm or a thundering herd from taking down the database", "lookup",
     "how do I stop a retry storm or a thundering herd from taking down the database"),
    ("what is a saga", "definition", "saga"),
    ("um so what's a fencing token again?", "definition", "fencing token"),
    ("define idempotency", "definition", "idempotency"),
])
def test_what_a_question_asks(search_index, query, kind, topic):
    result = search_index.search(query, top=1)
    assert (result.kind, result.topic) == (kind, topic)


# --------------------------------------------------------------------------- conversational tails


@pytest.mark.parametrize(("query", "plain"), [
    ("what's the difference between write-through and write-back again?", "write-through vs write-back"),
    ("what was backpressure real quick", "what was backpressure"),
    ("sharding for me", "sharding"),
    ("explain quorum exactly", "explain quorum"),
    ("what's a fencing token, you know?", "what's a fencing token?"),
    ("consistent hashing, thanks", "consistent hashing"),
])
def test_conversational_tails_never_reach_the_query_or_its_echo(search_index, query, plain):
    with_tail, without = search_index.search(query, top=3), search_index.search(plain, top=3)
    assert with_tail.hits == without.hits
    for tail in ("again", "real quick", "for me", "exactly", "you know", "thanks"):
        assert tail not in with_tail.topic and tail not in (with_tail.suggestion or "")


def test_exactly_once_keeps_its_exactly(search_index):
    result = search_index.search("exactly once delivery", top=3)
    assert result.topic == "exactly once delivery"
    assert "exactly" in result.hits[0].text.lower()


def test_a_suggestion_drops_the_tail(search_index):
    result = search_index.search("whats backpresure real quick", top=3)
    assert result.suggestion == "whats backpressure" and result.topic == "backpressure"


# --------------------------------------------------------------------------- "what is X"


@pytest.mark.parametrize(("query", "heading"), [
    ("what is a saga", "saga pattern"),
    ("what's a DLQ?", "dead letter queue (dlq)"),
    ("what is eventual consistency?", "eventual consistency"),
    ("what is mTLS", "mutual authentication (mtls)"),
    ("what's HATEOAS", "hypermedia controls (hateoas)"),
    ("define backpressure", "backpressure"),
])
def test_what_is_x_puts_the_defining_passage_first(search_index, query, heading):
    result = search_index.search(query, top=3)
    assert result.kind == "definition"
    assert heading in result.hits[0].heading.lower(), [h.heading for h in result.hits]


# --------------------------------------------------------------------------- in the chat


@pytest.fixture
def chat(bank, search_index, built_settings):
    from interviewer.dialogue import Config, Interviewer
    from interviewer.grading import Grader

    engine = Interviewer(bank, search_index, Grader(Lexicon.load(built_settings.lexicon_path)), clock=lambda: 0.0)
    state, _ = engine.start(Config(topic="surprise", count=3))
    return engine, state.evolve(current="000-open-185", asked=("000-open-185",), number=1, phase="asking")


def test_the_chat_echoes_what_was_asked_without_its_tail(chat):
    engine, state = chat
    _, [reply] = engine.handle(state, "what's the difference between write-through and write-back again?")
    assert reply.kind == "lookup"
    # The chat takes the opener off ("what's the difference between"); the card's heading on the
    # chat page shows the two things asked about, and no "again".
    assert reply.data["query"] == "write through and write back"
    assert "again" not in reply.text.split("again?")[0]  # said nowhere but in the candidate's own words
    assert reply.data["hits"][0]["doc"] == "001-system-design-concepts"
    assert "Write-Behind" in reply.data["hits"][0]["text"]


def test_the_chat_quotes_the_part_that_names_a_thing_and_the_part_that_explains_it(chat):
    engine, state = chat
    _, [reply] = engine.handle(state, "hmm what's a retry storm exactly?")
    assert 'This dangerous phenomenon is known as a "retry storm"' in reply.text
    assert "“The Problem with Simple Retries”" in reply.text


# --------------------------------------------------------------------------- the index: fields and questions


def tiny_index(tmp_path, text: str, questions=(), **kw) -> SearchIndex:
    chunks = chunk_document(parse_document("notes", text))
    write_index(tmp_path / "index", chunks, Lexicon(), questions=questions, **kw)
    return SearchIndex.open(tmp_path / "index")


FILLER = " ".join(f"filler{n}" for n in range(40))
LONG_FILLER = " ".join(f"filler{n}" for n in range(130))  # enough that two sections are never packed


def test_a_passages_own_heading_weighs_more_than_the_headings_above_it(tmp_path):
    text = (f"# Quorum\n\nReads and writes overlap. {FILLER}\n\n"
            f"# Quorum Systems\n\n## Read Path\n\nReads and writes overlap. {FILLER}\n")
    with tiny_index(tmp_path, text) as index:
        hits = index.search("quorum", top=2).hits
    assert [h.heading for h in hits] == ["Quorum", "Quorum Systems > Read Path"]
    assert hits[0].score > hits[1].score


def test_a_bank_question_finds_the_passage_that_answers_it(tmp_path):
    text = (f"# Leadership\n\n## Scenario\n\nTwo nodes act at once. {LONG_FILLER}\n\n"
            f"## Fencing\n\nEach leader gets an ever-increasing token; storage refuses stale tokens. {LONG_FILLER}\n")
    question = Question("q1", "scenario", "coordination", "medium",
                        "How do you stop a zombie primary from corrupting storage?",
                        "Each leader gets an ever-increasing token; storage refuses stale tokens.",
                        source=Source("notes", ("Leadership", "Scenario"), 3))
    with tiny_index(tmp_path / "with", text, [question]) as index:
        hits = index.search("zombie primary", top=1).hits
        assert hits and "Fencing" in hits[0].heading
    with tiny_index(tmp_path / "without", text) as index:
        assert index.search("zombie primary", top=1).hits == ()


# --------------------------------------------------------------------------- pluggable vocabularies


def test_a_vocabulary_plugs_in(built_settings):
    # What the concept inventory will do: give other wordings of its concepts' labels.
    inventory = PhraseVocabulary([(["spare box", "cold standby"], 0.9)])
    with SearchIndex.open(built_settings.index_dir) as plain:
        assert "Cold Standby" not in plain.search("spare box", top=1).hits[0].heading
    with SearchIndex.open(built_settings.index_dir, vocabularies=[inventory]) as index:
        assert "Cold Standby" in index.search("spare box", top=1).hits[0].heading


def test_definitions_plug_in(built_settings, search_index):
    # And say where each concept is defined: "what is X" answers from there.
    line = next(h.line for h in search_index.search("cold standby", top=3).hits if "Cold Standby" in h.heading)
    inventory = PhraseDefinitions({"warm spare": ("004-design-concept-notes", line)})
    with SearchIndex.open(built_settings.index_dir, definitions=[inventory]) as index:
        result = index.search("what is a warm spare?", top=3)
    assert result.kind == "definition" and "Cold Standby" in result.hits[0].heading


# --------------------------------------------------------------------------- the labelled set


@pytest.fixture(scope="module")
def labelled():
    sys.path.insert(0, str(BENCH))
    from bench_lookups import answered_at, load_lookups

    return load_lookups(), answered_at


def test_the_labelled_set_has_every_style_and_resolves(labelled):
    lookups, _ = labelled
    counts: dict[str, int] = {}
    for lk in lookups:
        counts[lk.style] = counts.get(lk.style, 0) + 1
        assert lk.answers and all(t.lines for alt in lk.answers for t in alt), lk.id
    assert len(lookups) >= 150
    assert counts["paraphrase"] >= 50 and counts["comparison"] >= 20 and counts["spoken"] >= 20
    assert counts["keyword"] and counts["natural"]


def test_most_labelled_look_ups_land_in_the_top_3(search_index, labelled):
    # A floor well under bench/README.md's figures: it catches a ranking that broke, not a tuning.
    lookups, answered_at = labelled
    ranks = [answered_at(lk, [(h.doc, h.text) for h in search_index.search(lk.query, top=3).hits]) for lk in lookups]
    assert sum(1 for r in ranks if r) / len(ranks) >= 0.88


def test_the_inventorys_wordings_of_a_concept_reach_its_passage(built_settings):
    """One vocabulary: the concept inventory's other wordings expand a query as the grader reads them
    ("geographically distributed" is how the notes also say multi-region)."""
    from interviewer.concepts import Inventory
    from interviewer.services import open_search
    from interviewer.vocabulary import default_synonyms

    inventory = Inventory.load(built_settings.inventory_path, default_synonyms())
    concept = inventory.named("multi-region strategy")
    assert concept is not None and "geographically distributed" in [a.lower() for a in concept.aliases]
    with open_search(built_settings, inventory) as index:
        hits = index.search("geographically distributed", top=3).hits
    assert any(h.doc == concept.defined_at.doc and abs(h.line - concept.defined_at.line) < 8 for h in hits), hits
