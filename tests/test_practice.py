"""Practice that remembers: the rating rules, reviews from real engine sessions, the store's review log,
review rounds, and one learner driven through 30 simulated days of sessions through the engine and the store."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from test_store import db_url, store  # noqa: F401 (fixtures: SQLite and PostgreSQL)

from interviewer.dialogue import Config, Interviewer, State
from interviewer.dialogue.review import DueConcept, plan_review
from interviewer.practice import (LoggedReview, Mastery, Outcome, Practice, advance, cards_of, practice_rules, replay,
                                  rescheduled, reviews_between)
from interviewer.practice.rules import parse
from interviewer.practice.schedule import is_due
from interviewer.store import SCHEMA_VERSION, Store, schema

DAY = timedelta(days=1)
START = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


class Clock:
    """Seconds that move only when told (the engine's injected clock)."""

    def __init__(self, at: datetime = START) -> None:
        self.now = at.timestamp()

    def __call__(self) -> float:
        return self.now

    def at(self) -> datetime:
        return datetime.fromtimestamp(self.now, timezone.utc)


# ---------------------------------------------------------------------- the rating rules, one row each

RULE_ROWS = [
    # (rule, what the answer did, rating)
    ("conceded", Outcome(covered=False, conceded=True), "again"),
    ("retry-unchanged", Outcome(covered=True, explained=True, attempt=2, before="explained"), "none"),
    ("missed", Outcome(covered=False), "again"),
    ("named-only", Outcome(covered=True, explained=False), "hard"),
    ("retry-covered", Outcome(covered=True, explained=True, attempt=2, before="missed"), "hard"),
    ("explained-first-try", Outcome(covered=True, explained=True), "easy"),
    ("explained", Outcome(covered=True, explained=True, hints=1), "good"),
]


@pytest.mark.parametrize("rule, outcome, rating", RULE_ROWS, ids=[r[0] for r in RULE_ROWS])
def test_each_rule_rates_what_the_answer_did(rule, outcome, rating):
    decision = practice_rules().rate(outcome)
    assert (decision.rule, decision.name, decision.cap) == (rule, rating, None)


def test_every_shipped_rule_and_cap_has_a_test_row():
    rules = practice_rules()
    assert [r.name for r in rules.rules] == [row[0] for row in RULE_ROWS]
    assert {c.name for c in rules.caps} == {row[0] for row in CAP_ROWS}


CAP_ROWS = [
    # (cap, how help revealed the concept, the rating it would have had, the rating it gets)
    ("hinted-question", ("1",), Outcome(covered=True, explained=True, hints=1), "good"),
    ("hinted-blank", ("2",), Outcome(covered=True, explained=True, hints=2), "hard"),
    ("hinted-sentence", ("3",), Outcome(covered=True, explained=True, hints=3), "hard"),
    ("looked-up", ("lookup",), Outcome(covered=True, explained=True), "hard"),
    ("named-by-review", ("review",), Outcome(covered=True, explained=True), "good"),
]


@pytest.mark.parametrize("cap, revealed, outcome, rating", CAP_ROWS, ids=[r[0] for r in CAP_ROWS])
def test_help_that_revealed_a_concept_lowers_its_rating(cap, revealed, outcome, rating):
    decision = practice_rules().rate(replace(outcome, revealed=revealed))
    assert decision.name == rating
    assert decision.cap == (cap if decision.rating < practice_rules().rate(outcome).rating else None)


def test_a_look_up_stops_a_first_try_from_being_easy():
    plain = practice_rules().rate(Outcome(covered=True, explained=True))
    helped = practice_rules().rate(Outcome(covered=True, explained=True, revealed=("lookup",)))
    assert (plain.name, helped.name, helped.rule, helped.cap) == ("easy", "hard", "explained", "looked-up")


def test_a_missed_concept_stays_again_whatever_help_was_taken():
    assert practice_rules().rate(Outcome(covered=False, revealed=("3", "lookup"))).name == "again"


@pytest.mark.parametrize("table, message", [
    ({"rule": [{"name": "x", "when": "sometimes", "rating": "good"}]}, "`when` must be one of"),
    ({"rule": [{"name": "x", "when": "explained", "rating": "great"}]}, "rating 'great' is not one of"),
    ({"rule": [{"name": "x", "when": "missed", "rating": "again"}]}, "must be the fallback"),
    ({"rule": [{"name": "x", "when": "explained", "rating": "good"}],
      "cap": [{"name": "c", "revealed": "9", "rating": "hard"}]}, "`revealed` must be one of"),
])
def test_a_bad_rule_table_is_refused_with_its_row_named(table, message):
    with pytest.raises(ValueError, match=message):
        parse(table)


# ---------------------------------------------------------------------- reviews from real sessions


@pytest.fixture
def engine(bank, search_index, grader):
    return Interviewer(bank, search_index, grader, clock=Clock())


def open_question(engine, question_id: str, **config) -> State:
    state, _ = engine.start(Config(topic="surprise", count=3, **config))
    return state.evolve(current=question_id, asked=(question_id,), number=1, phase="asking")


def answer_explaining(q, concept_ids) -> str:
    return " ".join(c.evidence for c in q.concepts if c.id in concept_ids)


def step(engine, state, text, bank):
    after, replies = engine.handle(state, text)
    return after, replies, reviews_between(state, after, bank)


def test_an_answer_reviews_every_concept_of_its_question(engine, bank):
    q = bank.get("002-concept-fencing")
    state = open_question(engine, q.id)
    state, replies, reviews = step(engine, state, answer_explaining(q, {"cas", "fencing-tokens", "race-condition"}), bank)
    card = state.result_for(q.id).card
    assert {r.concept_id for r in reviews} == {c.id for c in q.concepts}
    by_id = {r.concept_id: r for r in reviews}
    for m in card.missed:
        assert (by_id[m.concept_id].rule, by_id[m.concept_id].rating) == ("missed", 1)
    for m in card.matched:
        assert by_id[m.concept_id].rule == ("explained-first-try" if m.explained else "named-only")
    assert all(r.source == "answer" and r.question_id == q.id for r in reviews)


def test_i_dont_know_is_again_for_every_concept(engine, bank):
    q = bank.get("002-concept-fencing")
    state, _, reviews = step(engine, open_question(engine, q.id), "I don't know", bank)
    assert {(r.rule, r.rating) for r in reviews} == {("conceded", 1)}
    assert len(reviews) == len(q.concepts)


def test_a_hint_and_a_look_up_lower_the_rating_of_what_they_revealed(engine, bank):
    q = bank.get("002-concept-fencing")
    state = open_question(engine, q.id)
    state, hint, _ = step(engine, state, "/hint", bank)
    hinted = next(c.id for c in q.concepts if c.label == hint[0].data["concept"])
    state, _, none = step(engine, state, "/lookup lease", bank)
    assert none == [] and "lease@lookup" in state.revealed
    everything = {c.id for c in q.concepts}
    state, _, reviews = step(engine, state, answer_explaining(q, everything), bank)
    by_id = {r.concept_id: r for r in reviews}
    card = state.result_for(q.id).card
    explained = {m.concept_id for m in card.matched if m.explained}
    assert "lease" in explained and by_id["lease"].cap == "looked-up" and by_id["lease"].rating == 2
    if hinted in explained:  # a hint step 1 caps at Good: and a hint taken means no first-try Easy anyway
        assert by_id[hinted].rating <= 3
    assert all(r.rating <= 3 for r in reviews)  # a hint was taken on the question: nothing is Easy


def test_a_follow_up_reviews_the_concept_it_asked_about(engine, bank):
    q = bank.get("002-concept-fencing")
    state = open_question(engine, q.id)
    state, _, _ = step(engine, state, answer_explaining(q, {"cas", "fencing-tokens", "race-condition"}), bank)
    assert state.phase == "followup"
    fu = state.result_for(q.id).follow_up
    concept = next(c for c in q.concepts if c.id == fu.concept_id)
    state, _, reviews = step(engine, state, concept.evidence, bank)
    assert [(r.concept_id, r.source) for r in reviews] == [(fu.concept_id, "follow_up")]
    assert reviews[0].rule in ("explained", "named-only") and reviews[0].rating in (2, 3)


def test_a_retry_reviews_only_what_changed_and_its_feedback_says_what(engine, bank):
    q = bank.get("002-concept-fencing")
    state = open_question(engine, q.id)
    state, _, _ = step(engine, state, answer_explaining(q, {"cas", "race-condition"}) + " We also keep a lease.", bank)
    state, _, _ = step(engine, state, "next", bank) if state.phase == "followup" else (state, [], [])
    first = state.result_for(q.id).card
    state, _, _ = step(engine, state, "/retry", bank)
    state, replies, reviews = step(engine, state, answer_explaining(q, {"cas", "fencing-tokens"}), bank)
    feedback = next(r for r in replies if r.kind == "feedback")
    second = state.result_for(q.id).card
    before = {m.concept_id for m in first.matched}
    after = {m.concept_id for m in second.matched}
    labels = {c.id: c.label for c in q.concepts}
    diff = feedback.data["difference"]
    assert set(diff["newly_covered"]) == {labels[c] for c in after - before}
    assert set(diff["dropped"]) == {labels[c] for c in before - after}
    assert diff["newly_covered"] and "since last time — newly covered: " in feedback.text
    changed = (after - before) | (before - after)
    assert {r.concept_id for r in reviews} <= changed | {m.concept_id for m in second.matched}
    assert all(r.rule in ("retry-covered", "missed", "named-only") for r in reviews)


def test_a_new_interview_reviews_nothing_of_the_old_one(engine, bank):
    q = bank.get("002-concept-fencing")
    state = open_question(engine, q.id)
    state, _, _ = step(engine, state, answer_explaining(q, {"cas"}) + " and so on and so forth, that's it", bank)
    _, _, reviews = step(engine, state, "/new", bank)
    assert reviews == []


# ---------------------------------------------------------------------- the scheduler and the log


def test_the_log_replays_to_the_same_cards_and_fsrs_agrees():
    log = [LoggedReview("quorum", 1, START), LoggedReview("quorum", 3, START + 2 * DAY),
           LoggedReview("lease", 4, START), LoggedReview("quorum", 3, START + 5 * DAY)]
    cards = replay(log)
    assert cards["quorum"].reviews == 3 and cards["quorum"].lapses == 0 and cards["lease"].last_grade == "easy"
    fsrs_card = rescheduled("quorum", log)
    assert (fsrs_card.due, round(fsrs_card.stability, 6), round(fsrs_card.difficulty, 6)) == (
        cards["quorum"].due, round(cards["quorum"].stability, 6), round(cards["quorum"].difficulty, 6))


def test_a_concept_explained_after_a_weak_history_is_not_back_the_next_day():
    weak = advance(advance(None, "quorum", 1, START), "quorum", 1, START + timedelta(minutes=5))
    fsrs_alone = rescheduled("quorum", [LoggedReview("quorum", 1, START), LoggedReview("quorum", 1, START + timedelta(minutes=5)),
                                        LoggedReview("quorum", 3, START + DAY)])
    explained = advance(weak, "quorum", 3, START + DAY)
    assert fsrs_alone.due == START + 2 * DAY  # FSRS alone would ask it again the next day…
    assert explained.due == START + 3 * DAY  # …the floor (practice.toml) waits two
    assert round(explained.stability, 6) == round(fsrs_alone.stability, 6)


def test_missed_comes_back_tomorrow_and_explained_later():
    missed = advance(None, "a", 1, START)
    named = advance(None, "b", 2, START)
    good = advance(None, "c", 3, START)
    easy = advance(None, "d", 4, START)
    assert missed.due == START + DAY
    assert missed.due <= named.due < good.due < easy.due


# ---------------------------------------------------------------------- the store


def test_version_2_database_is_migrated_to_learners_and_reviews(db_url):
    with Store.open(db_url) as s:
        old = s.create_session({}, {"phase": "setup"}, [{"kind": "greeting", "text": "Hi"}])
        with s.engine.begin() as conn:  # back to version 2: no learners, no reviews, no mastery
            for table in ("reviews", "mastery", "learners"):
                conn.execute(text(f"DROP TABLE {table}"))
            conn.execute(text("DROP INDEX ix_sessions_learner"))
            conn.execute(text("ALTER TABLE sessions DROP COLUMN learner"))
            conn.execute(schema.schema_version.update().values(version=2))
    with Store.open(db_url) as s:
        assert s.schema_version() == SCHEMA_VERSION == 4
        assert s.session(old.id).learner is None
        ann = s.learner("ann")
        assert s.learner("ann") == ann and s.mastery(ann.id) == [] and s.review_log(ann.id) == []


def test_reviews_are_saved_with_their_turn_and_not_again_by_a_stale_writer(store, engine, bank):
    practice = Practice(bank)
    learner = store.learner("ann")
    q = bank.get("002-concept-fencing")
    state = open_question(engine, q.id)
    record = store.create_session({}, state, [], learner=learner.id, at=START)
    after, replies = engine.handle(state, answer_explaining(q, {"cas", "fencing-tokens"}) + " is what we rely on here")
    replies, write = practice.turn(store, learner.id, state, after, replies, START)
    version = store.record_turn(record.id, "my answer", [r.to_dict() for r in replies], after,
                                version=record.turns, practice=write, at=START)
    log = store.review_log(learner.id)
    assert len(log) == len(q.concepts) and {e.seq for e in log} == {record.turns + 1}
    # A second process answered from the old version: its turn, and its reviews, are refused.
    from interviewer.store import StaleState
    with pytest.raises(StaleState):
        store.record_turn(record.id, "my answer", [r.to_dict() for r in replies], after,
                          version=record.turns, practice=write, at=START)
    assert len(store.review_log(learner.id)) == len(q.concepts) and version == store.session(record.id).turns
    stored = cards_of(store.mastery(learner.id))
    assert stored == replay(LoggedReview(e.concept_id, e.rating, e.reviewed_at) for e in log)


def test_an_export_imports_into_another_learner_and_rebuilds_the_same_cards(store):
    from interviewer.practice.exchange import export_progress, import_progress
    from interviewer.practice.service import advance_row
    from interviewer.store import PracticeWrite, ReviewIn

    ann, bob = store.learner("ann"), store.learner("bob")
    record = store.create_session({}, {"phase": "asking"}, [], learner=ann.id)
    for day, rating in enumerate((1, 3, 3)):
        store.record_turn(record.id, "answer", [], {"phase": "asking"}, at=START + day * 2 * DAY,
                          practice=PracticeWrite(ann.id, [ReviewIn("quorum", rating, "test"),
                                                          ReviewIn("lease", 4 - day % 2, "test")],
                                                 START + day * 2 * DAY, advance_row))
    data = export_progress(store, ann, START + 9 * DAY)
    assert import_progress(store, bob, data) == {"reviews": 6, "sessions": 1}
    assert import_progress(store, bob, data) == {"reviews": 0, "sessions": 1}  # nothing twice
    assert cards_of(store.mastery(bob.id)) == cards_of(store.mastery(ann.id))
    assert [s.id for s in store.learner_sessions(bob.id)] == [record.id]


# ---------------------------------------------------------------------- review rounds


def test_a_review_round_covers_the_most_overdue_concepts_and_mixes_topics(bank):
    due = [DueConcept("fencing-tokens", "fencing token", START - 3 * DAY, START - 4 * DAY, 1),
           DueConcept("cache-stampede", "cache stampede", START - 2 * DAY, START - 3 * DAY, 3),
           DueConcept("lease", "lease", START - DAY, START - 2 * DAY, 2)]
    plan = plan_review(due, bank, START, limit=3, seed=1)
    first = bank.get(plan.picks[0].question_id)
    assert "fencing-tokens" in {c.id for c in first.concepts}
    assert plan.picks[0].reason.startswith("you missed “fencing token” 4 days ago")
    covered = {c for p in plan.picks for c in p.concepts}
    assert covered == {"fencing-tokens", "cache-stampede", "lease"}
    assert len({bank.get(p.question_id).topic for p in plan.picks}) > 1


def test_a_review_round_greets_with_the_count_and_a_reason_per_question(engine, bank):
    due = [DueConcept("fencing-tokens", "fencing token", START - DAY, START - 3 * DAY, 1)]
    plan = plan_review(due, bank, START, limit=2)
    state, replies = engine.start(Config(round="review", seed=3), review=plan)
    assert replies[0].kind == "greeting"
    assert replies[0].text.startswith("Review: 1 concept is due.")
    assert "you missed “fencing token” 3 days ago" in replies[0].text
    assert replies[0].data["review"]["questions"][0]["concepts"] == ["fencing-tokens"]
    assert replies[1].kind == "question" and state.current == plan.picks[0].question_id
    assert state.focus == ("fencing-tokens",) and state.config.count == len(plan.picks)


def test_a_review_round_with_nothing_to_review_is_an_interview(engine):
    state, replies = engine.start(Config(round="review", seed=3), review=None)
    assert replies[0].kind == "notice" and "nothing to review yet" in replies[0].text
    assert state.config.round == "interview" and state.phase == "asking"


def test_a_review_follow_up_probes_the_due_concept_the_answer_missed(engine, bank):
    q = bank.get("002-concept-fencing")
    due = [DueConcept("lease", "lease", START - DAY, START - 3 * DAY, 1)]
    plan = plan_review(due, bank, START, limit=1)
    state, _ = engine.start(Config(round="review", seed=3), review=replace(plan, picks=(replace(plan.picks[0], question_id=q.id),)))
    state, _ = engine.handle(state, answer_explaining(q, {"cas", "fencing-tokens", "race-condition"}))
    fu = state.result_for(q.id).follow_up
    assert state.phase == "followup" and fu.concept_id == "lease"


# ---------------------------------------------------------------------- thirty days


class Learner:
    """A simulated candidate: explains the concepts it knows (in the notes' words), and learns a concept
    once the interviewer has shown it missed it twice."""

    def __init__(self, bank):
        self.bank = bank
        concepts = {c.id: c for q in bank for c in q.concepts}
        ranked = sorted(concepts, key=lambda cid: cid)
        self.known = set(ranked[::2])
        self.misses: dict[str, int] = {}

    def reply(self, state: State) -> str:
        if state.phase in ("asking", "answering") and state.draft:
            return "done"
        if state.phase in ("asking",):
            q = self.bank.get(state.current)
            said = answer_explaining(q, self.known)
            if q.options and q.answer_option:
                said = f"{q.answer_option}. {said}"
            return said if len(said.split()) >= 8 else "I don't know"
        if state.phase == "followup":
            return "next"
        return "no"

    def learn(self, reviews) -> None:
        for r in reviews:
            if r.rating == 1:
                self.misses[r.concept_id] = self.misses.get(r.concept_id, 0) + 1
                if self.misses[r.concept_id] >= 2:
                    self.known.add(r.concept_id)


def run_session(engine, store, practice, learner, who, clock, config, plan):
    state, replies = engine.start(config, review=plan)
    record = store.create_session({}, state, [r.to_dict() for r in replies], learner=who.id, at=clock.at())
    version, given = record.turns, []
    while state.phase != "ended":
        clock.now += 45
        text = learner.reply(state)
        after, replies = engine.handle(state, text)
        replies, write = practice.turn(store, who.id, state, after, replies, clock.at())
        version = store.record_turn(record.id, text, [r.to_dict() for r in replies], after, version=version,
                                    practice=write, at=clock.at())
        given += write.reviews if write else []
        learner.learn(write.reviews if write else [])
        state = after
    return state, replies, given


def test_thirty_days_of_practice_bring_back_what_was_missed(store, bank, search_index, grader, inventory):
    clock = Clock()
    engine = Interviewer(bank, search_index, grader, clock=clock)
    practice = Practice(bank, inventory)
    learner, who = Learner(bank), store.learner("sim")
    plans, sessions, summaries = {}, {}, {}
    for day in range(30):
        clock.now = (START + day * DAY).timestamp()
        now = clock.at()
        if day == 0:
            config, plan = Config(topic="consensus", count=5, seed=11), None
        else:
            plan = practice.review_plan(store, who.id, now, seed=day)
            if plan is None or plan.ahead:
                continue
            config = Config(round="review", seed=day)
        plans[day] = plan
        state, replies, given = run_session(engine, store, practice, learner, who, clock, config, plan)
        sessions[day] = given
        summaries[day] = next(r for r in replies if r.kind == "summary")
        if day == 0:
            day_one = cards_of(store.mastery(who.id))

    log = store.review_log(who.id)
    assert len(sessions) >= 8 and len(log) > 60  # the learner kept coming back

    # The day-1 summary ends with what comes back and when.
    assert "Coming back for review: " in summaries[0].text and summaries[0].data["coming_back"]

    # Missed concepts come back before explained ones: the first review round is made of day-1 misses.
    ratings = {}
    for r in sessions[0]:
        ratings.setdefault(r.concept_id, []).append(r.rating)
    missed = {c for c, rs in ratings.items() if min(rs) == 1}
    weak = {c for c, rs in ratings.items() if min(rs) <= 2}  # missed, or only named
    explained = {c for c, rs in ratings.items() if min(rs) >= 3}
    assert missed and explained
    assert max(day_one[c].due for c in weak) < min(day_one[c].due for c in explained)
    assert set(plans[1].focus) <= weak and set(plans[1].focus) & missed

    # An explained concept's interval grows with each good review on a later day: its stability always,
    # its interval too once it was due (one asked early, beside a due concept, keeps at least its interval;
    # one still at the two-day floor after a weak history may stay there).
    grew = 0
    history: dict[str, Mastery] = {}
    for e in log:
        prev = history.get(e.concept_id)
        now_card = advance(prev, e.concept_id, e.rating, e.reviewed_at)
        if prev is not None and prev.last_rating >= 3 and e.rating >= 3 and e.reviewed_at - prev.last_review >= DAY:
            assert now_card.stability > prev.stability, e
            assert now_card.interval_days() >= prev.interval_days(), e
            floor = practice_rules().scheduler["min_days_after_recall"]
            if e.reviewed_at >= prev.due and now_card.interval_days() > floor:
                assert now_card.interval_days() > prev.interval_days(), e  # past the floor, FSRS's own growth
                grew += 1
        history[e.concept_id] = now_card
    assert grew >= 3

    # A concept answered well in a review round is not asked again the next day.
    for day, given in sessions.items():
        if day == 0 or day + 1 not in plans:
            continue
        last: dict[str, int] = {}
        for r in given:
            last[r.concept_id] = min(last.get(r.concept_id, 4), r.rating)
        well = {c for c, rating in last.items() if rating >= 3}
        assert not well & set(plans[day + 1].focus), day

    # The review log replays to the same schedule, and fsrs's own rescheduling agrees.
    stored = cards_of(store.mastery(who.id))
    assert replay(LoggedReview(e.concept_id, e.rating, e.reviewed_at) for e in log) == stored
    entries = [LoggedReview(e.concept_id, e.rating, e.reviewed_at) for e in log]
    for concept_id in list(stored)[:25]:
        card = rescheduled(concept_id, entries)
        assert (round(card.stability, 6), round(card.difficulty, 6)) == (
            round(stored[concept_id].stability, 6), round(stored[concept_id].difficulty, 6))
        assert card.due <= stored[concept_id].due
    assert not any(is_due(m, START + 29 * DAY - DAY) for m in stored.values() if m.last_rating >= 3
                   and m.last_review >= START + 28 * DAY)
