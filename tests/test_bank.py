"""The question bank: JSON round trip, lookup, topic selection with BM25Plus, filters, errors."""

from __future__ import annotations

import json

import pytest

from interviewer.bank import Bank
from interviewer.errors import IndexCorrupt, IndexMissing, InputError
from interviewer.records import KINDS, Concept, Question, Source


def q(qid: str, topic: str, prompt: str, kind: str = "open", difficulty: str = "medium", heading=()) -> Question:
    return Question(qid, kind, topic, difficulty, prompt, f"Model answer for {prompt}",
                    concepts=(Concept("idea", "idea", ("notion",), 1.0, "The idea."),),
                    source=Source("doc", ("Notes", *heading), 1))


QUESTIONS = [
    q("q1", "consensus", "How does Raft elect a leader?", heading=("Leader Election",)),
    q("q2", "caching", "When would you pick write-through over write-back caching?", difficulty="hard"),
    q("q3", "transactions", "What is a saga and when do you need compensating actions?"),
    q("q4", "caching", "How do you stop a cache stampede?", kind="scenario"),
    q("q5", "architecture", "Design a URL shortener.", kind="scenario", difficulty="easy"),
    q("q6", "consensus", "What goes wrong when two nodes both think they are the leader?", kind="probe"),
]


@pytest.fixture
def small_bank() -> Bank:
    return Bank(QUESTIONS)


def test_topic_selection_ranks_matching_questions_first(small_bank):
    assert [x.id for x in small_bank.select(topic="caching")] == ["q4", "q2"]
    assert [x.id for x in small_bank.select(topic="leader election")][:2] == ["q1", "q6"]
    assert [x.id for x in small_bank.select(topic="um, sagas?")] == ["q3"]


def test_without_topic_the_bank_order_is_kept(small_bank):
    assert small_bank.select() == QUESTIONS


@pytest.mark.parametrize(("filters", "ids"), [
    ({"kind": "scenario"}, ["q4", "q5"]),
    ({"difficulty": "hard"}, ["q2"]),
    ({"topic": "caching", "kind": "scenario"}, ["q4"]),
    ({"topic": "caching", "exclude": ["q4"]}, ["q2"]),
    ({"topic": "kubernetes"}, []),
])
def test_filters_combine(small_bank, filters, ids):
    assert [x.id for x in small_bank.select(**filters)] == ids


@pytest.mark.parametrize(("filters", "message"), [
    ({"kind": "essay"}, "unknown question kind 'essay'; choose one of open, scenario, probe, choice, concept"),
    ({"difficulty": "brutal"}, "unknown difficulty 'brutal'; choose one of easy, medium, hard"),
    ({"topic": "what is the"}, "the topic 'what is the' has no searchable words; name one, e.g. 'caching'"),
])
def test_bad_filters_are_input_errors(small_bank, filters, message):
    with pytest.raises(InputError) as err:
        small_bank.select(**filters)
    assert str(err.value) == message


def test_get_and_topics(small_bank):
    assert small_bank.get("q3") == QUESTIONS[2]
    with pytest.raises(InputError, match="no question with id 'nope'"):
        small_bank.get("nope")
    assert small_bank.topics() == {"caching": 2, "consensus": 2, "architecture": 1, "transactions": 1}
    assert small_bank.kinds() == {"open": 3, "scenario": 2, "probe": 1}


def test_save_and_load_round_trip(tmp_path, small_bank):
    path = tmp_path / "bank.json"
    small_bank.save(path)
    assert json.loads(path.read_text())["format"] == 2
    assert Bank.load(path).questions == small_bank.questions


def test_load_missing_bank(tmp_path):
    with pytest.raises(IndexMissing, match="build-index"):
        Bank.load(tmp_path / "bank.json")


@pytest.mark.parametrize("content", [
    '{"format": 1, "questions": [{"id": "x"',  # truncated mid-write
    '{"format": 1, "questions": [{"id": "x"}]}',  # a record without its fields
    '{"format": 99, "questions": []}',  # another version
    "[1, 2, 3]",
    "\0\0\0",
])
def test_load_damaged_bank(tmp_path, content):
    path = tmp_path / "bank.json"
    path.write_text(content)
    with pytest.raises(IndexCorrupt, match="build-index"):
        Bank.load(path)


def test_empty_bank_selects_nothing():
    assert Bank([]).select(topic="caching") == [] and Bank([]).topics() == {}


# --------------------------------------------------------------------------- the real bank


def test_real_bank_has_every_question_kind(bank):
    assert set(bank.kinds()) == set(KINDS)


@pytest.mark.parametrize(("topic", "words"), [
    ("caching", ("cach",)),
    ("leader election", ("leader", "elect")),
    ("consistent hashing", ("consistent hashing", "hash")),
    ("2PC", ("2pc", "two-phase commit")),
    ("um so like, sagas", ("saga",)),
])
def test_real_bank_topic_selection(bank, topic, words):
    chosen = bank.select(topic=topic)
    assert chosen
    for question in chosen[:3]:
        text = " ".join((question.topic, question.prompt, *question.source.heading_path)).lower()
        assert any(w in text for w in words), question.id
