"""Find concepts in text by their wordings: canonical term sequences, longest match first, in one pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from interviewer.text import word_terms, words
from interviewer.vocabulary import SynonymTable, canonical_spans, terms_of


@dataclass(frozen=True)
class Occurrence:
    """A concept named in a text: its id, and the character span of the words that name it."""

    concept: str
    start: int
    end: int


class Finder:
    """Maps wordings (as canonical term sequences) to concept ids and finds them in text.

    A wording of several words is found by its terms (any inflection, any spelling the synonym table
    knows). A one-word wording is found as written, or in its plural: "messaging" is not "messages",
    "responsibility" is not "response", and a rating word names nothing alone ("primary"). A wording
    that two concepts share (an acronym that stands for two things) is ambiguous and is not looked
    for, unless the text itself says which one it means.
    """

    def __init__(self, wordings: Iterable[tuple[str, str]], synonyms: SynonymTable):
        """`wordings`: (concept id, wording) pairs; the synonym table makes "LB" and "load balancer" one."""
        self.synonyms = synonyms
        self.keys: dict[tuple[str, ...], str] = {}
        self.ambiguous: set[tuple[str, ...]] = set()
        self._words: dict[str, str] = {}  # one-word wording (as written, lowercased) → concept
        self._ambiguous_words: set[str] = set()
        self._by_first: dict[str, list[tuple[str, ...]]] = {}
        self._gaps: dict[tuple[str, ...], int] = {}
        for concept, wording in wordings:
            self.add(concept, (wording,))

    def add(self, concept: str, wordings: Iterable[str]) -> None:
        """Add wordings of a concept (a wording another concept has too becomes ambiguous)."""
        for wording in wordings:
            key = self.key(wording)
            if not key:
                continue
            if single(key) and " " not in wording.strip():
                for form in forms(wording):
                    owner = self._words.get(form)
                    if owner is not None and owner != concept:
                        self._ambiguous_words.add(form)
                    self._words.setdefault(form, concept)
            else:
                owner = self.keys.get(key)
                if owner is not None and owner != concept:
                    self.ambiguous.add(key)
                self.keys.setdefault(key, concept)
                # How many words without terms a wording holds ("single point of failure": one).
                ws = words(wording)
                self._gaps[key] = max(self._gaps.get(key, 0), sum(1 for w in ws if not word_terms(w.text)))
            ks = self._by_first.setdefault(key[0], [])
            if key not in ks:
                ks.append(key)
                ks.sort(key=len, reverse=True)

    def key(self, wording: str) -> tuple[str, ...]:
        """Return the canonical term sequence of a wording."""
        return self.synonyms.canonical(terms_of(wording))

    def owner(self, wording: str) -> str | None:
        """Return the concept a wording names exactly (None when none, or when it is ambiguous)."""
        key = self.key(wording)
        if not key:
            return None
        if single(key) and " " not in wording.strip():
            form = wording.lower().replace("’", "'").strip()
            return self._words.get(form) if form not in self._ambiguous_words else None
        return self.keys.get(key) if key not in self.ambiguous else None

    def find(self, text: str, local: Mapping[tuple[str, ...], str] | None = None) -> list[Occurrence]:
        """Return the concepts a text names, left to right, longest wording first, never overlapping.

        `local` adds wordings for this text only (an acronym the text itself spells out).
        """
        ws = words(text)
        raw = [(t, i) for i, w in enumerate(ws) for t in word_terms(w.text)]
        spans = canonical_spans([t for t, _ in raw], self.synonyms)
        terms = [t for t, _, _ in spans]
        out: list[Occurrence] = []
        i = 0
        n = len(terms)
        starts = [raw[a][1] for _, a, _ in spans]
        ends = [raw[z - 1][1] for _, _, z in spans]
        while i < n:
            first = starts[i]
            written = text[ws[first].start : ws[first].end]
            found = self._match(terms, i, written if written.isupper() else ws[first].text, local, starts, ends)
            if found is None:
                i += 1
                continue
            concept, size = found
            last = ends[i + size - 1]
            start = ws[first].start
            # "at-least-once": a name starts where its compound starts, with the word that has no term.
            while first > 0 and text[ws[first - 1].end : start] == "-":
                first -= 1
                start = ws[first].start
            out.append(Occurrence(concept, start, ws[last].end))
            i += size
        return out

    def _match(self, terms: Sequence[str], i: int, word: str, local: Mapping[tuple[str, ...], str] | None,
               starts: Sequence[int], ends: Sequence[int]) -> tuple[str, int] | None:
        best: tuple[str, int] | None = None
        if local:
            for key, concept in local.items():
                if tuple(terms[i : i + len(key)]) == key and (best is None or len(key) > best[1]):
                    best = (concept, len(key))
        for key in self._by_first.get(terms[i], ()):
            if best is not None and len(key) <= best[1]:
                break
            if tuple(terms[i : i + len(key)]) != key:
                continue
            if len(key) > 1:
                # The wording's words in a row: "reads the committed events" does not say "read committed".
                said = sum(ends[k] - starts[k] + 1 for k in range(i, i + len(key)))
                if ends[i + len(key) - 1] - starts[i] + 1 - said > self._gaps.get(key, 0):
                    continue
            if single(key) and ends[i] == starts[i]:
                # One word, found as written (a phrase the synonym table makes one token falls through).
                concept = self._words.get(word) if word not in self._ambiguous_words else None
                if concept is not None:
                    return concept, 1
            elif key in self.keys and key not in self.ambiguous:
                return self.keys[key], len(key)
        return best

    def ids_in(self, text: str) -> list[str]:
        """Return the distinct concept ids a text names, in order of first mention."""
        return list(dict.fromkeys(o.concept for o in self.find(text)))


def single(key: tuple[str, ...]) -> bool:
    """Tell whether a key is one plain term (not a phrase the synonym table joined into one token)."""
    return len(key) == 1 and "_" not in key[0]


def forms(wording: str) -> set[str]:
    """Return a one-word wording as written, lowercased, with its plural ("proxy" → "proxies"); a rating
    word ("primary") has none: alone it names nothing. An acronym keeps its capitals ("CAP" is not "cap")."""
    from interviewer.concepts.words import evaluative

    w = wording.replace("’", "'").strip()
    if len(w) > 1 and w.isupper():
        return {w, w + "s"}
    w = w.lower()
    if not w or " " in w or evaluative(w):
        return set()
    out = {w, w + "s", w + "es"}
    if w.endswith("y"):
        out.add(w[:-1] + "ies")
    if w.endswith("s") and not w.endswith("ss"):
        out.add(w[:-1])
    return out


def singular(word: str) -> str:
    """Return a plural's singular by its spelling ("proxies" → "proxy", "caches" → "cache")."""
    w = word.lower()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("sses", "shes", "ches", "xes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w
