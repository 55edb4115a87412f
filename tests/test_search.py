"""Search: passages cut from the section tree, whoosh BM25+ over the real corpus, citations of the
part that matched, other wordings, comparisons and definitions, snippets, suggestions, errors."""

from __future__ import annotations

import re
import shutil
import threading

import pytest

from interviewer.errors import IndexCorrupt, IndexMissing, InputError
from interviewer.ingest import load_corpus, parse_document, strip_inline_markdown
from interviewer.search import Part, Passage, SearchIndex, chunk_document, chunk_documents, snippet
from interviewer.text import repair

# Realistic questions a candidate types or dictates → (document, a piece of the heading path) that
# must be among the top 3 hits. Conversational, misspelled, acronyms and their long forms.
QUERIES = [
    ("whats a fencing token", "004-design-concept-notes", "Fencing Token"),
    ("um so like what is a saga", "004-design-concept-notes", "Saga Pattern"),
    ("CDC", "000-architect-deep-dive", "Outbox Pattern"),
    ("change data capture", "000-architect-deep-dive", "Outbox Pattern"),
    ("consistant hashing", "000-architect-deep-dive", "consistent hashing"),
    ("how do I stop a retry storm", "002-interview-question-sets", "Retry Storm"),
    ("2PC drawbacks", "002-interview-question-sets", "Two-Phase Commit"),
    ("two phase commit", "002-interview-question-sets", "Two-Phase Commit"),
    ("split brain", "004-design-concept-notes", "Split-Brain"),
    ("read replicas lag", "004-design-concept-notes", "Read Replicas"),
    ("token bucket vs leaky bucket", "000-architect-deep-dive", "Token Bucket"),
    ("snowflake id vs uuid", "000-architect-deep-dive", "Snowflake"),
    ("how does service discovery work", "000-architect-deep-dive", "service discovery"),
    ("gossip protocol", "000-architect-deep-dive", "Gossip"),
    ("vector clocks for detecting concurrent writes", "002-interview-question-sets", "Vector Clocks"),
    ("lamport clock", "002-interview-question-sets", "Lamport"),
    ("noisy neighbour problem", "000-architect-deep-dive", "noisy neighbor"),
    ("database per tenant or shared database", "000-architect-deep-dive", "Database per tenant"),
    ("exactly once delivery", "000-architect-deep-dive", "Exactly-Once"),
    ("what is the CAP theorem", "001-system-design-concepts", "CAP Theorem"),
    ("eventual consistency", "004-design-concept-notes", "Eventual Consistency"),
    ("strong consistency linearizability", "004-design-concept-notes", "Strong Consistency"),
    ("quorum reads and writes", "004-design-concept-notes", "Quorum"),
    ("redis vs memcached persistence", "004-design-concept-notes", "Redis vs Memcached"),
    ("memcahced vs redis", "004-design-concept-notes", "Redis vs Memcached"),
    ("LRU eviction", "004-design-concept-notes", "LRU Eviction"),
    ("cache warm up strategies", "004-design-concept-notes", "Cache Warm-up"),
    ("what causes a hotspot", "004-design-concept-notes", "Hotspot"),
    ("hash vs range partitioning", "004-design-concept-notes", "Partitioning Techniques"),
    ("retry-after header", "004-design-concept-notes", "Retry-After"),
    ("semi synchronous replication mysql", "004-design-concept-notes", "Semi-Synchronous"),
    ("kafka isolation levels read committed", "004-design-concept-notes", "Kafka Consumer Isolation"),
    ("DLQ", "004-design-concept-notes", "Dead-letter Queues"),
    ("consumer lag", "004-design-concept-notes", "Consumer Lag"),
    ("SSL termination at the load balancer", "004-design-concept-notes", "SSL Termination"),
    ("connection draining", "004-design-concept-notes", "Connection Draining"),
    ("sticky sessions", "004-design-concept-notes", "Session"),
    ("canary deployment", "004-design-concept-notes", "Canary Deployment"),
    ("zookeeper distributed lock", "004-design-concept-notes", "ZooKeeper"),
    ("write amplification", "004-design-concept-notes", "Write Amplification"),
    ("shuffle sharding", "002-interview-question-sets", "Shuffle Sharding"),
    ("bulkhead pattern", "002-interview-question-sets", "Blast Radius"),
    ("cellular architecture", "002-interview-question-sets", "Cellular"),
    ("load shedding vs rate limiting", "002-interview-question-sets", "Load Shedding"),
    ("pings vs heartbeats", "002-interview-question-sets", "Pings vs. Heartbeats"),
    ("raft split vote", "002-interview-question-sets", "Split Vote"),
    ("leader electon", "002-interview-question-sets", "Leader Election"),
    ("chain replication", "002-interview-question-sets", "Chain Replication"),
    ("PACELC", "002-interview-question-sets", "PACELC"),
    ("burn rate alerting", "002-interview-question-sets", "Burn Rate"),
    ("distributed tracing", "002-interview-question-sets", "Distributed Tracing"),
    ("gray failures", "002-interview-question-sets", "Gray Failures"),
    ("cascading failure", "002-interview-question-sets", "Cascading Failure"),
    ("feature flags", "002-interview-question-sets", "High-Risk Feature"),
    ("A/B testing", "002-interview-question-sets", "A/B Testing"),
    ("constant work principle", "002-interview-question-sets", "Constant Work"),
    ("backup system that avoids storing the same data twice", "002-interview-question-sets", "Random Design"),
    ("what is mTLS", "001-system-design-concepts", "mTLS"),
    ("REST maturity model", "001-system-design-concepts", "REST Maturity"),
    ("third normal form", "001-system-design-concepts", "Third Normal Form"),
    ("vertical vs horizontal scaling", "001-system-design-concepts", "Vertical"),
    ("zero downtime deployment", "001-system-design-concepts", "Zero Downtime"),
    ("three phase commit", "001-system-design-concepts", "Three-Phase Commit"),
    ("XA transactions", "001-system-design-concepts", "XA Transactions"),
    ("um, uh, how do you, like, handle clock skew?", "000-architect-deep-dive", "clock skew"),
    ("outbox pattern", "000-architect-deep-dive", "Outbox"),
    ("event sourcing vs CQRS", "000-architect-deep-dive", "Event Sourcing"),
    ("dual writes", "000-architect-deep-dive", "dual writes"),
    ("schema evolution", "000-architect-deep-dive", "schema evolution"),
    ("can you achieve exactly once delivery", "003-distributed-systems-quiz", "exactly-once delivery"),
    ("what's a dead letter queue for", "003-distributed-systems-quiz", "dead letter queue"),
    ("bulkhead isolation thread pools", "003-distributed-systems-quiz", "bulkhead"),
]


@pytest.mark.parametrize(("query", "doc", "heading"), QUERIES, ids=[q for q, _, _ in QUERIES])
def test_realistic_query_finds_the_right_section_in_top_3(search_index, query, doc, heading):
    hits = search_index.search(query, top=3).hits
    found = [(h.doc, h.heading) for h in hits]
    assert any(h.doc == doc and heading.lower() in h.heading.lower() for h in hits), found


def test_hits_are_ranked_and_complete(search_index):
    result = search_index.search("circuit breaker", top=4)
    assert result.query == "circuit breaker"
    assert [h.rank for h in result.hits] == [1, 2, 3, 4]
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0
    for hit in result.hits:
        assert hit.heading and hit.text and hit.snippet and hit.line >= 1


def test_hits_come_from_distinct_sections(search_index):
    for query in ("can you achieve exactly once delivery", "outbox pattern", "canary deployment"):
        hits = search_index.search(query, top=5).hits
        assert len({(h.doc, h.heading) for h in hits}) == len(hits) == 5, query


def test_hit_line_is_the_file_line_of_the_part_that_matched(search_index, corpus_dir):
    for query in ("PACELC", "fencing token", "what is the outbox pattern", "3NF", "connection draining"):
        for hit in search_index.search(query, top=3).hits:
            lines = repair((corpus_dir / f"{hit.doc}.txt").read_text(encoding="utf-8")).split("\n")
            first = hit.part_text(hit.cited).split("\n")[0].strip()
            assert first[:20] in strip_inline_markdown(lines[hit.line - 1]), (hit.doc, hit.line)
            assert hit.heading == " > ".join(hit.parts[hit.cited].heading_path)


def test_a_pack_cites_the_section_that_matched(search_index):
    # The load balancer features are small sections packed into one passage; the hit names the one asked about.
    hit = search_index.search("connection draining", top=1).hits[0]
    assert len(hit.parts) > 1 and "B. Connection Draining" in hit.heading
    assert "HTTP/2" in hit.text  # the pack holds its sibling too
    hit = search_index.search("what is eventual consistency?", top=3).hits
    assert any(h.heading.endswith("2. Eventual Consistency") for h in hit)


def test_snippet_marks_the_matched_words(search_index):
    hit = search_index.search("whats a fencing token", top=1).hits[0]
    assert "**fencing**" in hit.snippet.lower() and "**token**" in hit.snippet.lower()
    assert len(hit.snippet.split()) < 60 and "\n" not in hit.snippet
    # Unmatched words are left alone: strip the marks and the snippet is a piece of the passage.
    plain = hit.snippet.replace("**", "").strip("…")
    assert " ".join(plain.split()) in " ".join(hit.text.split())


@pytest.mark.parametrize(("query", "phrase"), [
    ("CDC", "change data capture"),
    ("2PC", "two.phase commit"),
    ("DLQ", "dead.letter queue"),
])
def test_acronym_finds_its_expansion(search_index, query, phrase):
    texts = [h.text.lower() for h in search_index.search(query, top=5).hits]
    assert any(re.search(phrase, t) for t in texts)


def test_expansion_finds_the_acronym(search_index):
    texts = [h.text for h in search_index.search("dead letter queue", top=10).hits]
    assert any("DLQ" in t and "dead-letter queue" not in t.lower() for t in texts)


@pytest.mark.parametrize(("query", "suggestion"), [
    ("consistant hashing", "consistent hashing"),
    ("leader electon", "leader election"),
    ("memcahced vs redis", "memcached vs redis"),
    ("noisy neighbour problem", "noisy neighbor problem"),
    ("what is idempotancy", "what is idempotency"),
])
def test_misspelled_words_get_a_suggestion_and_results(search_index, query, suggestion):
    result = search_index.search(query, top=3)
    assert result.suggestion == suggestion
    assert result.hits


@pytest.mark.parametrize("query", [
    "consistent hashing", "replicating data", "caches", "CDC", "2PC drawbacks", "sagas", "um so like what is a saga",
])
def test_correct_queries_get_no_suggestion(search_index, query):
    assert search_index.search(query).suggestion is None


@pytest.mark.parametrize("query", ["what is the", "???", "um, like, you know", "  ", "", "... -- !!"])
def test_query_without_searchable_words_is_an_input_error(search_index, query):
    with pytest.raises(InputError, match="no searchable words|empty"):
        search_index.search(query)


def test_query_syntax_is_not_interpreted(search_index):
    # Characters whoosh's query language gives meaning to are plain punctuation here.
    for query in ('title:(saga AND "outbox', "NOT consistent OR hashing*", "a~2 ^3 [x TO y]"):
        search_index.search(query)
    assert search_index.search("NOT consistent hashing").hits[0].heading.lower().count("consistent hashing")


def test_a_pasted_essay_is_searched_by_its_first_words(search_index):
    essay = "so um what is a saga and how do compensating transactions undo a step " * 120  # ~9 KB
    result = search_index.search(essay, top=3)
    assert "saga" in result.hits[0].heading.lower() and result.query == essay


def test_unknown_word_finds_nothing_but_does_not_fail(search_index):
    result = search_index.search("xqzvbw")
    assert result.hits == () and result.suggestion is None


def test_top_must_be_positive(search_index):
    with pytest.raises(InputError, match="top"):
        search_index.search("saga", top=0)


def test_search_from_many_threads_matches_serial_results(search_index):
    queries = [q for q, _, _ in QUERIES[:24]]
    expected = {q: search_index.search(q) for q in queries}
    failures: list[str] = []

    def worker(offset: int) -> None:
        for i in range(len(queries)):
            q = queries[(i + offset) % len(queries)]
            if search_index.search(q) != expected[q]:
                failures.append(q)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_open_missing_index_says_how_to_fix(tmp_path):
    with pytest.raises(IndexMissing, match="build-index"):
        SearchIndex.open(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexMissing, match="build-index"):
        SearchIndex.open(tmp_path / "empty")


def test_open_damaged_index_says_how_to_fix(tmp_path, built_settings):
    index_dir = tmp_path / "index"
    shutil.copytree(built_settings.index_dir, index_dir)
    for seg in index_dir.glob("*.seg"):
        seg.write_bytes(b"\0garbage" * 100)
    for toc in index_dir.glob("*.toc"):
        toc.write_bytes(b"not a toc")
    with pytest.raises(IndexCorrupt, match="damaged.*build-index"):
        SearchIndex.open(index_dir)


def test_open_index_without_meta_is_corrupt(tmp_path, built_settings):
    index_dir = tmp_path / "index"
    shutil.copytree(built_settings.index_dir, index_dir)
    (index_dir / "meta.json").unlink()
    with pytest.raises(IndexCorrupt, match="build-index"):
        SearchIndex.open(index_dir)


# --------------------------------------------------------------------------- chunking


@pytest.fixture(scope="module")
def corpus(corpus_dir):
    return load_corpus(corpus_dir)


def test_every_part_of_a_passage_is_text_of_its_own_section(corpus):
    for doc in corpus.documents:
        sections: dict[tuple[str, ...], list[str]] = {}
        for s in doc.sections:  # a preamble (or a document without headings) takes the title
            sections.setdefault(s.heading_path or (doc.title,), []).append(strip_inline_markdown(s.text))
        for passage in chunk_document(doc):
            assert passage.parts[0].offset == 0 and passage.heading_path == passage.parts[0].heading_path
            ends = [p.offset for p in passage.parts[1:]] + [len(passage.text)]
            for part, end in zip(passage.parts, ends):
                text = passage.text[part.offset : end].strip()
                lines = text.split("\n")
                while lines and lines[0].strip() in part.heading_path:  # an absorbed section's headings
                    lines = lines[1:]
                body = "\n".join(lines).strip()
                assert not body or any(body in s for s in sections[part.heading_path]), (passage.id, part)


def test_passages_stay_small_unless_a_block_cannot_be_split(corpus):
    passages = chunk_documents(corpus.documents)
    assert len({p.id for p in passages}) == len(passages)
    for passage in passages:
        if "```" not in passage.text and "|" not in passage.text:
            # max_words, plus a carried intro of up to intro_words, plus the overlap of a split section
            assert len(passage.text.split()) <= 220 + 120 + 2 * 30, passage.id
    assert not any(re.fullmatch(r"\s*(<[^>]*>\s*)*", p.text) for p in passages)  # no bare <img> passages


def test_few_passages_are_scraps(corpus):
    # Cut per section, 251 of 581 chunks were under 60 words; packed, a scrap is a section alone in its document.
    passages = chunk_documents(corpus.documents)
    scraps = [p for p in passages if len(p.text.split()) < 60]
    assert len(scraps) < 0.1 * len(passages)


def test_small_sibling_sections_are_packed_under_their_parent():
    text = ("# Load Balancers\n\n## A. Draining\n\nLet requests in flight finish first.\n\n"
            "## B. Stickiness\n\nSend a user to the same server.\n\n# Other Topic\n\nUnrelated words here.\n")
    passages = chunk_document(parse_document("lb", text))
    assert passages == [
        Passage("lb:5", "lb", ("Load Balancers", "A. Draining"),
                "Let requests in flight finish first.\n\nB. Stickiness\nSend a user to the same server.", 5,
                (Part(0, ("Load Balancers", "A. Draining"), 5), Part(38, ("Load Balancers", "B. Stickiness"), 7))),
        Passage("lb:13", "lb", ("Other Topic",), "Unrelated words here.", 13, (Part(0, ("Other Topic",), 13),)),
    ]


def test_a_parent_intro_is_carried_into_its_first_child():
    # A long fix (split in two) under a one-line solution under a short scenario: the scenario and the
    # solution's line go with the first piece of the fix, so the question is found with its answer.
    answer = "\n\n".join(" ".join(f"word{n}x{k}" for n in range(40)) for k in range(8))
    text = ("# Topic\n\n## Question 1: Storms\n\nScenario: retries pile up. What is this called?\n\n"
            "### Solution\n\nThis is a retry storm.\n\n#### The Fix\n\n" + answer + "\n")
    [first, *rest] = chunk_document(parse_document("q", text))
    assert first.text.startswith("Scenario: retries pile up. What is this called?\n\nSolution\nThis is a retry storm."
                                 "\n\nThe Fix\nword0x0 ")
    assert [p.heading_path[-1] for p in first.parts] == ["Question 1: Storms", "Solution", "The Fix"]
    assert [p.line for p in first.parts] == [5, 7, 11]  # the scenario's first line, then the headings
    assert rest and all(p.heading_path[-1] == "The Fix" for p in rest)


def test_heading_only_sections_make_no_chunks(corpus):
    doc = next(d for d in corpus.documents if d.doc.startswith("001"))
    headings = {p.heading_path for c in chunk_document(doc) for p in c.parts}
    assert ("Networking and Communication", "DNS") not in headings  # a heading with an empty body
    assert ("Databases and Storage", "CAP Theorem") in headings


def test_long_section_splits_on_paragraphs_with_overlap():
    paragraphs = [f"Paragraph {n} talks about replication topic{n} " + "word " * 45 for n in range(10)]
    doc = parse_document("long", "# Title\n\n## Long\n\n" + "\n\n".join(paragraphs) + "\n")
    chunks = chunk_document(doc)
    assert len(chunks) > 2
    assert all(c.heading_path == ("Title", "Long") and len(c.parts) == 1 for c in chunks)
    for before, after in zip(chunks, chunks[1:]):
        last_paragraph = before.text.split("\n\n")[-1]
        assert after.text.startswith(last_paragraph)  # the overlap
        assert len(before.text.split()) <= 220
    assert chunks[0].line == 5 and chunks[1].line == 5 + 2 * (len(chunks[0].text.split("\n\n")) - 1)


def test_code_fence_with_blank_lines_is_never_cut():
    code = "```python\n" + "\n\n".join(f"x{n} = compute({n})  # step {n} " + "y " * 20 for n in range(15)) + "\n```"
    text = "# T\n\n## Code\n\nIntro line about the code below.\n\n" + code + "\n\nAfter the code.\n"
    chunks = chunk_document(parse_document("code", text))
    fenced = [c for c in chunks if "```python" in c.text]
    assert len(fenced) == 1 and fenced[0].text.count("```") == 2


def test_heading_less_document_takes_its_title_and_anchors():
    text = "Quiz Title\n\nIntro words here.\n\n1 of 2\nWhat is a lease?\nA lease is a lock with a timeout.\n\n2 of 2\nWhat is a quorum?\nA majority of replicas.\n"
    doc = parse_document("quiz", text)
    assert [c.heading_path for c in chunk_document(doc)] == [("Quiz Title",)]
    anchors = [(5, ("Quiz Title", "1 of 2: What is a lease?")), (9, ("Quiz Title", "2 of 2: What is a quorum?"))]
    chunks = chunk_document(doc, anchors)
    assert chunks == [
        Passage("quiz:1", "quiz", ("Quiz Title",), "Quiz Title\n\nIntro words here.", 1,
                (Part(0, ("Quiz Title",), 1),)),
        Passage("quiz:5", "quiz", ("Quiz Title", "1 of 2: What is a lease?"),
                "1 of 2\nWhat is a lease?\nA lease is a lock with a timeout.", 5,
                (Part(0, ("Quiz Title", "1 of 2: What is a lease?"), 5),)),
        Passage("quiz:9", "quiz", ("Quiz Title", "2 of 2: What is a quorum?"),
                "2 of 2\nWhat is a quorum?\nA majority of replicas.", 9,
                (Part(0, ("Quiz Title", "2 of 2: What is a quorum?"), 9),)),
    ]


# --------------------------------------------------------------------------- snippets


def test_snippet_wraps_every_form_of_a_matched_term():
    assert snippet("A lease is a lock with a timeout.\nLeases expire!", {"leas"}) == \
        "A **lease** is a lock with a timeout. **Leases** expire!"


def test_snippet_picks_the_densest_window():
    text = " ".join(["filler"] * 50 + ["quorum", "reads", "and", "quorum", "writes"] + ["filler"] * 50)
    out = snippet(text, {"quorum", "write"}, width=10, lead=2)
    assert out == "…filler filler **quorum** reads and **quorum** **writes** filler filler filler…"


def test_repeated_searches_are_remembered_and_bad_ones_still_refused(search_index):
    first = search_index.search("fencing token", top=3)
    assert search_index.search("fencing token", top=3) is first
    assert search_index.search("fencing token", top=1).hits == first.hits[:1]
    with pytest.raises(InputError):
        search_index.search("?!", top=3)
    with pytest.raises(InputError):
        search_index.search(None, top=3)
