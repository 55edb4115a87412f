"""Scoring inside whoosh: BM25+ with field lengths read once, and phrases as pairs of neighbours."""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from whoosh import query as Q
from whoosh.scoring import WeightingModel, WeightLengthScorer, WeightScorer


class BM25Plus(WeightingModel):
    """BM25+ (Lv & Zhai): BM25 plus `delta` for every query term a passage holds at all.

    Plain BM25 lets a long passage that holds a query word once score almost nothing for it;
    BM25+ counts each word found, so a passage that holds more of a question's words wins (and
    its IDF, log((N + 1) / df), never turns negative). `lengths` are the field lengths of every
    document, read once: whoosh would otherwise look one up for every posting it scores.
    """

    def __init__(self, lengths: Mapping[str, Sequence[int]], B: float = 0.75, K1: float = 1.5,
                 delta: float = 1.0):
        self.B, self.K1, self.delta = B, K1, delta
        # The length part of BM25's denominator, per field and document.
        self.norms = {}
        for field, values in lengths.items():
            avg = (sum(values) / len(values)) if values else 1.0
            self.norms[field] = [K1 * (1 - B + B * n / (avg or 1.0)) for n in values]

    def supports_block_quality(self) -> bool:
        return True

    def scorer(self, searcher, fieldname, text, qf=1):
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        return _BM25PlusScorer(self, searcher.get_parent(), fieldname, text)


class _BM25PlusScorer(WeightLengthScorer):
    def __init__(self, model: BM25Plus, searcher, fieldname, text):
        df = searcher.doc_frequency(fieldname, text)
        self.idf = math.log((searcher.doc_count_all() + 1) / df) if df else 0.0
        self.norms, self.K1, self.delta = model.norms[fieldname], model.K1, model.delta
        self.B = model.B
        self.avgfl = searcher.avg_field_length(fieldname) or 1
        ti = searcher.term_info(fieldname, text)
        self._maxquality = self._score(ti.max_weight(), ti.min_length())

    def score(self, matcher):
        weight = matcher.weight()
        return self.idf * (self.delta + weight * (self.K1 + 1) / (weight + self.norms[matcher.id()]))

    def _score(self, weight, length):
        norm = self.K1 * (1 - self.B + self.B * length / self.avgfl)
        return self.idf * (self.delta + weight * (self.K1 + 1) / (weight + norm))


def match(terms: tuple[str, ...], boost: float) -> Q.Query:
    """Match one term, or a run of terms as a phrase: every pair of neighbours in `pairs`."""
    if len(terms) == 1:
        return Q.Term("text", terms[0], boost=boost)
    pairs = [Q.Term("pairs", f"{a} {b}", boost=boost / (len(terms) - 1)) for a, b in zip(terms, terms[1:])]
    return pairs[0] if len(pairs) == 1 else Q.And(pairs)
