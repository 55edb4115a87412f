"""Terms of the trade said in spoken frames: fragments for the domain language model.

The notes write a term in few, written contexts; a candidate says it inside talk ("so I'd put a
Bloom filter in front of it"), and says terms the notes never write. Every term — the wordings of
the synonym table, the spans the notes emphasise, and the hand-kept list of data/speech_frames.toml
— goes into a few of the spoken frames of that file ("<s> i'd use X", "X because", "like X </s>"),
taken in turn at an even stride so each term gets openings, middles and ends alike.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable, Iterator, Mapping, Sequence

from interviewer.markdown import strong_spans
from interviewer.speech.verbalise import Said, verbalise

# The slot of a frame that a term fills.
SLOT = "X"
# A term is a short phrase: longer emphasised spans are sentences, not names.
MAX_TERM_WORDS = 5
# The lengths of a bold span that can be a name: one letter is a mnemonic's initial.
MIN_SPAN_CHARS, MAX_SPAN_CHARS = 2, 80
# Sections of data/synonyms.toml whose short forms are acronyms or abbreviations, said as letters
# when the dictionary does not know them as words ("slo" → S L O, but "repo" stays a word).
_LETTER_SECTIONS = ("abbreviations", "acronyms")


@dataclass(frozen=True)
class Framed:
    """The terms said in frames: fragments for the model, and how each term word was written."""

    terms: tuple[tuple[str, ...], ...]
    fragments: tuple[tuple[str, ...], ...]
    said: Said


@lru_cache(maxsize=1)
def load_frames() -> dict:
    """Read data/speech_frames.toml (frames and the hand-kept terms)."""
    return tomllib.loads((resources.files("interviewer") / "data" / "speech_frames.toml").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _synonym_table() -> dict:
    return tomllib.loads((resources.files("interviewer") / "data" / "synonyms.toml").read_text(encoding="utf-8"))


def synonym_wordings(dictionary: Mapping[str, object], max_letters: int,
                     table: Mapping[str, Mapping[str, Sequence[str]]] | None = None) -> list[str]:
    """Return every wording of the synonym table, short forms the dictionary lacks in capitals."""
    table = table if table is not None else _synonym_table()
    out: list[str] = []
    for section, groups in table.items():
        for canonical, others in groups.items():
            out.append(canonical)
            for wording in others:
                if (section in _LETTER_SECTIONS and wording.isalpha() and len(wording) <= max_letters
                        and wording not in dictionary):
                    wording = wording.upper()
                out.append(wording)
    return out


def emphasised(texts: Iterable[str]) -> Iterator[str]:
    """Yield the spans the notes write in bold (read by the one markdown parser), the names they mean to teach."""
    for text in texts:
        # One letter in bold is a mnemonic's initial ("**P**artition"), not a name.
        yield from (span for span in strong_spans(text) if MIN_SPAN_CHARS <= len(span) <= MAX_SPAN_CHARS)


def fill(frame: str, term: Sequence[str]) -> tuple[str, ...]:
    """Return a frame with its slot filled by a term's words."""
    out: list[str] = []
    for word in frame.split():
        out.extend(term if word == SLOT else (word,))
    return tuple(out)


def framed(terms: Sequence[tuple[str, ...]], frames: Sequence[str], per_term: int) -> list[tuple[str, ...]]:
    """Put each term into `per_term` frames, the i-th term starting at frame i and striding evenly
    through the list, so every frame is used about as often and each term gets different kinds."""
    if per_term <= 0 or not frames:
        return []
    stride = max(1, len(frames) // per_term)
    return [fill(frames[(i + j * stride) % len(frames)], term) for i, term in enumerate(terms) for j in range(per_term)]


def frame_terms(texts: Iterable[str], tables: dict, dictionary: Mapping[str, object], per_term: int,
                frames: dict | None = None, synonyms: Mapping | None = None) -> Framed:
    """Gather the terms (synonym table, emphasised spans, hand-kept list), say them, and frame them."""
    frames = frames if frames is not None else load_frames()
    max_letters = int(tables["model"]["max_letters"])
    wordings = [*synonym_wordings(dictionary, max_letters, synonyms), *emphasised(texts), *frames["terms"]]
    # One term a line: the line ends are sentence breaks, so "CQRS (Command Query …)" gives both.
    said = verbalise(["\n".join(wordings)], tables["say"], tables["units"])
    terms = tuple(sorted({s for s in said.sentences if len(s) <= MAX_TERM_WORDS}))
    return Framed(terms, tuple(framed(terms, frames["frames"], per_term)), said)
