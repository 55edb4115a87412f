"""User text → query plan: spoken-style clean-up, what is asked, terms, other wordings, spelling.

User text never reaches whoosh's QueryParser (":", "AND", "(" would change its meaning); it goes
through the project's one text pipeline and comes out as weighted clauses. The rules that read a
question (noise words, conversational tails, "what is X", "X vs Y") are data: `data/search.toml`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Callable, Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA

from interviewer.errors import InputError
from interviewer.search.vocabulary import Vocabulary
from interviewer.text import normalise_spoken, word_terms, words

# Endings that make a word the corpus lacks a regular form of a word it has ("replicating" when
# only "replicate" occurs): such a word is known, not misspelled.
INFLECTIONS = ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "ies", "ied")


@dataclass(frozen=True)
class Rules:
    """How questions are read: see data/search.toml."""

    noise: frozenset[str]
    tails: re.Pattern[str]
    definition: tuple[re.Pattern[str], ...]
    comparison: tuple[re.Pattern[str], ...]
    or_pattern: re.Pattern[str]
    or_words: int
    and_pattern: re.Pattern[str]
    and_words: int
    kind_nouns: tuple[str, ...]


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """Read data/search.toml (once)."""
    data = tomllib.loads((resources.files("interviewer") / "data" / "search.toml").read_text(encoding="utf-8"))
    tails = sorted(data["tails"], key=len, reverse=True)
    tail = "|".join(r"\s+".join(map(re.escape, t.split())) for t in tails)
    return Rules(
        noise=frozenset(data["query_noise"]),
        # One or more tails at the end of a clause: before , ; . ? ! or the end of the text.
        tails=re.compile(rf"(?:[\s,]*\b(?:{tail}))+(?=\s*(?:[,;.?!:]|$))", re.I),
        definition=tuple(re.compile(p) for p in data["definition"]),
        comparison=tuple(re.compile(p) for p in data["comparison"]),
        or_pattern=re.compile(data["or_pattern"]),
        or_words=int(data["or_words"]),
        and_pattern=re.compile(data["and_pattern"]),
        and_words=int(data["and_words"]),
        kind_nouns=tuple(data["kind_nouns"]),
    )


@dataclass(frozen=True)
class Clause:
    """A term, or a phrase (several terms in a row), to look for and the weight of a match."""

    terms: tuple[str, ...]
    weight: float
    covers: tuple[int, ...]  # positions of the user's own terms it stands for


@dataclass(frozen=True)
class Plan:
    """What to search for, and what the question asked."""

    terms: tuple[str, ...]  # the user's own terms, in order
    clauses: tuple[Clause, ...]  # one per own term (weight 1), then other wordings
    highlight: frozenset[str]
    topic: str  # the question as searched: fillers, tails and question words out (for echoes)
    kind: str  # lookup | definition | comparison | pair ("X and Y")
    subjects: tuple[str, ...]  # what a definition or comparison is about
    suggestion: str | None


class Planner:
    """Turn typed or dictated questions into weighted clauses."""

    def __init__(
        self,
        vocabulary: Vocabulary | None = None,
        correct: Callable[[str, tuple[str, ...]], str | None] = lambda word, terms: None,
        *,
        rules: Rules | None = None,
        max_terms: int = 64,
        max_alternatives: int = 12,
        pair_weight: float = 0.0,
        compound_part_weight: float = 0.3,
    ):
        """Use `vocabulary` for other wordings and `correct(word, terms)`, which returns the
        spelling correction of a word the index does not know, or None. `max_terms` bounds the
        work a pasted essay can cause; `max_alternatives` the other wordings one query adds. Two
        neighbouring words add a clause for the pair at `pair_weight`; a word of a hyphenated
        name ("write-back") counts `compound_part_weight` alone, the name whole counts in full."""
        self.vocabulary = vocabulary
        self.correct = correct
        self.rules = rules or default_rules()
        self.max_terms = max_terms
        self.max_alternatives = max_alternatives
        self.pair_weight = pair_weight
        self.compound_part_weight = compound_part_weight

    def plan(self, query: str) -> Plan:
        """Return the clauses, highlight terms, topic and suggestion of a query."""
        if not query or not query.strip():
            raise InputError("the query is empty; type a few words, e.g. 'consistent hashing'")
        kept = self.without_tails(query)
        spoken = normalise_spoken(kept).text
        corrections = self._corrections(spoken)
        corrected = _suggest(spoken, corrections) or spoken
        kind, subjects = self.read(corrected, asked="?" in query)
        topic = {"definition": subjects[0] if subjects else "", "comparison": " vs ".join(subjects),
                 "pair": " and ".join(subjects)}.get(kind) or corrected
        terms, clauses, named = self._own(spoken, corrections)
        if not terms:
            raise InputError(
                f"the query {query.strip()[:80]!r} has no searchable words (only stop words or "
                "punctuation); name a concept, e.g. 'consistent hashing'"
            )
        named.add(tuple(range(len(terms))))  # the whole question, when it is one name ("write back")
        # Another wording of a whole name is the same thing (the grader's table says so): in full.
        clauses.extend(replace(c, weight=1.0) if c.covers in named else c
                       for c in self._alternatives(terms, clauses))
        if self.pair_weight:
            # Neighbouring words found side by side count a little more (a phrase of the question).
            said = {c.terms for c in clauses}
            clauses.extend(Clause((a, b), self.pair_weight, (i, i + 1))
                           for i, (a, b) in enumerate(zip(terms, terms[1:])) if a != b and (a, b) not in said)
        highlight = frozenset(t for c in clauses for t in c.terms)
        return Plan(tuple(terms), tuple(clauses), highlight, _tidy(topic), kind, subjects,
                    _suggest(kept, corrections))

    def _own(self, spoken: str, corrections: Mapping[str, str]
             ) -> tuple[list[str], list[Clause], set[tuple[int, ...]]]:
        """Return the user's own terms, a clause for each (and its spelling correction), and the
        spans that name one thing (a hyphenated compound, matched whole)."""
        terms: list[str] = []
        clauses: list[Clause] = []
        named: set[tuple[int, ...]] = set()
        for compound in _compounds(spoken):
            start = len(terms)
            for w in compound:
                if w.text in self.rules.noise:
                    continue
                fixed = corrections.get(w.text)
                fixed_terms = word_terms(fixed) if fixed else ()
                for term in word_terms(w.text) or fixed_terms[:1]:
                    if len(terms) >= self.max_terms:
                        break
                    clauses.append(Clause((term,), 1.0, (len(terms),)))
                    clauses.extend(Clause((t,), 1.0, (len(terms),)) for t in fixed_terms if t != term)
                    terms.append(term)
            if len(terms) - start > 1:
                # "write-back" names one thing: its words count together, each alone counts little.
                clauses = [replace(c, weight=c.weight * self.compound_part_weight) if c.covers[0] >= start else c
                           for c in clauses]
                clauses.append(Clause(tuple(terms[start:]), 1.0, tuple(range(start, len(terms)))))
                named.add(tuple(range(start, len(terms))))
        return terms, clauses, named

    def without_tails(self, text: str) -> str:
        """Take conversational tails ("again", "real quick", "for me") off the end of every clause."""
        return _tidy(self.rules.tails.sub("", text))

    def read(self, spoken: str, asked: bool = False) -> tuple[str, tuple[str, ...]]:
        """Tell what a question asks: ("comparison", (x, y, …)), ("pair", (x, y)), ("definition", (x,))
        or ("lookup", ())."""
        q = " ".join(re.sub(r"[?!.]+\s*$", "", spoken.lower()).split())
        for pattern in self.rules.comparison:
            m = pattern.fullmatch(q)
            if m:
                # "X vs Y vs Z" compares three things.
                sides = (_side(m.group("x"), first=True),
                         *(_side(y) for y in re.split(r"\s+(?:vs\.?|versus)\s+", m.group("y"))))
                if all(sides):
                    return "comparison", sides
        m = self.rules.or_pattern.fullmatch(q) if asked else None
        if m:
            pair = _side(m.group("x"), first=True), _side(m.group("y"))
            if all(pair) and all(len(s.split()) <= self.rules.or_words for s in pair):
                return "comparison", pair
        for pattern in self.rules.definition:
            m = pattern.fullmatch(q)
            if m and 0 < len(m.group("x").split()) <= 6:
                return "definition", (m.group("x").strip(" ,"),)
        m = self.rules.and_pattern.fullmatch(q)
        if m:
            pair = _side(m.group("x"), first=True), _side(m.group("y"))
            if all(pair) and all(len(s.split()) <= self.rules.and_words for s in pair):
                return "pair", pair
        return "lookup", ()

    def _corrections(self, text: str) -> dict[str, str]:
        corrections: dict[str, str] = {}
        for w in words(text)[: 2 * self.max_terms]:  # a pasted essay is not spell-checked whole
            if w.text not in self.rules.noise and w.text not in corrections:
                fixed = self.correct(w.text, word_terms(w.text))
                if fixed:
                    corrections[w.text] = fixed
        return corrections

    def _alternatives(self, terms: list[str], own: list[Clause]) -> list[Clause]:
        """Other wordings of the query's terms, the most trusted first, at most `max_alternatives`."""
        if self.vocabulary is None:
            return []
        seen = {c.terms for c in own}
        out = []
        for alt in sorted(self.vocabulary.alternatives(terms), key=lambda a: (-a.weight, a.start)):
            if alt.terms in seen:
                continue
            seen.add(alt.terms)
            out.append(Clause(alt.terms, alt.weight, tuple(range(alt.start, alt.end))))
            if len(out) >= self.max_alternatives:
                break
        return out


def _compounds(text: str) -> list[list]:
    """Group the words of a text into runs joined by hyphens ("write-back", "at-least-once")."""
    out: list[list] = []
    previous = None
    for w in words(text):
        if previous is not None and text[previous.end : w.start] == "-" and out:
            out[-1].append(w)
        else:
            out.append([w])
        previous = w
    return out


def _side(text: str, first: bool = False) -> str:
    """Trim one side of a comparison to the thing named: up to a comma, articles and "?" off."""
    text = re.split(r"[,;:]", text)[-1 if first else 0]
    text = re.sub(r"^(?:an?|the)\s+", "", text.strip())
    return text.strip(" ?.!")


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,;.?!])", r"\1", text)
    text = re.sub(r"([,;:])(?=\s*(?:[,;.?!]|$))", "", text)
    return " ".join(text.split()).strip(" ,;")


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


class Speller:
    """Suggest the closest word of the corpus for a word it does not contain (or barely contains)."""

    def __init__(
        self,
        vocabulary: Mapping[str, int],
        known_term: Callable[[str], bool],
        acronyms: Mapping[str, object] = (),
        trade: Callable[[str], bool] = lambda term: False,
        *,
        min_length: int = 3,
        max_distance: int = 2,
        rare_count: int = 2,
        rare_ratio: int = 20,
        rare_min_length: int = 6,
    ):
        """Use `vocabulary` (surface word → count) and `known_term(term)` (is it in the index?).
        A word the corpus lacks but `trade(term)` knows (a wording of the synonym table, such as
        "thundering herd") is a word of the trade, not a typo.

        Words shorter than `min_length`, or with digits, are never corrected; a correction is at
        most `max_distance` edits away (1 for words of up to 4 letters). The corpus has typos too
        ("consistant" once, "consistent" 150 times): a word seen at most `rare_count` times, of
        `rare_min_length`+ letters, one edit from a word `rare_ratio` times as common, is corrected.
        """
        self.vocabulary = dict(vocabulary)
        self.choices = list(self.vocabulary)
        self.known_term = known_term
        self.trade = trade
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
        elif all(self.trade(t) and not self.known_term(t) for t in terms):
            return None
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
