"""Delivery figures: how the answer would sound spoken (words, fillers, pace, repeated words)."""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from interviewer.records import Delivery
from interviewer.text import Spoken, Word, stem, word_terms, words


def delivery_of(
    spoken: Spoken,
    said: list[Word] | tuple[Word, ...] | None = None,
    *,
    words_per_minute: float = 140,
    top_words: int = 5,
    repeated_phrases: int = 5,
    repeat_min_count: int = 2,
) -> Delivery:
    """Count words and fillers, estimate speaking time and find the most-used words and phrases.

    `said` are the words as the candidate said them (repeats included: saying "the relay, the relay"
    is part of the delivery); without them the cleaned text of `spoken` is used.
    """
    ws = list(said) if said is not None else words(spoken.text)
    total = spoken.words
    fillers = spoken.fillers
    counts: Counter[str] = Counter()
    shown: dict[str, Counter[str]] = {}
    # The most-used words are what was said with meaning: not the fillers ("you know" is no use of
    # "know"), a hyphenated word as one ("pre-computed", never "pre"), repeats counted.
    for token in (*compounds(spoken.text), *spoken.repeats):
        key = _counted_as(token)
        if key is not None:
            counts[key] += 1
            forms = shown.get(key)
            if forms is None:
                forms = shown[key] = Counter()
            forms[token] += 1
    top = tuple(
        (shown[k].most_common(1)[0][0], n) for k, n in counts.most_common(top_words) if n >= repeat_min_count
    )
    return Delivery(
        words=total,
        fillers=tuple(fillers),
        filler_rate=round(len(fillers) / total, 3) if total else 0.0,
        speaking_seconds=round(total * 60.0 / words_per_minute, 1) if words_per_minute > 0 else 0.0,
        top_words=top,
        repeated_phrases=_repeated_phrases([w.text for w in ws], repeated_phrases, repeat_min_count),
    )


@lru_cache(maxsize=50_000)
def _counted_as(token: str) -> str | None:
    """Return the stem a word is counted under among the most-used words ("pre-computed" one word,
    parts stemmed), or None for a word that carries no meaning ("the", "and")."""
    parts = token.split("-")
    if not any(word_terms(part) for part in parts):
        return None
    return "-".join(stem(part) for part in parts)


def compounds(text: str) -> list[str]:
    """Return the lowercased words of a text with hyphenated words kept whole ("read-through")."""
    out: list[str] = []
    prev: Word | None = None
    for w in words(text):
        if prev is not None and out and w.start == prev.end + 1 and text[prev.end] == "-":
            out[-1] += "-" + w.text
        else:
            out.append(w.text)
        prev = w
    return out


def _repeated_phrases(seq: list[str], limit: int, min_count: int) -> tuple[tuple[str, int], ...]:
    """Return phrases of 2-4 words said at least min_count times, longest first, none inside another."""
    found: list[tuple[str, int]] = []
    meaningful = [bool(word_terms(w)) for w in seq]
    for n in (4, 3, 2):
        grams: Counter[tuple[str, ...]] = Counter()
        for i in range(len(seq) - n + 1):
            # A phrase worth pointing out starts and ends with a word that carries meaning.
            if meaningful[i] and meaningful[i + n - 1]:
                grams[tuple(seq[i : i + n])] += 1
        for gram, count in grams.most_common():
            if count < min_count:
                break
            phrase = " ".join(gram)
            if any(phrase in longer and count <= c for longer, c in found):
                continue
            found.append((phrase, count))
    found.sort(key=lambda x: (-x[1], -len(x[0].split()), x[0]))
    return tuple(found[:limit])
