"""An interpolated Kneser-Ney n-gram language model, counted from sentences and written as ARPA.

Pure: sentences (lists of words) in, ARPA text out. Lower orders use continuation counts (how
many different words precede an n-gram), except for n-grams that start with <s>, which nothing
can precede; one discount per order, D = n1 / (n1 + 2 n2) (Ney, Essen and Kneser 1994). An
interpolated model fits ARPA's backoff form exactly: a seen n-gram carries its interpolated
probability and a context's backoff weight is its interpolation weight.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

BOS, EOS, UNK = "<s>", "</s>", "<unk>"
# ARPA's "log10 probability" for <s>, which is never predicted.
NEVER = -99.0
# The discount used when an order has too few n-grams seen once or twice to estimate it.
FALLBACK_DISCOUNT = 0.5

Gram = tuple[str, ...]


@dataclass(frozen=True)
class NGramModel:
    """log10 probabilities and backoff weights of every n-gram, by order (1-based)."""

    order: int
    logprob: dict[Gram, float] = field(default_factory=dict)
    backoff: dict[Gram, float] = field(default_factory=dict)
    discounts: tuple[float, ...] = ()

    def grams(self, n: int) -> list[Gram]:
        """Return the n-grams of one order, sorted."""
        return self.by_order()[n - 1]

    def by_order(self) -> list[list[Gram]]:
        """Return the n-grams of every order 1..order, each order sorted (read in one pass)."""
        orders: dict[int, list[Gram]] = defaultdict(list)
        for gram in self.logprob:
            orders[len(gram)].append(gram)
        return [sorted(orders[n]) for n in range(1, self.order + 1)]

    def prob(self, word: str, context: Sequence[str] = ()) -> float:
        """Return p(word | context) by the ARPA backoff rule (for tests and sanity checks)."""
        context = tuple(context)[-(self.order - 1):] if self.order > 1 else ()
        weight = 0.0
        while True:
            gram = context + (word,)
            if gram in self.logprob:
                return 10 ** (self.logprob[gram] + weight)
            if not context:
                return 0.0
            weight += self.backoff.get(context, 0.0)
            context = context[1:]


def count_ngrams(sentences: Iterable[Sequence[str]], order: int,
                 fragments: Iterable[Sequence[str]] = ()) -> Counter[Gram]:
    """Count every n-gram of orders 1..order, each sentence padded with <s> and </s>. Fragments
    are pieces of word sequences counted as they are (no padding; one may begin with <s> or end
    with </s>): the join of two sentences said one after the other, an opening phrase."""
    counts: Counter[Gram] = Counter()
    padded_sentences = ((BOS, *s, EOS) for s in sentences if s)
    for padded in (*padded_sentences, *(tuple(f) for f in fragments if f)):
        for n in range(1, order + 1):
            for i in range(len(padded) - n + 1):
                counts[padded[i : i + n]] += 1
    return counts


@dataclass(frozen=True)
class Background:
    """N-grams of a general model of the language, to mix into a domain model's: the n-grams it
    lists with P(word | history), each history's backoff weight, and the general P(word) it backs
    off to; its bigrams are mixed in with `weight`, its trigrams with `trigram_weight`."""

    ngrams: Mapping[Gram, float]
    backoff: Mapping[Gram, float]
    unigram: Mapping[str, float]
    weight: float
    trigram_weight: float = 0.0

    def weight_of(self, n: int) -> float:
        """The weight of the general n-grams of order n."""
        return {2: self.weight, 3: self.trigram_weight}.get(n, 0.0)

    def prob(self, gram: Gram) -> float:
        """The general P(word | history), backing off where the n-gram is not listed."""
        if gram in self.ngrams:
            return self.ngrams[gram]
        if len(gram) == 1:
            return self.unigram.get(gram[0], 0.0)
        return self.backoff.get(gram[:-1], 1.0) * self.prob(gram[1:])

    def excess(self, n: int, words: set[str]) -> dict[Gram, dict[str, float]]:
        """history → word → how much more likely a listed n-gram is than backing off (≥ 0)."""
        out: dict[Gram, dict[str, float]] = defaultdict(dict)
        for gram, p in self.ngrams.items():
            if len(gram) == n and all(w in words for w in gram):
                extra = p - self.backoff.get(gram[:-1], 1.0) * self.prob(gram[1:])
                if extra > 0:
                    out[gram[:-1]][gram[-1]] = extra
        return out


def kneser_ney(sentences: Iterable[Sequence[str]], order: int = 3, vocabulary: Iterable[str] = (),
               general: Mapping[str, float] | None = None, general_weight: float = 0.0,
               fragments: Iterable[Sequence[str]] = (), background: Background | None = None) -> NGramModel:
    """Estimate an interpolated Kneser-Ney model; `vocabulary` adds words never seen in a sentence
    (they get only the uniform share of the unigram distribution). `general` (word → probability,
    summing to 1) is mixed into the unigrams with `general_weight`: a background model of the
    language at large, for words the sentences never use. `fragments`: see count_ngrams.

    `background` mixes general n-grams in with its weight λ for their order: for a history h,
    P(w | h) = (1 − λ) (the domain's discounted share) + λ (the general n-gram's share above
    backing off) + the rest of the mass on the mixed lower order. With λ = 0 this is the domain
    model."""
    if order < 1:
        raise ValueError("order must be 1 or more")
    raw = count_ngrams(sentences, order, fragments)
    counts = _adjusted_counts(raw, order)
    counts.pop((BOS,), None)  # <s> is a context only, never predicted
    general = dict(general or {})
    if not general:
        general_weight = 0.0
    words = {g[0] for g in counts if len(g) == 1} | set(vocabulary) | set(general) | {EOS, UNK}
    words.discard(BOS)
    discounts = tuple(_discount(counts, n) for n in range(1, order + 1))

    # For every context: the sum of its (adjusted) counts and how many different words follow it.
    totals: dict[Gram, float] = defaultdict(float)
    followers: dict[Gram, int] = defaultdict(int)
    for gram, c in counts.items():
        totals[gram[:-1]] += c
        followers[gram[:-1]] += 1

    logprob: dict[Gram, float] = {}
    backoff: dict[Gram, float] = {}
    probs: dict[Gram, float] = {}
    # Unigrams: discounted continuation counts, interpolated with the uniform distribution.
    d = discounts[0]
    total = totals[()]
    gamma = d * followers[()] / total if total else 1.0
    uniform = 1.0 / len(words)
    for w in words:
        c = counts.get((w,), 0)
        domain = (max(c - d, 0.0) / total if total else 0.0) + gamma * uniform
        probs[(w,)] = (1.0 - general_weight) * domain + general_weight * general.get(w, 0.0)
    for n in range(2, order + 1):
        _mix_order(n, counts, totals, discounts[n - 1], probs, backoff, background, words)
    for gram, p in probs.items():
        logprob[gram] = math.log10(p)
    logprob[(BOS,)] = NEVER
    return NGramModel(order, logprob, backoff, discounts)


def _mix_order(n: int, counts: Mapping[Gram, float], totals: Mapping[Gram, float], d: float,
               probs: dict[Gram, float], backoff: dict[Gram, float], background: Background | None,
               words: set[str]) -> None:
    """Fill in the n-grams of one order (domain, mixed with the background's if any) and their
    histories' backoffs, over the mixed lower orders already in `probs`."""
    weight = background.weight_of(n) if background else 0.0
    share: dict[Gram, dict[str, float]] = defaultdict(dict)  # history → word → the domain's discounted share
    for gram, c in counts.items():
        if len(gram) == n:
            share[gram[:-1]][gram[-1]] = (c - d) / totals[gram[:-1]]
    extra = background.excess(n, words) if background and weight > 0 else {}
    for h in extra.keys() - share.keys():
        if h not in probs:
            # A history only the background knows needs its own entry to carry a backoff weight:
            # the probability it already had by backing off, so nothing else moves.
            probs[h] = _backed_off(h, probs, backoff)
    for h in share.keys() | extra.keys():
        own, more = share.get(h, {}), extra.get(h, {})
        rest = 1.0 - (1.0 - weight) * sum(own.values()) - weight * sum(more.values())
        for w in own.keys() | more.keys():
            lower = _backed_off(h[1:] + (w,), probs, backoff)
            probs[h + (w,)] = (1.0 - weight) * own.get(w, 0.0) + weight * more.get(w, 0.0) + rest * lower
        backoff[h] = math.log10(rest)


def _backed_off(gram: Gram, probs: Mapping[Gram, float], backoff: Mapping[Gram, float]) -> float:
    """P(word | history) of the model so far, by the ARPA backoff rule."""
    if gram in probs:
        return probs[gram]
    if len(gram) == 1:
        return 0.0
    return 10 ** backoff.get(gram[:-1], 0.0) * _backed_off(gram[1:], probs, backoff)


def _adjusted_counts(raw: Counter[Gram], order: int) -> dict[Gram, float]:
    """Keep raw counts for the highest order and for n-grams that start with <s>; every other
    n-gram counts the different words seen before it (its continuation count)."""
    adjusted: dict[Gram, float] = {}
    preceders: Counter[Gram] = Counter()
    for gram in raw:
        if len(gram) >= 2:
            preceders[gram[1:]] += 1
    for gram, c in raw.items():
        if len(gram) == order or gram[0] == BOS:
            adjusted[gram] = c
        else:
            adjusted[gram] = preceders.get(gram, 0) or c
    return adjusted


def _discount(counts: dict[Gram, float], n: int) -> float:
    """Return D = n1 / (n1 + 2 n2) for the n-grams of one order (FALLBACK_DISCOUNT if undefined)."""
    n1 = sum(1 for g, c in counts.items() if len(g) == n and c == 1)
    n2 = sum(1 for g, c in counts.items() if len(g) == n and c == 2)
    if not n1 or not n2:
        return FALLBACK_DISCOUNT
    return min(max(n1 / (n1 + 2 * n2), 0.05), 0.95)


def to_arpa(model: NGramModel) -> str:
    """Write a model in the ARPA text format pocketsphinx (and SRILM, KenLM) read."""
    by_order = model.by_order()
    lines = ["", "\\data\\"]
    lines += [f"ngram {n}={len(grams)}" for n, grams in enumerate(by_order, start=1)]
    for n, grams in enumerate(by_order, start=1):
        lines += ["", f"\\{n}-grams:"]
        for gram in grams:
            line = f"{model.logprob[gram]:.6f}\t{' '.join(gram)}"
            if n < model.order and gram in model.backoff:
                line += f"\t{model.backoff[gram]:.6f}"
            lines.append(line)
    lines += ["", "\\end\\", ""]
    return "\n".join(lines)
