"""Pronunciations for words the recognizer's dictionary lacks: acronyms, names, compounds, jargon.

Tried in order, each a named rule so a word's pronunciation can be traced: the hand-kept
exceptions of data/speech.toml, the dictionary, digits said as a number, capitals spelled as
letters, a dictionary word plus an ending, two or more dictionary words run together, and
letter-to-sound rules last. A token mixing cases or digits ("DynamoDB", "k8s", "2PC") is said
piece by piece.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping

from interviewer.speech.numbers import say_number

SIBILANT = frozenset({"S", "Z", "SH", "ZH", "CH", "JH"})
VOICELESS = frozenset({"P", "T", "K", "F", "TH"})
DENTAL = frozenset({"T", "D"})
# A compound's pieces are at least this long, so "a" + "sync" does not pass for "async".
MIN_PIECE = 3
# Pieces of a token: capitalised or lowercase words, runs of capitals, runs of digits.
_PIECES = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+(?:\.[0-9]+)?|[a-z]+")


@dataclass(frozen=True)
class Pronunciation:
    """How a word is said: its phones, and the rule that found them (for --explain and tests)."""

    word: str
    phones: tuple[str, ...]
    rule: str  # exception | dictionary | number | letters | ending | compound | spelling | pieces


def load_tables() -> dict:
    """Read data/speech.toml."""
    return tomllib.loads((resources.files("interviewer") / "data" / "speech.toml").read_text(encoding="utf-8"))


def read_dictionary(path: Path) -> dict[str, list[str]]:
    """Read a CMUdict-style file: word → its pronunciations (variants "word(2)" folded in)."""
    out: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            word, _, phones = line.strip().partition(" ")
            if not phones:
                continue
            paren = word.find("(")
            if paren > 0:
                word = word[:paren]
            out.setdefault(word, []).append(phones.strip())
    return out


class Pronouncer:
    """Finds how a word is said, from a dictionary and the rules of data/speech.toml."""

    def __init__(self, dictionary: Mapping[str, list[str]], tables: dict | None = None):
        tables = tables if tables is not None else load_tables()
        self.dictionary = dictionary
        self.letters = {k: v for k, v in tables["letters"].items()}
        self.exceptions = {k: ([v] if isinstance(v, str) else list(v)) for k, v in tables["exceptions"].items()}
        self.suffixes = sorted(tables["suffixes"], key=lambda s: -len(s["ending"]))
        self.graphemes = sorted(tables["graphemes"].items(), key=lambda kv: -len(kv[0].strip("^$")))
        self.max_letters = int(tables["model"]["max_letters"])
        self._cache: dict[str, Pronunciation | None] = {}

    # ------------------------------------------------------------------ the rules, in order

    def pronounce(self, token: str) -> Pronunciation | None:
        """Return how a written token is said (its first pronunciation), or None if no rule knows."""
        if token not in self._cache:
            self._cache[token] = self._pronounce(token)
        return self._cache[token]

    def variants(self, token: str) -> list[str]:
        """Return every pronunciation of a token as phone strings (dictionary and exception variants)."""
        low = token.lower()
        if low in self.exceptions:
            return self.exceptions[low]
        if len(low) == 1 and low in self.letters:
            # A lone letter is its name ("c d c") and, where it is a word, the word as said in
            # a sentence too: the article "a" is mostly AH in fluent speech, seldom EY.
            return list(dict.fromkeys([self._spell(low), *self.dictionary.get(low, [])]))
        if low in self.dictionary and not self._spelled(token):
            return self.dictionary[low]
        found = self.pronounce(token)
        return [" ".join(found.phones)] if found else []

    def _pronounce(self, token: str) -> Pronunciation | None:
        low = token.lower().replace("’", "'")
        if low in self.exceptions:
            return self._found(token, self.exceptions[low][0], "exception")
        if self._spelled(token):
            return self._found(token, self._spell(low), "letters")
        if low in self.dictionary:
            return self._found(token, self.dictionary[low][0], "dictionary")
        if re.fullmatch(r"[0-9]+(?:\.[0-9]+)?", low):
            return self._number(token)
        if "'" in low or re.fullmatch(r"[A-Z][A-Z0-9]+s", token):
            # A possessive ("server's") or an acronym's plural ("CRDTs"): the word, then its s.
            base = self.pronounce(token[:-2] if "'" in low else token[:-1])
            if base is not None:
                ending = next(s for s in self.suffixes if s["ending"] == "s")
                return Pronunciation(token, base.phones + tuple(self._ending_sound(ending, base.phones[-1]).split()),
                                     "ending")
        pieces = _PIECES.findall(token)
        if len(pieces) > 1 and "".join(pieces) == token.replace("'", ""):
            said = [self.pronounce(p) for p in pieces]
            if all(said):
                return Pronunciation(token, tuple(ph for p in said for ph in p.phones), "pieces")
        if not low.isalpha() and "'" not in low:
            return None
        for rule in (self._ending, self._compound, self._spelling):
            found = rule(low)
            if found:
                return Pronunciation(token, found, rule.__name__.lstrip("_"))
        return None

    def _spelled(self, token: str) -> bool:
        """Capitals not in the dictionary, or a lone letter, are said letter by letter ("CDC", "k")."""
        if len(token) == 1 and token.isalpha():
            return True
        return (token.isupper() and token.isalpha() and len(token) <= self.max_letters
                and token.lower() not in self.dictionary)

    def _spell(self, letters: str) -> str:
        return " ".join(self.letters[c] for c in letters if c in self.letters)

    def _number(self, token: str) -> Pronunciation | None:
        phones = []
        for word in say_number(token):
            if word not in self.dictionary:
                return None
            phones.append(self.dictionary[word][0])
        return self._found(token, " ".join(phones), "number")

    @staticmethod
    def _found(token: str, phones: str, rule: str) -> Pronunciation:
        return Pronunciation(token, tuple(phones.split()), rule)

    def _known(self, word: str) -> tuple[str, ...] | None:
        if word in self.exceptions:
            return tuple(self.exceptions[word][0].split())
        if word in self.dictionary:
            return tuple(self.dictionary[word][0].split())
        return None

    def _ending(self, word: str) -> tuple[str, ...] | None:
        """A dictionary word plus an ending: "retries" = retry + es, "caching" = cache + ing."""
        for suffix in self.suffixes:
            ending = suffix["ending"]
            if not word.endswith(ending) or len(word) - len(ending) < MIN_PIECE:
                continue
            stem = word[: -len(ending)]
            stems = [stem]
            if suffix.get("from_e"):
                stems.append(stem + "e")
            if suffix.get("from_y") and stem.endswith("i"):
                stems.append(stem[:-1] + "y")
            if len(stem) > 2 and stem[-1] == stem[-2]:
                stems.append(stem[:-1])
            for candidate in stems:
                phones = self._known(candidate)
                if phones:
                    return phones + tuple(self._ending_sound(suffix, phones[-1]).split())
        return None

    @staticmethod
    def _ending_sound(suffix: dict, last: str) -> str:
        if last in DENTAL and "dental" in suffix:
            return suffix["dental"]
        if last in SIBILANT and "sibilant" in suffix:
            return suffix["sibilant"]
        if last in VOICELESS and "voiceless" in suffix:
            return suffix["voiceless"]
        return suffix["phones"]

    def _compound(self, word: str) -> tuple[str, ...] | None:
        """Dictionary words run together ("failover", "microservices"), fewest pieces first."""
        n = len(word)
        # best[i]: the fewest pieces that say word[:i], as (count, phones).
        best: list[tuple[int, tuple[str, ...]] | None] = [None] * (n + 1)
        best[0] = (0, ())
        for i in range(MIN_PIECE, n + 1):
            for j in range(0, i - MIN_PIECE + 1):
                if best[j] is None:
                    continue
                piece = word[j:i]
                phones = self._known(piece) or (self._ending(piece) if i == n else None)
                if phones and (best[i] is None or best[j][0] + 1 < best[i][0]):
                    best[i] = (best[j][0] + 1, best[j][1] + phones)
        return best[n][1] if best[n] and best[n][0] > 1 else None

    def _spelling(self, word: str) -> tuple[str, ...] | None:
        """Letters to sounds, longest matching spelling first (a rough last resort)."""
        phones: list[str] = []
        i, n = 0, len(word)
        while i < n:
            for spelling, sound in self.graphemes:
                core = spelling.strip("^$")
                if spelling.startswith("^") and i != 0:
                    continue
                if spelling.endswith("$") and i + len(core) != n:
                    continue
                if word.startswith(core, i):
                    phones.extend(sound.split())
                    # A doubled consonant is said once ("jitter").
                    i += len(core)
                    if core.isalpha() and len(core) == 1 and i < n and word[i] == core and core not in "aeiou":
                        i += 1
                    break
            else:
                i += 1  # a character no rule covers (an accent, a symbol): silent
        return tuple(phones) or None


@lru_cache(maxsize=1)
def default_tables() -> dict:
    """data/speech.toml, read once."""
    return load_tables()


def spell(letters: Iterable[str], tables: dict | None = None) -> str:
    """Return the phones of letters said one by one."""
    table = (tables or default_tables())["letters"]
    return " ".join(table[c.lower()] for c in letters if c.lower() in table)
