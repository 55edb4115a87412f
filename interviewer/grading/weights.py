"""Term weights for grading: IDF over the corpus, less for generic words and for the question's own words."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Mapping

from interviewer.grading.rules import generic_terms
from interviewer.lexicon import Lexicon
from interviewer.vocabulary import token_parts


def term_weigher(
    lexicon: Lexicon | None,
    question_terms: frozenset[str],
    settings: Mapping[str, float],
    sentence_counts: Mapping[str, int] | None = None,
) -> Callable[[str], float]:
    """Return the weight of a (canonical) term: IDF ** idf_power, less for generic words and words of the
    question.

    A question word weighs question_term of itself, unless the reference keeps explaining it: from the
    third reference sentence that uses it the discount fades, and it is gone by the
    (2 + question_fade)th ("describe exponential backoff with jitter" asks for them by name).
    """
    counts = sentence_counts or {}
    fade = max(1e-9, settings["question_fade"])
    q = settings["question_term"]

    @lru_cache(maxsize=None)
    def weight(term: str) -> float:
        w = base_weight(lexicon, term, settings["default_idf"], settings["idf_power"], settings["generic_term"])
        if term in question_terms:
            w *= q + (1 - q) * min(1.0, max(0, counts.get(term, 0) - 2) / fade)
        return w

    return weight


def base_weight(lexicon: Lexicon | None, term: str, default: float, idf_power: float, generic_term: float) -> float:
    """Return a term's weight before the question is known: IDF ** idf_power, less for generic words."""
    parts = token_parts(term)
    # A canonical token ("load_balanc") weighs as its most telling word.
    w = max(lexicon.idf(p) for p in parts) ** idf_power if lexicon is not None and lexicon.documents > 0 else default
    if all(p in generic_terms() for p in parts):
        w *= generic_term
    return w


def sentence_counts(sentence_terms: list[frozenset[str]]) -> dict[str, int]:
    """Count in how many sentences each term occurs."""
    counts: dict[str, int] = {}
    for st in sentence_terms:
        for t in st:
            counts[t] = counts.get(t, 0) + 1
    return counts
