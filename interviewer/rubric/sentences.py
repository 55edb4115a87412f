"""An answer → sentences: as written (for quoting) and cleaned of fillers (for reading)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from interviewer.rubric.cues import stems_of
from interviewer.rubric.rules import Rules
from interviewer.text import CONTRACTIONS, normalise_spoken, stem, words


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer."""

    index: int
    text: str  # as the candidate wrote or said it
    clean: str  # fillers and repeats out, contractions spelled out
    start: int  # offset of `text` in the answer
    words: int  # words as said (shares of the answer are shares of these)
    stems: tuple[str, ...]  # the stemmed words of `clean`, stop words kept


# A sentence ends at . ! ? followed by space, or at a line break; list markers open a new one.
_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+|\s*\n\s*(?:[-*•]\s+|\d+[.)]\s+)?")
# Abbreviations whose full stop does not end a sentence.
_ABBREVIATIONS = frozenset({"e.g.", "i.e.", "etc.", "vs.", "approx.", "ca.", "cf.", "mr.", "dr.", "no."})
# A piece with none of these is a dictated run, which may be cut before its discourse markers.
_CLAUSE_MARKS = re.compile(r"[,;:]")


def split_sentences(answer: str, rules: Rules) -> list[Sentence]:
    """Split an answer into sentences; long dictated runs are cut before their discourse markers."""
    spans = []
    pos = 0
    for m in _END.finditer(answer):
        before = answer[pos : m.start()].rsplit(None, 1)
        if before and before[-1].lower() in _ABBREVIATIONS:
            continue
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(answer)))
    out: list[Sentence] = []
    for a, b in spans:
        for s, e in _cut_run(answer, a, b, rules):
            text = answer[s:e].strip()
            spoken = normalise_spoken(text)
            if not spoken.words:
                continue
            start = s + (len(answer[s:e]) - len(answer[s:e].lstrip()))
            out.append(Sentence(len(out), text, spoken.text, start, spoken.words, stems_of(spoken.text)))
    return out


def _cut_run(answer: str, a: int, b: int, rules: Rules) -> list[tuple[int, int]]:
    """Cut a long piece with no clause marks where a new thought starts: before a discourse marker
    ("so", "and then", "if") or a phase cue ("let me clarify", "to scale this")."""
    piece = answer[a:b]
    max_words = int(rules.sentences["max_words"])
    min_words = int(rules.sentences["min_words"])
    if len(piece) < 4 * max_words or _CLAUSE_MARKS.search(piece):
        return [(a, b)]  # too short to hold more than max_words words, or not a dictated run
    ws = words(piece)
    if len(ws) <= max_words:
        return [(a, b)]
    stems: list[str] = []
    word_at: list[int] = []  # the word each stem comes from ("let's" gives two stems)
    for i, w in enumerate(ws):
        for part in CONTRACTIONS.get(w.text, w.text).split():
            stems.append(stem(part))
            word_at.append(i)
    starts = {word_at[h.start] for h in rules.split_before.find(stems)}
    # A cue of two words or more opens a thought ("the schema", "to scale this"); one word ("table") need not.
    starts |= {word_at[h.start] for h in rules.phase_phrases.find(stems)
               if h.phrase.tag.startswith("cue:") and len(h.phrase.stems) > 1}
    cuts = [0]
    for i in sorted(starts):
        if i - cuts[-1] >= min_words:
            cuts.append(i)
    # A last piece too short to stand alone stays with the one before it, unless it wraps up ("yeah that's it").
    if len(cuts) > 1 and len(ws) - cuts[-1] < min_words:
        tail = [stem(p) for w in ws[cuts[-1]:] for p in CONTRACTIONS.get(w.text, w.text).split()]
        if not rules.wrap_up.find(tail):
            cuts.pop()
    bounds = [ws[c].start for c in cuts] + [len(piece)]
    return [(a + bounds[k], a + bounds[k + 1]) for k in range(len(cuts))]
