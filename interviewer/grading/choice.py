"""Which option a choice answer names: by its letter ("B", "option b", "I'd go with C") or by its text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

from interviewer.vocabulary import SynonymTable, terms_of
from interviewer.grading.rules import letter_patterns

LETTERS = "ABCDEFGH"
_OPTION_LABEL = re.compile(r"^option [A-H](?::|$)")


def option_label(letter: str, options: Sequence[str]) -> str:
    """Name the right option the way a scorecard lists it: "option C: <its text>"."""
    index = ord(letter) - ord("A") if letter else -1
    return f"option {letter}: {options[index]}" if 0 <= index < len(options) else f"option {letter}"


def is_option_label(concept: str) -> bool:
    """Tell a scorecard's right-option entry from a concept (the option is no topic to study)."""
    return bool(_OPTION_LABEL.match(concept))


@dataclass(frozen=True)
class OptionChoice:
    """The option an answer names, how it was named and the words that named it."""

    letter: str
    how: str  # "letter" | "text"
    evidence: str


def choose_option(
    text: str,
    options: Sequence[str],
    synonyms: SynonymTable,
    weight: Callable[[str], float],
    *,
    option_text_recall: float = 0.6,
    option_text_margin: float = 0.15,
) -> OptionChoice | None:
    """Return the option an answer names, or None when it names none clearly."""
    letters = LETTERS[: len(options)].lower()
    head = text[:400]  # the letter comes first in any answer that gives one
    for pattern in letter_patterns():
        m = pattern.search(head)
        if m and m.group("letter").lower() in letters:
            return OptionChoice(m.group("letter").upper(), "letter", m.group(0).strip())
    answer_terms = set(synonyms.canonical(terms_of(text[:20_000])))
    scores = []
    for i, option in enumerate(options):
        terms = set(synonyms.canonical(terms_of(option)))
        total = sum(weight(t) for t in terms)
        got = sum(weight(t) for t in terms if t in answer_terms)
        scores.append((got / total if total else 0.0, i))
    scores.sort(reverse=True)
    if not scores or scores[0][0] < option_text_recall:
        return None
    if len(scores) > 1 and scores[0][0] - scores[1][0] < option_text_margin:
        return None
    i = scores[0][1]
    return OptionChoice(LETTERS[i], "text", options[i])


def option_letter(answer_option: str | None) -> str | None:
    """Return the upper-case letter of a question's right option ("c", "C)", "Option C" → "C")."""
    if not answer_option:
        return None
    m = re.search(r"\b([A-Ha-h])\b", answer_option.strip()) or re.match(r"([A-Ha-h])", answer_option.strip())
    return m.group(1).upper() if m else None
