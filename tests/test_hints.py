"""Hints that teach: a question that points at a concept, its sentence with a blank, the gist."""

from __future__ import annotations

from interviewer.dialogue.hints import ASK, BLANK, SAY, blanked, concept_hint, gist, pointing_question
from interviewer.records import Concept, Place, Question, Source

FENCING = Concept("fencing-token", "fencing token", ("fencing tokens",), 1.0,
                  "A fencing token is a monotonically increasing number that the storage service checks to "
                  "reject writes from a stale leader.", Place("004-design-concept-notes", "Fencing Tokens", 1055))
LEASE = Concept("lease", "lease", (), 0.6, "", None)


def test_the_first_hint_asks_about_the_concept_without_naming_it():
    question = pointing_question(FENCING)
    assert question == ("What do we call a monotonically increasing number that the storage service checks to "
                        "reject writes from a stale leader?")
    assert "fencing" not in question.lower()


def test_the_second_hint_blanks_every_wording_of_the_concept_keeping_initials():
    text = blanked("Fencing tokens stop a stale leader; each fencing token is larger.", FENCING)
    assert text == "F______ t_____ stop a stale leader; each f______ t____ is larger."
    assert blanked("A lease expires after a timeout.", FENCING) is None


def test_a_sentence_that_says_the_concept_s_words_apart_is_blanked_word_by_word():
    timeouts = Concept("lock-timeouts", "lock timeouts", (), 1.0, "If majority acquired within timeout → lock obtained.", None)
    assert blanked(timeouts.evidence, timeouts) == "If majority acquired within t______ → l___ obtained."
    # one of its words alone is not the concept: no blank, the hint goes on to the sentence
    assert blanked("The lock is obtained by a majority.", timeouts) is None


def test_hints_go_question_blank_sentence_then_the_next_concept():
    revealed: tuple[str, ...] = ()
    steps = []
    for _ in range(4):
        hint = concept_hint([FENCING, LEASE], revealed, covered=set())
        steps.append((hint.concept, hint.step))
        revealed += (hint.key,)
    assert steps == [("fencing token", ASK), ("fencing token", BLANK), ("fencing token", SAY), ("lease", ASK)]
    # A concept the answer already covers is skipped; with nothing left, there is no hint.
    assert concept_hint([FENCING], (), covered={"fencing-token"}) is None


def test_a_concept_without_its_words_in_its_sentence_skips_the_blank():
    odd = Concept("quorum", "quorum", (), 1.0, "A majority of replicas must agree before a write counts.", None)
    first = concept_hint([odd], (), set())
    second = concept_hint([odd], (first.key,), set())
    assert (first.step, second.step) == (ASK, SAY)


def test_the_gist_quotes_the_model_answer_and_says_where_it_is_from():
    q = Question("q", "open", "transactions", "easy", "What is the Outbox Pattern?",
                 "The **Transactional Outbox Pattern** solves the dual write problem. The service writes the "
                 "event to an outbox table in the same transaction. A relay publishes it. More text follows.",
                 source=Source("000-architect-deep-dive", ("185. What is the Outbox Pattern?",), 52))
    said = gist(q)
    assert said.startswith("The Transactional Outbox Pattern solves the dual write problem. The service writes")
    assert "A relay" not in said and said.endswith("(000-architect-deep-dive, line 52)")
