"""Word classes for reading concepts out of text: what makes a label a concept an interviewer would name.

A concept is a term of the trade, not a word of the sentence around it, an example value or a label
of the page. The word lists live in data/concept_words.toml; this module only classifies words:

- numbers ("4", "two", "4,096"), measures ("41-bit", "500ms") and identifiers ("T1", "customerId",
  "abc-123", "OrderCreated") are example values: they end a phrase and never make one;
- verbs of the [verbs] list end a phrase and never start or end one;
- [edges] words (rating, counting) are trimmed from a phrase's ends;
- [meta] heads are trimmed from a label's end ("Incident Response Steps" → "Incident Response");
- a single word is a concept only as a term of the trade (see `trade_word`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from interviewer.text import NUMBER_WORDS

_DATA = resources.files("interviewer") / "data"


@dataclass(frozen=True)
class WordLists:
    """The word classes of data/concept_words.toml, lowercased (plurals folded where the list says so)."""

    never_alone: frozenset[str]
    edges: frozenset[str]
    meta_heads: frozenset[str]
    verbs: frozenset[str]  # forms of verbs that are never nouns: they end a phrase
    noun_verbs: frozenset[str]  # forms of verbs that are also nouns: verbs only where a phrase starts
    units: frozenset[str]
    placeholders: frozenset[str]
    breakers: frozenset[str]  # words that end a phrase although the index keeps them
    objects: frozenset[str]  # a word before one of these is a verb with its object
    subjects: frozenset[str]  # a third-person "-s" word after one of these is a verb
    verb_after: frozenset[str]  # the word after one of these is a verb
    structural: frozenset[str]  # labels of a page ("pros", "how it works")
    example_markers: tuple[str, ...]  # patterns that open an example
    generic: frozenset[str]  # words that name a kind of thing ("pattern", "strategy")
    evaluative: frozenset[str]  # words that rate or describe ("simplest", "core")
    example_domain: frozenset[str]  # the things of an example ("payment", "customer")


def _inflections(base: str) -> set[str]:
    """Return a verb's base form and its regular inflections (with the usual spelling changes)."""
    out = {base}
    vowels = "aeiou"
    if base.endswith(("s", "x", "z", "ch", "sh", "o")):
        out.add(base + "es")
    elif base.endswith("y") and len(base) > 2 and base[-2] not in vowels:
        out.add(base[:-1] + "ies")
    else:
        out.add(base + "s")
    if base.endswith("e"):
        # "create" → "creating", but "guarantee" → "guaranteeing"
        out.update({base + "d", base + "ing" if base.endswith(("ee", "ye", "oe")) else base[:-1] + "ing"})
    elif base.endswith("y") and len(base) > 2 and base[-2] not in vowels:
        out.update({base[:-1] + "ied", base + "ing"})
    else:
        out.update({base + "ed", base + "ing"})
        if len(base) > 2 and base[-1] not in vowels + "wxy" and base[-2] in vowels and base[-3] not in vowels:
            # "program" → "programmed", "submit" → "submitted": doubling is harmless where it is wrong.
            out.update({base + base[-1] + "ed", base + base[-1] + "ing"})
    return out


@lru_cache(maxsize=1)
def word_lists() -> WordLists:
    """Return the word classes (read once from data/concept_words.toml)."""
    data = tomllib.loads((_DATA / "concept_words.toml").read_text(encoding="utf-8"))
    low = lambda ws: frozenset(w.lower() for w in ws)  # noqa: E731
    verbs: set[str] = set()
    for base in data["verbs"]["only"]:
        verbs |= _inflections(base.lower())
    verbs |= low(data["verbs"]["forms"])
    noun_verbs: set[str] = set()
    for base in data["verbs"]["also_nouns"]:
        noun_verbs |= _inflections(base.lower())
    never = low(data["never_alone"]["words"]) | low(data["generic"]["words"])
    phrases = data["phrases"]
    return WordLists(
        never_alone=never,
        edges=low(data["edges"]["words"]),
        meta_heads=low(data["meta"]["heads"]),
        verbs=frozenset(verbs),
        noun_verbs=frozenset(noun_verbs - verbs),
        units=low(data["units"]["words"]),
        placeholders=low(data["placeholders"]["words"]),
        breakers=low(phrases["phrase_breakers"]),
        objects=low(phrases["object_starters"]),
        subjects=low(phrases["subject_words"]),
        verb_after=low(phrases["verb_after"]),
        structural=low(data["structural"]["labels"]),
        example_markers=tuple(data["structural"]["example_markers"]),
        generic=low(data["generic"]["words"]),
        evaluative=low(data["evaluative"]["words"]),
        example_domain=low(data["example_domain"]["words"]),
    )


def _singulars(word: str) -> tuple[str, ...]:
    if word.endswith("ies") and len(word) > 4:
        return (word, word[:-3] + "y")
    if word.endswith("es") and len(word) > 3:
        return (word, word[:-1], word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        return (word, word[:-1])
    return (word,)


@lru_cache(maxsize=65536)
def never_alone(word: str) -> bool:
    """Tell whether a word is too generic to be a concept on its own ("ability", "model", "sync")."""
    return any(w in word_lists().never_alone for w in _singulars(word.lower()))


@lru_cache(maxsize=65536)
def edge_word(word: str) -> bool:
    """Tell whether a word rates or counts rather than names, so a concept never starts or ends with it."""
    return word.lower() in word_lists().edges


@lru_cache(maxsize=65536)
def meta_head(word: str) -> bool:
    """Tell whether a word structures a page ("summary", "steps", "types") rather than names an idea."""
    return word.lower() in word_lists().meta_heads


@lru_cache(maxsize=65536)
def is_verb(word: str) -> bool:
    """Tell whether a word is a form of a verb that is never a noun ("sends", "created", "explaining")."""
    return word.lower() in word_lists().verbs


@lru_cache(maxsize=65536)
def is_noun_verb(word: str) -> bool:
    """Tell whether a word is a form of a verb that is also a noun ("handling", "supports", "cause")."""
    return word.lower() in word_lists().noun_verbs


_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)*|\d*\.\d+)(?:st|nd|rd|th)?%?")
_BIG_NUMBERS = frozenset({"hundred", "thousand", "million", "billion", "trillion", "dozen", "hundreds", "thousands", "millions", "billions"})
_MEASURE = re.compile(r"(\d+(?:[.,]\d+)*)[- ]?([a-z]+)")
_CAMEL = re.compile(r"[a-z]+[A-Z]")  # customerId, isNewGatewayEnabled
_PASCAL = re.compile(r"(?:[A-Z][a-z]+){2,}\d*")  # OrderCreated, ChargeCard, UserProfile55
# T1, msg2, abc-123, ServerA, Replica1
_CODE_ID = re.compile(r"(?:[A-Za-z]{1,2}|[a-z]+)\d+|[A-Za-z]+(?:-[A-Za-z]+)*-\d+|[A-Z]?[a-z]{2,}[A-Z0-9]\d*")


@lru_cache(maxsize=65536)
def is_number(word: str) -> bool:
    """Tell whether a word is a number: digits ("4,096", "99.9%"), or a number word ("two", "million")."""
    w = word.lower()
    if "/" in w or "-" in w:
        # "33/33/33", "2-3", "one-to-one"? only when every part is a number
        return all(is_number(p) for p in re.split(r"[/-]", w) if p) and any(c.isdigit() for c in w)
    return bool(_NUMBER.fullmatch(w)) or w in NUMBER_WORDS or w in _BIG_NUMBERS


@lru_cache(maxsize=65536)
def is_measure(word: str) -> bool:
    """Tell whether a word is a number joined to a unit ("41-bit", "30-second", "500ms", "10x")."""
    m = _MEASURE.fullmatch(word.lower())
    return bool(m) and m.group(2) in word_lists().units


@lru_cache(maxsize=65536)
def is_identifier(word: str) -> bool:
    """Tell whether a word is a name from code or an example: camelCase, snake_case, "T1", "abc-123", "OrderCreated"."""
    if "_" in word.strip("_"):
        return True
    if _CAMEL.match(word) and not word[:1].isupper():
        # mTLS, iOS, eBPF: one lowercase letter before capitals is a product's spelling, not code.
        return not re.fullmatch(r"[a-z][A-Z0-9]+s?", word)
    return bool(_PASCAL.fullmatch(word) or _CODE_ID.fullmatch(word))


def example_value(word: str) -> bool:
    """Tell whether a word is a value of an example (number, measure, identifier, placeholder name) rather than a name."""
    low = word.lower()
    if low.endswith(("'s", "’s")):
        low = low[:-2]
    if word.isalpha() and (word.islower() or word[1:].islower()):
        # Most words: letters only, no inner capital, so no digits, code or measure to find.
        return low in NUMBER_WORDS or low in _BIG_NUMBERS or low in word_lists().placeholders
    return is_number(word) or is_measure(word) or is_identifier(word) or low in word_lists().placeholders


_ACRONYM = re.compile(r"(?=(?:.*[A-Z0-9]){2})[A-Za-z0-9&]{2,10}s?")


def acronym_like(word: str) -> bool:
    """Tell whether a word is written as an acronym ("ACID", "2PC", "mTLS", "ETags")."""
    return bool(_ACRONYM.fullmatch(word)) and any(c.isalpha() for c in word) and not is_number(word) and not is_measure(word)


@lru_cache(maxsize=65536)
def is_adverb(word: str) -> bool:
    """Tell whether a word is an adverb that describes rather than names ("continuously", "actively").

    Adverbs of a word the synonym table knows on its own ("asynchronously", "atomically") carry
    meaning and are kept.
    """
    w = word.lower()
    if len(w) <= 4 or "-" in w or not w.endswith("ly") or word[0].isupper():
        return False
    base = w[:-2]
    known = _one_word_wordings()
    return not (base in known or (w.endswith("ally") and w[:-4] in known))


@lru_cache(maxsize=1)
def _one_word_wordings() -> frozenset[str]:
    """One-word wordings of the synonym table: their adverbs ("asynchronously") are terms of the trade."""
    from interviewer.vocabulary import default_synonyms

    return frozenset(w.lower() for ws in default_synonyms().wordings_of.values() for w in ws if " " not in w)


def evaluative(word: str) -> bool:
    """Tell whether a word rates or describes rather than names ("simplest", "core", "leading")."""
    return word.lower() in word_lists().evaluative


def example_domain(word: str) -> bool:
    """Tell whether a word names a thing of an example ("payment", "customer", "Enterprise")."""
    return word.lower() in word_lists().example_domain


def structural(label: str) -> bool:
    """Tell whether a label structures a page ("Pros", "How it works") rather than names an idea."""
    return label.lower().strip(" :.?") in word_lists().structural

