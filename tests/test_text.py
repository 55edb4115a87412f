"""The one text pipeline: repair, words, terms and spoken-style normalisation."""

import pytest

from interviewer.text import Spoken, analyze, first_word_ends, normalise_spoken, repair, word_terms, words


@pytest.mark.parametrize(
    ("damaged", "repaired"),
    [
        ("Itâ€™s highly available", "It's highly available"),  # UTF-8 read as cp1252
        ("hasn‚Äôt completed", "hasn't completed"),  # UTF-8 read as Mac Roman
        ("# ðŸŸ¢ **181â€“200", "# 🟢 **181–200"),
        ("title = '\uf8ffüß© System Design'", "title = '🧩 System Design'"),  # Apple-logo lead byte
        ("Resolution** ‚Üí The domain", "Resolution** → The domain"),
        ("| ‚úÖ Allowed", "| ✅ Allowed"),
        ("line one\r\nline two\rline three", "line one\nline two\nline three"),
        ("café résumé — naïve", "café résumé — naïve"),  # clean text stays as it is
    ],
)
def test_repair_undoes_mojibake(damaged, repaired):
    assert repair(damaged) == repaired


def test_words_keep_offsets_and_lowercase():
    text = "Two-Phase Commit (2PC) isn't k8s."
    ws = words(text)
    assert [w.text for w in ws] == ["two", "phase", "commit", "2pc", "isn't", "k8s"]
    assert all(text[w.start : w.end].lower() == w.text for w in ws)


@pytest.mark.parametrize(
    ("word", "terms"),
    [
        ("replicas", ("replica",)),
        ("caching", ("cach",)),
        ("caches", ("cach",)),
        ("three", ("3",)),
        ("the", ()),
        ("what's", ()),
        ("kafka's", ("kafka",)),
        ("isn't", ()),
        ("1,000", ("1000",)),
        ("2pc", ("2pc",)),
    ],
)
def test_word_terms(word, terms):
    assert word_terms(word) == terms


def test_spelled_out_numbers_match_digits():
    assert analyze("three replicas") == analyze("3 replicas") == ["3", "replica"]
    assert analyze("two-phase commit") == analyze("two phase commit") == ["2", "phase", "commit"]


def test_question_words_and_fillers_carry_no_terms():
    assert analyze("um so like what is a saga") == ["saga"]
    assert analyze("the of and what how why") == []


@pytest.mark.parametrize(
    ("said", "clean", "fillers"),
    [
        (
            "um so basically you, like, write the order in one local transaction",
            "so you, write the order in one local transaction",
            ("um", "basically", "like"),
        ),
        (
            "uh I'd I'd use a saga, you know, and it's kind of slow",
            "i would use a saga, and it is slow",
            ("uh", "you know", "kind of"),
        ),
        ("I mean the the leader sort of fails", "the leader fails", ("i mean", "sort of")),
        ("Well, we could use consi- consistent hashing", "we could use consistent hashing", ("well",)),
        ("Actually the leader fails, right?", "the leader fails?", ("actually", "right")),
        # "like" as a verb or comparison, "kind of" as a noun phrase: not fillers.
        ("It looks like Kafka. I'd like a kind of cache.", "It looks like Kafka. i would like a kind of cache.", ()),
        ("Do you know what a saga is?", "Do you know what a saga is?", ()),
    ],
)
def test_normalise_spoken(said, clean, fillers):
    spoken = normalise_spoken(said)
    assert spoken.text == clean
    assert spoken.fillers == fillers


def test_normalise_spoken_counts_words_as_said_and_repeats():
    assert normalise_spoken("the the leader") == Spoken("the leader", (), ("the",), 3)


@pytest.mark.parametrize("text", ["", "   \n\t", "😀😀", "!!!", "\x00\x01"])
def test_normalise_spoken_empty_like_input(text):
    spoken = normalise_spoken(text)
    assert spoken.words == 0 and spoken.fillers == ()


def test_normalise_spoken_counts_every_word_and_filler_of_a_long_input():
    # How its time grows with the length is a benchmark's question (bench/bench_grading.py), not a test's.
    spoken = normalise_spoken("um we shard the data by user id, like, everywhere. " * 20_000)
    assert spoken.words == 200_000
    assert len(spoken.fillers) == 40_000


def test_first_word_ends_reads_only_the_words_asked_for():
    text = "İstanbul's 1,000 QPS — they’re fine, p99 at 20 ms"
    assert first_word_ends(text, 100) == [w.end for w in words(text)]
    assert first_word_ends(text, 3) == [w.end for w in words(text)[:3]]
    assert first_word_ends("", 5) == []
