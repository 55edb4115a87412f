"""The interview state machine: a transition table read top to bottom, and one handler per action.

`Interviewer.handle(state, text) -> (state, replies)` is pure apart from the injected bank, search
index, grader, clock and seed: the same messages give the same transcript.
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Protocol

from interviewer.dialogue import hints as teach
from interviewer.dialogue.design import (BankView, as_record, brief, design_question, grade_design, is_design,
                                         rubric_of)
from interviewer.dialogue import replies as say
from interviewer.dialogue.intents import Intent, classify, continues, normalise_utterance
from interviewer.dialogue.lookup import lookup_reply
from interviewer.dialogue.planner import Planner
from interviewer.dialogue.replies import Reply
from interviewer.dialogue.review import NOTHING_TO_REVIEW, ReviewPlan, review_greeting
from interviewer.dialogue.setup import SetupChoice, parse_setup
from interviewer.dialogue.state import MAX_COUNT, ROUNDS, Attempt, Config, FollowUp, Result, State
from interviewer.dialogue.summary import progress_reply, summary_reply
from interviewer.errors import GradingError, InputError
from interviewer.grading import follow_up_for
from interviewer.grading.render import difference, format_scorecard
from interviewer.rubric import Rubric, format_rubric, rubric_for
from interviewer.records import Concept, Place, Question, Scorecard
from interviewer.text import analyze, memo

# Messages longer than this are refused with a clear notice (the chat contract's 8 KB limit).
MAX_MESSAGE_BYTES = 8 * 1024
# An answer said in several messages (the draft) holds at most this much in all: about 5,000 words,
# over half an hour of speech. Past it a part is refused (and handed back), so one client cannot make
# a turn's grading, or the state saved with every turn, grow without bound.
MAX_DRAFT_BYTES = 32 * 1024
# An answer shorter than this many words is taken as the start of a longer one ("Go on…").
MIN_ANSWER_WORDS = 8
# Below this score (or off topic) a follow-up probe makes no sense: the interviewer moves on.
FOLLOW_UP_MIN_SCORE = 0.15
# A last answer scoring below this (and with no follow-up to ask) gets one "Anything to add before we
# wrap up?" before the summary: an interviewer gives a short answer a second chance.
WRAP_UP_BELOW = 0.5
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")

# --------------------------------------------------------------------------- the table
# (phase, intent, action): the first row whose phase and intent fit the message wins.
# "*" fits any phase or intent. `lookup`, `help`, `score`, `end` work everywhere.
TRANSITIONS: tuple[tuple[str, str, str], ...] = (
    ("*",          "lookup",          "look_up"),
    ("*",          "help",            "help"),
    ("*",          "noise",           "noise"),
    ("*",          "unknown_command", "unknown_command"),
    ("*",          "restart",         "restart"),
    ("*",          "end",             "finish"),
    ("*",          "score",           "score"),
    ("ended",      "retry",           "retry"),
    ("ended",      "*",               "after_end"),
    ("clarify",    "*",               "resolve"),
    ("*",          "design",          "design"),
    ("setup",      "design_prompt",   "design"),
    ("followup",   "design_prompt",   "take_follow_up"),
    ("wrapup",     "design_prompt",   "take_addition"),
    ("*",          "design_prompt",   "take_answer"),
    ("setup",      "dont_know",       "configure"),
    ("setup",      "answer",          "configure"),
    ("setup",      "unsure",          "configure"),
    ("setup",      "next",            "configure"),
    ("setup",      "affirm",          "configure"),
    ("setup",      "done",            "configure"),
    ("setup",      "empty",           "prompt_setup"),
    ("asking",     "answer",          "take_answer"),
    ("answering",  "answer",          "take_answer"),
    ("asking",     "unsure",          "clarify"),
    ("answering",  "unsure",          "clarify"),
    ("followup",   "unsure",          "clarify"),
    ("asking",     "empty",           "nudge"),
    ("asking",     "done",            "nudge"),
    ("answering",  "empty",           "submit"),
    ("answering",  "done",            "submit"),
    ("answering",  "next",            "submit"),
    ("asking",     "next",            "skip"),
    ("asking",     "skip",            "skip"),
    ("answering",  "skip",            "skip"),
    ("asking",     "dont_know",       "concede"),
    ("answering",  "dont_know",       "concede"),
    ("followup",   "dont_know",       "concede"),
    ("answering",  "add_more",        "keep_listening"),
    ("asking",     "add_more",        "add_more"),
    ("followup",   "add_more",        "add_more"),
    ("wrapup",     "answer",          "take_addition"),
    ("wrapup",     "unsure",          "clarify"),
    ("wrapup",     "add_more",        "invite_more"),
    ("wrapup",     "affirm",          "invite_more"),
    ("wrapup",     "dont_know",       "wrap_up"),
    ("wrapup",     "deny",            "wrap_up"),
    ("wrapup",     "done",            "wrap_up"),
    ("wrapup",     "empty",           "wrap_up"),
    ("wrapup",     "next",            "wrap_up"),
    ("wrapup",     "skip",            "wrap_up"),
    ("wrapup",     "repeat",          "repeat"),
    ("followup",   "answer",          "take_follow_up"),
    ("followup",   "done",            "close_follow_up"),
    ("followup",   "empty",           "close_follow_up"),
    ("followup",   "next",            "close_follow_up"),
    ("followup",   "skip",            "close_follow_up"),
    ("asking",     "hint",            "hint"),
    ("answering",  "hint",            "hint"),
    ("followup",   "hint",            "hint"),
    ("asking",     "repeat",          "repeat"),
    ("answering",  "repeat",          "repeat"),
    ("followup",   "repeat",          "repeat"),
    ("*",          "retry",           "retry"),
    ("*",          "smalltalk",       "small_talk"),
    ("*",          "affirm",          "small_talk"),
    ("*",          "deny",            "small_talk"),
    ("*",          "*",               "not_now"),
)

# The phases each action may leave the interview in (checked on every step, and by the tests
# that every phase is reachable and has a way out).
ACTION_PHASES: dict[str, frozenset[str]] = {
    "look_up": frozenset({"*"}),
    "help": frozenset({"*"}),
    "noise": frozenset({"*"}),
    "unknown_command": frozenset({"*"}),
    "restart": frozenset({"setup"}),
    "finish": frozenset({"ended"}),
    "score": frozenset({"*"}),
    "after_end": frozenset({"ended"}),
    "design": frozenset({"asking", "setup"}),
    # A reply to "question or answer?" that is itself unclear asks again (the first text joins the answer).
    "resolve": frozenset({"asking", "answering", "followup", "wrapup", "ended", "setup", "clarify"}),
    "configure": frozenset({"setup", "asking"}),
    "prompt_setup": frozenset({"setup"}),
    "take_answer": frozenset({"asking", "answering", "followup", "wrapup", "ended", "setup"}),
    "clarify": frozenset({"clarify"}),
    "nudge": frozenset({"asking"}),
    "submit": frozenset({"asking", "followup", "wrapup", "ended", "setup"}),
    "skip": frozenset({"asking", "ended", "setup"}),
    "concede": frozenset({"asking", "followup", "wrapup", "ended", "setup"}),
    "keep_listening": frozenset({"answering"}),
    "add_more": frozenset({"answering", "asking", "followup", "wrapup"}),
    "invite_more": frozenset({"wrapup"}),
    "take_addition": frozenset({"wrapup", "ended"}),
    "wrap_up": frozenset({"ended"}),
    "take_follow_up": frozenset({"followup", "asking", "ended", "setup"}),
    "close_follow_up": frozenset({"asking", "ended", "followup", "setup"}),
    "hint": frozenset({"*"}),
    "repeat": frozenset({"*"}),
    "retry": frozenset({"*", "asking"}),
    "small_talk": frozenset({"*"}),
    "not_now": frozenset({"*"}),
}


def action_for(phase: str, intent: str) -> str:
    """Return the action the transition table gives a message of this intent in this phase."""
    for row_phase, row_intent, action in TRANSITIONS:
        if row_phase in ("*", phase) and row_intent in ("*", intent):
            return action
    raise LookupError(f"no transition for {phase}/{intent}")  # the table ends with a catch-all


# --------------------------------------------------------------------------- dependencies


class BankLike(Protocol):
    def __iter__(self) -> Iterator[Question]: ...
    def get(self, question_id: str) -> Question: ...
    def select(self, topic: str | None = None, kind: str | None = None, difficulty: str | None = None,
               exclude: Iterable[str] = ()) -> list[Question]: ...
    def topics(self) -> dict[str, int]: ...


class SearchLike(Protocol):
    def search(self, query: str, top: int = 5) -> Any: ...
    def document_frequency(self, term: str) -> int: ...


class GraderLike(Protocol):
    def grade(self, answer: str, *, question: Question | None = None, reference: str | None = None,
              question_text: str | None = None, hints_used: int = 0) -> Scorecard: ...
    def grade_follow_up(self, answer: str, concept: Concept, prompt: str) -> Scorecard: ...
    def delivery(self, answer: str) -> Any: ...
    def concede(self, answer: str, *, question: Question | None = None, concept: Concept | None = None
                ) -> Scorecard: ...


@dataclass
class _Step:
    """What a handler returns: the new state and the replies to send, in order."""

    state: State
    replies: list[Reply]


class Interviewer:
    """Runs interviews: `start` opens one, `handle` answers each message."""

    def __init__(self, bank: BankLike, search: SearchLike, grader: GraderLike, *,
                 clock: Callable[[], float] = time.time, hint_cost: float | None = None):
        """Wire the engine to its bank, search index and grader; `clock` gives seconds (injected for tests)."""
        self.bank = bank
        self.search = search
        self.grader = grader
        self.clock = clock
        self.planner = Planner(bank)
        # The grader takes the per-hint penalty off the score; the engine names it in grade points.
        penalty = getattr(grader, "settings", {}).get("hint_penalty", 0.05)
        self.hint_cost = hint_cost if hint_cost is not None else round(5 * float(penalty), 2)
        self._handlers: dict[str, Callable[[State, Intent], _Step]] = {
            action: getattr(self, f"_do_{action}") for action in ACTION_PHASES
        }

    # ------------------------------------------------------------------ entry points

    def start(self, config: Config | None = None, *, review: ReviewPlan | None = None) -> tuple[State, list[Reply]]:
        """Open an interview; with a topic chosen the first question follows the greeting at once.

        A review round (`config.round == "review"`) asks the questions of `review`, the plan the edge made
        from the learner's due concepts (dialogue/review.py); with no plan, or an empty one, it is an interview.
        """
        config = _clamp(config or Config())
        if config.round == "review":
            return self._start_review(config, review)
        state = State(config=config, started_at=self.clock())
        topics = ", ".join(list(self.bank.topics())[:8])
        if config.round == "design":
            return state, [Reply("greeting", "Hi! This is a design round: type any system to design — "
                                 "“design a URL shortener” — and answer as you would at the whiteboard. I'll grade "
                                 "how you drive it (requirements, estimates, API, data model, design, deep dive, "
                                 "trade-offs), check your arithmetic, and compare with the notes where they cover it.",
                                 {"round": "design"})]
        if config.topic:
            greeting = Reply("greeting", f"Hi! I'll ask you {say.count(config.count, 'system-design question')}"
                             f"{'' if config.topic == 'surprise' else f' on {config.topic}'}. "
                             "Answer as you would out loud; say /help for commands.")
            step = self._ask_next(state, [greeting])
            return step.state, step.replies
        text = (f"Hi! I'll ask you {say.count(config.count, 'system-design question')}. Pick a topic ({topics}, … "
                "or “surprise me”) and a level (easy / medium / hard).")
        return state, [Reply("greeting", text, {"topics": list(self.bank.topics()), "levels": ["easy", "medium", "hard"]})]

    def _start_review(self, config: Config, plan: ReviewPlan | None) -> tuple[State, list[Reply]]:
        if plan is None or not plan.picks:
            state, replies = self.start(replace(config, round="interview", topic=config.topic or "surprise"))
            return state, [Reply("notice", NOTHING_TO_REVIEW)] + replies
        config = replace(config, topic="review", count=len(plan.picks))
        state = State(config=config, started_at=self.clock(), plan=plan.question_ids, focus=plan.focus)
        step = self._ask_next(state, [review_greeting(plan)])
        return step.state, step.replies

    @memo()  # one turn: each text is split into words and normalised once
    def handle(self, state: State, text: Any) -> tuple[State, list[Reply]]:
        """Take one message in a state; return the next state and the replies, in order."""
        state = state.evolve(turn=state.turn + 1)
        if not isinstance(text, str):
            return state, [Reply("error", "I can only read text messages.")]
        # Control characters go; half a surrogate pair (a split emoji) becomes U+FFFD.
        text = _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))
        size = len(text.encode("utf-8"))
        if size > MAX_MESSAGE_BYTES:
            return state, [Reply("error", f"That message is {size:,} bytes; the limit is {MAX_MESSAGE_BYTES:,}. "
                                 "Send it in parts — I'll keep collecting until you say “done”.",
                                 {"limit": MAX_MESSAGE_BYTES, "size": size})]
        intent = classify(text, self._question_terms(state))
        action = action_for(state.phase, intent.name)
        step = self._handlers[action](state, intent)
        allowed = ACTION_PHASES[action]
        if "*" not in allowed and step.state.phase not in allowed:
            raise RuntimeError(f"{action} moved {state.phase} to undeclared phase {step.state.phase}")
        return step.state, step.replies

    # ------------------------------------------------------------------ set-up

    def _do_configure(self, state: State, intent: Intent) -> _Step:
        if state.config.round == "design":
            return self._do_design(state, intent)
        choice = parse_setup(intent.arg, list(self.bank.topics()))
        topic = choice.topic
        if topic is None and not choice.surprise and choice.residue:
            # Free text ("leader election") is a topic if the bank has questions about it.
            try:
                if self.bank.select(topic=choice.residue):
                    topic = choice.residue
            except InputError:
                pass
        if topic is None and not choice.surprise and intent.name == "answer" and not choice.any_setting:
            return _Step(state, [Reply("notice", "I didn't catch a topic. Pick one of "
                                       f"{', '.join(list(self.bank.topics())[:10])} — or say “surprise me”.")])
        config = _clamp(state.config.__class__(
            topic=topic or state.config.topic or "surprise",
            difficulty=choice.difficulty or state.config.difficulty,
            count=choice.count or state.config.count,
            mode=choice.mode or state.config.mode,
            answer_mode=state.config.answer_mode,
            seed=state.config.seed,
            round=state.config.round,
        ))
        state = state.evolve(config=config, started_at=state.started_at or self.clock())
        level = f"{config.difficulty} " if config.difficulty else ""
        about = "a mix of topics" if config.topic == "surprise" else config.topic
        lead = Reply("notice", f"Great — {config.count} {level}questions on {about}"
                     f"{' in mock mode: feedback comes at the end' if config.mode == 'mock' else ''}. Let's begin.")
        return self._ask_next(state, [lead])

    def _do_prompt_setup(self, state: State, intent: Intent) -> _Step:
        return _Step(state, [Reply("notice", "Which topic would you like? Name one, or say “surprise me”.")])

    # ------------------------------------------------------------------ asking and answering

    def _ask_next(self, state: State, lead: list[Reply]) -> _Step:
        if len(state.asked) >= state.config.count:
            return self._finish(state, lead, by="last")
        if state.config.round == "design":
            state = state.evolve(phase="setup", current=None, draft=(), hints=0, revealed=(), pending=None)
            return _Step(state, lead + [Reply("notice", "What would you like to design next? Type a prompt, "
                                              "or say “end” for the summary.", {"round": "design"})])
        if not state.asked:
            state, lead = self._say_if_thin(state, lead)
        question, notice = self.planner.next_question(state, self.planner.rng_for(state))
        if question is None:
            return self._finish(state, lead + [Reply("notice", "That's every question I have on this topic.")], by="last")
        if notice and not (THIN_TOPIC in state.notes and notice.startswith("I'm out of questions on")):
            lead = lead + [Reply("notice", notice)]
        number = len(state.asked) + 1
        state = state.evolve(
            phase="asking", current=question.id, number=number, asked=state.asked + (question.id,),
            draft=(), hints=0, revealed=(), pending=None, retrying=False, asked_at=self.clock(),
        )
        return _Step(state, lead + [self._question_reply(question, number, state.config.count)])

    def _say_if_thin(self, state: State, lead: list[Reply]) -> tuple[State, list[Reply]]:
        """Say at the start when a topic of the bank has fewer questions than asked for, and where the rest
        come from ("only 2 questions on testing; the other 3 will come from deployment and databases")."""
        topic = state.config.topic
        if topic not in self.bank.topics():
            return state, lead
        plan = self.planner.preview(state, state.config.count)
        on_topic = sum(1 for q, _ in plan if q.topic == topic)
        others = list(dict.fromkeys(q.topic for q, _ in plan if q.topic != topic))
        if not others:
            return state, lead
        filled = len(plan) - on_topic
        # Questions found by relevance to the topic come without a notice; "another area" ones with one.
        close = all(notice is None for q, notice in plan if q.topic != topic)
        text = (f"There {'is' if on_topic == 1 else 'are'} only {say.count(on_topic, 'question')} on {topic}; "
                f"{'the other one' if filled == 1 else f'the other {filled}'} will come from {_and(others)}"
                f"{', on subjects close to it' if close else ''}.")
        return state.evolve(notes=state.notes + (THIN_TOPIC,)), lead + [Reply("notice", text, {
            "topic": topic, "on_topic": on_topic, "from_other_topics": filled, "other_topics": others})]

    def _question_reply(self, q: Question, number: int, total: int, lead: str = "") -> Reply:
        return Reply("question", say.question_text(q, number, total, lead),
                     {"question": say.question_data(q), "number": number, "total": total})

    def _do_take_answer(self, state: State, intent: Intent) -> _Step:
        q = self._question(state, state.current)
        refused = _past_draft_cap(state, intent.arg)
        if refused:
            return _Step(state, [refused])
        draft = state.draft + (intent.arg,)
        words = len(" ".join(draft).split())
        # Once an answer is under way, every message adds to it until "done" (or an empty line).
        # A design answer is said in parts, as at the whiteboard: it is collected until "done".
        collecting = state.config.answer_mode == "lines" or state.phase == "answering" or is_design(q)
        if not q.options and (collecting or continues(intent.arg) or words < MIN_ANSWER_WORDS):
            state = state.evolve(phase="answering", draft=draft)
            if state.config.answer_mode == "lines":
                return _Step(state, [])
            ask = ("Go on" if continues(intent.arg) or len(draft) > 1 or is_design(q)
                   else "Can you say more? Keep going")
            return _Step(state, [Reply("notice", f"{ask} — say “done” when you've finished ({words} words so far).",
                                       {"draft_words": words})])
        return self._do_submit(state.evolve(draft=draft), intent)

    def _do_submit(self, state: State, intent: Intent) -> _Step:
        if not "\n".join(state.draft).strip():
            return self._do_nudge(state, intent)
        state, feedback, follow_up = self._grade_answer(state)
        if state.config.mode == "mock":
            return self._ask_next(state, [Reply("notice", "Thanks — noted. (Mock mode: feedback comes at the end.)")])
        if follow_up:
            return _Step(state.evolve(phase="followup"), [feedback])
        return self._next_or_wrap_up(state, [feedback])

    def _next_or_wrap_up(self, state: State, lead: list[Reply]) -> _Step:
        """Ask the next question; after a last answer far short of the question, first ask once if there's more."""
        result = state.result_for(state.current)
        note = f"{WRAP_UP}:{state.current}"
        last = len(state.asked) >= state.config.count
        if (last and result is not None and result.answered and result.score < WRAP_UP_BELOW
                and state.config.mode == "practice" and note not in state.notes):
            state = state.evolve(phase="wrapup", notes=state.notes + (note,), draft=())
            return _Step(state, lead + [Reply("notice", "Anything to add before we wrap up? Say it now, or “no” "
                                              "to see the summary.", {"wrap_up": True, "question_id": state.current})])
        return self._ask_next(state, lead)

    def _grade_answer(self, state: State, follow_up: bool = True, card: Scorecard | None = None
                      ) -> tuple[State, Reply, FollowUp | None]:
        """Grade the draft answer to the open question (or take the card given) and record it as an attempt."""
        q = self._question(state, state.current)
        answer = "\n".join(state.draft).strip()
        rubric: Rubric | None = None
        if card is None and is_design(q):
            card, rubric = grade_design(self.grader, q, answer, state.hints)
        elif card is None:
            card = self.grader.grade(answer, question=q, hints_used=state.hints)
            rubric = rubric_of(q, answer)
        previous = state.result_for(q.id)
        before = previous.card if previous else None
        seconds = round(self.clock() - state.asked_at, 1) if state.asked_at else None
        probe = self._follow_up(card, q, state.focus) if follow_up and state.config.mode == "practice" else None
        # The probe is the engine's to ask: none in mock mode or after an answer too weak to probe.
        card = replace(card, follow_up=probe.prompt if probe else None)
        result = Result(
            question_id=q.id,
            number=state.number,
            attempts=(previous.attempts if previous else ())
            + (Attempt(answer, card, state.hints, seconds, rubric.to_dict() if rubric else None),),
            follow_up=probe,
            hints=(previous.hints if previous else 0) + state.hints,
        )
        feedback = self._feedback(q, card, answer, before, len(result.attempts), result.hints, rubric)
        return state.with_result(result).evolve(draft=(), pending=None, retrying=False), feedback, probe

    def _feedback(self, q: Question, card: Scorecard, answer: str, before: Scorecard | None, attempt: int,
                  hints: int, rubric: Rubric | None = None) -> Reply:
        """Say a scorecard: its text and, for rich clients, its fields (what a strong answer covers; for an
        open, scenario or design answer the rubric)."""
        data = {**card.to_dict(), "question_id": q.id, "answer": answer, "reference": q.reference,
                "question_kind": "design" if is_design(q) else q.kind, "covers": covers_of(q, card),
                "attempt": attempt, "previous": _score_of(before), "hints": hints, "hint_cost": self.hint_cost,
                "difference": difference(before, card) if before is not None else None}
        text = format_scorecard(replace(card, follow_up=None), before=before, no_model_answer=q.kind == "probe")
        if rubric is not None:
            data["rubric"] = rubric.to_dict()
            # Said in full for a design prompt, in brief for a scenario; an open question's rubric is data only
            # (most ask what something is, not for a design).
            if is_design(q):
                text += "\n" + format_rubric(rubric)
            elif q.kind == "scenario":
                text += "\n" + brief(rubric)
        if card.follow_up:
            text += f"\nfollow-up: {card.follow_up}"  # the interviewer's question comes last
        return Reply("feedback", text, data)

    def _question(self, state: State, question_id: str | None) -> Question:
        """Return a question of the interview: from the bank, or made of a typed design prompt."""
        return BankView(self.bank, state.designs).get(question_id or "")

    def _do_design(self, state: State, intent: Intent) -> _Step:
        """Open a typed design prompt as the next question (the question it interrupts goes back to the pool)."""
        prompt = " ".join(intent.arg.split())
        if len(analyze(prompt)) < 2:
            if state.config.round == "design" or state.phase == "setup":
                return _Step(state.evolve(phase="setup"), [Reply("notice", "What would you like to design? For "
                                                                "example: “design a URL shortener”.")])
            return _Step(state, [Reply("notice", "What should we design? For example: /design a chat service")])
        bare = _DESIGN_LEAD.sub("", prompt)  # "let's design a chat app" → "a chat app"
        if bare == prompt and _DESIGN_VERB.match(prompt):
            text = prompt  # "build a …", "how would you design …"
        else:
            text = f"Design {bare[:1].lower()}{bare[1:]}"  # "/design a rate limiter"
        q = design_question(text, self.search, self.grader.concepts)
        asked = state.asked
        if state.phase in ("asking", "answering") and state.current and not state.result_for(state.current):
            asked = tuple(a for a in asked if a != state.current)  # the open question waits its turn
        number = len(asked) + 1
        designs = tuple(d for d in state.designs if d["id"] != q.id) + (as_record(q),)
        state = state.evolve(phase="asking", current=q.id, number=number, asked=asked + (q.id,), designs=designs,
                             draft=(), hints=0, revealed=(), pending=None, retrying=False, asked_at=self.clock())
        notes = (" The notes cover it: your answer is also compared with " + say.cite(q.source.doc, q.source.heading,
                                                                                          q.source.line) + "."
                 if q.reference else " The notes have no passage on it: the rubric alone grades it.")
        text = (f"Design question {number}: {q.prompt}\nTake it as you would at the whiteboard — requirements, "
                f"estimates, API, data model, design, deep dive, trade-offs.{notes} Say “done” when you've finished.")
        return _Step(state, [Reply("question", text, {"question": say.question_data(q), "number": number,
                                                       "total": state.config.count, "design": True})])

    def _defined_at(self, concept_id: str) -> Place | None:
        """Return where the notes define a concept (the inventory's defining passage), if they do."""
        inventory = getattr(self.grader, "inventory", None)
        return inventory.defined_at(concept_id) if inventory is not None else None

    def _follow_up(self, card: Scorecard, q: Question, focus: tuple[str, ...] = ()) -> FollowUp | None:
        if any(f.name in ("off_topic", "copied_question", "conceded") for f in card.flags):
            return None
        total = sum(m.weight for m in card.matched) + sum(m.weight for m in card.missed)
        due = min((m for m in card.missed if m.concept_id in focus), key=lambda m: focus.index(m.concept_id), default=None)
        if due is not None and not q.options:
            # A review round probes the due concept the answer missed, however weak the answer.
            concept = next((c for c in q.concepts if c.id == due.concept_id), None)
            prompt = follow_up_for(concept) if concept else follow_up_for(due.concept, due.reference)
            return FollowUp(prompt=prompt, concept=due.concept, reference=due.reference,
                            share=round(due.weight / total, 3) if total else 0.0, concept_id=due.concept_id)
        if not card.follow_up or not card.missed or card.score < FOLLOW_UP_MIN_SCORE:
            return None
        asked = set(analyze(q.prompt))
        # The probe asks about the concept the grader's follow-up names (never one the question names).
        top = next((m for m in card.missed if m.concept.lower() in card.follow_up.lower()),
                   max((m for m in card.missed if not set(analyze(m.concept)) <= asked), key=lambda m: m.weight,
                       default=card.missed[0]))
        share = top.weight / total if total else 0.0
        return FollowUp(prompt=card.follow_up, concept=top.concept, reference=top.reference, share=round(share, 3),
                        concept_id=top.concept_id)

    def _do_take_follow_up(self, state: State, intent: Intent) -> _Step:
        refused = _past_draft_cap(state, intent.arg)
        if refused:
            return _Step(state, [refused])
        draft = state.draft + (intent.arg,)
        if state.config.answer_mode == "lines":
            return _Step(state.evolve(draft=draft), [])
        if continues(intent.arg):
            words = len(" ".join(draft).split())
            return _Step(state.evolve(draft=draft), [Reply("notice", "Go on — say “done” when you've finished.",
                                                           {"draft_words": words})])
        state, feedback = self._grade_follow_up(state.evolve(draft=draft))
        return self._ask_next(state, [feedback])

    def _do_close_follow_up(self, state: State, intent: Intent) -> _Step:
        if state.draft:
            state, feedback = self._grade_follow_up(state)
            return self._ask_next(state, [feedback])
        return self._ask_next(state, [])

    def _grade_follow_up(self, state: State) -> tuple[State, Reply]:
        """Grade the answer to the follow-up probe against its concept; credit the question."""
        result = state.result_for(state.current)
        fu = result.follow_up
        answer = "\n".join(state.draft).strip()
        reference = f"{fu.concept}. {fu.reference}".strip()
        q = self._question(state, result.question_id)
        concept = next((c for c in q.concepts if c.label == fu.concept), None) or Concept("", fu.concept, (), 1.0, fu.reference)
        card = self.grader.grade_follow_up(answer, concept, fu.prompt)
        graded = replace(fu, answer=answer, scorecard=card)
        result = replace(result, follow_up=graded)
        credit = 5.0 * fu.share * card.score
        covered = "covered" if graded.covered else "not covered yet"
        text = (f"On the follow-up ({fu.concept}, {covered}): score {card.score:.2f}. "
                f"That adds {credit:+.1f} to this question: now {result.grade:.1f}/5.")
        feedback = Reply("feedback", text, {**card.to_dict(), "question_id": result.question_id, "answer": answer,
                                            "reference": reference, "question_kind": "follow_up",
                                            "follow_up_of": result.question_id, "covered": graded.covered,
                                            "credit": round(credit, 2), "question_grade": result.grade,
                                            "follow_up": None})
        return state.with_result(result).evolve(draft=()), feedback

    def _do_nudge(self, state: State, intent: Intent) -> _Step:
        return _Step(state, [Reply("notice", "Take your time — type your answer, or say /hint if you're stuck.")])

    def _do_skip(self, state: State, intent: Intent) -> _Step:
        q = self._question(state, state.current)
        previous = state.result_for(q.id)
        if not (previous and previous.attempts):
            state = state.with_result(Result(q.id, state.number, skipped=True, hints=state.hints))
        covers = " · ".join(c.label for c in sorted(q.concepts, key=lambda c: -c.weight)[:5])
        text = "Skipped." + (f" A strong answer would cover: {covers}." if covers else "")
        return self._ask_next(state.evolve(draft=()), [Reply("notice", text, {"skipped": q.id})])

    def _do_concede(self, state: State, intent: Intent) -> _Step:
        """“I don't know”: graded 0 without a lecture; the gist of the answer, cited, and on to the next one.
        Said after part of an answer, what was said is graded as it stands."""
        if state.draft and state.phase == "answering":
            return self._do_submit(state, intent)
        said = intent.arg or "I don't know"
        mock = state.config.mode == "mock"
        q = self._question(state, state.current)
        if state.retrying and state.phase != "followup":
            # A retry given up keeps the answer it was to improve on.
            return self._ask_next(state.evolve(draft=(), retrying=False),
                                  [Reply("notice", "No problem — your earlier answer stands.", {"conceded": q.id})])
        if state.phase == "followup":
            result = state.result_for(q.id)
            fu = result.follow_up
            concept = self._concept_of(q, fu)
            card = self.grader.concede(said, concept=concept)
            state = state.with_result(replace(result, follow_up=replace(fu, answer=said, scorecard=card))).evolve(draft=())
            where = f" — {say.cite(concept.source.doc, concept.source.heading, concept.source.line)}" if concept.source else ""
            if concept.evidence:
                key = f"here's the key idea. {concept.label}: “{say.clip(concept.evidence, 240)}”{where}"
            else:
                key = f"the notes name {concept.label} without explaining it: worth reading up on."
            text = "No problem — let's move on." if mock else f"No problem — {key}"
            return self._ask_next(state, [Reply("notice", text, {"conceded": q.id, "follow_up_of": q.id,
                                                                  "concept": concept.label})])
        card = self.grader.concede(said, question=q)
        state, _, _ = self._grade_answer(state.evolve(draft=(said,)), follow_up=False, card=card)
        text = "No problem — let's move on." if mock else f"No problem — the key idea is:\n{teach.gist(q)}"
        return self._ask_next(state, [Reply("notice", text, {"conceded": q.id, "score": 0.0, "grade": 0.0})])

    def _do_keep_listening(self, state: State, intent: Intent) -> _Step:
        words = len(" ".join(state.draft).split())
        return _Step(state, [Reply("notice", f"Go on — I'm listening; say “done” when you've finished ({words} words so far).",
                                   {"draft_words": words})])

    def _do_add_more(self, state: State, intent: Intent) -> _Step:
        """“One more thing”: the last answer opens again with what was said, and the next message adds to it."""
        target = self._retry_target(state)
        if target is None or not target.attempts:
            return self._do_not_now(state, intent)
        q = self._question(state, target.question_id)
        asked = state.asked
        if state.phase == "asking" and state.current != q.id:
            asked = tuple(a for a in asked if a != state.current)  # the question just asked waits its turn
        state = state.evolve(phase="answering", current=q.id, number=target.number, asked=asked,
                             draft=(target.attempts[-1].answer,), hints=0, revealed=(), pending=None, retrying=True)
        return _Step(state, [Reply("notice", "Go ahead — what you add joins your last answer, and it's graded again "
                                   "(say “done” when you've finished).", {"adding_to": q.id})])

    def _do_invite_more(self, state: State, intent: Intent) -> _Step:
        return _Step(state, [Reply("notice", "Go ahead — what would you add?")])

    def _do_take_addition(self, state: State, intent: Intent) -> _Step:
        """What's added before the wrap-up joins the last answer, which is graded again; then the summary."""
        refused = _past_draft_cap(state, intent.arg)
        if refused:
            return _Step(state, [refused])
        draft = state.draft + (intent.arg,)
        if continues(intent.arg) or state.config.answer_mode == "lines":
            return self._do_keep_listening(state.evolve(draft=draft), intent)
        return self._wrap_up_with(state.evolve(draft=draft))

    def _do_wrap_up(self, state: State, intent: Intent) -> _Step:
        return self._wrap_up_with(state)

    def _wrap_up_with(self, state: State) -> _Step:
        lead: list[Reply] = []
        if state.draft:
            result = state.result_for(state.current)
            before = result.attempts[-1].answer if result and result.attempts else ""
            state, feedback, _ = self._grade_answer(state.evolve(draft=(before, *state.draft)), follow_up=False)
            lead.append(feedback)
        return self._finish(state, lead, by="last")

    # ------------------------------------------------------------------ help along the way

    def _do_hint(self, state: State, intent: Intent) -> _Step:
        q = self._question(state, state.current)
        if state.phase == "followup":
            # The follow-up already asks about its concept: its hints are the blanked sentence, then the sentence.
            concept = self._concept_of(q, state.result_for(q.id).follow_up)
            hint = teach.concept_hint([concept], state.revealed + (f"{concept.id or concept.label}@{teach.ASK}",), set())
            if hint is None:
                return _Step(state, [Reply("hint", "That's all I can give on this one — say what you can, or “next”.",
                                           {"concept": concept.label, "cost": 0})])
            return _Step(state.evolve(revealed=state.revealed + (hint.key,)),
                         [Reply("hint", f"Hint: {hint.text}", {"concept": concept.label, "step": hint.step, "cost": 0})])
        hint = self._next_hint(state, q)
        if hint is None:
            return _Step(state, [Reply("hint", "No more hints for this one — give it your best shot, or /skip.",
                                       {"number": state.hints, "cost": 0})])
        n = state.hints + 1
        state = state.evolve(hints=n, revealed=state.revealed + (hint.key,))
        text = f"Hint {n} (−{self.hint_cost:g} of a grade point): {hint.text}"
        return _Step(state, [Reply("hint", text, {"number": n, "concept": hint.concept, "step": hint.step,
                                                  "cost": self.hint_cost})])

    def _next_hint(self, state: State, q: Question) -> teach.Hint | None:
        """Return the next hint on the open question.

        A choice question gives its own hint, then rules out a wrong option. Any other question teaches
        the most important concept the answer so far has not covered (a question, a blank, the sentence),
        then the next; its bank hints come last.
        """
        fresh = [h for h in q.hints if h not in state.revealed]
        if q.options and q.answer_option:
            return _choice_hint(state, q, fresh)
        if is_design(q):
            # A design prompt's hints are the rubric's next steps for the answer so far.
            said = "\n".join(state.draft)
            nudge = next((n for n in rubric_for(said, prompt=q.prompt, kind="design").nudges
                          if n not in state.revealed), None)
            return teach.Hint(nudge, nudge) if nudge else None
        covered: set[str] = set()
        if state.draft:
            try:
                card = self.grader.grade("\n".join(state.draft), question=q)
                covered = {m.concept for m in card.matched} | {m.concept_id for m in card.matched if m.concept_id}
            except GradingError:
                pass
        hint = teach.concept_hint(q.concepts, state.revealed, covered, q.prompt)
        if hint is None and fresh:
            return teach.Hint(fresh[0], fresh[0])
        return hint

    def _concept_of(self, q: Question, fu: FollowUp) -> Concept:
        """Return the question's concept a follow-up asked about (a bare one from the probe when it is gone)."""
        return next((c for c in q.concepts if (fu.concept_id and c.id == fu.concept_id) or c.label == fu.concept),
                    None) or Concept(fu.concept_id, fu.concept, (), 1.0, fu.reference)

    def _do_repeat(self, state: State, intent: Intent) -> _Step:
        q = self._question(state, state.current)
        if state.phase == "followup":
            fu = state.result_for(q.id).follow_up
            return _Step(state, [Reply("notice", f"Follow-up: {fu.prompt}", {"follow_up": fu.prompt})])
        return _Step(state, [self._question_reply(q, state.number, state.config.count, "Here it is again:")])

    def _do_retry(self, state: State, intent: Intent) -> _Step:
        if state.phase == "ended" and state.ended_by != "last":
            return self._do_after_end(state, intent)
        if state.draft and state.phase in ("asking", "answering"):
            q = self._question(state, state.current)
            state = state.evolve(phase="asking", draft=())
            return _Step(state, [self._question_reply(q, state.number, state.config.count,
                                                      "Sure — start your answer again:")])
        target = self._retry_target(state)
        if target is None:
            return _Step(state, [Reply("notice", "There's no answered question to retry yet.")])
        q = self._question(state, target.question_id)
        asked = state.asked
        if state.phase in ("asking", "answering") and state.current != q.id:
            # The question just asked goes back to the pool; the retried one takes the stage.
            asked = tuple(a for a in asked if a != state.current)
        state = state.evolve(phase="asking", current=q.id, number=target.number, asked=asked, draft=(),
                             hints=0, revealed=(), pending=None, retrying=True, asked_at=self.clock())
        return _Step(state, [self._question_reply(q, target.number, state.config.count,
                                                  "Let's try that one again — your new answer will be compared with the last.")])

    def _retry_target(self, state: State) -> Result | None:
        """Return the answered question a retry (or an addition) is about: the one just answered."""
        if state.phase == "ended" and state.ended_by != "last":
            return None
        if state.phase in ("followup", "wrapup"):
            return state.result_for(state.current)
        if state.draft:
            return None
        answered = [r for r in state.results if r.attempts]
        return max(answered, key=lambda r: state.asked.index(r.question_id) if r.question_id in state.asked else -1,
                   default=None)

    def _do_look_up(self, state: State, intent: Intent) -> _Step:
        during = state.phase in ("asking", "answering", "followup")
        reply, result = lookup_reply(self.search, intent.arg, during)
        if result is not None and result.hits and during and state.current:
            # What the look-up found counts as help on the open question (practice ratings read it).
            q = self._question(state, state.current)
            found = teach.looked_up(q.concepts, intent.arg.strip(), [h.text for h in result.hits])
            state = state.evolve(revealed=state.revealed + tuple(k for k in found if k not in state.revealed))
        return _Step(state, [reply])

    def _do_clarify(self, state: State, intent: Intent) -> _Step:
        state = state.evolve(pending=intent.arg, phase="clarify", back_to=state.phase)
        return _Step(state, [Reply("notice", "Is that a question for me, or your answer? (say “question” or “answer”)")])

    def _do_resolve(self, state: State, intent: Intent) -> _Step:
        pending = state.pending or ""
        state = state.evolve(phase=state.back_to or "asking", pending=None, back_to=None)
        said = normalise_utterance(intent.arg) if intent.name in ("answer", "unsure") else ""
        if _ASKING.fullmatch(said):
            return self._do_look_up(state, Intent("lookup", pending))
        if _ANSWERING.fullmatch(said):
            return self._answer_with(state, pending)
        # Something else: the pending text stays, as part of the answer; then the new message is
        # handled as if the question had never been asked.
        phase = state.phase if state.phase == "followup" else "answering"
        state = state.evolve(draft=state.draft + (pending,), phase=phase)
        return self._handlers[action_for(state.phase, intent.name)](state, intent)

    def _answer_with(self, state: State, text: str) -> _Step:
        if state.phase == "wrapup":
            return self._do_take_addition(state, Intent("answer", text))
        if state.phase == "followup":
            return self._do_take_follow_up(state, Intent("answer", text))
        return self._do_take_answer(state, Intent("answer", text))

    # ------------------------------------------------------------------ progress and the end

    def _do_score(self, state: State, intent: Intent) -> _Step:
        if state.phase == "ended":
            return _Step(state, [summary_reply(state, BankView(self.bank, state.designs), self._defined_at)])
        return _Step(state, [progress_reply(state, BankView(self.bank, state.designs))])

    def _do_finish(self, state: State, intent: Intent) -> _Step:
        lead: list[Reply] = []
        if state.phase == "clarify":
            state = state.evolve(phase=state.back_to or "asking", draft=state.draft + (state.pending or "",),
                                 pending=None, back_to=None)
        # Nothing typed is lost: a half-finished answer is graded before the summary.
        if state.draft and state.phase in ("asking", "answering"):
            state, feedback, _ = self._grade_answer(state, follow_up=False)
            lead.append(feedback)
        elif state.draft and state.phase == "followup":
            state, feedback = self._grade_follow_up(state)
            lead.append(feedback)
        elif state.draft and state.phase == "wrapup":
            return self._wrap_up_with(state)
        if state.config.mode == "mock":
            lead = []
        return self._finish(state, lead, by="user")

    def _finish(self, state: State, lead: list[Reply], by: str) -> _Step:
        """End the interview with its summary; `by` is "last" after the last question, "user" when asked to."""
        state = state.evolve(phase="ended", draft=(), pending=None, ended_by=by)
        return _Step(state, lead + [summary_reply(state, BankView(self.bank, state.designs), self._defined_at)])

    def _do_after_end(self, state: State, intent: Intent) -> _Step:
        return _Step(state, [Reply("notice", "This interview is over. Say “new” to start another, "
                                   "“score” to see the summary again, or ask me to look something up.")])

    def _do_restart(self, state: State, intent: Intent) -> _Step:
        lead = []
        if state.phase != "ended" and state.results:
            lead = self._finish(state, [], by="user").replies
        config = Config(count=state.config.count, mode=state.config.mode,
                        answer_mode=state.config.answer_mode, seed=state.config.seed + 1)
        fresh, greeting = self.start(config)
        return _Step(fresh.evolve(turn=state.turn), lead + greeting)

    # ------------------------------------------------------------------ the rest

    def _do_help(self, state: State, intent: Intent) -> _Step:
        where = _guidance(state) or ""
        return _Step(state, [Reply("notice", (where + "\n" if where else "") + say.help_text())])

    def _do_small_talk(self, state: State, intent: Intent) -> _Step:
        if state.phase == "setup":
            return self._do_configure(state, intent) if intent.name == "affirm" else _Step(
                state, [Reply("notice", "Hello! Which topic shall we practise? Or say “surprise me”.")])
        if state.phase in ("asking", "answering", "followup"):
            return _Step(state, [Reply("notice", "Happy to chat afterwards — the question is still open. "
                                       "Type your answer, or /help.")])
        return _Step(state, [Reply("notice", "You're welcome! Say “new” for another round.")])

    def _do_noise(self, state: State, intent: Intent) -> _Step:
        return _Step(state, [Reply("notice", "I couldn't find any words in that. Type your answer, or /help for commands.")])

    def _do_unknown_command(self, state: State, intent: Intent) -> _Step:
        return _Step(state, [Reply("error", f"I don't know the command {intent.arg}. Try {say.command_list()}.")])

    def _do_not_now(self, state: State, intent: Intent) -> _Step:
        why = _guidance(state) or "That doesn't apply right now. Say /help to see what you can do."
        return _Step(state, [Reply("notice", why)])

    # ------------------------------------------------------------------ helpers

    def _question_terms(self, state: State) -> frozenset[str]:
        if not state.current:
            return frozenset()
        q = self._question(state, state.current)
        return _question_terms(tuple(c.label for c in q.concepts), q.prompt)


@lru_cache(maxsize=4096)
def _question_terms(labels: tuple[str, ...], prompt: str) -> frozenset[str]:
    """Return the key terms of a question (its concepts' and its prompt's): worked out once per question."""
    return frozenset(t for label in labels for t in analyze(label)) | frozenset(analyze(prompt))


# What to do next, by phase: said by /help, and when a command does not apply where it is said.
_GUIDANCE = {
    "setup": "There's no question open yet — pick a topic and a level, e.g. “messaging, medium”, or say “surprise me”.",
    "followup": "Answer the follow-up, or say “next” to move on.",
    "clarify": "Say “question” or “answer”.",
    "wrapup": "Add anything you'd like to your last answer, or say “no” to see the summary.",
    "ended": "The interview is over: say “new” to start another.",
}


def _guidance(state: State) -> str | None:
    """Say what to do next in this phase (in the design round's set-up: type a prompt)."""
    if state.config.round == "design" and state.phase == "setup":
        return "Type something to design — “design a URL shortener” — or say “end” for the summary."
    return _GUIDANCE.get(state.phase)


_ASKING = re.compile(r"(?:(?:it|that) (?:is|was) )?(?:a |my )?(?:question|lookup|look it up|look up|asking|the former)")
_ANSWERING = re.compile(r"(?:(?:it|that) (?:is|was) )?(?:an |my |the )?(?:answer|mine|answering|the latter)")


# "design a URL shortener", "let's design …": the prompt is what follows.
_DESIGN_LEAD = re.compile(r"(?i)^(?:(?:let'?s|let us|can we|i'?d like to|i want to)\s+)?(?:practi[cs]e\s+)?"
                          r"(?:designing|design)\s+")

# A prompt that already says what to do: "build a …", "how would you design …".
_DESIGN_VERB = re.compile(r"(?i)^(?:design|build|create|architect|implement|scale|how|what|walk)\b")

# Notes the interviewer keeps so as to say something once: the topic is thin; the wrap-up was offered.
THIN_TOPIC = "thin-topic"
WRAP_UP = "wrap-up"


def _choice_hint(state: State, q: Question, fresh: list[str]) -> teach.Hint | None:
    """A choice question's own hint first, then a wrong option ruled out (while two or more are left)."""
    if fresh:
        return teach.Hint(fresh[0], fresh[0])
    wrong = [letter for letter in "ABCDEFGH"[: len(q.options)]
             if letter != q.answer_option and f"not {letter}" not in state.revealed]
    if len(wrong) > 1:
        letter = random.Random(f"{state.config.seed}:{q.id}:{len(wrong)}").choice(wrong)
        return teach.Hint(f"It isn't {letter}.", f"not {letter}")
    return None


def _and(items: list[str]) -> str:
    """Join names the way they are said: "a", "a and b", "a, b and c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _past_draft_cap(state: State, part: str) -> Reply | None:
    """Refuse a part that would take the draft past MAX_DRAFT_BYTES; the part goes back to the sender."""
    held = sum(len(p.encode("utf-8")) for p in state.draft)
    size = len(part.encode("utf-8"))
    if held + size <= MAX_DRAFT_BYTES:
        return None
    words = len(" ".join(state.draft).split())
    return Reply("error", f"Your answer so far holds {held:,} bytes ({words} words), and one answer holds at "
                 f"most {MAX_DRAFT_BYTES:,}: I didn't add that part — it's back in the box. "
                 "Say “done” to have what you've said graded.",
                 {"retry": True, "unsent": part, "limit": MAX_DRAFT_BYTES, "size": held + size,
                  "draft_words": words})


def _score_of(card: Scorecard | None) -> dict[str, float] | None:
    return {"score": card.score, "grade": card.grade} if card else None


def covers_of(q: Question, card: Scorecard) -> list[dict[str, Any]]:
    """Say what a strong answer to a question covers: each concept, whether this answer covered it, the
    sentence of the notes that explains it and where that is ("not in the notes" when nowhere)."""
    said = {m.concept_id or m.concept for m in card.matched}
    return [{"concept": c.label, "concept_id": c.id, "covered": (c.id or c.label) in said, "evidence": c.evidence,
             "source": c.source.to_dict() if c.source else None, "explained": c.explained}
            for c in sorted(q.concepts, key=lambda c: -c.weight)]


def _clamp(config: Config) -> Config:
    """Keep a config within bounds: a known level and mode, 1..MAX_COUNT questions."""
    return Config(
        topic=(config.topic or None),
        difficulty=config.difficulty if config.difficulty in ("easy", "medium", "hard") else None,
        count=max(1, min(MAX_COUNT, int(config.count or 5))),
        mode=config.mode if config.mode in ("practice", "mock") else "practice",
        answer_mode=config.answer_mode if config.answer_mode in ("auto", "lines") else "auto",
        seed=int(config.seed),
        round=config.round if config.round in ROUNDS else "interview",
    )


__all__ = ["Interviewer", "TRANSITIONS", "ACTION_PHASES", "action_for", "SetupChoice"]
