"""Answer → Scorecard: weighted concept coverage, soft term overlap, calibration, flags, follow-up.

The score, in five steps (every number is a keyword argument of `Grader`, default in
data/grading_rules.toml):

1. coverage = Σ weight(c) × credit(c) / Σ weight(c) over the reference's concepts, where credit(c) is
   the IDF-weighted share of c's words (in its best wording) the answer says, near each other;
2. overlap  = the IDF-weighted share of all the reference's terms the answer says (soft, catches
   what the concepts leave out);
3. elaboration = min(1, content words / min(reference content words, elaboration_words)) × focus,
   where focus is the share of the answer's content terms that belong to the question or reference:
   an answer of about the reference's length that stays on topic (padding lowers focus);
4. raw      = (1 − elaboration_share) × (concept_share × coverage + (1 − concept_share) × overlap)
              + elaboration_share × elaboration;
5. score    = raw ** gamma (gamma 0.5: half the concepts ≈ 0.71, a quarter 0.5 — graders give partial
   credit generously), then each flag's penalty; grade = grade_scale × score, to a tenth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from interviewer.errors import GradingError
from interviewer.grading.aliases import SynonymTable, default_synonyms, terms_of
from interviewer.grading.choice import OptionChoice, choose_option, option_label, option_letter
from interviewer.grading.concepts import (
    CONCEPT_DEFAULTS, extract_concepts, probe_concepts, require_concepts, sentence_counts, split_reference, term_weigher,
)
from interviewer.grading.delivery import delivery_of
from interviewer.grading.followup import follow_up_for
from interviewer.grading.matching import AnswerModel, ReferenceModel, build_reference_model, in_bare_list, match_concept, read_answer
from interviewer.grading.rules import tunables
from interviewer.lexicon import Lexicon
from interviewer.records import Concept, Delivery, Flag, Match, Miss, Question, Scorecard
from interviewer.text import word_terms, words

GRADER_DEFAULTS: dict[str, float] = (
    dict(CONCEPT_DEFAULTS)
    | tunables("matching")
    | tunables("score")
    | tunables("flags")
    | tunables("choice")
    | tunables("delivery")
)


# Grading is linear in the answer's length (about 2 s a megabyte); past this an answer is refused.
MAX_ANSWER_CHARS = 1_000_000


@dataclass(frozen=True)
class _Prepared:
    concepts: tuple[Concept, ...]
    model: ReferenceModel
    plain_weight: Callable[[str], float]  # term weights without the question's discount
    explains: bool  # the reference is prose (a bare list of terms cannot stand in for it)


class Grader:
    """Grades answers against references; build once (lexicon, synonyms), call `grade` from any thread."""

    def __init__(self, lexicon: Lexicon | None = None, synonyms: SynonymTable | None = None, **settings: float) -> None:
        unknown = set(settings) - set(GRADER_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown grading setting(s): {', '.join(sorted(unknown))}")
        self.lexicon = lexicon
        self.synonyms = synonyms if synonyms is not None else default_synonyms()
        self.settings: dict[str, float] = GRADER_DEFAULTS | settings
        self._known_words = frozenset(lexicon.df) if lexicon is not None else frozenset()
        # Caches are per grader; lru_cache is safe to call from several threads at once.
        self._prepare = lru_cache(maxsize=4096)(self._prepare_uncached)

    # ----------------------------------------------------------------- references

    def concepts(self, reference: str, question_text: str | None = None, kind: str = "open") -> tuple[Concept, ...]:
        """Return the concepts of a reference as this grader sees them."""
        opts = {k: v for k, v in self.settings.items() if k in CONCEPT_DEFAULTS}
        if kind == "probe":
            return probe_concepts(reference, self.lexicon, question=question_text, synonyms=self.synonyms, **opts)
        return extract_concepts(reference, self.lexicon, question=question_text, synonyms=self.synonyms, **opts)

    def _prepare_uncached(self, reference: str, question_text: str, kind: str, concepts: tuple[Concept, ...]) -> _Prepared:
        if not concepts:
            concepts = self.concepts(reference, question_text, kind)
        require_concepts(concepts)
        question_terms = frozenset(self.synonyms.canonical(terms_of(question_text))) | frozenset(terms_of(question_text))
        sentences = [frozenset(self.synonyms.canonical(terms_of(x.text))) for x in split_reference(reference)]
        weight = term_weigher(self.lexicon, question_terms, self.settings, sentence_counts(sentences))
        model = build_reference_model(concepts, reference, question_text, self.synonyms, weight)
        explains = kind != "probe" and model.words >= self.settings["stuffing_reference_words"]
        return _Prepared(concepts, model, term_weigher(self.lexicon, frozenset(), self.settings), explains)

    # ----------------------------------------------------------------- grading

    def grade(
        self,
        answer: str,
        *,
        question: Question | None = None,
        reference: str | None = None,
        question_text: str | None = None,
        hints_used: int = 0,
    ) -> Scorecard:
        """Grade one answer against a bank question, or against a reference (and its question text)."""
        if not isinstance(answer, str):
            raise GradingError(f"the answer must be text, not {type(answer).__name__}")
        if len(answer) > MAX_ANSWER_CHARS:
            raise GradingError(f"the answer is {len(answer):,} characters; one answer is graded up to "
                               f"{MAX_ANSWER_CHARS:,}")
        if not isinstance(hints_used, int) or isinstance(hints_used, bool) or hints_used < 0:
            raise GradingError("hints_used must be a whole number, 0 or more")
        if question is not None:
            reference = question.reference
            question_text = question.prompt if question_text is None else question_text
            kind, given = question.kind, tuple(question.concepts)
        elif reference is not None:
            kind, given = "open", ()
        else:
            raise GradingError("give a question or a reference answer to grade against")
        if not isinstance(reference, str) or (question_text is not None and not isinstance(question_text, str)):
            raise GradingError("the reference and the question must be text")
        prepared = self._prepare(reference, question_text or "", kind, given)
        s = self.settings
        ans = read_answer(
            answer,
            prepared.model,
            self.synonyms,
            is_word=self._is_word,
            typo_min_length=int(s["typo_min_length"]),
            typo_ratio_short=s["typo_ratio_short"],
            typo_ratio_long=s["typo_ratio_long"],
            typo_long_from=int(s["typo_long_from"]),
        )
        delivery = delivery_of(
            ans.spoken,
            words(answer),
            words_per_minute=s["words_per_minute"],
            top_words=int(s["top_words"]),
            repeated_phrases=int(s["repeated_phrases"]),
            repeat_min_count=int(s["repeat_min_count"]),
        )
        question_id = question.id if question is not None else None
        if kind == "choice" and question is not None and question.options and option_letter(question.answer_option):
            return self._grade_choice(question, prepared, ans, delivery, hints_used)
        if not ans.words:
            return self._empty(question_id, prepared, delivery, hints_used)
        return self._grade_open(question_id, prepared, ans, delivery, hints_used)

    def _is_word(self, word_stem: str) -> bool:
        return word_stem in self._known_words

    def _coverage(self, prepared: _Prepared, ans: AnswerModel) -> tuple[list[tuple[Concept, float, float, str]], float, float]:
        """Return per-concept (concept, credit, credit before the bare-list discount, evidence) and the coverage (discounted, full)."""
        s = self.settings
        rows = []
        total = got = got_full = 0.0
        for concept, forms in zip(prepared.concepts, prepared.model.aliases):
            m = match_concept(
                forms,
                ans,
                prepared.model.weight,
                tight=prepared.model.tight,
                window_per_term=s["window_per_term"],
                scattered_credit=s["scattered_credit"],
                missing_head_credit=s["missing_head_credit"],
            )
            credit = m.credit
            if credit > 0 and prepared.explains and in_bare_list(
                ans, m, function_share=s["stuffing_function_share"], min_terms=int(s["stuffing_min_terms"])
            ):
                credit *= s["stuffing_credit"]
            rows.append((concept, credit, m.credit, m.evidence))
            total += concept.weight
            got += concept.weight * credit
            got_full += concept.weight * m.credit
        if total <= 0:
            return rows, 0.0, 0.0
        return rows, got / total, got_full / total

    def _overlap(self, prepared: _Prepared, ans: AnswerModel, exclude: frozenset[str] = frozenset()) -> float:
        """Return the weighted share of the reference's terms the answer says (soft overlap).

        The share is of the elaboration_words heaviest terms' weight: a spoken answer can say the
        key terms of a two-page reference, not all of them.
        """
        weights = prepared.model.term_weights
        total = prepared.model.overlap_mass(int(self.settings["elaboration_words"]))
        if total <= 0:
            return 0.0
        got = sum(w for t, w in weights.items() if t in ans.positions and t not in exclude)
        return min(1.0, got / total)

    def _raw(self, prepared: _Prepared, coverage: float, overlap: float, ans: AnswerModel) -> float:
        s = self.settings
        share = s["concept_share"]
        content = share * coverage + (1 - share) * overlap
        words_needed = max(1.0, min(prepared.model.content_words, s["elaboration_words"]))
        length = min(1.0, len({i for _, i in ans.content}) / words_needed)
        elaboration = length * self._focus(prepared, ans)
        return (1 - s["elaboration_share"]) * content + s["elaboration_share"] * elaboration

    def _focus(self, prepared: _Prepared, ans: AnswerModel) -> float:
        """Return the share of the answer's content terms that belong to the question or reference."""
        content = [t for t, _ in ans.content]
        if not content:
            return 0.0
        model = prepared.model
        return sum(1 for t in content if t in model.on_topic) / len(content)

    def _calibrate(self, raw: float) -> float:
        return max(0.0, min(1.0, raw)) ** self.settings["gamma"]

    def _grade_open(self, question_id: str | None, prepared: _Prepared, ans: AnswerModel, delivery: Delivery, hints_used: int) -> Scorecard:
        s = self.settings
        model = prepared.model
        rows, coverage, coverage_full = self._coverage(prepared, ans)
        overlap = self._overlap(prepared, ans)
        score_full = self._calibrate(self._raw(prepared, coverage_full, overlap, ans))
        score = self._calibrate(self._raw(prepared, coverage, overlap, ans))
        flags: list[Flag] = []
        if score_full - score > 1e-9:
            bare = sum(1 for _, c, full, _ in rows if full >= s["covered_at"] and c < full)
            flags.append(Flag(
                "keyword_stuffing",
                f"{bare} concept(s) appear only in a bare list of terms; explain how they fit together to earn full credit",
                round(score_full - score, 3),
            ))
        content = [t for t, _ in ans.content]
        n_content = len({i for _, i in ans.content})
        needed = _clamp(math.ceil(s["short_share"] * model.content_words), s["short_min"], s["short_max"])
        if n_content < needed and score > 0:
            before = score
            score *= n_content / needed
            flags.append(Flag(
                "too_short",
                f"{n_content} content word(s) where the reference needs about {int(needed)}; say more about how it works",
                round(before - score, 3),
            ))
        if content:
            # Weighted by IDF: "use" and "work" are how anyone restates a question, not what they add.
            plain = prepared.plain_weight
            mass = sum(plain(t) for t in content)
            in_question = sum(plain(t) for t in content if t in model.question_words) / mass if mass else 1.0
            new = self._overlap(prepared, ans, exclude=model.question_terms)
            topical = sum(1 for t in content if t in model.on_topic) / len(content)
            if in_question >= s["copied_share"] and new < s["copied_new_coverage"] and coverage < s["copied_max_coverage"]:
                flags.append(Flag("copied_question", "the answer restates the question; restating it earns nothing", round(score, 3)))
                score = 0.0
            elif len(content) >= s["off_topic_min_terms"] and topical < s["off_topic_share"] \
                    and coverage < s["off_topic_coverage"] and not self._in_domain(model, content):
                flags.append(Flag("off_topic", "the answer has little to do with the question or the reference answer", round(score, 3)))
                score = 0.0
        if not self._looks_english(ans, prepared):
            flags.append(Flag("not_english", "the answer does not look like English; answers are graded in English only", round(score, 3)))
            score = 0.0
        score = self._hint_penalty(score, hints_used, flags)
        matched, missed = self._split(rows)
        return self._card(question_id, score, matched, missed, delivery, flags, prepared)

    def _in_domain(self, model: ReferenceModel, content: list[str]) -> bool:
        """Tell whether an answer to a question with too few words of its own to judge it against
        ("Tests understanding of message brokers, persistence levels…") keeps to the corpus's subject.

        Such a question shares few words even with a good answer, so its answer is off topic only
        when it also leaves the corpus's vocabulary (terms in at least two of its sections).
        """
        s = self.settings
        if self.lexicon is None or len(model.on_topic) >= s["off_topic_min_vocabulary"]:
            return False
        df = self.lexicon.df
        known = sum(1 for t in content if df.get(t, 0) >= 2)
        return known / len(content) >= s["off_topic_domain_share"]

    def _looks_english(self, ans: AnswerModel, prepared: _Prepared) -> bool:
        """Tell whether enough of the answer is words the grader knows (English stop words, corpus or reference words)."""
        s = self.settings
        ws = ans.words
        letters = [ch for w in ws for ch in w.text if ch.isalpha()]
        if len(letters) >= 4 and sum(1 for ch in letters if ch.isascii()) / len(letters) < 0.5:
            return False  # another script altogether
        if len(ws) < s["language_min_words"]:
            return True
        if self.lexicon is None:
            return True  # without a corpus vocabulary, only the script can be judged
        known = prepared.model.known
        recognised = 0
        for w in ws:
            terms = word_terms(w.text)
            if not terms or w.text.isdigit() or all(t in known or t in self._known_words for t in terms):
                recognised += 1
        return recognised / len(ws) >= s["language_known_share"]

    def _hint_penalty(self, score: float, hints_used: int, flags: list[Flag]) -> float:
        if hints_used <= 0:
            return score
        s = self.settings
        penalty = min(score, min(s["hint_max_penalty"], hints_used * s["hint_penalty"]))
        flags.append(Flag(
            "hints_used",
            f"{hints_used} hint(s) used: {s['hint_penalty']:.2f} off the score for each (at most {s['hint_max_penalty']:.2f})",
            round(penalty, 3),
        ))
        return score - penalty

    def _split(self, rows: list[tuple[Concept, float, float, str]]) -> tuple[list[Match], list[Miss]]:
        covered_at = self.settings["covered_at"]
        matched = [Match(c.label, ev, c.weight) for c, credit, _, ev in rows if credit >= covered_at]
        missed = [Miss(c.label, c.evidence, c.weight) for c, credit, _, _ in rows if credit < covered_at]
        matched.sort(key=lambda m: -m.weight)
        missed.sort(key=lambda m: -m.weight)
        return matched, missed

    def _card(
        self,
        question_id: str | None,
        score: float,
        matched: list[Match],
        missed: list[Miss],
        delivery: Delivery,
        flags: list[Flag],
        prepared: _Prepared,
        follow_up: str | None = None,
    ) -> Scorecard:
        score = round(max(0.0, min(1.0, score)), 3)
        if follow_up is None:
            by_label = {c.label: c for c in prepared.concepts}
            top = next((by_label[m.concept] for m in missed if m.concept in by_label), None)
            if top is not None:
                follow_up = follow_up_for(top, top.evidence)
        return Scorecard(
            question_id=question_id,
            score=score,
            grade=round(self.settings["grade_scale"] * score, 1),
            matched=tuple(matched),
            missed=tuple(missed),
            delivery=delivery,
            flags=tuple(flags),
            follow_up=follow_up,
        )

    def _empty(self, question_id: str | None, prepared: _Prepared, delivery: Delivery, hints_used: int) -> Scorecard:
        flags = [Flag("empty", "there is no answer to grade (no words in it)", 0.0)]
        self._hint_penalty(0.0, hints_used, flags)
        rows = [(c, 0.0, 0.0, "") for c in prepared.concepts]
        matched, missed = self._split(rows)
        return self._card(question_id, 0.0, matched, missed, delivery, flags, prepared)

    def _grade_choice(self, question: Question, prepared: _Prepared, ans: AnswerModel, delivery: Delivery, hints_used: int) -> Scorecard:
        """Grade a choice answer: right/wrong option (by letter or text) plus coverage of the "why"."""
        s = self.settings
        right = option_letter(question.answer_option) or ""
        chosen: OptionChoice | None = choose_option(
            ans.text,
            question.options,
            self.synonyms,
            prepared.model.weight,
            option_text_recall=s["option_text_recall"],
            option_text_margin=s["option_text_margin"],
        )
        rows, coverage, _ = self._coverage(prepared, ans)
        overlap = self._overlap(prepared, ans)
        why = self._calibrate(self._raw(prepared, coverage, overlap, ans)) if ans.words else 0.0
        weight = s["choice_weight"]
        flags: list[Flag] = []
        matched, missed = self._split(rows)
        right_label = option_label(right, question.options)
        follow_up = None
        if chosen is not None and chosen.letter == right:
            score = weight + (1 - weight) * why
            matched.insert(0, Match(right_label, chosen.evidence, 1.0))
        else:
            follow_up = f"Why is option {right} the better answer?"
            score = (1 - weight) * why * s["wrong_why_share"]
            if chosen is None:
                flags.append(Flag("no_option", "name one of the options (A, B, C…) or say its text", round(weight, 3)))
            else:
                flags.append(Flag("wrong_option", f"you chose {chosen.letter}; the answer is {right}", round(weight, 3)))
            missed.insert(0, Miss(right_label, question.reference.strip().split("\n")[0][:300], 1.0))
        if not ans.words:
            flags.insert(0, Flag("empty", "there is no answer to grade (no words in it)", 0.0))
        score = self._hint_penalty(score, hints_used, flags)
        return self._card(question.id, score, matched, missed, delivery, flags, prepared, follow_up)


def _clamp(x: float, lo: float, hi: float) -> float:
    return max(lo, min(hi, x))


def grade_to_dict(card: Scorecard) -> dict[str, Any]:
    """Return the compact JSON line of a scorecard (batch output): labels of matched/missed, flag names."""
    return {
        "score": card.score,
        "grade": card.grade,
        "matched": [m.concept for m in card.matched],
        "missed": [m.concept for m in card.missed],
        "flags": [f.name for f in card.flags],
    }
