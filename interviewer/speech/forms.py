"""Spoken forms → written forms, so the grader sees what the candidate meant.

"so the p ninety nine is under two hundred milliseconds at ten thousand q p s with c d c" →
"so the p99 is under 200 milliseconds at 10,000 QPS with CDC". Four named rules, applied in
order over the words: `number` (number words → digits, with "point" and "percent"), `letters`
(spelled letters and numbers → a term), `form` (a term's written form: "dynamodb" → DynamoDB) and
`plural` (an acronym and the letter s said after it: "crdt s" → CRDTs).
The tables live in data/speech_forms.toml; the corpus's terms are added by the speech model.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Mapping

from interviewer.speech.numbers import NUMBER_WORDS, ONES, read_integer

_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
# Number words said inside a spelled term ("two p c", "e c two").
_DIGIT = {w: str(i) for i, w in enumerate(ONES[:10])}


@dataclass(frozen=True)
class Change:
    """One rewrite: the rule, the words said and what was written for them."""

    rule: str
    said: str
    written: str


@dataclass(frozen=True)
class Normalised:
    """A transcript with its spoken forms written, and the changes made (for --explain)."""

    text: str
    changes: tuple[Change, ...] = field(default=())


@lru_cache(maxsize=1)
def default_table() -> dict:
    """data/speech_forms.toml, read once."""
    return tomllib.loads((resources.files("interviewer") / "data" / "speech_forms.toml").read_text(encoding="utf-8"))


class Normaliser:
    """Rewrites spoken forms in transcripts; build once with the corpus's terms, use from any thread."""

    def __init__(self, terms: Mapping[str, str] = (), table: dict | None = None):
        table = table if table is not None else default_table()
        self.terms = {k.lower(): v for k, v in table["terms"].items()}
        self.terms.update({k.lower(): v for k, v in dict(terms).items()})
        self.after_number = dict(table["after_number"])
        self.prefixes = frozenset(table["prefixes"]["letters"])
        self.words_too = frozenset(table["words_too"]["letters"])
        self.min_words = int(table["numbers"]["min_words"])
        self.commas_from = int(table["numbers"]["commas_from"])

    def __call__(self, text: str) -> Normalised:
        """Return the text with spoken forms written."""
        changes: list[Change] = []
        words = self._numbers(text.split(), changes)
        words = self._letters(words, changes)
        words = self._forms(words, changes)
        words = self._plurals(words, changes)
        return Normalised(" ".join(words), tuple(changes))

    # ------------------------------------------------------------------ number

    def _numbers(self, said: list[str], changes: list[Change]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(said):
            found = read_integer(said[i:]) if said[i] in NUMBER_WORDS else None
            if found is None and said[i] == "a" and i + 1 < len(said) and said[i + 1] in ("hundred", "thousand"):
                rest = read_integer(["one", *said[i + 1 :]])  # "a hundred twenty eight"
                found = (rest[0], rest[1]) if rest else None
            if found is None:
                out.append(said[i])
                i += 1
                continue
            value, used = found
            written = self._digits(value)
            end = i + used
            # "point nine nine": a decimal part, digit by digit.
            if end + 1 < len(said) and said[end] == "point" and said[end + 1] in ONES[:10]:
                decimals = []
                end += 1
                while end < len(said) and said[end] in ONES[:10]:
                    decimals.append(str(ONES.index(said[end])))
                    end += 1
                written += "." + "".join(decimals)
            unit = self.after_number.get(said[end]) if end < len(said) else None
            letter_before = bool(out) and out[-1] in _LETTERS
            if end - i >= self.min_words or unit or letter_before or "." in written:
                if unit:
                    written += unit
                    end += 1
                changes.append(Change("number", " ".join(said[i:end]), written))
                out.append(written)
                i = end
            else:
                out.extend(said[i:end])
                i = end
        return out

    def _digits(self, value: int) -> str:
        return f"{value:,}" if value >= self.commas_from else str(value)

    # ------------------------------------------------------------------ letters

    def _letters(self, words: list[str], changes: list[Change]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(words):
            j = i
            while j < len(words) and _piece(words[j]):
                j += 1
            if j - i >= 2:
                out.extend(self._join_run(words[i:j], changes))
                i = j
            else:
                out.append(words[i])
                i += 1
        return out

    def _join_run(self, run: list[str], changes: list[Change]) -> list[str]:
        """Join a run of letters and numbers into the longest known terms, left to right."""
        out: list[str] = []
        i = 0
        while i < len(run):
            for j in range(len(run), i + 1, -1):
                written = self._term(run[i:j])
                if written:
                    changes.append(Change("letters", " ".join(run[i:j]), written))
                    out.append(written)
                    i = j
                    break
            else:
                out.append(run[i])
                i += 1
        return out

    def _term(self, pieces: list[str]) -> str | None:
        key = "".join(_DIGIT.get(p, p) for p in pieces).replace(",", "").lower()
        if key in self.terms:
            return self.terms[key]
        letters = [p for p in pieces if p in _LETTERS]
        if len(pieces) == 2 and pieces[0] in self.prefixes and pieces[1].isdigit():
            return pieces[0] + pieces[1]  # "p 99" → p99
        if len(letters) == len(pieces) and pieces[0] not in self.words_too and pieces[-1] not in self.words_too:
            return key.upper()  # "x y z" → XYZ, an acronym the tables do not know
        return None

    # ------------------------------------------------------------------ form

    def _forms(self, words: list[str], changes: list[Change]) -> list[str]:
        out = []
        for w in words:
            written = self.terms.get(w)
            if written and written != w:
                changes.append(Change("form", w, written))
                out.append(written)
            else:
                out.append(w)
        return out

    # ------------------------------------------------------------------ plural

    @staticmethod
    def _plurals(words: list[str], changes: list[Change]) -> list[str]:
        """An acronym's plural is said as its letters and an s, which the recognizer may hear as
        the letter on its own: "CRDT s" → CRDTs."""
        out: list[str] = []
        for w in words:
            if w == "s" and out and _acronym(out[-1]):
                changes.append(Change("plural", out[-1] + " s", out[-1] + "s"))
                out[-1] += "s"
            else:
                out.append(w)
        return out


def _acronym(word: str) -> bool:
    """A written term in capitals (and digits): CRDT, API, 2PC."""
    return len(word) >= 2 and word.isupper() and word.isalnum()


def _piece(word: str) -> bool:
    """A word that can be part of a spelled term: a letter, a digit's name or a written number."""
    return word in _LETTERS or word in _DIGIT or word.replace(",", "").isdigit()
