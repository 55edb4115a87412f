"""Other wordings of what a query names, and where a concept is defined.

Search asks two things of a vocabulary, each a small protocol so that any source can answer:

* `Vocabulary.alternatives(terms)`: other wordings of spans of the query's terms ("k8s" →
  "kubernetes", "load balancer" → "lb"), each with the weight it counts for (below 1: the user's own
  words count most);
* `Definitions.defining_passage(phrase)`: where the notes define a concept, as (doc, line).

The defaults come from what the build already knows: the grader's synonym table
(`data/synonyms.toml`), the acronyms the corpus spells out, and the headings and first sentences
of the passages. The concept inventory plugs in the same way (see `PhraseVocabulary` and
`PhraseDefinitions`, which take plain lists of wordings and places).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, Protocol, Sequence

from interviewer.text import analyze, words

# Terms are the text pipeline's (interviewer.text.analyze): stemmed, stop words out.
Terms = tuple[str, ...]


@dataclass(frozen=True)
class Alternative:
    """Another wording of the query terms [start, end), as pipeline terms, and what it counts for."""

    start: int
    end: int
    terms: Terms
    weight: float


class Vocabulary(Protocol):
    """A source of other wordings."""

    def alternatives(self, terms: Sequence[str]) -> list[Alternative]:
        """Return other wordings of spans of `terms` (pipeline terms, in query order)."""
        ...


class Definitions(Protocol):
    """A source of defining passages."""

    def defining_passage(self, phrase: str) -> tuple[str, int] | None:
        """Return (doc, file line) of the passage that defines `phrase`, or None."""
        ...


class PhraseVocabulary:
    """Groups of wordings that mean the same thing; any wording found in a query brings the others.

        vocab = PhraseVocabulary([(["kubernetes", "k8s", "kube"], 0.8)])
        vocab.alternatives(analyze("k8s pod restart"))   # → kubernet for span [0, 1) at 0.8

    A group is a list of wordings (surface text, or term tuples already analysed) and its weight.
    A wording in several groups ("cdc": change data capture, content-defined chunking) brings the
    wordings of all of them. At most `per_span` alternatives are given for one span.
    """

    def __init__(self, groups: Iterable[tuple[Sequence[str | Sequence[str]], float]], *, per_span: int = 3):
        self.per_span = per_span
        self._groups: list[tuple[tuple[Terms, ...], float]] = []
        self._starts: dict[str, list[tuple[Terms, int]]] = {}
        for wordings, weight in groups:
            terms = tuple(dict.fromkeys(t for t in (_terms(w) for w in wordings) if t))
            if len(terms) < 2:
                continue
            gid = len(self._groups)
            self._groups.append((terms, float(weight)))
            for t in terms:
                self._starts.setdefault(t[0], []).append((t, gid))
        for found in self._starts.values():
            found.sort(key=lambda e: -len(e[0]))  # longest wording first
        self._terms = frozenset(t for group, _ in self._groups for wording in group for t in wording)

    def knows(self, term: str) -> bool:
        """Tell whether a term is part of some wording (a word of the trade, never a typo)."""
        return term in self._terms

    def alternatives(self, terms: Sequence[str]) -> list[Alternative]:
        """Return the other wordings of every group whose wording occurs in `terms`."""
        out: list[Alternative] = []
        terms = tuple(terms)
        for i, term in enumerate(terms):
            for wording, gid in self._starts.get(term, ()):
                if terms[i : i + len(wording)] != wording:
                    continue
                group, weight = self._groups[gid]
                given = 0
                for other in group:
                    if other != wording and given < self.per_span:
                        out.append(Alternative(i, i + len(wording), other, weight))
                        given += 1
        return out


class Vocabularies:
    """Several vocabularies asked in turn; a wording offered twice keeps its highest weight."""

    def __init__(self, *sources: Vocabulary):
        self.sources = sources

    def knows(self, term: str) -> bool:
        """Tell whether any source that can say so knows a term."""
        return any(getattr(s, "knows", lambda t: False)(term) for s in self.sources)

    def alternatives(self, terms: Sequence[str]) -> list[Alternative]:
        best: dict[tuple[int, int, Terms], Alternative] = {}
        for source in self.sources:
            for alt in source.alternatives(terms):
                key = (alt.start, alt.end, alt.terms)
                if key not in best or alt.weight > best[key].weight:
                    best[key] = alt
        return list(best.values())


class PhraseDefinitions:
    """Concepts by the term sequences that name them, each with the place that defines it.

        PhraseDefinitions({"saga pattern": ("004-design-concept-notes", 1440)})

    A phrase is found by its terms; when it is not, by its terms without a trailing kind noun
    ("saga pattern" answers "saga", "cap theorem" answers "cap"), in both directions.
    """

    def __init__(self, places: Mapping[str | Sequence[str], tuple[str, int]], kind_nouns: Iterable[str] = ()):
        self.kind = frozenset(t for n in kind_nouns for t in analyze(n))
        self._places: dict[Terms, tuple[str, int]] = {}
        for phrase, place in places.items():
            terms = _terms(phrase)
            if terms:
                self._places.setdefault(terms, (place[0], int(place[1])))
                bare = self._bare(terms)
                if bare != terms:
                    self._places.setdefault(bare, (place[0], int(place[1])))

    def _bare(self, terms: Terms) -> Terms:
        return terms[:-1] if len(terms) > 1 and terms[-1] in self.kind else terms

    def defining_passage(self, phrase: str) -> tuple[str, int] | None:
        terms = _terms(phrase)
        if not terms:
            return None
        return self._places.get(terms) or self._places.get(self._bare(terms))


class DefinitionSources:
    """Several sources of definitions asked in turn; the first that knows a phrase answers."""

    def __init__(self, *sources: Definitions):
        self.sources = sources

    def defining_passage(self, phrase: str) -> tuple[str, int] | None:
        for source in self.sources:
            place = source.defining_passage(phrase)
            if place is not None:
                return place
        return None


def _terms(wording: str | Sequence[str]) -> Terms:
    return tuple(analyze(wording)) if isinstance(wording, str) else tuple(wording)


# --------------------------------------------------------------------------- defaults from the build


def synonym_groups(phrases: Mapping[Terms, str]) -> list[list[Terms]]:
    """Turn a synonym table's phrase → canonical-token map into groups of term sequences."""
    groups: dict[str, list[Terms]] = {}
    for terms, token in phrases.items():
        groups.setdefault(token, []).append(tuple(terms))
    return [g for g in groups.values() if len(g) > 1]


def acronym_groups(acronyms: Mapping[str, Sequence[str]]) -> list[list[Terms]]:
    """Turn acronym → long forms into groups: each long form with its short form."""
    out = []
    for short, longs in acronyms.items():
        for long in longs:
            terms = tuple(analyze(long))
            if len(terms) > 1 and tuple(analyze(short)):
                out.append([tuple(analyze(short)), terms])
    return out


# Numbering and question scaffolding around the name of a concept in a heading:
# "3. Third Normal Form (3NF)", "A. LRU Eviction", "7 of 20: What is the saga pattern?".
_LABEL = re.compile(r"^\s*(?:(?:question\s+)?\d+(?:\.\d+)*(?:\s+of\s+\d+)?[.:)]?|[a-z][.)]|level\s+\d+\s*:|phase\s+\d+\s*:)\s+", re.I)
_ASKING = re.compile(r"^\s*(?:what\s+(?:is|are)\s+(?:an?\s+|the\s+)?|understanding\s+|the\s+)", re.I)
_INNER = re.compile(r"^(?P<long>.+?)\s*\((?P<short>[^()]+)\)\s*$")
# "A fencing token is a …", "**Consumer lag** refers to …", "Idempotency = performing …"
_DEFINES = re.compile(r"^\s*(?:an?\s+|the\s+)?(?P<x>[^\s.,;:!?][^.,;:!?\n]{0,60}?)\s+(?:is|are|refers\s+to|means|=)\s+", re.I)
_MAX_NAME_TERMS = 5


def heading_names(heading: str) -> list[tuple[str, int]]:
    """Return the names a heading gives its subject, each with how surely it names it (0 = surest).

    "7 of 20: What is a DLQ?" → DLQ (0); "Strong Consistency (Linearizability)" → the whole (0),
    then "Strong Consistency" and "Linearizability" (1).
    """
    text = _LABEL.sub("", heading).strip().rstrip("?").strip()
    text = _ASKING.sub("", text).strip()
    names = [(text, 0)]
    m = _INNER.match(text)
    if m:
        names += [(m.group("long"), 1), (m.group("short"), 1)]
    return [(n, rank) for n, rank in names if 0 < len(analyze(n)) <= _MAX_NAME_TERMS]


@lru_cache(maxsize=65536)
def heading_terms(heading: str) -> tuple[str, ...]:
    """Return the terms of a heading without its numbering ("3. Causal Consistency" → causal, consist)."""
    return tuple(analyze(_LABEL.sub("", heading)))


def sentence_name(text: str) -> str | None:
    """Return X when a text opens by defining it ("A fencing token is a …"), else None."""
    m = _DEFINES.match(text)
    if not m:
        return None
    name = m.group("x")
    if not 0 < len(analyze(name)) <= _MAX_NAME_TERMS or len(words(name)) > _MAX_NAME_TERMS + 2:
        return None
    return name
