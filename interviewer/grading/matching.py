"""Match an answer against a reference's concepts: canonical terms, typos, joined words, proximity.

Everything here is linear in the answer's length: one pass reads the answer into canonical tokens with
their word positions, then each concept wording looks its terms up in a position index.

Precision rules (data/grading_rules.toml [matching]): a wording of several words needs its head (its
last word: "least connections" is about connections, so "at least two servers" is no match); the head
alone earns lone_head_credit of its share, never a "covered"; a word the question already says counts as
said ("avoid a stampede" names a cache stampede when the question is about caching).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from rapidfuzz import fuzz, process

from interviewer.records import Concept
from interviewer.text import NUMBER_WORDS, Spoken, Word, normalise_spoken, stem, word_terms, words
from interviewer.vocabulary import SynonymTable, canonicalize, terms_of, token_parts

_SENTENCE_END = re.compile(r"[.!?;\n]")

# Words the index drops but grading keeps: they turn a statement around ("not", "never", "less").
POLARITY = frozenset({"not", "no", "never", "same", "different", "more", "less", "before", "after", "without", "only"})


def grading_terms(word: str) -> tuple[str, ...]:
    """Return a word's terms for grading: the pipeline's, or the word itself for a polarity word."""
    return word_terms(word) or ((word,) if word in POLARITY else ())


@dataclass(frozen=True)
class ReferenceModel:
    """What grading needs to know about one reference, computed once and reused for every answer."""

    concepts: tuple[Concept, ...]
    aliases: tuple[tuple[tuple[str, ...], ...], ...]  # per concept: canonical term tuples of its wordings
    tight: frozenset[tuple[str, ...]]  # wordings that count only said close together (a phrase's words)
    term_weights: Mapping[str, float]  # canonical reference terms (soft overlap)
    question_terms: frozenset[str]  # canonical terms of the question
    question_words: frozenset[str]  # canonical and plain terms of the question (restating checks)
    known: frozenset[str]  # raw pipeline terms of the reference, its concepts and the question
    surface: Mapping[str, tuple[str, ...]]  # surface words of 5+ letters → their terms (typo targets)
    joined: Mapping[str, tuple[str, ...]]  # stem of two words written as one → the two words' terms
    prefixes: frozenset[str]  # first three letters of reference words (cheap filter for joins)
    content_words: int  # content words of the reference
    words: int  # all words of the reference
    weight: Callable[[str], float]
    on_topic: frozenset[str]  # every canonical term of the reference, its concepts and the question
    heaviest: tuple[float, ...] = ()  # the reference terms' weights, heaviest first

    def overlap_mass(self, top: int) -> float:
        """Return the summed weight of the `top` heaviest reference terms."""
        return sum(self.heaviest[:top])


def build_reference_model(
    concepts: tuple[Concept, ...],
    reference: str,
    question: str,
    synonyms: SynonymTable,
    weight: Callable[[str], float],
) -> ReferenceModel:
    """Precompute the canonical wordings, weights and typo targets of a reference."""
    ref_words = words(reference)
    raw_terms = [t for w in ref_words for t in grading_terms(w.text)]
    alias_terms = []
    tight: set[tuple[str, ...]] = set()
    texts = [reference, question]
    for c in concepts:
        forms = []
        for wording in (c.label, *c.aliases):
            key = synonyms.canonical(terms_of(wording))
            # A phrase the synonym table turns into one token may also be said in other orders:
            # "a queue deletes the message" names a message queue; its words still match in a window.
            spread = tuple(p for t in key for p in token_parts(t))
            for form in (key, spread):
                if form and form not in forms:
                    forms.append(form)
            if spread != key:
                tight.add(spread)
            texts.append(wording)
        alias_terms.append(tuple(forms))
    known: set[str] = set()
    surface: dict[str, tuple[str, ...]] = {}
    pairs: dict[str, tuple[str, ...]] = {}
    for text in texts:
        ws = words(text)
        for i, w in enumerate(ws):
            terms = word_terms(w.text)
            known.update(terms)
            if terms and len(w.text) >= 5 and not w.text.isdigit():
                surface.setdefault(w.text, terms)
            if i + 1 < len(ws):
                nxt = ws[i + 1]
                both = terms + word_terms(nxt.text)
                if both and text[w.end : nxt.start] in (" ", "-"):
                    # "twophase", "pubsub": an answer may write two reference words as one.
                    pairs.setdefault(stem(w.text + nxt.text), both)
                    pairs.setdefault(stem(_digits(w.text) + nxt.text), both)
    term_weights = {t: weight(t) for t in synonyms.canonical(tuple(raw_terms))}
    question_terms = frozenset(synonyms.canonical(terms_of(question)))
    return ReferenceModel(
        concepts=concepts,
        aliases=tuple(alias_terms),
        tight=frozenset(tight),
        term_weights=term_weights,
        question_terms=question_terms,
        question_words=question_terms | frozenset(terms_of(question)),
        known=frozenset(known),
        surface=surface,
        joined={k: v for k, v in pairs.items() if k not in known},
        prefixes=frozenset(w[:3] for w in surface),
        content_words=sum(1 for w in ref_words if word_terms(w.text)),
        words=len(ref_words),
        weight=weight,
        on_topic=frozenset(term_weights) | question_terms | {t for forms in alias_terms for f in forms for t in f},
        heaviest=tuple(sorted(term_weights.values(), reverse=True)),
    )


def _digits(word: str) -> str:
    return NUMBER_WORDS.get(word, word)


@dataclass(frozen=True)
class AnswerModel:
    """An answer read into canonical tokens, with where each token came from."""

    spoken: Spoken
    text: str  # the answer with fillers and repeats taken out
    words: tuple[Word, ...]
    positions: Mapping[str, tuple[int, ...]]  # canonical token → word indices
    content: tuple[tuple[str, int], ...]  # the canonical tokens in order (typo-corrected), with word index
    sentences: tuple[tuple[int, int, int, int], ...]  # (first word, end word, words, function words)
    corrections: Mapping[str, str]  # answer word → the reference word it was read as
    function: tuple[bool, ...] = ()  # per word: a function word ("the", "because", "is")
    sentence_of: tuple[int, ...] = ()  # per word: its sentence
    repeats: frozenset[int] = frozenset()  # sentences that say again what an earlier one said

    @property
    def function_share(self) -> float:
        """Return the share of the answer's words that are function words (lists: under 0.12)."""
        return sum(self.function) / len(self.function) if self.function else 0.0


def read_answer(
    answer: str,
    ref: ReferenceModel,
    synonyms: SynonymTable,
    *,
    is_word: Callable[[str], bool] = lambda stem_: False,
    typo_min_length: int = 5,
    typo_ratio_short: float = 90,
    typo_ratio_long: float = 85,
    typo_long_from: int = 8,
    repeat_min_terms: int = 3,
) -> AnswerModel:
    """Normalise a spoken answer and read it into canonical tokens, tolerating typos and joins."""
    spoken = normalise_spoken(answer)
    text = spoken.text
    ws = tuple(words(text))
    tokens: list[tuple[str, int]] = []
    extras: list[tuple[str, int]] = []
    corrections: dict[str, str] = {}
    decided: dict[str, tuple[str, ...]] = {}
    targets = list(ref.surface)
    known, joined, prefixes = ref.known, ref.joined, ref.prefixes
    for i, w in enumerate(ws):
        word = w.text
        terms = decided.get(word)
        if terms is None:
            terms = grading_terms(word)
            if not terms and word == "one" and "1" in known:
                # "one" is no index term (usually a pronoun), but it is the count when the reference says 1.
                terms = ("1",)
            elif terms and len(word) >= typo_min_length and not all(t in known for t in terms):
                split = joined.get(stem(word))
                if split is not None:
                    terms = split
                elif targets and not word.isdigit() and not is_word(terms[0]):
                    # Only a word the corpus never uses can be a typo: "synchronous" is a word, not a
                    # misspelt "asynchronous".
                    cutoff = typo_ratio_long if len(word) >= typo_long_from else typo_ratio_short
                    best = process.extractOne(word, targets, scorer=fuzz.ratio, score_cutoff=cutoff)
                    if best is not None and not _negation_of(word, best[0]):
                        corrections[word] = best[0]
                        terms = ref.surface[best[0]]
            decided[word] = terms
        tokens.extend((t, i) for t in terms)
        if i + 1 < len(ws) and word[:3] in prefixes:
            nxt = ws[i + 1]
            if text[w.end : nxt.start] in (" ", "-", ""):
                glued = stem(word + nxt.text)
                if glued in known and glued not in terms:
                    # "fail over" for "failover", "time out" for "timeout".
                    extras.append((glued, i))
    content = canonicalize(tokens, synonyms)
    # The words as said count too, not only their canonical rewrite: "read uncommitted reads" holds
    # the synonym "uncommitted read" (→ dirty read) and still says "read uncommitted".
    allt = content + canonicalize(extras, synonyms) + tokens + extras
    # A token's positions, each once; a set of the pairs seen keeps this linear in the answer's length
    # (a membership test on the growing list made a 1 MB answer take minutes).
    positions: dict[str, list[int]] = {}
    seen: set[tuple[str, int]] = set()
    for pair in allt:
        if pair not in seen:
            seen.add(pair)
            positions.setdefault(pair[0], []).append(pair[1])
    function = tuple(not word_terms(w.text) for w in ws)
    sentences = _sentences(text, ws, function)
    sentence_of = tuple(k for k, (first, end, _, _) in enumerate(sentences) for _ in range(first, end))
    return AnswerModel(
        spoken=spoken,
        text=text,
        words=ws,
        positions={t: tuple(p) for t, p in positions.items()},
        content=tuple(content),
        sentences=sentences,
        corrections=corrections,
        function=function,
        sentence_of=sentence_of,
        repeats=_repeats(content, sentence_of, len(sentences), repeat_min_terms),
    )


_NEGATIONS = ("a", "an", "un", "in", "im", "non", "dis", "de", "anti", "ir", "il")


def _negation_of(a: str, b: str) -> bool:
    """Tell whether two words differ only by a negating prefix ("synchronous"/"asynchronous")."""
    short, long = sorted((a, b), key=len)
    return any(long == p + short or long == p + "-" + short for p in _NEGATIONS)


def _sentences(text: str, ws: Sequence[Word], function: Sequence[bool]) -> tuple[tuple[int, int, int, int], ...]:
    """Split the answer's words into sentences: (first, end, words, function words)."""
    out = []
    start = 0
    count = 0
    for i, w in enumerate(ws):
        count += function[i]
        end_here = i + 1 == len(ws) or bool(_SENTENCE_END.search(text[w.end : ws[i + 1].start]))
        if end_here:
            out.append((start, i + 1, i + 1 - start, count))
            start, count = i + 1, 0
    return tuple(out)


def _repeats(content: Sequence[tuple[str, int]], sentence_of: Sequence[int], n: int, min_terms: int) -> frozenset[int]:
    """Return the sentences whose content words an earlier sentence already said, in the same order."""
    per: list[list[str]] = [[] for _ in range(n)]
    for t, i in content:
        per[sentence_of[i]].append(t)
    seen: set[tuple[str, ...]] = set()
    out = set()
    for k, terms in enumerate(per):
        key = tuple(terms)
        if len(key) < min_terms:
            continue
        if key in seen:
            out.add(k)
        seen.add(key)
    return frozenset(out)


@dataclass(frozen=True)
class ConceptMatch:
    """How well one concept is covered: credit 0..1, and the answer words that earned it."""

    credit: float
    evidence: str
    first: int  # word index where the evidence starts (-1: none)
    last: int
    lone_head: bool = False  # only the head of a wording of several words was said


_NONE = ConceptMatch(0.0, "", -1, -1)


def match_concept(
    forms: Sequence[tuple[str, ...]],
    answer: AnswerModel,
    weight: Callable[[str], float],
    *,
    tight: frozenset[tuple[str, ...]] = frozenset(),
    context: frozenset[str] = frozenset(),
    window_per_term: float = 4,
    scattered_credit: float = 0.7,
    lone_head_credit: float = 0.5,
    generic: frozenset[str] = frozenset(),
) -> ConceptMatch:
    """Return the best credit any wording of a concept earns in the answer, and the words that earned it.

    generic: terms that name a kind of thing or an aspect of it ("strategies", "prevention"): a wording
    ending in them is about the word before ("deadlock prevention" is about deadlocks), and they only
    weigh what `weight` gives them.
    """
    best = _NONE
    positions = answer.positions
    for form in forms:
        terms = list(dict.fromkeys(form))
        total = sum(weight(t) for t in terms)
        naming = _naming_terms(terms, generic)
        head = naming[-1]
        if head not in positions or total <= 0:
            continue  # a wording is about its head: "at least two servers" names no least connections
        said = [t for t in terms if t in positions]
        implied = [t for t in terms if t not in positions and t in context]
        credit = sum(weight(t) for t in said + implied) / total
        lone = len(naming) > 1 and sum(t in positions for t in naming) == 1 and not implied
        if lone:
            # "commit" for "two-phase commit": the head alone names it only if it carries the wording.
            if weight(head) * 2 < total:
                continue
            credit *= lone_head_credit
        if credit <= best.credit:
            continue
        if len(said) == 1:
            p = positions[said[0]][0]
            lo, hi = p, p
        else:
            lo, hi = _window([positions[t] for t in said])
            if hi - lo + 1 > window_per_term * len(said) + 2:
                if form in tight:
                    continue
                credit *= scattered_credit
                if credit <= best.credit:
                    continue
        best = ConceptMatch(credit, _evidence(answer, lo, hi, said), lo, hi, lone)
    return best


def _naming_terms(terms: list[str], generic: frozenset[str]) -> list[str]:
    """Return a wording's terms up to its head: trailing aspect words ("planning", "strategies") name
    what to say about the thing, not the thing; a wording of aspect words only keeps them all."""
    end = len(terms)
    while end > 1 and terms[end - 1] in generic:
        end -= 1
    return terms[:end] if terms[end - 1] not in generic else terms


def _window(lists: Sequence[Sequence[int]]) -> tuple[int, int]:
    """Return the smallest span of word positions that holds one position of every list."""
    events = sorted((p, k) for k, ps in enumerate(lists) for p in ps)
    need = len(lists)
    counts = [0] * need
    have = 0
    best = (events[0][0], events[-1][0])
    left = 0
    for p, k in events:
        if counts[k] == 0:
            have += 1
        counts[k] += 1
        while have == need:
            lp, lk = events[left]
            if p - lp < best[1] - best[0]:
                best = (lp, p)
            counts[lk] -= 1
            if counts[lk] == 0:
                have -= 1
            left += 1
    return best


# Words of context quoted around a match, so the evidence is the answer's phrase, not one bare word.
_CONTEXT_WORDS = 2
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>?")


def _evidence(answer: AnswerModel, lo: int, hi: int, present: Sequence[str]) -> str:
    """Quote the answer's phrase that matched: the span with a word or two around it (within its
    sentence) if short, else the matched words."""
    ws = answer.words
    if hi - lo < 12:
        sentence = answer.sentences[answer.sentence_of[lo]] if answer.sentence_of else (0, len(ws), 0, 0)
        a = max(sentence[0], lo - _CONTEXT_WORDS)
        b = min(sentence[1] - 1, hi + _CONTEXT_WORDS)
        return " ".join(_TAG.sub(" ", answer.text[ws[a].start : ws[b].end]).split())
    hits = sorted({answer.positions[t][0] for t in present})
    return " … ".join(answer.text[ws[i].start : ws[i].end] for i in hits)
