"""Bad input to the grader and the JSONL batch contract: a clear result or a clear error, never a crash."""

from __future__ import annotations

import json
import random

import pytest

from interviewer.config import bundled
from interviewer.errors import GradingError
from interviewer.grading import Grader, grade_batch
from interviewer.ingest import load_corpus
from interviewer.lexicon import build_lexicon

REFERENCE = (
    "The Transactional Outbox Pattern writes the business row and an event to an outbox table in one local "
    "transaction. A separate Message Relay polls the outbox table and publishes the events to Kafka. Change Data "
    "Capture (CDC) with Debezium can replace the polling."
)
QUESTION = "How does the outbox pattern work?"


@pytest.fixture(scope="module")
def grader():
    corpus = load_corpus(bundled("corpus"))
    return Grader(build_lexicon(s.text for d in corpus.documents for s in d.sections))


def flags(card) -> list[str]:
    return [f.name for f in card.flags]


@pytest.mark.parametrize("answer", ["", "   \n\t  ", "😀🔥🚀" * 50, "...!!!???", "\x00\x01\x02"])
def test_an_answer_without_words_gets_an_empty_scorecard(grader, answer):
    card = grader.grade(answer, reference=REFERENCE, question_text=QUESTION)
    assert card.score == 0.0 and card.grade == 0.0
    assert flags(card) == ["empty"]
    assert not card.matched and card.missed
    assert card.delivery.words == 0


def test_a_long_answer_is_graded_and_its_figures_stay_short(grader):
    # How the time grows with the length (1 MB under 3 s) is bench/bench_grading.py's to measure.
    answer = ("a relay polls the outbox table and pushes each event to kafka. " * 2_000)[:100_000]
    card = grader.grade(answer, reference=REFERENCE, question_text=QUESTION)
    assert {"message relay", "outbox table"} <= {m.concept.lower() for m in card.matched}
    assert card.delivery.words == len(answer.split())
    assert len(card.delivery.top_words) <= 5 and len(card.delivery.repeated_phrases) <= 5


def test_an_answer_past_the_cap_is_refused_clearly_and_a_batch_goes_on(grader):
    from interviewer.grading.batch import MAX_LINE_CHARS
    from interviewer.grading.scoring import MAX_ANSWER_CHARS

    with pytest.raises(GradingError, match=f"graded up to {MAX_ANSWER_CHARS:,}"):
        grader.grade("relay " * (MAX_ANSWER_CHARS // 6 + 1), reference=REFERENCE, question_text=QUESTION)
    huge = json.dumps({"id": "big", "reference": REFERENCE, "answer": "x " * (MAX_LINE_CHARS // 2)})
    small = json.dumps({"id": "ok", "reference": REFERENCE, "answer": "a relay polls the outbox table"})
    out = list(grade_batch([huge, small], grader))
    assert out[0] == {"id": None, "error": f"line 1 is longer than {MAX_LINE_CHARS} characters"}
    assert out[1]["id"] == "ok" and out[1]["score"] > 0


@pytest.mark.parametrize("answer", ["relay\n" * 30_000, "um " * 60_000, "the relay the relay " * 12_000, "-".join(["outbox"] * 30_000)])
def test_long_runs_of_repeats_and_fillers_are_graded(grader, answer):
    card = grader.grade(answer, reference=REFERENCE, question_text=QUESTION)
    # One word said over and over explains nothing, however often it names a concept.
    assert card.score < 0.1 and card.flags
    assert card.delivery.words == len(answer.replace("-", " ").split())


def test_binary_junk_is_off_topic(grader):
    rnd = random.Random(7)
    junk = bytes(rnd.randrange(256) for _ in range(20_000)).decode("latin-1")
    card = grader.grade(junk, reference=REFERENCE, question_text=QUESTION)
    assert card.score == 0.0
    assert {"off_topic", "not_english"} & set(flags(card)) or flags(card) == ["empty"]


def test_html_and_script_are_plain_words(grader):
    card = grader.grade("<script>alert('x')</script> a <b>relay</b> polls the <i>outbox table</i>", reference=REFERENCE, question_text=QUESTION)
    assert {"message relay", "outbox table"} <= {m.concept.lower() for m in card.matched}
    assert all("<" not in m.evidence for m in card.matched)


@pytest.mark.parametrize(
    "answer",
    [
        "Das Outbox-Muster schreibt die Bestellung und das Ereignis in einer lokalen Transaktion, dann veröffentlicht ein Dienst die Ereignisse.",
        "Шаблон исходящих сообщений записывает событие в таблицу в одной локальной транзакции.",
        "发件箱模式在同一个本地事务中写入业务数据和事件，然后由中继发布到消息队列。",
    ],
)
def test_non_english_answers_are_flagged_not_graded(grader, answer):
    card = grader.grade(answer, reference=REFERENCE, question_text=QUESTION)
    assert card.score == 0.0
    assert {"not_english", "off_topic", "empty"} & set(flags(card))


@pytest.mark.parametrize("reference", ["", "   ", "the and of it is to", "😀😀😀", "<p></p>"])
def test_a_reference_with_no_concepts_is_a_clear_error(grader, reference):
    with pytest.raises(GradingError, match="no concepts"):
        grader.grade("a relay polls the outbox table", reference=reference)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"answer": None, "reference": REFERENCE}, "the answer must be text"),
        ({"answer": 42, "reference": REFERENCE}, "the answer must be text"),
        ({"answer": "x"}, "give a question or a reference"),
        ({"answer": "x", "reference": REFERENCE, "hints_used": -1}, "hints_used"),
        ({"answer": "x", "reference": 7}, "must be text"),
    ],
)
def test_wrong_arguments_say_what_is_wrong(grader, kwargs, message):
    answer = kwargs.pop("answer")
    with pytest.raises(GradingError, match=message):
        grader.grade(answer, **kwargs)


# --------------------------------------------------------------------------- batch


def line(**item) -> str:
    return json.dumps(item)


def test_batch_keeps_ids_and_order_and_survives_bad_lines(grader):
    lines = [
        line(id="a", reference=REFERENCE, question=QUESTION, answer="a relay polls the outbox table and pushes to kafka"),
        "{not json",
        line(id="c", reference=REFERENCE, answer=""),
        "",
        line(id="d", reference="the of and", answer="anything"),
        json.dumps(["not", "an", "object"]),
        line(id="f", answer="no reference"),
        line(id="g", reference=REFERENCE, answer=3),
        line(id=7, reference=REFERENCE, answer="message relay and change data capture"),
    ]
    out = list(grade_batch(lines, grader))
    assert [o["id"] for o in out] == ["a", None, "c", "d", None, "f", "g", 7]
    good = out[0]
    assert set(good) == {"id", "score", "grade", "matched", "missed", "flags", "dimensions"}
    assert 0 < good["score"] <= 1 and 0 < good["grade"] <= 5
    assert "message relay" in [m.lower() for m in good["matched"]] and all(isinstance(m, str) for m in good["missed"])
    assert out[1] == {"id": None, "error": "line 2 is not valid JSON (Expecting property name enclosed in double quotes)"}
    assert out[2]["score"] == 0 and out[2]["flags"] == ["empty"]
    assert "no concepts" in out[3]["error"]
    assert out[4]["error"] == "line 6 is not a JSON object"
    assert out[5]["error"] == "line 7 has no 'reference' (or 'references', or 'question_id')"
    assert out[6]["error"] == "line 8: 'answer' must be a string"
    assert out[7]["score"] > 0


def test_batch_lines_may_name_a_bank_question_or_several_references(grader, bank):
    answer = "a relay polls the outbox table and publishes each event to kafka, so the event is never lost"
    lines = [
        line(id="bank", question_id="000-open-185", answer=answer),
        line(id="best", references=["Cats are mammals that purr.", REFERENCE], answer=answer),
        line(id="one", reference="Cats are mammals that purr.", answer=answer),
        line(id="nope", question_id="no-such-question", answer=answer),
    ]
    out = {o["id"]: o for o in grade_batch(lines, grader, bank.get)}
    assert out["bank"]["score"] == grader.grade(answer, question=bank.get("000-open-185")).score
    assert "message relay" in out["bank"]["matched"]
    assert out["best"]["score"] > out["one"]["score"]  # the reference it answers counts, not the other
    assert "no question with id 'no-such-question'" in out["nope"]["error"]


def test_batch_reads_bytes_and_a_file_object(grader, tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text(
        "\n".join(line(id=i, reference=REFERENCE, answer=a) for i, a in enumerate(["relay", "kafka", "um"])) + "\n",
        encoding="utf-8",
    )
    with path.open(encoding="utf-8") as fh:
        out = list(grade_batch(fh, grader))
    assert [o["id"] for o in out] == [0, 1, 2]
    assert list(grade_batch([path.read_bytes().splitlines()[0]], grader))[0]["id"] == 0
