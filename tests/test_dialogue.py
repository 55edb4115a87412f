"""The interview engine: the transition table, and whole scripted sessions on the real bank."""

from __future__ import annotations

import json
import random
from collections import deque

import pytest

from interviewer.dialogue import ACTION_PHASES, PHASES, REPLY_KINDS, TRANSITIONS, Config, Interviewer, State, action_for
from interviewer.dialogue.machine import MAX_DRAFT_BYTES, MAX_MESSAGE_BYTES

from answers import OUTBOX_ANSWER, PERSISTENCE, PUB_SUB_ANSWER

INTENTS = sorted({i for _, i, _ in TRANSITIONS if i != "*"} | {"answer", "unsure", "empty", "noise"})



class Clock:
    """A clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(bank, search_index, grader):
    return Interviewer(bank, search_index, grader, clock=Clock())


def run(engine: Interviewer, state: State, *messages: str) -> tuple[State, list[list]]:
    """Send messages one by one; return the last state and the replies of each step."""
    steps = []
    for m in messages:
        state, replies = engine.handle(state, m)
        assert replies or state.config.answer_mode == "lines"
        assert all(r.kind in REPLY_KINDS for r in replies)
        json.dumps([r.to_dict() for r in replies])  # every reply is plain JSON
        steps.append(replies)
    return state, steps


def kinds(replies) -> list[str]:
    return [r.kind for r in replies]


def ask(engine: Interviewer, question_id: str, **config) -> State:
    """Return a state in which one chosen question is open."""
    state, _ = engine.start(Config(**{"topic": "surprise", "count": 3, **config}))
    return state.evolve(current=question_id, asked=(question_id,), number=1, phase="asking")


# --------------------------------------------------------------------------- the table


def test_every_phase_is_reachable_from_setup():
    seen, todo = {"setup"}, deque(["setup"])
    while todo:
        phase = todo.popleft()
        for intent in INTENTS:
            for nxt in ACTION_PHASES[action_for(phase, intent)]:
                nxt = phase if nxt == "*" else nxt
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
    assert seen == set(PHASES)


@pytest.mark.parametrize("phase", PHASES)
def test_every_phase_has_a_way_out(phase):
    exits = {nxt for intent in INTENTS for nxt in ACTION_PHASES[action_for(phase, intent)]} - {"*", phase}
    assert exits, f"{phase} is a dead end"
    assert action_for(phase, "end") == "finish" or phase == "ended"


def test_every_action_in_the_table_declares_its_phases():
    # Every action the table names declares its phases, and no declared action is unreachable.
    actions = {a for _, _, a in TRANSITIONS}
    assert actions == set(ACTION_PHASES)
    assert TRANSITIONS[-1] == ("*", "*", "not_now")  # the explicit fallback comes last


# --------------------------------------------------------------------------- whole sessions


def test_the_issue_transcript(engine):
    state, replies = engine.start(Config(seed=1))
    assert kinds(replies) == ["greeting"]
    assert "Pick a topic" in replies[0].text and "surprise me" in replies[0].text

    state, steps = run(engine, state, "lets do messaging, medium")
    assert kinds(steps[0]) == ["notice", "question"]
    assert state.config.topic == "messaging" and state.config.difficulty == "medium"
    question = steps[0][1]
    assert question.text.startswith("Question 1 of 5 — ")
    assert question.data["question"]["topic"] == "messaging"

    state, steps = run(engine, state, "hmm what's a retry storm exactly?")
    [lookup] = steps[0]
    assert lookup.kind == "lookup" and state.phase == "asking"
    assert "Retry Storm" in lookup.text and "line" in lookup.text
    assert lookup.text.endswith("Back to the question whenever you're ready.")
    assert all({"doc", "heading", "line", "snippet"} <= set(h) for h in lookup.data["hits"])
    # The passage only names the storm; the section after it, which explains it, is quoted too.
    assert 'This dangerous phenomenon is known as a "retry storm"' in lookup.text
    assert "“The Problem with Simple Retries”" in lookup.text
    assert "multiple client instances will likely experience failures at the same time" in lookup.text

    state, steps = run(engine, state, "ok so um I'd add exponential backoff with jitter and a circuit breaker, "
                                      "and I'd make every consumer idempotent with a deduplication table")
    feedback = steps[0][0]
    assert feedback.kind == "feedback"
    assert {"score", "grade", "matched", "missed", "delivery", "flags", "follow_up"} <= set(feedback.data)
    assert feedback.data["delivery"]["fillers"] >= 1

    state, steps = run(engine, state, "/score", "/end")
    assert kinds(steps[0]) == ["notice"] and "So far: 1 answered" in steps[0][0].text
    assert kinds(steps[1])[-1] == "summary" and state.phase == "ended"
    summary = steps[1][-1]
    assert summary.text.startswith("Session summary:")
    assert summary.data["answered"] == 1 and summary.data["questions"][0]["number"] == 1


def test_a_topic_at_start_skips_set_up(engine):
    state, replies = engine.start(Config(topic="caching", count=2, seed=3))
    assert kinds(replies) == ["greeting", "question"]
    assert state.phase == "asking" and replies[1].data["question"]["topic"] == "caching"


def test_questions_never_repeat_and_mix_kinds(engine, bank):
    state, replies = engine.start(Config(topic="surprise", count=8, seed=5))
    asked = []
    while state.phase != "ended":
        asked.append(state.current)
        state, _ = engine.handle(state, "/skip")
    assert len(asked) == len(set(asked)) == 8
    assert len({bank.get(q).kind for q in asked}) >= 4


def test_multi_part_answer_ends_with_done(engine):
    state = ask(engine, "000-open-185")
    state, steps = run(engine, state, "First, the order", "and the event are written in one local transaction,",
                       "then a relay publishes the outbox rows to Kafka", "done")
    assert kinds(steps[0]) == ["notice"] and "Can you say more?" in steps[0][0].text
    assert kinds(steps[1]) == ["notice"] and "Go on" in steps[1][0].text
    assert kinds(steps[2]) == ["notice"] and "words so far" in steps[2][0].text  # still collecting
    assert state.phase in ("followup", "asking")
    feedback = steps[3][0]
    assert feedback.kind == "feedback"
    assert "relay publishes the outbox rows" in feedback.data["answer"]


def test_a_lookup_during_an_answer_keeps_the_draft(engine):
    state = ask(engine, "000-open-185")
    state, steps = run(engine, state, "I'd write to an outbox table and", "what is change data capture?")
    assert state.phase == "answering" and state.draft == ("I'd write to an outbox table and",)
    assert steps[1][0].kind == "lookup"
    assert any("Change Data Capture" in h["text"] or "CDC" in h["text"] for h in steps[1][0].data["hits"])


@pytest.mark.parametrize("query, passing", [
    ("what is cache stampede?", True),  # one item of a list of caching use cases names it; no section explains it
    ("what's a fencing token", False),
    ("hmm what's a retry storm exactly?", False),
    ("/lookup vector clock", False),
])
def test_a_lookup_says_when_the_notes_only_mention_the_thing_in_passing(engine, query, passing):
    state, steps = run(engine, ask(engine, "000-open-185"), query)
    [reply] = steps[0]
    assert reply.kind == "lookup" and reply.data["in_passing"] is passing
    assert reply.text.startswith("The notes only mention this in passing; the closest is from “" if passing else "From “")


def test_choice_question_by_letter_and_by_text(engine, bank):
    quiz = bank.get("003-choice-3")
    assert quiz.answer_option == "C"
    for said in ("C", "option c", "Write business data + event to DB in ONE transaction. A relay publishes"):
        state, steps = run(engine, ask(engine, quiz.id), said)
        feedback = steps[0][0]
        assert feedback.kind == "feedback", said
        assert feedback.data["score"] > 0.3, said
    state, steps = run(engine, ask(engine, quiz.id), "A", "/end")
    assert steps[0][0].data["score"] < 0.3
    assert "you chose A; the answer is C" in steps[0][0].text
    # The right option is named in the feedback, but it is no concept to study in the summary.
    summary = steps[1][-1].data
    assert summary["weakest_concepts"] and not any(c.startswith("option ") for c in summary["weakest_concepts"])


def test_hints_teach_a_concept_in_three_steps_and_cost_grade_points(engine, bank):
    q = bank.get("000-open-185")  # "What is the Outbox Pattern?"
    state, steps = run(engine, ask(engine, q.id), "/hint", "can i get a hint", "any hints?", "/hint")
    ask_it, blank, say_it, next_one = (step[0] for step in steps)
    assert {r.kind for r in (ask_it, blank, say_it, next_one)} == {"hint"}
    assert [r.data["number"] for r in (ask_it, blank, say_it, next_one)] == [1, 2, 3, 4]
    # All three steps are about one concept, not the one the question names, then the next concept.
    concept = next(c for c in sorted(q.concepts, key=lambda c: -c.weight) if "outbox" not in c.label.lower())
    assert ask_it.data["concept"] == blank.data["concept"] == say_it.data["concept"] == concept.label
    assert next_one.data["concept"] not in (concept.label, "outbox pattern")
    assert [r.data["step"] for r in (ask_it, blank, say_it, next_one)] == [1, 2, 3, 1]
    # First a question, then the notes' sentence with the concept blanked, then the sentence, cited.
    assert ask_it.text.endswith("?")
    gap = blank.text.split("“", 1)[1]
    assert "_" in gap and concept.label.lower() not in gap.lower()
    assert concept.evidence[:40] in say_it.text and f"({q.source.doc}, line " in say_it.text
    # One unit everywhere: each hint costs a quarter of a grade point, and the card says so.
    assert all("−0.25 of a grade point" in r.text and r.data["cost"] == 0.25 for r in (ask_it, blank, say_it))
    assert state.hints == 4
    _, with_hints = run(engine, state, OUTBOX_ANSWER)
    _, without = run(engine, ask(engine, q.id), OUTBOX_ANSWER)
    assert round(without[0][0].data["grade"] - with_hints[0][0].data["grade"], 1) == 1.0
    assert "4 hint(s) used: 0.25 of a grade point off for each" in with_hints[0][0].text
    assert "(−1 grade points)" in with_hints[0][0].text


def test_retry_shows_the_change_in_score(engine):
    state = ask(engine, "000-open-185")
    state, steps = run(engine, state, "you write the event to a table somehow and then send it later on")
    first = steps[0][0].data["score"]
    state, steps = run(engine, state, "/retry", OUTBOX_ANSWER + " or Debezium reads the log with change data capture")
    assert kinds(steps[0]) == ["question"] and "try that one again" in steps[0][0].text
    feedback = steps[1][0]
    assert feedback.data["previous"]["score"] == first
    assert feedback.data["score"] > first
    assert f"was {first:.2f}" in feedback.text
    result = state.result_for("000-open-185")
    assert len(result.attempts) == 2


def test_follow_up_is_scored_and_credited_to_the_same_question(engine):
    state = ask(engine, "000-open-185")
    state, steps = run(engine, state, OUTBOX_ANSWER)
    feedback = steps[0][0]
    if state.phase != "followup":
        pytest.skip("the answer covered everything: no follow-up to test")
    assert feedback.data["follow_up"] and feedback.text.endswith(feedback.data["follow_up"])
    before = state.result_for("000-open-185").grade
    state, steps = run(engine, state, "Change data capture with Debezium tails the write-ahead log instead of polling")
    credit = steps[0][0]
    assert credit.kind == "feedback" and credit.data["follow_up_of"] == "000-open-185"
    assert state.result_for("000-open-185").grade >= before




def test_a_concept_covered_on_the_follow_up_is_not_among_the_weakest(engine):
    state, steps = run(engine, ask(engine, "001-probe-59"), PUB_SUB_ANSWER)
    assert state.phase == "followup" and steps[0][0].data["follow_up"] == "What role do persistence levels play here?"
    state, steps = run(engine, state, PERSISTENCE, "/end")
    [summary] = [r for step in steps for r in step if r.kind == "summary"]
    [row] = summary.data["questions"]
    assert "persistence levels (on the follow-up)" in row["matched"] and "persistence levels" not in row["missed"]
    assert "persistence levels" not in summary.data["weakest_concepts"]
    # Delivery counts everything the candidate said, the follow-up answer too.
    assert summary.data["delivery"]["words"] == len(PUB_SUB_ANSWER.split()) + len(PERSISTENCE.split())


def test_unsure_messages_are_asked_about(engine):
    state = ask(engine, "002-scenario-downstream-resiliency-1")
    state, steps = run(engine, state, "what is a retry storm with exponential backoff")
    assert state.phase == "clarify" and "question for me, or your answer" in steps[0][0].text
    looked, steps_q = run(engine, state, "it's a question")
    assert steps_q[0][0].kind == "lookup" and looked.phase == "asking"
    answered, steps_a = run(engine, state, "my answer")
    assert steps_a[0][0].kind == "feedback"
    assert steps_a[0][0].data["answer"] == "what is a retry storm with exponential backoff"


def test_an_unclear_reply_to_question_or_answer_is_asked_about_again_and_nothing_is_lost(engine):
    # Found by the property test: "um ?0" twice. The second unclear text is asked about in turn;
    # the first one joins the answer.
    state = ask(engine, "002-scenario-downstream-resiliency-1")
    state, _ = run(engine, state, "what is a retry storm with exponential backoff")
    state, steps = run(engine, state, "how does backoff with jitter spread the retries")
    assert state.phase == "clarify" and "question for me, or your answer" in steps[0][-1].text
    state, steps = run(engine, state, "answer", "done")  # both are one answer in parts: "done" ends it
    assert "say “done”" in steps[0][0].text
    [feedback] = [r for r in steps[1] if r.kind == "feedback"]
    assert feedback.data["answer"] == ("what is a retry storm with exponential backoff\n"
                                       "how does backoff with jitter spread the retries")


def test_mock_mode_holds_feedback_until_the_summary(engine):
    state, replies = engine.start(Config(topic="consistency", count=2, mode="mock", seed=2))
    state, steps = run(engine, state, "Quorum reads and writes with R plus W greater than N keep reads fresh "
                                      "even when a replica lags behind the leader", "/score")
    assert "feedback" not in kinds(steps[0])
    assert "Mock mode" in steps[1][0].text
    state, steps = run(engine, state, "/end")
    assert steps[0][-1].kind == "summary" and steps[0][-1].data["answered"] == 1


def test_end_grades_a_half_finished_answer(engine):
    state = ask(engine, "000-open-185")
    state, steps = run(engine, state, "An outbox table, written in the same transaction, and", "/end")
    assert kinds(steps[1]) == ["feedback", "summary"]
    assert steps[1][1].data["answered"] == 1


@pytest.mark.parametrize(
    ("message", "kind", "words"),
    [
        ("", "notice", "Which topic"),
        ("!!!", "notice", "couldn't find any words"),
        ("/hint", "notice", "no question open yet"),
        ("/dance", "error", "don't know the command /dance"),
        ("x" * (MAX_MESSAGE_BYTES + 2000), "error", "the limit is 8,192"),
        (None, "error", "only read text"),
    ],
)
def test_bad_input_in_set_up_gets_a_helpful_reply(engine, message, kind, words):
    state, _ = engine.start(Config())
    state2, replies = engine.handle(state, message)
    assert replies[0].kind == kind and words in replies[0].text
    assert state2.phase == "setup"  # the session goes on


def test_pasted_ten_kilobytes_in_parts_is_collected(engine):
    state = ask(engine, "000-open-185")
    part = "The outbox table is written in the same local transaction as the order. " * 60
    assert len(part.encode()) < MAX_MESSAGE_BYTES
    state, steps = run(engine, state, part + " and", part, "done")
    assert steps[-1][0].kind == "feedback" and steps[-1][0].data["delivery"]["words"] > 1500


@pytest.mark.parametrize("follow_up", [False, True])
def test_an_answer_in_parts_stops_at_its_total_cap_and_hands_the_refused_part_back(engine, follow_up):
    state = ask(engine, "000-open-185")
    if follow_up:
        state = state.evolve(phase="followup")
        from interviewer.dialogue.state import FollowUp, Result
        state = state.with_result(Result("000-open-185", 1, follow_up=FollowUp("Why?", "outbox", "", 0.2)))
    part = "The outbox table is written in the same local transaction as the order, and " * 90
    assert len(part.encode()) < MAX_MESSAGE_BYTES
    taken = MAX_DRAFT_BYTES // len(part.encode())
    state, _ = run(engine, state, *[part] * taken)
    assert len(state.draft) == taken
    over = part + "the relay publishes"
    _, [refusal] = engine.handle(state, over)
    assert refusal.kind == "error" and refusal.data["unsent"] == over and refusal.data["retry"] is True
    assert f"{MAX_DRAFT_BYTES:,}" in refusal.text and "back in the box" in refusal.text
    state2, _ = engine.handle(state, over)
    assert state2.draft == state.draft  # nothing was added, nothing said before was dropped
    state3, [feedback, *_] = engine.handle(state2, "done")
    assert feedback.kind == "feedback" and feedback.data["delivery"]["words"] >= taken * 90 * 14


def test_same_seed_same_transcript(engine, bank, search_index, grader):
    script = ["surprise me, easy, 3 questions", "I would shard by user id with consistent hashing", "/hint",
              "/skip", "what is a quorum?", "/end"]

    def transcript():
        e = Interviewer(bank, search_index, grader, clock=Clock())
        state, replies = e.start(Config(seed=42))
        out = [r.to_dict() for r in replies]
        for m in script:
            state, replies = e.handle(state, m)
            out += [r.to_dict() for r in replies]
        return out

    assert transcript() == transcript()


def test_state_survives_json_between_every_message(engine):
    script = ["lets do transactions", "Sagas with compensating transactions and", "an orchestrator", "done",
              "/hint", "next", "/retry", "I'd use a saga", "done", "/end"]
    plain, _ = engine.start(Config(seed=9))
    saved = plain
    for m in script:
        plain, a = engine.handle(plain, m)
        saved, b = engine.handle(State.from_dict(json.loads(json.dumps(saved.to_dict()))), m)
        assert [r.to_dict() for r in a] == [r.to_dict() for r in b]
    assert plain == saved


def test_probe_feedback_cites_only_passages_about_each_topic(engine, bank, search_index):
    from interviewer.text import analyze

    probe = bank.get("001-probe-1")
    state, steps = run(engine, ask(engine, probe.id), "I'd use the saga pattern with compensating transactions, "
                                                      "events between services and eventual consistency")
    feedback = steps[0][0]
    assert feedback.data["question_kind"] == "probe" and "interviewers expect" in feedback.text
    cited = [m for m in feedback.data["missed"] if m.get("source")]
    assert cited, "the missed topics say where the notes explain them"
    for m in cited:
        assert (m["source"]["doc"], m["source"]["heading"]) != (probe.source.doc, probe.source.heading)
        # The cited sentence is the notes' own, and it talks about the concept.
        said = set(analyze(m["concept"])) & set(analyze(m["reference"]))
        assert 2 * len(said) >= len(set(analyze(m["concept"]))), m


def test_read_next_never_points_at_a_list_of_probe_questions(engine, bank):
    lists = {(q.source.doc, q.source.heading) for q in bank if q.kind == "probe"}
    # "handling subscriber failures" is best found in the very list this probe comes from.
    state, steps = run(engine, ask(engine, "001-probe-59"), "I'd pick the guarantees per topic, with durable topics", "/end")
    [summary] = [r for step in steps for r in step if r.kind == "summary"]
    assert summary.data["read_next"], "the weakest concepts have passages to read"
    assert not {(r["doc"], r["heading"]) for r in summary.data["read_next"]} & lists


def test_read_next_points_at_a_passage_that_explains_each_weak_concept(engine, bank):
    # Only the quiz item's own explanation talks of topic partitioning: the summary says where to read,
    # in the words a person would.
    quiz = bank.get("003-choice-14")
    answer = ("D, a queue deletes a message once it's consumed, while a stream like Kafka keeps it, so many "
              "consumer groups can read it and replay it from an offset")
    state, steps = run(engine, ask(engine, quiz.id), answer, "/end")
    [summary] = [r for step in steps for r in step if r.kind == "summary"]
    assert "topic partitioning" in summary.data["weakest_concepts"]
    assert summary.data["read_next"][0] == {"concept": "topic partitioning", "concept_id": "topic-partitioning",
                                            "doc": quiz.source.doc,
                                            "heading": quiz.source.heading, "line": quiz.source.line}
    assert "Read next: topic partitioning → “14 of 20: What is a message queue vs event stream (RabbitMQ vs Kafka)?” " \
           "(003-distributed-systems-quiz, line 542)" in summary.text


def test_the_summary_names_a_choice_by_its_letter_and_short_answers_in_seconds(engine, bank):
    state, steps = run(engine, ask(engine, "003-choice-14"), "B because queues are faster", "/end")
    [summary] = [r for step in steps for r in step if r.kind == "summary"]
    assert "— missed option D, " in summary.text  # not the option's whole text
    assert "~2 s spoken" in summary.text  # five words take seconds, not "~0.0 min"


def test_a_bank_topic_draws_varied_questions_all_on_it(engine):
    firsts = set()
    for seed in range(12):
        _, replies = engine.start(Config(topic="reliability", count=3, seed=seed))
        question = replies[-1].data["question"]
        assert question["topic"] == "reliability"
        firsts.add(question["id"])
    assert len(firsts) >= 6  # not the same three questions every session


def test_a_session_does_not_ask_the_same_subject_twice(engine):
    """"Explain the bulkhead pattern" right after "What is the bulkhead pattern?" is one question twice."""
    for seed in range(16):
        state, _ = engine.start(Config(topic="reliability", count=5, seed=seed))
        state = state.evolve(asked=("003-choice-18",))  # "What is the bulkhead pattern?"
        question, _ = engine.planner.next_question(state, random.Random(seed))
        assert "bulkhead" not in question.prompt.lower(), (seed, question.prompt)


# --------------------------------------------------------------------------- talks like an interviewer


def test_can_i_try_that_one_again_retries_the_question(engine):
    state, steps = run(engine, ask(engine, "000-open-185"), OUTBOX_ANSWER, "can I try that one again?")
    [again] = steps[1]
    assert again.kind == "question" and "try that one again" in again.text
    assert again.data["question"]["id"] == "000-open-185" and state.retrying


def test_i_dont_know_gets_the_gist_with_a_source_a_zero_and_the_next_question(engine, bank):
    q = bank.get("000-open-185")
    state, steps = run(engine, ask(engine, q.id, count=2), "um, honestly I don't know")
    gist, question = steps[0]
    assert gist.kind == "notice" and gist.text.startswith("No problem — the key idea is")
    assert "Dual Write" in gist.text and f"({q.source.doc}, line {q.source.line})" in gist.text
    assert "say more" not in gist.text.lower() and question.kind == "question"
    result = state.result_for(q.id)
    assert result.grade == 0.0 and result.attempts[0].answer == "um, honestly I don't know"
    assert [f.name for f in result.card.flags] == ["conceded"]
    # Without a lecture: no scorecard is sent, and the summary counts the 0.
    assert all(r.kind != "feedback" for r in steps[0])


def test_i_dont_know_on_a_follow_up_gives_its_concept_and_moves_on(engine):
    state, steps = run(engine, ask(engine, "000-open-185", count=2), OUTBOX_ANSWER)
    assert state.phase == "followup"
    concept = state.result_for("000-open-185").follow_up.concept
    state, steps = run(engine, state, "I have no idea")
    gist, question = steps[0]
    assert gist.text.startswith(f"No problem — here's the key idea. {concept}: “")
    assert "(000-architect-deep-dive, line " in gist.text and question.kind == "question"
    fu = state.result_for("000-open-185").follow_up
    assert fu.scorecard is not None and fu.scorecard.score == 0.0 and not fu.covered


def test_i_dont_know_after_part_of_an_answer_grades_what_was_said(engine):
    state, steps = run(engine, ask(engine, "000-open-185", count=2), "you write to an outbox table and",
                       "honestly I don't know the rest")
    assert [r.kind for r in steps[1]][:1] == ["feedback"]
    assert "outbox" in state.result_for("000-open-185").attempts[0].answer


def test_a_short_last_answer_is_asked_for_more_before_the_summary(engine):
    state, steps = run(engine, ask(engine, "000-open-185", count=1), "um so like you could use a saga")
    assert kinds(steps[0]) == ["feedback", "notice"]
    assert steps[0][1].text.startswith("Anything to add before we wrap up?") and state.phase == "wrapup"
    first = state.result_for("000-open-185").score
    state, steps = run(engine, state, "an outbox table is written in the same local transaction as the order, "
                                      "and a relay polls it and publishes the events to Kafka")
    assert kinds(steps[0]) == ["feedback", "summary"] and state.ended_by == "last"
    # What was added joined the first answer: both are in the attempt, graded again and compared.
    latest = state.result_for("000-open-185").attempts[-1]
    assert "saga" in latest.answer and "outbox table" in latest.answer
    assert steps[0][0].data["previous"]["score"] == first < latest.scorecard.score


def test_no_to_the_wrap_up_shows_the_summary_and_it_is_asked_once(engine):
    state, steps = run(engine, ask(engine, "000-open-185", count=1), "um so like you could use a saga", "no")
    assert kinds(steps[1]) == ["summary"] and state.phase == "ended"
    # Retry works on the last question after the automatic end; the second answer is not asked for more.
    state, steps = run(engine, state, "/retry", "um so like you would use a saga instead")
    assert kinds(steps[0]) == ["question"]
    assert kinds(steps[1]) == ["feedback", "summary"]


def test_retry_after_end_works_until_the_candidate_ends(engine):
    state, _ = run(engine, ask(engine, "000-open-185", count=1), OUTBOX_ANSWER, "next")
    assert state.phase == "ended" and state.ended_by == "last"
    state, steps = run(engine, state, "let me have another go at that")
    assert kinds(steps[0]) == ["question"] and state.phase == "asking"
    state, steps = run(engine, state, "/end", "/retry")
    assert state.ended_by == "user" and kinds(steps[1]) == ["notice"] and "over" in steps[1][0].text


def test_one_more_thing_adds_to_the_last_answer(engine):
    state, steps = run(engine, ask(engine, "000-open-185", count=2), OUTBOX_ANSWER, "wait, one more thing",
                       "and change data capture with Debezium can replace the polling", "done")
    assert steps[1][0].data["adding_to"] == "000-open-185" and state.phase in ("asking", "followup")
    feedback = steps[3][0]
    assert feedback.kind == "feedback" and feedback.data["previous"] is not None
    assert feedback.data["score"] > feedback.data["previous"]["score"]
    assert OUTBOX_ANSWER in state.result_for("000-open-185").attempts[-1].answer


def test_a_thin_topic_says_where_the_other_questions_come_from(engine, bank):
    thin = min(bank.topics(), key=bank.topics().get)
    count = bank.topics()[thin] + 2
    state, replies = engine.start(Config(topic=thin, count=count))
    notice = next(r for r in replies if r.kind == "notice")
    assert notice.text.startswith(f"There are only {bank.topics()[thin]} questions on {thin}; the other 2 will come from ")
    # It is said once, up front; the questions that fill in do not repeat it.
    _, steps = run(engine, state, *["skip"] * count)
    assert not any("out of questions" in r.text for step in steps for r in step)
    asked = [r.data["question"]["topic"] for r in replies + [r for s in steps for r in s] if r.kind == "question"]
    assert sum(t != thin for t in asked) == 2 and set(notice.data["other_topics"]) == {t for t in asked if t != thin}


def test_the_summary_leaves_out_what_the_follow_up_covered_and_points_at_definitions(engine, grader):
    state, steps = run(engine, ask(engine, "000-open-185", count=1), OUTBOX_ANSWER)
    assert state.phase == "followup"
    fu = state.result_for("000-open-185").follow_up
    state, steps = run(engine, state, "The dual write problem: writing to the database and to Kafka separately can "
                                      "leave them inconsistent when one of the two writes fails")
    assert state.result_for("000-open-185").recovered == fu.concept
    [summary] = [r for r in steps[0] if r.kind == "summary"]
    assert fu.concept not in summary.data["weakest_concepts"]
    # Each pointer is the concept's defining passage when the notes define it.
    for pointer in summary.data["read_next"]:
        known = grader.inventory.get(pointer["concept_id"])
        if known is not None and known.defined_at is not None:
            assert (pointer["doc"], pointer["line"]) == (known.defined_at.doc, known.defined_at.line), pointer


# --------------------------------------------------------------------------- the design round

DESIGN_ANSWER = ("First the requirements: users shorten a long URL and get redirected, reads far outnumber writes. "
                 "100M DAU, each makes 10 requests a day, that is about 11.6k QPS, and the peak is 3x so 35k QPS.",
                 "The API is POST /shorten returning a code and GET /{code} redirecting.",
                 "Data model: a table keyed by code with the long URL and created at, in a key value store.",
                 "High level: clients hit a load balancer, stateless app servers, a Redis cache in front of the store.",
                 "If the cache fails we fall back to the database; the trade-off is counters need coordination "
                 "versus random IDs with collisions.")


def test_the_design_round_takes_any_prompt_and_grades_it_on_the_rubric(engine):
    state, greeting = engine.start(Config(round="design", count=2))
    assert "design round" in greeting[0].text.lower() and state.phase == "setup"
    state, steps = run(engine, state, "let's design a URL shortener", *DESIGN_ANSWER, "done")
    [question] = steps[0]
    assert question.kind == "question" and question.data["question"]["prompt"] == "Design a URL shortener"
    # A design answer is said in parts, at the whiteboard: nothing is graded before "done".
    assert all(r.kind == "notice" for step in steps[1:-1] for r in step)
    feedback = steps[-1][0]
    rubric = feedback.data["rubric"]
    assert feedback.data["question_kind"] == "design" and rubric["verdict"] in ("strong", "solid", "borderline", "not yet")
    covered = {p["name"] for p in rubric["phases"] if p["covered"]}
    assert {"api", "data_model", "high_level"} <= covered, covered
    # The arithmetic is recomputed: 100M × 10/day is 11.6k a second, and the answer said so.
    assert any(e["ok"] and "11.6k" in e["text"] for e in rubric["estimates"])
    assert "design rubric:" in feedback.text and "not a hiring decision" in feedback.text
    assert feedback.data["grade"] == round(5 * rubric["score"], 1)  # no notes on URL shorteners: the rubric alone
    assert steps[-1][1].text.startswith("What would you like to design next?") and state.phase == "setup"


def test_a_design_prompt_the_notes_cover_is_also_graded_on_their_concepts(engine):
    state, _ = engine.start(Config(round="design", count=1))
    state, steps = run(engine, state, "/design a rate limiter")
    [question] = steps[0]
    assert "The notes cover it" in question.text
    q = engine._question(state, state.current)
    assert q.reference and q.concepts, "the notes' passages about rate limiting are its reference"
    state, steps = run(engine, state, "I'd use a token bucket per user in Redis: each request takes a token and "
                                      "tokens refill at a fixed rate, so bursts are allowed up to the bucket size.",
                       "done")
    feedback = steps[-1][0]
    assert feedback.data["matched"] and "rubric" in feedback.data
    # The question is kept with the interview: a saved and reloaded state still knows it.
    again = State.from_dict(json.loads(json.dumps(state.to_dict())))
    assert engine._question(again, q.id).prompt == "Design a rate limiter"
    state, steps = run(engine, state, "/end")
    summary = steps[-1][-1]
    assert summary.kind == "summary" and "Design a rate limiter" in summary.data["questions"][0]["prompt"]


def test_open_and_scenario_feedback_carries_the_rubric(engine, bank):
    scenario = next(q for q in bank if q.kind == "scenario")
    state, steps = run(engine, ask(engine, scenario.id), "First I'd clarify the requirements and the scale: "
                       "about 10k requests per second at peak. Then a load balancer in front of stateless services, "
                       "a cache, and a replicated database; if a node fails traffic moves to the others.")
    feedback = steps[0][0]
    assert feedback.data["rubric"]["phases"] and "design rubric:" in feedback.text
    assert state.result_for(scenario.id).attempts[-1].rubric == feedback.data["rubric"]


def test_a_look_up_during_a_design_question_answers_and_the_question_stays_open(engine):
    state, _ = engine.start(Config(round="design", count=1))
    state, steps = run(engine, state, "/design a rate limiter", "what is a token bucket?")
    [found] = steps[1]
    assert found.kind == "lookup" and "Back to the question" in found.text
    assert state.phase == "asking" and state.current.startswith("design-")
