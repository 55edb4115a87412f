"""Write interviewer/data/speech_general.tsv: general English for the domain language model.

Run once (the file is committed; the build reads it instead of asking the wheel's model):

    .venv/bin/python bench/speech/make_speech_general.py

The pocketsphinx wheel's general language model (en-us.lm.bin) cannot be written as ARPA, but it
answers probabilities n-gram by n-gram. This keeps its `WORDS` likeliest words (those the wheel's
dictionary can say) with their probabilities and backoff weights, and, for the `HISTORIES`
likeliest of them, the bigrams the model lists explicitly: a listed bigram is one whose
probability is not the history's backoff weight times the word's (that product is the same for
every word not listed, so it is the most common ratio). Kept: listed bigrams with P(w|h) at least
`MIN_PROB` and above what backing off would give. Trigrams the same way, for the
`TRIGRAM_HISTORIES` likeliest pairs of words among the kept bigrams (P(h1) P(h2 | h1)): a spoken
answer is mostly general English between its terms ("if it's too", "a new leader").
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from interviewer.speech.model import wheel_dictionary, wheel_model  # noqa: E402

OUT = ROOT / "interviewer" / "data" / "speech_general.tsv"
WORDS = 10_000
HISTORIES = 4_000
MIN_PROB = 0.005
TRIGRAM_HISTORIES = 10_000
# Backed-off scores are sums in whole log units: they can differ from the backoff weight by one.
ROUNDING = 5


def main() -> None:
    from pocketsphinx import Config, LogMath, NGramModel

    logmath = LogMath()
    lm = NGramModel(Config(loglevel="FATAL"), logmath, str(wheel_model() / "en-us.lm.bin"))
    dictionary = wheel_dictionary()
    # prob([w, h1, h2]) is log P(w | h2 h1) in logmath units: the word first, then its history, nearest first.
    uni = sorted(((lm.prob([w]), w) for w in dictionary if w.replace("'", "").isalpha()), reverse=True)[:WORDS]
    words = [w for _, w in uni]
    score = {w: s for s, w in uni}
    to_log10 = lambda s: math.log10(logmath.exp(s))  # noqa: E731
    lines = ["# General English for the speech model (interviewer/speech/model.py), from the pocketsphinx",
             "# wheel's en-us.lm.bin by bench/speech/make_speech_general.py. Rows: a word, log10 P(word),",
             "# log10 backoff weight; or a history and a word, log10 P(word | history) (and, for a pair",
             "# of words that is a trigram history, its log10 backoff weight).",
             f"# {WORDS} words, bigrams of the {HISTORIES} likeliest histories with P >= {MIN_PROB},",
             f"# trigrams of the {TRIGRAM_HISTORIES} likeliest pairs of words with P >= {MIN_PROB}."]
    backoffs: dict[str, int] = {}
    bigrams: list[tuple[str, str, int]] = []
    for h in words[:HISTORIES]:
        ratios = [(lm.prob([w, h]) - score[w], w) for w in words]
        bo = Counter(r for r, _ in ratios).most_common(1)[0][0]
        backoffs[h] = bo
        for r, w in ratios:
            p = score[w] + r
            if r > bo + ROUNDING and logmath.exp(p) >= MIN_PROB:
                bigrams.append((h, w, p))
    pairs = sorted(bigrams, key=lambda b: -(score[b[0]] + b[2]))[:TRIGRAM_HISTORIES]
    backoffs2: dict[tuple[str, str], int] = {}
    trigrams: list[tuple[str, str, str, int]] = []
    for h1, h2, _ in pairs:
        lower = {w: lm.prob([w, h2]) for w in words}
        ratios = [(lm.prob([w, h2, h1]) - lower[w], w) for w in words]
        bo = Counter(r for r, _ in ratios).most_common(1)[0][0]
        backoffs2[(h1, h2)] = bo
        for r, w in ratios:
            p = lower[w] + r
            if r > bo + ROUNDING and logmath.exp(p) >= MIN_PROB:
                trigrams.append((h1, h2, w, p))
    for w in words:
        bo = f"\t{to_log10(backoffs[w]):.4f}" if w in backoffs else ""
        lines.append(f"{w}\t{to_log10(score[w]):.4f}{bo}")
    for h, w, p in bigrams:
        bo = f"\t{to_log10(backoffs2[(h, w)]):.4f}" if (h, w) in backoffs2 else ""
        lines.append(f"{h} {w}\t{to_log10(p):.4f}{bo}")
    for h1, h2, w, p in trigrams:
        lines.append(f"{h1} {h2} {w}\t{to_log10(p):.4f}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(words)} words, {len(bigrams)} bigrams, {len(trigrams)} trigrams", file=sys.stderr)


if __name__ == "__main__":
    main()
