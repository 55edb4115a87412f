"""User text → query plan: spoken-style clean-up, terms, acronym expansion and spelling corrections.

User text never reaches whoosh's QueryParser (":", "AND", "(" would change its meaning); it goes
through the project's one text pipeline and comes out as groups of alternative term sequences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA

from interviewer.errors import InputError
from interviewer.text import analyze, normalise_spoken, word_terms, words

# Words that ask rather than name a topic. text.STOP_WORDS already drops "what", "how", "is"…;
# these are dropped from queries only, because in a passage they can carry meaning.
QUERY_NOISE = frozenset(
    """explain explaining describe describing tell define definition meaning mean means meant
    wondering wonder remind talk briefly quick quickly question questions help""".split()
)

# Endings that make a word the corpus lacks a regular form of a word it has ("replicating" when
# only "replicate" occurs): such a word is known, not misspelled.
INFLECTIONS = ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "ies", "ied")


@dataclass(frozen=True)
class Plan:
    """What to search for: one group per query word, each a set of alternative term sequences."""

    groups: tuple[tuple[tuple[str, ...], ...], ...]
    highlight: frozenset[str]
    suggestion: str | None


class Planner:
    """Turn typed or dictated questions into term groups, expanding acronyms both ways."""

    def __init__(
        self,
        acronyms: Mapping[str, tuple[str, ...]],
        correct: Callable[[str, tuple[str, ...]], str | None] = lambda word, terms: None,
        *,
        max_groups: int = 64,
    ):
        """Use `acronyms` (short form → long forms) and `correct(word, terms)`, which returns the
        spelling correction of a word the index does not know, or None; `max_groups` bounds the
        work a pasted essay can cause."""
        self.acronyms = dict(acronyms)
        self.correct = correct
        self.max_groups = max_groups
        table: dict[tuple[str, ...], list[str]] = {}
        for short, longs in self.acronyms.items():
            for long in longs:
                terms = tuple(analyze(long))
                if len(terms) > 1:
                    table.setdefault(terms, []).append(short)
        self.long_forms = {k: tuple(v) for k, v in table.items()}

    def plan(self, query: str) -> Plan:
        """Return the term groups, the words to highlight and the spelling suggestion of a query."""
        if not query or not query.strip():
            raise InputError("the query is empty; type a few words, e.g. 'consistent hashing'")
        corrections: dict[str, str] = {}
        for w in words(query)[: 2 * self.max_groups]:  # a pasted essay is not spell-checked whole
            if w.text not in QUERY_NOISE and w.text not in corrections:
                fixed = self.correct(w.text, word_terms(w.text))
                if fixed:
                    corrections[w.text] = fixed

        spoken = normalise_spoken(query).text
        groups: list[tuple[tuple[str, ...], ...]] = []
        sequence: list[str] = []  # the query's terms in order, to find long forms of acronyms
        for w in words(spoken):
            if w.text in QUERY_NOISE:
                continue
            fixed = corrections.get(w.text)
            fixed_terms = word_terms(fixed) if fixed else ()
            for term in word_terms(w.text) or fixed_terms[:1]:
                alternatives = [(term,)] + [(t,) for t in fixed_terms if t != term]
                alternatives += [tuple(analyze(long)) for long in self.acronyms.get(w.text, ())]
                groups.append(tuple(dict.fromkeys(a for a in alternatives if a)))
                sequence.append(term)
        for long_terms, shorts in self.long_forms.items():
            if _contains(sequence, long_terms):
                groups.append((long_terms,) + tuple((s,) for s in shorts))
        if not groups:
            raise InputError(
                f"the query {query.strip()[:80]!r} has no searchable words (only stop words or "
                "punctuation); name a concept, e.g. 'consistent hashing'"
            )
        groups = groups[: self.max_groups]
        highlight = frozenset(t for g in groups for alt in g for t in alt)
        return Plan(tuple(groups), highlight, _suggest(query, corrections))


def _suggest(query: str, corrections: Mapping[str, str]) -> str | None:
    """Return the query with its misspelled words replaced, or None when nothing was corrected."""
    if not corrections:
        return None
    out, pos = [], 0
    for w in words(query):
        if w.text in corrections:
            out.append(query[pos : w.start] + corrections[w.text])
            pos = w.end
    out.append(query[pos:])
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _contains(sequence: list[str], part: tuple[str, ...]) -> bool:
    n = len(part)
    return any(tuple(sequence[i : i + n]) == part for i in range(len(sequence) - n + 1))


class Speller:
    """Suggest the closest word of the corpus for a word it does not contain (or barely contains)."""

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        known_term: Callable[[str], bool],
        acronyms: Mapping[str, object] = (),
        *,
        min_length: int = 3,
        max_distance: int = 2,
        rare_count: int = 2,
        rare_ratio: int = 20,
        rare_min_length: int = 6,
    ):
        """Use `vocabulary` (surface word → count) and `known_term(term)` (is it in the index?).

        Words shorter than `min_length`, or with digits, are never corrected; a correction is at
        most `max_distance` edits away (1 for words of up to 4 letters). The corpus has typos too
        ("consistant" once, "consistent" 150 times): a word seen at most `rare_count` times, of
        `rare_min_length`+ letters, one edit from a word `rare_ratio` times as common, is corrected.
        """
        self.vocabulary = dict(vocabulary)
        self.choices = list(self.vocabulary)
        self.known_term = known_term
        self.acronyms = set(acronyms)
        self.min_length = min_length
        self.max_distance = max_distance
        self.rare_count = rare_count
        self.rare_ratio = rare_ratio
        self.rare_min_length = rare_min_length

    def skip(self, word: str, terms: tuple[str, ...]) -> bool:
        """Tell whether a word is not to be corrected: too short, a number, a stop word, an acronym."""
        return (not terms or len(word) < self.min_length or any(c.isdigit() for c in word)
                or word in self.acronyms)

    def __call__(self, word: str, terms: tuple[str, ...]) -> str | None:
        """Return the correction of a word the corpus does not know (or knows as a rare typo), or None."""
        if self.skip(word, terms):
            return None
        count = self.vocabulary.get(word, 0)
        if count:
            if count > self.rare_count or len(word) < self.rare_min_length:
                return None
            limit, floor = 1, count * self.rare_ratio
        elif word.endswith(INFLECTIONS) and all(self.known_term(t) for t in terms):
            return None  # a regular form of a word the corpus has ("replicating")
        else:
            limit, floor = (1 if len(word) <= 4 else self.max_distance), 1
        found = [
            (choice, distance)
            for choice, distance, _ in process.extract(
                word, self.choices, scorer=OSA.distance, score_cutoff=limit, limit=20)
            if choice != word and self.vocabulary[choice] >= floor and not _inflected(word, choice)
        ]
        if not found:
            return None
        # Fewest edits first, then a word that starts the same way, then the commonest.
        best = min(found, key=lambda f: (f[1], f[0][:1] != word[:1], -self.vocabulary[f[0]], f[0]))
        return best[0]


def _inflected(a: str, b: str) -> bool:
    """Tell whether one word is the other plus a regular ending ("saga", "sagas")."""
    short, long = sorted((a, b), key=len)
    return long.startswith(short) and long[len(short):] in INFLECTIONS
