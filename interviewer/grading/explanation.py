"""Whether an answer says something about a concept it names, or only names it.

A concept is explained where the words around it (a window within its sentence) make a clause — enough
function words, which a bare list of terms lacks (lists hold 0–11% function words, spoken sentences 27%
and more) — and tie it to something: a reason ("because", "so that", "instead of", "which means"),
another concept, a number, or an example. Named in a clause without a tie, it earns clause_share; named
in a bare list, named_share. The cue words are data (grading_rules.toml [explanation]).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

from interviewer.grading.matching import AnswerModel
from interviewer.grading.rules import rules
from interviewer.text import NUMBER_WORDS

NAMED, CLAUSE, EXPLAINED = "named", "clause", "explained"


@dataclass(frozen=True)
class Explained:
    """How an answer treats a concept it names: the credit share, the level, and what tied it."""

    share: float
    level: str  # named | clause | explained
    cue: str = ""  # reason | concept | number | example


@lru_cache(maxsize=1)
def _cues() -> tuple[tuple[tuple[str, ...], str], ...]:
    """Return the cue phrases (as word tuples), longest first, with their kind."""
    table = rules()["explanation"]
    out = [(tuple(p.split()), "reason") for p in table["reasons"]]
    out += [(tuple(p.split()), "example") for p in table["examples"]]
    return tuple(sorted(out, key=lambda x: -len(x[0])))


@lru_cache(maxsize=1)
def _cues_by_first() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """Return the cue phrases by their first word, each word's longest first (as in `_cues`)."""
    out: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for phrase, kind in _cues():
        out.setdefault(phrase[0], []).append((phrase, kind))
    return {first: tuple(cues) for first, cues in out.items()}


def cue_marks(answer: AnswerModel) -> tuple[str, ...]:
    """Mark every word of an answer that is (part of) a cue: "reason", "example", "number", or ""."""
    ws = [w.text for w in answer.words]
    marks = [""] * len(ws)
    by_first = _cues_by_first()
    for i, w in enumerate(ws):
        cues = by_first.get(w)
        if cues:
            for phrase, kind in cues:
                if tuple(ws[i : i + len(phrase)]) == phrase:
                    for k in range(i, i + len(phrase)):
                        marks[k] = kind
                    break
        if not marks[i] and (w[:1].isdigit() or (w in NUMBER_WORDS and w != "one")):
            marks[i] = "number"
    return tuple(marks)


def substance_marks(answer: AnswerModel, specific: frozenset[str]) -> tuple[bool, ...]:
    """Mark the answer's words that say something specific: a term of the reference beyond the question's
    own words (`specific`), not a word anyone could say ("scalable", "best practice")."""
    out = [False] * len(answer.words)
    for t, i in answer.content:
        if t in specific:
            out[i] = True
    return tuple(out)


def explained(
    answer: AnswerModel,
    lo: int,
    hi: int,
    marks: Sequence[str],
    others: Sequence[tuple[int, int]],
    settings: Mapping[str, float],
    substance: Sequence[bool] = (),
) -> Explained:
    """Judge how the answer treats a concept named at words lo..hi (`others`: where it names other
    concepts; `substance`: the words that say something specific). A reason, number or example counts
    only beside something specific: "since it makes retries smarter" explains nothing."""
    if lo < 0:
        return Explained(0.0, NAMED)
    k = answer.sentence_of[lo]
    first, end, n, _ = answer.sentences[k]
    reach = int(settings["window_words"])
    if n < reach and k + 1 < len(answer.sentences):
        end = answer.sentences[k + 1][1]  # "Next, dependency order. If the fix…": a short sentence opens the next
    a, b = max(first, lo - reach), min(end, hi + reach + 1)
    around = [k for k in range(a, b) if not lo <= k <= hi]
    if not around:
        return Explained(settings["named_share"], NAMED)
    function = sum(answer.function[k] for k in around) / len(around)
    # A number among words of a list ("two-phase rotation, lease TTL") explains nothing; in a sentence
    # with some grammar ("ten seconds, then twenty") it does.
    numbers = function >= settings["list_function_share"] / 2 and any(marks[k] == "number" for k in around)
    if function < settings["list_function_share"] and not numbers:
        return Explained(settings["named_share"], NAMED)
    tied = any(a <= o_lo <= b and not (o_lo == lo and o_hi == hi) for o_lo, o_hi in others)
    specific = tied or not substance or any(substance[k] for k in around)
    if specific:
        for k in around:
            if marks[k] in ("reason", "example", "number"):
                return Explained(1.0, EXPLAINED, marks[k])
        if tied:
            return Explained(1.0, EXPLAINED, "concept")
        return Explained(settings["clause_share"], CLAUSE)
    return Explained(settings["vague_share"], CLAUSE)
