"""The interview state machine: a transition table read top to bottom, and one handler per action.

`Interviewer.handle(state, text) -> (state, replies)` is pure apart from the injected bank, search
index, grader, clock and seed: the same messages give the same transcript.
"""

from __future__ import annotations

import functools
import random
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Protocol

from interviewer.dialogue import replies as say
from interviewer.dialogue.intents import Intent, classify, continues, normalise_utterance
from interviewer.dialogue.planner import Planner
from interviewer.dialogue.replies import Reply
from interviewer.dialogue.setup import SetupChoice, parse_setup
from interviewer.dialogue.state import MAX_COUNT, Attempt, Config, FollowUp, Result, State
from interviewer.dialogue.summary import progress_reply, summary_reply
from interviewer.errors import GradingError, InputError
from interviewer.records import Question, Scorecard
from interviewer.text import analyze

# Messages longer than this are refused with a clear notice (the chat contract's 8 KB limit).
MAX_MESSAGE_BYTES = 8 * 1024
# An answer shorter than this many words is taken as the start of a longer one ("Go on…").
MIN_ANSWER_WORDS = 8
# How many passages are looked at to find one that is about a concept to study.
STUDY_CANDIDATES = 3
# How many concepts' study passages are remembered.
STUDY_CACHE = 4096
# Below this score (or off topic) a follow-up probe makes no sense: the interviewer moves on.
FOLLOW_UP_MIN_SCORE = 0.15
# A looked-up passage of fewer words only names the thing; the section after it is quoted too, when
# it is among the hits and starts within this many lines.
LOOKUP_SHORT_WORDS = 30
LOOKUP_NEXT_SECTION_LINES = 12
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
    ("ended",      "*",               "after_end"),
    ("clarify",    "*",               "resolve"),
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
    # A reply to "question or answer?" that is itself unclear asks again (the first text joins the answer).
    "resolve": frozenset({"asking", "answering", "followup", "ended", "setup", "clarify"}),
    "configure": frozenset({"setup", "asking"}),
    "prompt_setup": frozenset({"setup"}),
    "take_answer": frozenset({"asking", "answering", "followup", "ended"}),
    "clarify": frozenset({"clarify"}),
    "nudge": frozenset({"asking"}),
    "submit": frozenset({"asking", "followup", "ended"}),
    "skip": frozenset({"asking", "ended"}),
    "take_follow_up": frozenset({"followup", "asking", "ended"}),
    "close_follow_up": frozenset({"asking", "ended", "followup"}),
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
        # A list of probe questions names topics without explaining them: never a passage to study.
        self._question_lists = frozenset((q.source.doc, q.source.heading) for q in bank if q.kind == "probe")
        # The passage to study for a concept depends only on the index: every summary names a few,
        # and reading their passages is most of a summary's time, so each is looked up once.
        self._pointer = functools.lru_cache(maxsize=STUDY_CACHE)(self._find_pointer)
        # The grader takes the per-hint penalty off the score; the engine names it in grade points.
        penalty = getattr(grader, "settings", {}).get("hint_penalty", 0.05)
        self.hint_cost = hint_cost if hint_cost is not None else round(5 * float(penalty), 2)
        self._handlers: dict[str, Callable[[State, Intent], _Step]] = {
            action: getattr(self, f"_do_{action}") for action in ACTION_PHASES
        }

    # ------------------------------------------------------------------ entry points

    def start(self, config: Config | None = None) -> tuple[State, list[Reply]]:
        """Open an interview; with a topic chosen the first question follows the greeting at once."""
        config = _clamp(config or Config())
        state = State(config=config, started_at=self.clock())
        topics = ", ".join(list(self.bank.topics())[:8])
        if config.topic:
            greeting = Reply("greeting", f"Hi! I'll ask you {config.count} system-design questions"
                             f"{'' if config.topic == 'surprise' else f' on {config.topic}'}. "
                             "Answer as you would out loud; say /help for commands.")
            step = self._ask_next(state, [greeting])
            return step.state, step.replies
        text = (f"Hi! I'll ask you {config.count} system-design questions. Pick a topic ({topics}, … "
                "or “surprise me”) and a level (easy / medium / hard).")
        return state, [Reply("greeting", text, {"topics": list(self.bank.topics()), "levels": ["easy", "medium", "hard"]})]

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
            return self._finish(state, lead)
        rng = random.Random(f"{state.config.seed}:{len(state.asked)}")
        question, notice = self.planner.next_question(state, rng)
        if question is None:
            return self._finish(state, lead + [Reply("notice", "That's every question I have on this topic.")])
        if notice:
            lead = lead + [Reply("notice", notice)]
        number = len(state.asked) + 1
        state = state.evolve(
            phase="asking", current=question.id, number=number, asked=state.asked + (question.id,),
            draft=(), hints=0, revealed=(), pending=None, retrying=False, asked_at=self.clock(),
        )
        return _Step(state, lead + [self._question_reply(question, number, state.config.count)])

    def _question_reply(self, q: Question, number: int, total: int, lead: str = "") -> Reply:
        return Reply("question", say.question_text(q, number, total, lead),
                     {"question": say.question_data(q), "number": number, "total": total})

    def _do_take_answer(self, state: State, intent: Intent) -> _Step:
        q = self.bank.get(state.current)
        draft = state.draft + (intent.arg,)
        words = len(" ".join(draft).split())
        # Once an answer is under way, every message adds to it until "done" (or an empty line).
        collecting = state.config.answer_mode == "lines" or state.phase == "answering"
        if not q.options and (collecting or continues(intent.arg) or words < MIN_ANSWER_WORDS):
            state = state.evolve(phase="answering", draft=draft)
            if state.config.answer_mode == "lines":
                return _Step(state, [])
            ask = ("Go on" if continues(intent.arg) or len(draft) > 1
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
        return self._ask_next(state, [feedback])

    def _grade_answer(self, state: State, follow_up: bool = True) -> tuple[State, Reply, FollowUp | None]:
        """Grade the draft answer to the open question and record it as an attempt."""
        q = self.bank.get(state.current)
        answer = "\n".join(state.draft).strip()
        card = self.grader.grade(answer, question=q, hints_used=state.hints)
        payload = self._feedback_payload(q, card, answer)
        previous = state.result_for(q.id)
        before = previous.attempts[-1].scorecard if previous and previous.attempts else None
        seconds = round(self.clock() - state.asked_at, 1) if state.asked_at else None
        probe = self._follow_up(card) if follow_up and state.config.mode == "practice" else None
        result = Result(
            question_id=q.id,
            number=state.number,
            attempts=(previous.attempts if previous else ()) + (Attempt(answer, payload, state.hints, seconds),),
            follow_up=probe,
            hints=(previous.hints if previous else 0) + state.hints,
        )
        # The probe is the engine's to ask: none in mock mode or after an answer too weak to probe.
        payload["follow_up"] = probe.prompt if probe else None
        feedback = Reply("feedback", say.feedback_text(payload, before),
                         {**payload, "attempt": len(result.attempts), "previous": _score_of(before)})
        return state.with_result(result).evolve(draft=(), pending=None, retrying=False), feedback, probe

    def _feedback_payload(self, q: Question, card: Scorecard, answer: str) -> dict[str, Any]:
        payload = card.to_dict()
        payload.update(question_id=q.id, answer=answer, reference=q.reference, question_kind=q.kind)
        if q.kind == "probe":
            payload["study"] = self._study(c["concept"] for c in payload["missed"] + payload["matched"])
        return payload

    def _study(self, concepts: Iterable[str]) -> list[dict[str, Any]]:
        """Cite, for each concept, a corpus passage that talks about it (none when no passage does).

        A list of probe questions is never cited.
        """
        return [dict(pointer) for pointer in map(self._pointer, concepts) if pointer is not None]

    def _find_pointer(self, concept: str) -> dict[str, Any] | None:
        wanted = set(analyze(concept))
        try:
            hits = self.search.search(concept, top=STUDY_CANDIDATES).hits if wanted else ()
        except InputError:
            return None
        # The best-ranked passage is not always about the concept ("protocol bridges" finds
        # "Binary Protocol"): cite one that says two thirds of the concept's words or more.
        for h in hits:
            said = wanted & set(analyze(h.heading + " " + h.text))
            if (h.doc, h.heading) not in self._question_lists and 3 * len(said) >= 2 * len(wanted):
                return {"concept": concept, "doc": h.doc, "heading": h.heading, "line": h.line}
        return None

    def _follow_up(self, card: Scorecard) -> FollowUp | None:
        if not card.follow_up or not card.missed or card.score < FOLLOW_UP_MIN_SCORE:
            return None
        if any(f.name in ("off_topic", "copied_question") for f in card.flags):
            return None
        total = sum(m.weight for m in card.matched) + sum(m.weight for m in card.missed)
        top = max(card.missed, key=lambda m: m.weight)
        share = top.weight / total if total else 0.0
        return FollowUp(prompt=card.follow_up, concept=top.concept, reference=top.reference, share=round(share, 3))

    def _do_take_follow_up(self, state: State, intent: Intent) -> _Step:
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
        try:
            card = self.grader.grade(answer, reference=reference, question_text=fu.prompt)
        except GradingError:
            card = self.grader.grade(answer, reference=fu.concept, question_text=fu.prompt)
        payload = card.to_dict()
        payload.update(question_id=result.question_id, answer=answer, reference=reference, question_kind="follow_up")
        graded = FollowUp(fu.prompt, fu.concept, fu.reference, fu.share, answer, payload)
        result = Result(result.question_id, result.number, result.attempts, graded, result.skipped, result.hints)
        credit = 5.0 * fu.share * card.score
        text = (f"On the follow-up ({fu.concept}): score {card.score:.2f}. "
                f"That adds {credit:+.1f} to this question: now {result.grade:.1f}/5.")
        feedback = Reply("feedback", text, {**payload, "follow_up_of": result.question_id,
                                            "credit": round(credit, 2), "question_grade": result.grade,
                                            "follow_up": None})
        return state.with_result(result).evolve(draft=()), feedback

    def _do_nudge(self, state: State, intent: Intent) -> _Step:
        return _Step(state, [Reply("notice", "Take your time — type your answer, or say /hint if you're stuck.")])

    def _do_skip(self, state: State, intent: Intent) -> _Step:
        q = self.bank.get(state.current)
        previous = state.result_for(q.id)
        if not (previous and previous.attempts):
            state = state.with_result(Result(q.id, state.number, skipped=True, hints=state.hints))
        covers = " · ".join(c.label for c in sorted(q.concepts, key=lambda c: -c.weight)[:5])
        text = "Skipped." + (f" A strong answer would cover: {covers}." if covers else "")
        return self._ask_next(state.evolve(draft=()), [Reply("notice", text, {"skipped": q.id})])

    # ------------------------------------------------------------------ help along the way

    def _do_hint(self, state: State, intent: Intent) -> _Step:
        q = self.bank.get(state.current)
        if state.phase == "followup":
            fu = state.result_for(q.id).follow_up
            return _Step(state, [Reply("hint", f"Think about {fu.concept}: “{say.clip(fu.reference, 120)}”",
                                       {"concept": fu.concept, "cost": 0})])
        hint, revealed = self._next_hint(state, q)
        if hint is None:
            return _Step(state, [Reply("hint", "No more hints for this one — give it your best shot, or /skip.",
                                       {"number": state.hints, "cost": 0})])
        n = state.hints + 1
        state = state.evolve(hints=n, revealed=state.revealed + (revealed,))
        text = f"Hint {n} (each hint costs {self.hint_cost:g} of a grade point): {hint}"
        concept = revealed if any(c.label == revealed for c in q.concepts) else None
        return _Step(state, [Reply("hint", text, {"number": n, "concept": concept, "cost": self.hint_cost})])

    def _next_hint(self, state: State, q: Question) -> tuple[str | None, str]:
        """Return the next hint and what it reveals.

        A choice question gives its own hint, then rules out a wrong option. Any other question
        reveals the most important concept the answer so far has not covered, one at a time, and
        only then the bank's hints for it.
        """
        fresh = [h for h in q.hints if h not in state.revealed]
        if q.options and q.answer_option:
            if fresh:
                return fresh[0], fresh[0]
            wrong = [letter for letter in "ABCDEFGH"[: len(q.options)]
                     if letter != q.answer_option and f"not {letter}" not in state.revealed]
            if len(wrong) > 1:
                letter = random.Random(f"{state.config.seed}:{q.id}:{len(wrong)}").choice(wrong)
                return f"It isn't {letter}.", f"not {letter}"
            return None, ""
        covered: set[str] = set()
        if state.draft:
            try:
                card = self.grader.grade("\n".join(state.draft), question=q)
                covered = {m.concept for m in card.matched}
            except GradingError:
                pass
        for c in sorted(q.concepts, key=lambda c: -c.weight):
            if c.label not in covered and c.label not in state.revealed:
                return f"think about {c.label}.", c.label
        return (fresh[0], fresh[0]) if fresh else (None, "")

    def _do_repeat(self, state: State, intent: Intent) -> _Step:
        q = self.bank.get(state.current)
        if state.phase == "followup":
            fu = state.result_for(q.id).follow_up
            return _Step(state, [Reply("notice", f"Follow-up: {fu.prompt}", {"follow_up": fu.prompt})])
        return _Step(state, [self._question_reply(q, state.number, state.config.count, "Here it is again:")])

    def _do_retry(self, state: State, intent: Intent) -> _Step:
        target = self._retry_target(state)
        if target is None:
            return _Step(state, [Reply("notice", "There's no answered question to retry yet.")])
        q = self.bank.get(target.question_id)
        asked = state.asked
        if state.phase in ("asking", "answering") and state.current != q.id:
            # The question just asked goes back to the pool; the retried one takes the stage.
            asked = tuple(a for a in asked if a != state.current)
        state = state.evolve(phase="asking", current=q.id, number=target.number, asked=asked, draft=(),
                             hints=0, revealed=(), pending=None, retrying=True, asked_at=self.clock())
        return _Step(state, [self._question_reply(q, target.number, state.config.count,
                                                  "Let's try that one again — your new answer will be compared with the last.")])

    def _retry_target(self, state: State) -> Result | None:
        if state.phase == "ended":
            return None
        if state.phase == "followup":
            return state.result_for(state.current)
        if state.draft:
            return None
        answered = [r for r in state.results if r.attempts]
        return answered[-1] if answered else None

    def _do_look_up(self, state: State, intent: Intent) -> _Step:
        query = intent.arg.strip()
        if not query:
            return _Step(state, [Reply("notice", "What should I look up? For example: /lookup fencing token")])
        try:
            result = self.search.search(query, top=3)
        except InputError:
            return _Step(state, [Reply("notice", f"“{query}” has no words I can search for. "
                                       "Name a concept, e.g. /lookup consistent hashing")])
        # What the question asks, without fillers, tails ("again", "real quick") or question words.
        topic = result.topic or query
        back = " Back to the question whenever you're ready." if state.phase in ("asking", "answering", "followup") else ""
        hits = [{"doc": h.doc, "heading": h.heading, "line": h.line, "snippet": h.snippet, "text": h.text}
                for h in result.hits]
        data = {"query": topic, "asked": query, "kind": result.kind, "suggestion": result.suggestion, "hits": hits}
        if not hits:
            maybe = f" Did you mean “{result.suggestion}”?" if result.suggestion else ""
            return _Step(state, [Reply("lookup", f"I found nothing on “{topic}” in the notes.{maybe}{back}", data)])
        top, *others = result.hits
        part = top.part_text(top.cited)
        short = len(part.split()) < LOOKUP_SHORT_WORDS
        passing = result.kind == "lookup" and not result.suggestion and self._named_in_passing(topic, top)
        data["in_passing"] = passing
        lead = "The notes only mention this in passing; the closest is from " if passing else "From "
        text = f"{lead}{say.cite(top.doc, top.heading, top.line)}: {_passage(part if short else top.snippet, 400)}"
        # A one-line part ("This is known as a retry storm.") names the thing without explaining
        # it; the part right after it usually does, so it is quoted too.
        if short and top.cited + 1 < len(top.parts):
            nxt = top.parts[top.cited + 1]
            text += (f"\n{say.cite(top.doc, ' > '.join(nxt.heading_path), nxt.line)}: "
                     f"{_passage(_without_heading(top.part_text(top.cited + 1), nxt.heading_path), 300)}")
        elif short:
            after = _section_after(top, others)
            if after is not None:
                others.remove(after)
                text += f"\n{say.cite(after.doc, after.heading, after.line)}: {_passage(after.text, 300)}"
        if others:
            text += "\nSee also: " + "; ".join(say.cite(h.doc, h.heading, h.line) for h in others)
        if result.suggestion:
            text = f"(Searching for “{result.suggestion}”.) " + text
        return _Step(state, [Reply("lookup", text + ("\n" + back.strip() if back else ""), data)])

    def _named_in_passing(self, topic: str, top: Any) -> bool:
        """Tell whether the best passage names the topic's most telling word once, and not in its
        heading ("cache stampede" in a list of caching use cases): the notes have no section on it."""
        df = {t: self.search.document_frequency(t) for t in analyze(topic)}
        used = [t for t, n in df.items() if n > 0]
        if not used:
            return False
        rarest = min(used, key=df.__getitem__)
        return rarest not in analyze(top.heading) and analyze(top.text).count(rarest) <= 1

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
        if state.phase == "followup":
            return self._do_take_follow_up(state, Intent("answer", text))
        return self._do_take_answer(state, Intent("answer", text))

    # ------------------------------------------------------------------ progress and the end

    def _do_score(self, state: State, intent: Intent) -> _Step:
        if state.phase == "ended":
            return _Step(state, [summary_reply(state, self.bank, self._study)])
        return _Step(state, [progress_reply(state, self.bank)])

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
        if state.config.mode == "mock":
            lead = []
        return self._finish(state, lead)

    def _finish(self, state: State, lead: list[Reply]) -> _Step:
        state = state.evolve(phase="ended", draft=(), pending=None)
        return _Step(state, lead + [summary_reply(state, self.bank, self._study)])

    def _do_after_end(self, state: State, intent: Intent) -> _Step:
        return _Step(state, [Reply("notice", "This interview is over. Say “new” to start another, "
                                   "“score” to see the summary again, or ask me to look something up.")])

    def _do_restart(self, state: State, intent: Intent) -> _Step:
        lead = []
        if state.phase != "ended" and state.results:
            lead = self._finish(state, []).replies
        config = Config(count=state.config.count, mode=state.config.mode,
                        answer_mode=state.config.answer_mode, seed=state.config.seed + 1)
        fresh, greeting = self.start(config)
        return _Step(fresh.evolve(turn=state.turn), lead + greeting)

    # ------------------------------------------------------------------ the rest

    def _do_help(self, state: State, intent: Intent) -> _Step:
        where = _GUIDANCE.get(state.phase, "")
        return _Step(state, [Reply("notice", (where + "\n" if where else "") + say.HELP)])

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
        return _Step(state, [Reply("error", f"I don't know the command {intent.arg}. "
                                   "Try /hint, /skip, /repeat, /retry, /lookup <topic>, /score, /end or /help.")])

    def _do_not_now(self, state: State, intent: Intent) -> _Step:
        why = _GUIDANCE.get(state.phase) or "That doesn't apply right now. Say /help to see what you can do."
        return _Step(state, [Reply("notice", why)])

    # ------------------------------------------------------------------ helpers

    def _question_terms(self, state: State) -> frozenset[str]:
        if not state.current:
            return frozenset()
        q = self.bank.get(state.current)
        return frozenset(t for c in q.concepts for t in analyze(c.label)) | frozenset(analyze(q.prompt))


# What to do next, by phase: said by /help, and when a command does not apply where it is said.
_GUIDANCE = {
    "setup": "There's no question open yet — pick a topic and a level, e.g. “messaging, medium”, or say “surprise me”.",
    "followup": "Answer the follow-up, or say “next” to move on.",
    "clarify": "Say “question” or “answer”.",
    "ended": "The interview is over: say “new” to start another.",
}
_ASKING = re.compile(r"(?:(?:it|that) (?:is|was) )?(?:a |my )?(?:question|lookup|look it up|look up|asking|the former)")
_ANSWERING = re.compile(r"(?:(?:it|that) (?:is|was) )?(?:an |my |the )?(?:answer|mine|answering|the latter)")


def _score_of(card: dict[str, Any] | None) -> dict[str, float] | None:
    return {"score": card["score"], "grade": card["grade"]} if card else None


def _clamp(config: Config) -> Config:
    """Keep a config within bounds: a known level and mode, 1..MAX_COUNT questions."""
    return Config(
        topic=(config.topic or None),
        difficulty=config.difficulty if config.difficulty in ("easy", "medium", "hard") else None,
        count=max(1, min(MAX_COUNT, int(config.count or 5))),
        mode=config.mode if config.mode in ("practice", "mock") else "practice",
        answer_mode=config.answer_mode if config.answer_mode in ("auto", "lines") else "auto",
        seed=int(config.seed),
    )


__all__ = ["Interviewer", "TRANSITIONS", "ACTION_PHASES", "action_for", "SetupChoice"]


def _passage(text: str, limit: int) -> str:
    """Quote corpus text as plain words: markdown emphasis off, clipped on a word boundary."""
    return say.clip(text.replace("**", ""), limit)


def _without_heading(text: str, path: tuple[str, ...]) -> str:
    """Drop the heading lines an absorbed part opens with (the citation names them)."""
    lines = text.split("\n")
    while lines and lines[0].strip() in path:
        lines = lines[1:]
    return "\n".join(lines)


def _section_after(top: Any, others: list[Any]) -> Any | None:
    """Return the hit that starts next after `top` in the same document, if the search found one."""
    after = [h for h in others if h.doc == top.doc and 0 < h.line - top.line <= LOOKUP_NEXT_SECTION_LINES]
    return min(after, key=lambda h: h.line, default=None)
