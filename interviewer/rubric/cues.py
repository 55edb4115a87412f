"""Cue phrases: compiled once from the rules, matched on a sentence's stemmed words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Sequence

from interviewer.text import CONTRACTIONS, Word, stem, words

GAP = "*"
_GAP_WORDS = 4  # a "*" in a phrase stands for up to this many words ("if the fan-out workers fail")


@lru_cache(maxsize=8192)
def words_of(text: str) -> tuple[Word, ...]:
    """Return the words of a text (cached: the stems, the figures and the terms of a sentence read the same words)."""
    return tuple(words(text))


def stems_of(text: str) -> tuple[str, ...]:
    """Return the stemmed words of a text, contractions spelled out, stop words kept ("*" kept)."""
    if GAP not in text:
        return tuple(stem(piece) for w in words_of(text) for piece in CONTRACTIONS.get(w.text, w.text).split())
    out: list[str] = []
    for part in text.split(GAP):
        out += list(stems_of(part)) + [GAP]
    return tuple(out[:-1])


@dataclass(frozen=True)
class Phrase:
    """One cue phrase: its text as written, its stems ("*" = a gap), and what it stands for."""

    text: str
    stems: tuple[str, ...]
    tag: str  # who it belongs to: a phase name, a signal tier, a capacity rule…
    weight: float = 1.0


@dataclass(frozen=True)
class Hit:
    """A phrase found in a sentence, with the span of words it covers."""

    phrase: Phrase
    start: int
    end: int


class PhraseSet:
    """Phrases indexed by their first stem; `find` returns every phrase found in a word sequence.

    A phrase with no words ("?") is looked for in the sentence as written.
    """

    def __init__(self, phrases: Iterable[Phrase]) -> None:
        self.phrases = tuple(phrases)
        # Phrases of one word by that word; longer ones by their first two words ("the schema"), so a
        # common first word ("the", "if") does not try every phrase that starts with it.
        self._single: dict[str, list[Phrase]] = {}
        self._pairs: dict[tuple[str, str], list[Phrase]] = {}
        self._gapped: dict[str, list[Phrase]] = {}  # second word is a gap: "if * fails"
        self._literal: list[Phrase] = []
        for p in self.phrases:
            if not p.stems or p.stems[0] == GAP:
                if p.stems:
                    raise ValueError(f"a cue phrase cannot start with '*': {p.text!r}")
                self._literal.append(p)
            elif len(p.stems) == 1:
                self._single.setdefault(p.stems[0], []).append(p)
            elif p.stems[1] == GAP:
                self._gapped.setdefault(p.stems[0], []).append(p)
            else:
                self._pairs.setdefault((p.stems[0], p.stems[1]), []).append(p)

    def find(self, stems: Sequence[str], text: str = "") -> list[Hit]:
        """Return the phrases found in a sentence's stems (and literal ones in its text), innermost dropped.

        When one phrase lies inside another of the same tag ("to scale" in "to scale this"), only
        the longer one counts, so a cue and its variants do not add up.
        """
        hits: list[Hit] = []
        last = len(stems) - 1
        for i, s in enumerate(stems):
            for p in self._single.get(s, ()):
                hits.append(Hit(p, i, i + 1))
            candidates = self._gapped.get(s, ())
            if i < last:
                candidates = [*candidates, *self._pairs.get((s, stems[i + 1]), ())]
            for p in candidates:
                end = _match(p.stems, stems, i)
                if end is not None:
                    hits.append(Hit(p, i, end))
        for p in self._literal:
            if p.text in text:
                hits.append(Hit(p, len(stems), len(stems)))
        if len(hits) < 2:
            return hits
        # In order of start, longest first: a hit lies inside a longer one of its tag exactly when the
        # kept hit of that tag reaching furthest so far reaches past it (linear after the sort).
        hits.sort(key=lambda h: (h.start, h.start - h.end))
        reach: dict[str, Hit] = {}
        kept: list[Hit] = []
        for h in hits:
            k = reach.get(h.phrase.tag)
            if k is not None and h.end <= k.end and (k.end - k.start) > (h.end - h.start):
                continue
            kept.append(h)
            if k is None or h.end > k.end:
                reach[h.phrase.tag] = h
        return kept


def _match(pattern: tuple[str, ...], stems: Sequence[str], at: int) -> int | None:
    """Return the end of `pattern` matched at `at` (gaps of up to three words), or None."""
    i = at
    j = 0
    while j < len(pattern):
        p = pattern[j]
        if p == GAP:
            rest = pattern[j + 1 :]
            if not rest:
                return i
            for skip in range(_GAP_WORDS + 1):
                end = _match(rest, stems, i + skip) if i + skip < len(stems) else None
                if end is not None:
                    return end
            return None
        if i >= len(stems) or stems[i] != p:
            return None
        i += 1
        j += 1
    return i


def compile_phrases(texts: Iterable[str], tag: str, weight: float = 1.0) -> list[Phrase]:
    """Compile phrase texts of one tag into phrases (duplicates after stemming kept once)."""
    seen: set[tuple[str, ...]] = set()
    out = []
    for text in texts:
        stems = stems_of(text)
        if stems in seen:
            continue
        seen.add(stems)
        out.append(Phrase(text, stems, tag, weight))
    return out


def compile_patterns(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    """Compile regular expressions from the rules, naming the bad one if any is broken."""
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p))
        except re.error as exc:
            raise ValueError(f"bad pattern {p!r} in the rubric rules: {exc}") from exc
    return tuple(out)
