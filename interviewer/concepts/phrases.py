"""Sentences and phrases of plain text: where a text names things, without a part-of-speech tagger.

A phrase is a run of content words: stop words, prepositions, verbs and punctuation end it (the word
lists are data/concept_words.toml). Verbs are told from nouns by their neighbours, since there is no
tagger: the word after "we", "they", "can"… starts a verb phrase ("we avoid two-phase commit"), a
third-person "-s" word after "it", "which"… is a verb ("which skips"), and the last word of a run
right before "the", "this", "them"… is a verb with its object ("polls this table"). Rating words and
page labels are trimmed from a phrase's ends ("massive rollback" → "rollback").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from interviewer.concepts.words import (
    edge_word, example_value, is_adverb, is_noun_verb, is_verb, meta_head, word_lists,
)
from interviewer.text import Word, word_terms, words

# A sentence ends at . ! ? followed by a capital, a digit or a quote; a line break ends one after
# punctuation or before a capital.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”'’)]*\s+(?=[A-Z0-9\"“'‘(\[])|(?<=[.!?:;])\s*\n\s*|\n(?=\s*[A-Z0-9*•-])")
# Characters between two words that end a phrase.
_BREAK = re.compile(r"[,;:.!?()\[\]{}\"“”|—–=+*<>&→←↔⇒…]|\s-\s|\n|\s'|'\s")
# Words joined by these with no space make one compound word ("write-through", "Pub/Sub", "Node.js").
_JOINERS = "-/."
MAX_WORDS = 5


@dataclass(frozen=True)
class Phrase:
    """A run of content words as written, with its character span in the text."""

    text: str
    start: int
    end: int
    words: int


def sentences(text: str) -> list[tuple[int, int]]:
    """Return the character spans of a text's sentences (line breaks inside a sentence kept)."""
    out = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if text[start : m.start()].strip():
            out.append(_strip_span(text, start, m.start()))
        start = m.end()
    if text[start:].strip():
        out.append(_strip_span(text, start, len(text)))
    return out


def _strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


@dataclass(frozen=True)
class _Token:
    surface: str
    start: int
    end: int
    kind: str  # content | noun_verb | edge | verb | adverb | value | stop | break


def _tokens(text: str, keep: frozenset[str]) -> list[_Token]:
    """Read a text into compound words with their class."""
    ws = words(text)
    out: list[_Token] = []
    i = 0
    while i < len(ws):
        start, end = ws[i].start, ws[i].end
        # "write-through", "Pub/Sub": words joined with no space are one compound word.
        while i + 1 < len(ws) and ws[i + 1].start == end + 1 and text[end] in _JOINERS and ws[i].text not in ("e", "i"):
            i += 1
            end = ws[i].end
        surface = text[start:end]
        out.append(_Token(surface, start, end, _kind(surface, surface.lower() in keep)))
        i += 1
    return out


@lru_cache(maxsize=65536)
def _kind(surface: str, kept: bool) -> str:
    low = surface.lower()
    lists = word_lists()
    if len(low) == 1 and not low.isdigit():
        return "stop"
    if low in lists.breakers:
        return "break"
    if not any(word_terms(p) for p in re.split(r"[-/.]", low) if p):
        return "stop"
    if not kept and example_value(surface) and not _acronym_name(surface):
        return "value"
    if is_verb(low):
        return "verb"
    if is_adverb(surface):
        return "adverb"
    if is_noun_verb(low):
        return "noun_verb"
    if edge_word(low) or meta_head(low):
        return "edge"
    return "content"


def _acronym_name(surface: str) -> bool:
    # "HTTP/2", "ZooKeeper", "K8s", "mTLS": names of the trade that look like identifiers.
    return bool(re.fullmatch(r"[A-Z][A-Za-z]*[A-Z][A-Za-z]*(?:/\d)?|[A-Z]{2,}\d*s?|[a-z][A-Z]{2,}s?|[A-Z]\d+[a-z]?s?", surface))


_RUNNABLE = frozenset({"content", "noun_verb", "edge"})
# Words that open a verb's object: the word before them is a verb ("polls this table", "reads them").
# Not "that", "which", "when"…: nouns come before those too ("fragmentation when…").
_OBJECTS = frozenset({"the", "a", "an", "this", "these", "those", "them", "its", "their", "our", "your", "each",
                      "every", "all", "both", "some", "any", "no", "us", "me", "itself", "themselves"})


def phrases(text: str, keep: frozenset[str] = frozenset(), max_words: int = MAX_WORDS) -> list[Phrase]:
    """Return the phrases a text names things with, trimmed, each at most `max_words` words (longer
    runs give their head: the last `max_words` words)."""
    out = []
    for run in _runs(text, _tokens(text, keep)):
        run = _trim(run)
        if not run:
            continue
        run = run[-max_words:]
        out.append(Phrase(text[run[0].start : run[-1].end], run[0].start, run[-1].end, len(run)))
    return out


def _runs(text: str, toks: list[_Token]) -> list[list[_Token]]:
    """Cut the tokens into runs of words that can name something, at breaks and at other words."""
    runs: list[list[_Token]] = []
    current: list[_Token] = []
    prev: _Token | None = None
    for k, tok in enumerate(toks):
        broken = prev is not None and (_BREAK.search(text, prev.end, tok.start) is not None)
        kind = _kind_here(toks, k, prev, broken, bool(current))
        if current and (broken or kind not in _RUNNABLE):
            if not broken and _object_follows(tok, kind, current):
                current.pop()  # "polls this table", "reads them": the run's last word is a verb with its object
            runs.append(current)
            current = []
        if kind in _RUNNABLE:
            current.append(tok)
        prev = tok
    if current:
        runs.append(current)
    return runs


def _kind_here(toks: list[_Token], k: int, prev: _Token | None, broken: bool, in_run: bool) -> str:
    """Return a token's kind where it stands: a word that could be a noun is a verb after a subject
    ("we avoid…", "it reads…") or an adverb ("continuously polls…"), and between its subject and a
    rating word ("index causes brutal fragmentation")."""
    tok = toks[k]
    kind = tok.kind
    if kind in _RUNNABLE and prev is not None and not broken and not in_run:
        before = prev.surface.lower()
        lists = word_lists()
        if before in lists.verb_after or prev.kind == "adverb" or (_third_person(tok.surface) and before in lists.subjects):
            return "verb"
    if kind == "noun_verb" and in_run and _third_person(tok.surface) and k + 1 < len(toks) \
            and toks[k + 1].kind in ("edge", "adverb", "value"):
        return "verb"
    return kind


def _object_follows(tok: _Token, kind: str, current: list[_Token]) -> bool:
    """Tell whether a token opens the object of a verb that ended the run ("polls this table")."""
    opens = tok.surface.lower() in _OBJECTS or kind in ("value", "adverb")
    return opens and (len(current) > 1 or _third_person(current[-1].surface) or current[-1].kind == "noun_verb")


def _trim(run: list[_Token]) -> list[_Token]:
    """Trim verbs-or-nouns and rating words from a run's front, rating words, page labels and
    participles from its end."""
    lo, hi = 0, len(run)
    while lo < hi and run[lo].kind in ("noun_verb", "edge"):
        lo += 1
    while hi > lo and (run[hi - 1].kind == "edge" or (hi - lo > 1 and _participle(run[hi - 1].surface))):
        hi -= 1
    return run[lo:hi]


def _third_person(word: str) -> bool:
    w = word.lower()
    return len(w) > 3 and "-" not in w and w.endswith("s") and not w.endswith(("ss", "us", "is", "ys")) and not word[0].isupper()


def _participle(word: str) -> bool:
    return len(word) > 4 and "-" not in word and word.lower().endswith("ed") and not word[0].isupper()


def word_spans(text: str) -> list[Word]:
    """Return the words of a text (the text pipeline's `words`), for callers that map phrases to words."""
    return words(text)
