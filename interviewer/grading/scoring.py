"""Answer → Scorecard: concepts named and explained, soft term overlap, delivery, flags, follow-up.

The score (every number a keyword argument of `Grader`, default in data/grading_rules.toml):

1. per concept c of weight w: named m(c) = the best credit any wording of c earns in the answer (its
   words said close together, its head said); explained e(c) = 1 when the answer ties it to a reason,
   another concept, a number or an example in a clause, clause_share in a clause alone, named_share in
   a bare list (explanation.py);
2. coverage = Σ w·m / Σ w;  explanation = Σ w·m·e / Σ w·m;  credited = Σ w·m·e / Σ w;
3. overlap = the weighted share of the reference's heaviest terms the answer says, each at its
   sentence's share (a bare list's words count named_share);
4. delivery = min(1, distinct content words / min(reference content words, elaboration_words)) × focus
   (the share of the answer's words on the question or reference), repeated sentences not counted;
5. content = fade · (concept_share · credited + (1 − concept_share) · overlap) + (1 − fade) · overlap,
   fade going from 0 to 1 as the reference grows from short_reference_from to short_reference_to content
   words (a one-sentence reference is graded on its plain words: SemEval-style short answers);
6. raw = (1 − delivery_share) · content + delivery_share · delivery; score = raw ** gamma, then each
   flag; grade = grade_scale · score, to a tenth. A list of terms answering a reference of
   no_explanation_reference_words words or more is capped at no_explanation_cap (flag no_explanation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Sequence

from interviewer.concepts.inventory import Inventory
from interviewer.concepts.question import ConceptPicker, reference_sentences
from interviewer.concepts.sources import probe_items
from interviewer.errors import GradingError
from interviewer.grading.choice import OptionChoice, choose_option, option_label, option_letter
from interviewer.grading.delivery import delivery_of
from interviewer.grading.explanation import NAMED, Explained, cue_marks, explained, substance_marks
from interviewer.grading.followup import follow_up_for
from interviewer.grading.matching import (
    AnswerModel, ConceptMatch, ReferenceModel, build_reference_model, match_concept, read_answer,
)
from interviewer.concepts.words import evaluative
from interviewer.grading.rules import generic_terms, tunables
from interviewer.grading.weights import sentence_counts, term_weigher
from interviewer.lexicon import Lexicon
from interviewer.records import Concept, Delivery, Dimensions, Flag, Match, Miss, Question, Scorecard, Source
from interviewer.text import memo, normalise_spoken, word_terms, words
from interviewer.vocabulary import SynonymTable, default_synonyms, terms_of

# The flag of an answer with no words in it.
EMPTY = Flag("empty", "there is no answer to grade (no words in it)", 0.0)

GRADER_DEFAULTS: dict[str, float] = (
    tunables("weights")
    | tunables("matching")
    | tunables("explanation")
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
    explains: bool  # the reference is prose long enough that a bare list of terms cannot stand in for it
    fade: float  # 0 for a one-line reference (graded on its plain words), 1 for a long one
    assembled: bool = False  # the reference was assembled from the notes' definitions (a probe's)
    specific: frozenset[str] = frozenset()  # reference terms beyond the question's and the generic words


@dataclass(frozen=True)
class _Row:
    """How the answer treats one concept."""

    concept: Concept
    named: float
    explained: Explained
    evidence: str
    lone_head: bool

    @property
    def credit(self) -> float:
        return self.named * self.explained.share


class Grader:
    """Grades answers against references; build once (lexicon, synonyms, inventory), call `grade` from
    any thread."""

    def __init__(self, lexicon: Lexicon | None = None, synonyms: SynonymTable | None = None,
                 inventory: Inventory | None = None, **settings: float) -> None:
        unknown = set(settings) - set(GRADER_DEFAULTS)
        if unknown:
            raise TypeError(f"unknown grading setting(s): {', '.join(sorted(unknown))}")
        self.lexicon = lexicon
        self.inventory = inventory
        self.synonyms = synonyms if synonyms is not None else (inventory.synonyms if inventory else default_synonyms())
        self.settings: dict[str, float] = GRADER_DEFAULTS | settings
        self._known_words = frozenset(lexicon.df) if lexicon is not None else frozenset()
        self._picker = ConceptPicker(inventory, lexicon=lexicon, synonyms=self.synonyms)
        # Caches are per grader; lru_cache is safe to call from several threads at once.
        self._prepare = lru_cache(maxsize=4096)(self._prepare_uncached)
        # A follow-up's reference (a concept's name and sentence) comes back for every answer that misses it.
        self._concepts = lru_cache(maxsize=4096)(self._concepts_uncached)

    # ----------------------------------------------------------------- references

    def concepts(self, reference: str, question_text: str | None = None, kind: str = "open") -> tuple[Concept, ...]:
        """Return the concepts of a reference as this grader sees them (a probe line: its topics)."""
        return self._concepts(reference, question_text or "", kind)

    def _concepts_uncached(self, reference: str, question_text: str, kind: str) -> tuple[Concept, ...]:
        if kind == "probe" and probe_items(reference):
            q = Question("", "probe", "", "", question_text, reference, source=Source("", (), 0))
            return self._picker.probe_concepts(q)
        return self._picker.pick(reference, question_text, local=True)

    def _prepare_uncached(self, reference: str, question_text: str, kind: str, concepts: tuple[Concept, ...]) -> _Prepared:
        if not concepts:
            concepts = self.concepts(reference, question_text, kind)
        if not concepts:
            raise GradingError("the reference has no concepts to grade against (it holds no content words); "
                               "give a reference answer that explains the idea")
        s = self.settings
        question_terms = frozenset(self.synonyms.canonical(terms_of(question_text))) | frozenset(terms_of(question_text))
        sentences = [frozenset(self.synonyms.canonical(terms_of(x.text))) for x in reference_sentences(reference)]
        weight = term_weigher(self.lexicon, question_terms, s, sentence_counts(sentences))
        model = build_reference_model(concepts, reference, question_text, self.synonyms, weight)
        span = max(1e-9, s["short_reference_to"] - s["short_reference_from"])
        fade = min(1.0, max(0.0, (model.content_words - s["short_reference_from"]) / span))
        # A list of terms cannot stand in for a reference that explains, nor answer a probe (its reference
        # is assembled from definitions: the question asks for an explanation, however short the notes').
        explains = model.words >= s["no_explanation_reference_words"] or kind == "probe"
        specific = frozenset(t for t in model.term_weights if t not in model.question_words and t not in generic_terms()
                             and not evaluative(t) and self._rare(t))
        return _Prepared(concepts, model, term_weigher(self.lexicon, frozenset(), s), explains, fade, kind == "probe",
                         specific)

    def prepare(self, question: Question) -> None:
        """Work out ahead what grading an answer to a bank question needs (as its first answer would)."""
        self._prepare(question.reference, question.prompt, question.kind, tuple(question.concepts))
        for r in question.references:
            self._prepare(r, question.prompt, "open", ())

    # ----------------------------------------------------------------- grading

    @memo()
    def grade(
        self,
        answer: str,
        *,
        question: Question | None = None,
        reference: str | None = None,
        question_text: str | None = None,
        hints_used: int = 0,
        references: Sequence[str] = (),
    ) -> Scorecard:
        """Grade one answer against a bank question, or against a reference (and its question text).

        Several references (a question's `references`, or `references` given here): the best counts.
        """
        if not isinstance(answer, str):
            raise GradingError(f"the answer must be text, not {type(answer).__name__}")
        if len(answer) > MAX_ANSWER_CHARS:
            raise GradingError(f"the answer is {len(answer):,} characters; one answer is graded up to "
                               f"{MAX_ANSWER_CHARS:,}")
        if not isinstance(hints_used, int) or isinstance(hints_used, bool) or hints_used < 0:
            raise GradingError("hints_used must be a whole number, 0 or more")
        if question is not None:
            question_text = question.prompt if question_text is None else question_text
            cards = [self._grade_one(answer, question.reference, question_text, question.kind, tuple(question.concepts),
                                     hints_used, question)]
            cards += [self._grade_one(answer, r, question_text, "open", (), hints_used, question)
                      for r in (*question.references, *references)]
        else:
            alternatives = ([reference] if reference is not None else []) + list(references)
            if not alternatives:
                raise GradingError("give a question or a reference answer to grade against")
            cards = [self._grade_one(answer, r, question_text, "open", (), hints_used, None) for r in alternatives]
        return max(cards, key=lambda c: c.score)

    @memo()
    def grade_follow_up(self, answer: str, concept: Concept, prompt: str) -> Scorecard:
        """Grade the answer to a follow-up probe on one concept. The probe names the concept, so the answer
        may explain it without naming it again ("What role do persistence levels play?" — "it's how
        durable a message is: in memory, on disk, replicated"): it covers the concept when it says
        something specific about it."""
        reference = f"{concept.label}. {concept.evidence}".strip() if concept.evidence else concept.label
        others = [c for c in self.concepts(reference, "", "open") if c.id != concept.id and c.label != concept.label]
        main = Concept(concept.id, concept.label, concept.aliases, 1.0, concept.evidence, concept.source)
        concepts = (main, *(Concept(c.id, c.label, c.aliases, 0.5 * c.weight, c.evidence, c.source) for c in others[:3]))
        return self._grade_one(answer, reference, "", "open", concepts, 0, None, subject=concept.id)

    @memo()
    def concede(self, answer: str, *, question: Question | None = None, concept: Concept | None = None) -> Scorecard:
        """Grade an answer that says "I don't know": 0, every concept of the question (or the one concept a
        follow-up asked about) missed with the sentence that explains it, the delivery as said."""
        if question is not None:
            prepared = self._prepare(question.reference, question.prompt, question.kind, tuple(question.concepts))
        elif concept is not None:
            reference = f"{concept.label}. {concept.evidence}".strip() if concept.evidence else concept.label
            prepared = self._prepare(reference, "", "open", (concept,))
        else:
            raise GradingError("give the question (or the concept) that was not answered")
        spoken = normalise_spoken(answer)
        delivery = self._delivery_figures(spoken, answer)
        flag = Flag("conceded", "you said you don't know: graded 0, and the key idea is shown to read", 0.0)
        return self._empty(question.id if question is not None else None, prepared, delivery, 0, flag)

    @memo()
    def delivery(self, answer: str) -> Delivery:
        """Return how an answer would sound spoken, graded or not (a design answer graded by its rubric)."""
        return self._delivery_figures(normalise_spoken(answer), answer)

    def _delivery_figures(self, spoken: Any, answer: str) -> Delivery:
        s = self.settings
        return delivery_of(
            spoken, words(answer), words_per_minute=s["words_per_minute"], top_words=int(s["top_words"]),
            repeated_phrases=int(s["repeated_phrases"]), repeat_min_count=int(s["repeat_min_count"]),
        )

    def _grade_one(self, answer: str, reference: Any, question_text: str | None, kind: str,
                   given: tuple[Concept, ...], hints_used: int, question: Question | None,
                   subject: str | None = None) -> Scorecard:
        if not isinstance(reference, str) or (question_text is not None and not isinstance(question_text, str)):
            raise GradingError("the reference and the question must be text")
        prepared = self._prepare(reference, question_text or "", kind, given)
        s = self.settings
        ans = read_answer(
            answer, prepared.model, self.synonyms, is_word=self._is_word,
            typo_min_length=int(s["typo_min_length"]), typo_ratio_short=s["typo_ratio_short"],
            typo_ratio_long=s["typo_ratio_long"], typo_long_from=int(s["typo_long_from"]),
            repeat_min_terms=int(s["repeat_min_terms"]),
        )
        delivery = self._delivery_figures(ans.spoken, answer)
        question_id = question.id if question is not None else None
        if kind == "choice" and question is not None and question.options and option_letter(question.answer_option):
            return self._grade_choice(question, prepared, ans, delivery, hints_used)
        if not ans.words:
            return self._empty(question_id, prepared, delivery, hints_used)
        return self._grade_open(question_id, prepared, ans, delivery, hints_used, subject)

    def _rare(self, term: str) -> bool:
        """Tell whether a term is specific to some passages of the notes (not in specific_share of them)."""
        lex = self.lexicon
        if lex is None or not lex.documents:
            return True
        return all(lex.df.get(p, 0) <= self.settings["specific_share"] * lex.documents for p in term.split("_"))

    def _is_word(self, word_stem: str) -> bool:
        return word_stem in self._known_words

    # ----------------------------------------------------------------- the parts of a score

    def _rows(self, prepared: _Prepared, ans: AnswerModel, subject: str | None = None) -> list[_Row]:
        """Match every concept, then judge how the answer treats each one it names (`subject`: the concept a
        follow-up asked about, named by the question itself)."""
        s = self.settings
        context = prepared.model.question_terms
        found = [(concept, match_concept(forms, ans, prepared.model.weight, tight=prepared.model.tight, context=context,
                                         window_per_term=s["window_per_term"], scattered_credit=s["scattered_credit"],
                                         lone_head_credit=s["lone_head_credit"], generic=generic_terms()))
                 for concept, forms in zip(prepared.concepts, prepared.model.aliases)]
        found = self._subjects_credited(found, prepared, ans, subject)
        spans = [(m.first, m.last) for _, m in found if m.credit > 0]
        marks = cue_marks(ans)
        # An assembled reference (a probe's topics' definitions) is no answer, and a reference of a few
        # specific words says too little: neither can tell specific talk from vague.
        measurable = not prepared.assembled and len(prepared.specific) >= s["substance_min_terms"]
        substance = substance_marks(ans, prepared.specific) if measurable else ()
        density = self._density(ans, substance) if substance else 1.0
        rows = []
        for c, m in found:
            how = explained(ans, m.first, m.last, marks, spans, s, substance)
            if how.level != NAMED and density < 1.0:
                how = Explained(how.share * density, how.level, how.cue)
            rows.append(_Row(c, m.credit, how, m.evidence, m.lone_head))
        return rows

    def _subjects_credited(self, found: list[tuple[Concept, ConceptMatch]], prepared: _Prepared, ans: AnswerModel,
                           subject: str | None) -> list[tuple[Concept, ConceptMatch]]:
        """Credit the concepts the question itself names (a follow-up's `subject`; a probe's topic "debugging" in
        "walk me through your debugging approach") to an answer that is about them without naming them
        again: one of subject_min_terms content words or more that covers a concept the question does not
        name (an off-topic answer covers none; a question that names all its concepts tells nothing)."""
        s = self.settings
        if len(ans.content) < s["subject_min_terms"]:
            return found
        context = prepared.model.question_terms
        # Only a probe's topics: "Explain fencing." asks for fencing to be explained, not assumed.
        asked = [prepared.assembled and bool(forms) and all(t in context for t in forms[0])
                 for forms in prepared.model.aliases]
        on_subject = any(m.credit >= s["covered_at"] for (_, m), a in zip(found, asked) if not a)
        return [(c, self._about_subject(ans) if (c.id == subject or (on_subject and a)) and m.credit < s["covered_at"]
                 else m) for (c, m), a in zip(found, asked)]

    def _about_subject(self, ans: AnswerModel) -> ConceptMatch:
        """Match the subject of a follow-up in an answer about it that does not name it: its first clause."""
        first, end = 0, ans.sentences[0][1]
        quote = " ".join(ans.text[ans.words[first].start : ans.words[min(end, 8) - 1].end].split())
        return ConceptMatch(1.0, quote, first, min(end, 8) - 1)

    def _density(self, ans: AnswerModel, substance: Sequence[bool]) -> float:
        """Return how much of what the answer says is specific to the question (0..1): the share of its
        content words that are the reference's specific terms, against substance_target. Fluent talk that
        names the right concepts between words anyone could say ("it's a fundamental trade-off every
        architect needs to understand") explains less than it seems to."""
        content = {i for _, i in ans.content}
        if not content:
            return 0.0
        share = sum(1 for i in content if substance[i]) / len(content)
        return min(1.0, share / self.settings["substance_target"])

    def _overlap(self, prepared: _Prepared, ans: AnswerModel, exclude: frozenset[str] = frozenset(),
                 listed: float = 1.0) -> float:
        """Return the weighted share of the reference's terms the answer says (soft overlap); a term said
        only in bare lists counts `listed` of itself.

        The share is of the elaboration_words heaviest terms' weight: a spoken answer can say the key
        terms of a two-page reference, not all of them.
        """
        weights = prepared.model.term_weights
        total = prepared.model.overlap_mass(int(self.settings["elaboration_words"]))
        if total <= 0:
            return 0.0
        bare = self._bare_sentences(ans) if listed < 1.0 else frozenset()
        got = 0.0
        for t, w in weights.items():
            where = ans.positions.get(t)
            if where is None or t in exclude:
                continue
            got += w if not bare or any(ans.sentence_of[p] not in bare for p in where) else w * listed
        return min(1.0, got / total)

    def _bare_sentences(self, ans: AnswerModel) -> frozenset[int]:
        """Return the sentences that are bare lists of terms (few function words)."""
        share = self.settings["list_function_share"]
        return frozenset(k for k, (_, _, n, function) in enumerate(ans.sentences)
                         if n >= 3 and function < share * n)

    def _delivery(self, prepared: _Prepared, ans: AnswerModel) -> float:
        """Return how well the answer is said: long enough for the question, on topic, not repeating itself."""
        s = self.settings
        needed = max(1.0, min(prepared.model.content_words, s["elaboration_words"]))
        fresh = {i for _, i in ans.content if ans.sentence_of[i] not in ans.repeats}
        return round(min(1.0, len(fresh) / needed) * self._focus(prepared, ans), 3)

    def _focus(self, prepared: _Prepared, ans: AnswerModel) -> float:
        """Return how much of the answer keeps to the subject: its content terms of the question or the
        reference count whole, other terms of the notes' vocabulary (in two sections or more) domain_credit."""
        content = [t for t, _ in ans.content]
        if not content:
            return 0.0
        on_topic = prepared.model.on_topic
        df = self.lexicon.df if self.lexicon is not None else {}
        credit = self.settings["domain_credit"]
        return sum(1.0 if t in on_topic else credit if df.get(t, 0) >= 2 else 0.0 for t in content) / len(content)

    def _calibrate(self, raw: float) -> float:
        return max(0.0, min(1.0, raw)) ** self.settings["gamma"]

    def _grade_open(self, question_id: str | None, prepared: _Prepared, ans: AnswerModel, delivery: Delivery,
                    hints_used: int, subject: str | None = None) -> Scorecard:
        s = self.settings
        rows = self._rows(prepared, ans, subject)
        total = sum(r.concept.weight for r in rows) or 1.0
        named = sum(r.concept.weight * r.named for r in rows) / total
        credited = sum(r.concept.weight * r.credit for r in rows) / total
        explanation = credited / named if named > 0 else 0.0
        overlap = self._overlap(prepared, ans, listed=s["named_share"])
        said = self._delivery(prepared, ans)
        share = s["assembled_concept_share"] if prepared.assembled else s["concept_share"]
        long_form = share * credited + (1 - share) * overlap
        # A follow-up's reference is its concept's name and sentence: short, but graded on the concept.
        fade = 1.0 if subject else prepared.fade
        content = fade * long_form + (1 - fade) * overlap
        length = s["delivery_share"] + (1 - fade) * (s["short_length_share"] - s["delivery_share"])
        score = self._calibrate((1 - length) * content + length * said)
        dims = Dimensions(round(named, 3), round(explanation, 3), said)
        flags: list[Flag] = []
        score = self._no_explanation(prepared, ans, rows, named, explanation, score, flags)
        self._repetition(ans, flags)
        score = self._too_short(prepared, ans, score, flags)
        score = self._restated_or_off_topic(prepared, ans, named, score, flags)
        if not self._looks_english(ans, prepared):
            flags.append(Flag("not_english", "the answer does not look like English; answers are graded in English only",
                              round(score, 3)))
            score = 0.0
        score = self._hint_penalty(score, hints_used, flags)
        matched, missed = self._split(rows)
        return self._card(question_id, score, matched, missed, delivery, flags, prepared, dims=dims)

    def _no_explanation(self, prepared: _Prepared, ans: AnswerModel, rows: list[_Row], named: float,
                        explanation: float, score: float, flags: list[Flag]) -> float:
        """Cap an answer that names concepts without explaining any (a list of terms) and say which to explain."""
        s = self.settings
        listed = [r for r in rows if r.named >= s["covered_at"] and r.explained.level == NAMED]
        is_list = ans.function_share < s["answer_list_share"] or (len(listed) >= 2 and explanation < s["list_explanation"])
        if not (prepared.explains and is_list and named > 0):
            return score
        capped = min(score, s["no_explanation_cap"])
        names = ", ".join(r.concept.label for r in sorted(listed, key=lambda r: -r.concept.weight)[:4])
        flags.append(Flag(
            "no_explanation",
            "the answer names concepts without saying what they do"
            + (f": explain {names} — how each works, why, or when you'd use it" if names else ""),
            round(score - capped, 3),
        ))
        return capped

    def _repetition(self, ans: AnswerModel, flags: list[Flag]) -> None:
        """Note an answer that says the same sentence again: repeating it earns nothing more."""
        if not ans.repeats:
            return
        repeated = sum(ans.sentences[k][2] for k in ans.repeats)
        if repeated >= self.settings["repetition_share"] * len(ans.words):
            flags.append(Flag("repetition", f"{len(ans.repeats)} sentence(s) repeat what the answer already said; "
                                            "saying it again earns nothing more", 0.0))

    def _too_short(self, prepared: _Prepared, ans: AnswerModel, score: float, flags: list[Flag]) -> float:
        s = self.settings
        n_content = len({i for _, i in ans.content})
        needed = _clamp(math.ceil(s["short_share"] * prepared.model.content_words), s["short_min"], s["short_max"])
        if n_content >= needed or score <= 0:
            return score
        before = score
        score *= n_content / needed
        flags.append(Flag("too_short", f"{n_content} content word(s) where the reference needs about {int(needed)}; "
                                       "say more about how it works", round(before - score, 3)))
        return score

    def _restated_or_off_topic(self, prepared: _Prepared, ans: AnswerModel, named: float, score: float,
                               flags: list[Flag]) -> float:
        """Zero an answer that only restates the question (adds no content word to it) or leaves the subject."""
        s = self.settings
        model = prepared.model
        content = [t for t, _ in ans.content]
        if not content:
            return score
        # Restating: not one content word beyond the question's own (a right answer may have to reuse
        # many of a long question's words: "as many as you need" answers "How many constructors…?").
        if all(t in model.question_words for t in content) and named < s["copied_max_coverage"]:
            flags.append(Flag("copied_question", "the answer restates the question; restating it earns nothing",
                              round(score, 3)))
            return 0.0
        topical = sum(1 for t in content if t in model.on_topic) / len(content)
        if len(content) >= s["off_topic_min_terms"] and topical < s["off_topic_share"] \
                and named < s["off_topic_coverage"] and not self._in_domain(model, content):
            flags.append(Flag("off_topic", "the answer has little to do with the question or the reference answer",
                              round(score, 3)))
            return 0.0
        return score

    def _in_domain(self, model: ReferenceModel, content: list[str]) -> bool:
        """Tell whether an answer to a question with too few words of its own to judge it against keeps to
        the corpus's subject: such a question shares few words even with a good answer, so its answer is off
        topic only when it also leaves the corpus's vocabulary (terms in at least two of its sections)."""
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
        if not all(w.text.isascii() for w in ws):  # (all ASCII: every letter is one)
            letters = [ch for w in ws for ch in w.text if ch.isalpha()]
            if len(letters) >= 4 and sum(1 for ch in letters if ch.isascii()) / len(letters) < 0.5:
                return False  # another script altogether
        if len(ws) < s["language_min_words"] or self.lexicon is None:
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
            f"{hints_used} hint(s) used: {s['grade_scale'] * s['hint_penalty']:.2g} of a grade point off for each "
            f"(at most {s['grade_scale'] * s['hint_max_penalty']:.2g})",
            round(penalty, 3),
        ))
        return score - penalty

    def _split(self, rows: Sequence[_Row]) -> tuple[list[Match], list[Miss]]:
        covered_at = self.settings["covered_at"]
        matched = [Match(r.concept.label, r.evidence, r.concept.weight, r.concept.id, r.explained.level != NAMED)
                   for r in rows if r.named >= covered_at]
        missed = [Miss(r.concept.label, r.concept.evidence, r.concept.weight, r.concept.id, r.concept.source)
                  for r in rows if r.named < covered_at]
        matched.sort(key=lambda m: -m.weight)
        missed.sort(key=lambda m: -m.weight)
        return matched, missed

    def _card(self, question_id: str | None, score: float, matched: list[Match], missed: list[Miss],
              delivery: Delivery, flags: list[Flag], prepared: _Prepared, follow_up: str | None = None,
              dims: Dimensions | None = None) -> Scorecard:
        score = round(max(0.0, min(1.0, score)), 3)
        if follow_up is None:
            # The most important missed concept the question does not itself name ("What is the outbox
            # pattern?" is not followed by "What role does the outbox pattern play?").
            asked = prepared.model.question_words
            by_label = {c.label: c for c in prepared.concepts}
            top = next((by_label[m.concept] for m in missed if m.concept in by_label
                        and not set(self.synonyms.canonical(terms_of(m.concept))) <= asked), None)
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
            dimensions=dims,
        )

    def _empty(self, question_id: str | None, prepared: _Prepared, delivery: Delivery, hints_used: int,
               flag: Flag = EMPTY) -> Scorecard:
        flags = [flag]
        self._hint_penalty(0.0, hints_used, flags)
        rows = [_Row(c, 0.0, Explained(0.0, NAMED), "", False) for c in prepared.concepts]
        matched, missed = self._split(rows)
        return self._card(question_id, 0.0, matched, missed, delivery, flags, prepared, dims=Dimensions(0.0, 0.0, 0.0))

    def _grade_choice(self, question: Question, prepared: _Prepared, ans: AnswerModel, delivery: Delivery,
                      hints_used: int) -> Scorecard:
        """Grade a choice answer: right/wrong option (by letter or text) plus how well it says why."""
        s = self.settings
        right = option_letter(question.answer_option) or ""
        chosen: OptionChoice | None = choose_option(
            ans.text, question.options, self.synonyms, prepared.model.weight,
            option_text_recall=s["option_text_recall"], option_text_margin=s["option_text_margin"],
        )
        rows = self._rows(prepared, ans) if ans.words else []
        total = sum(r.concept.weight for r in rows) or 1.0
        named = sum(r.concept.weight * r.named for r in rows) / total
        credited = sum(r.concept.weight * r.credit for r in rows) / total
        overlap = self._overlap(prepared, ans, listed=s["named_share"])
        said = self._delivery(prepared, ans) if ans.words else 0.0
        content = s["concept_share"] * credited + (1 - s["concept_share"]) * overlap
        why = self._calibrate((1 - s["delivery_share"]) * content + s["delivery_share"] * said) if ans.words else 0.0
        weight = s["choice_weight"]
        flags: list[Flag] = []
        matched, missed = self._split(rows)
        right_label = option_label(right, question.options)
        follow_up = None
        if chosen is not None and chosen.letter == right:
            score = weight + (1 - weight) * why
            matched.insert(0, Match(right_label, chosen.evidence, 1.0, f"option-{right.lower()}"))
        else:
            follow_up = f"Why is option {right} the better answer?"
            score = (1 - weight) * why * s["wrong_why_share"]
            if chosen is None:
                flags.append(Flag("no_option", "name one of the options (A, B, C…) or say its text", round(weight, 3)))
            else:
                flags.append(Flag("wrong_option", f"you chose {chosen.letter}; the answer is {right}", round(weight, 3)))
            missed.insert(0, Miss(right_label, question.reference.strip().split("\n")[0][:300], 1.0, f"option-{right.lower()}"))
        if not ans.words:
            flags.insert(0, EMPTY)
        score = self._hint_penalty(score, hints_used, flags)
        dims = Dimensions(round(named, 3), round(credited / named if named else 0.0, 3), said)
        return self._card(question.id, score, matched, missed, delivery, flags, prepared, follow_up, dims=dims)


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
        "dimensions": card.dimensions.to_dict() if card.dimensions else None,
    }
