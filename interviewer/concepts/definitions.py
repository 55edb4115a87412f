"""The sentence that defines a concept: "X is …", "X means …", "X: …", or the first sentence under a
heading that names X. A concept the notes name but never define has no definition."""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.concepts.phrases import sentences
from interviewer.text import words

# What follows a concept's name when a sentence defines it ("X (XYZ) is …", "X: …", "X — …").
_DEFINING = re.compile(
    r"^\s*(?:\([^()]{1,60}\)\s*)?(?:,\s*)?(?:is|are|means|refers\s+to|stands\s+for|describes|denotes|"
    r"is\s+called|is\s+known\s+as|:|—|–|-\s)", re.I)
_ARTICLE = re.compile(r"^\s*(?:an?|the)\s+$", re.I)
# A name followed by what it means, inside a sentence: "the risk of deadlock, where two transactions wait
# for each other's locks", "idempotent, meaning repeated requests change nothing".
_APPOSITIVE = re.compile(r"^\s*(?:\([^()]{1,60}\)\s*)?(?:,|—|–|\s-)\s*(?:where|which\s+(?:is|are|means)|meaning|i\.e\.|that\s+is|in\s+which)\b", re.I)
_EXAMPLE = re.compile(r"(?i)^\s*(?:for\s+example|e\.\s?g\.|imagine|suppose|say\s+we|consider)\b")
MIN_WORDS = 6
MAX_WORDS = 60

# How strongly a sentence defines: the first sentence under X's own heading (the section a reader
# would be sent to), a "X is …" sentence, "…X, where …" inside one, the first sentence of the model
# answer to a question that asks what X is.
PATTERN, APPOSITIVE, ASKED, UNDER_HEADING = 3.0, 2.8, 2.5, 3.1
# Under a heading, the concept's share of the heading's words adds up to this much: its own heading wins.
HEADING_SHARE = 0.1
# A question that asks what a concept is.
ASKS_FOR = re.compile(r"(?i)^(?:what\s+(?:is|are)\s+(?:an?\s+|the\s+)?|explain\s+(?:the\s+)?|define\s+)(?P<x>[^?.]{2,80}?)\s*[?.]?$")


@dataclass(frozen=True)
class Definition:
    """A sentence that defines a concept, how strongly, and where it is."""

    text: str
    strength: float
    line: int


def defines(sentence: str, start: int, end: int) -> bool:
    """Tell whether a sentence defines the concept named at [start, end): it opens with the name
    (after an article at most) and goes on with "is", "means", ":"…"""
    return (not sentence[:start].strip() or bool(_ARTICLE.match(sentence[:start]))) and bool(_DEFINING.match(sentence[end:]))


# A sentence about the notes themselves ("Here are interview questions…", "This section covers…").
_ABOUT_THE_PAGE = re.compile(r"(?i)^\s*(?:here\s+(?:is|are)|this\s+(?:section|chapter|note|guide|document|page|post)|"
                             r"in\s+this\s+(?:section|chapter|note|guide|post)|below\b|the\s+following\b)")


def strength(sentence: str, start: int, end: int) -> float:
    """Return how strongly a sentence defines the concept named at [start, end) (0: it does not)."""
    if defines(sentence, start, end):
        return PATTERN
    return APPOSITIVE if _APPOSITIVE.match(sentence[end:]) else 0.0


# "Core Assumption: …", "Drawback: …": a sentence that opens with a label of its own says something
# about that label, not about the heading above it.
_LABELLED = re.compile(r"^\s*[A-Z][\w'’ -]{0,40}:\s")


def labelled(sentence: str) -> bool:
    """Tell whether a sentence opens with a label of its own ("Purpose: …")."""
    return bool(_LABELLED.match(sentence))


def usable(sentence: str) -> bool:
    """Tell whether a sentence can stand as a definition: long enough, not a question, an example or a
    sentence about the page."""
    n = len(words(sentence))
    return (MIN_WORDS <= n and not sentence.rstrip().endswith("?") and not _EXAMPLE.match(sentence)
            and not _ABOUT_THE_PAGE.match(sentence))


def clip(sentence: str, limit: int = MAX_WORDS) -> str:
    """Shorten a sentence to at most `limit` words (with an ellipsis)."""
    ws = words(sentence)
    if len(ws) <= limit:
        return " ".join(sentence.split())
    return " ".join(sentence[: ws[limit - 1].end].split()) + " …"


def first_sentence(text: str) -> str | None:
    """Return the first usable sentence of a text."""
    for a, b in sentences(text):
        if usable(text[a:b]):
            return text[a:b]
    return None


def better(new: Definition, old: Definition | None) -> bool:
    """Tell whether a definition beats another: stronger, then of a length that reads well, then earlier."""
    if old is None:
        return True
    if new.strength != old.strength:
        return new.strength > old.strength
    return _length_rank(new.text) < _length_rank(old.text)


def _length_rank(text: str) -> int:
    n = len(words(text))
    return 0 if 8 <= n <= 45 else 1
