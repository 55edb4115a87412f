"""Where candidate concepts come from: headings, emphasis, "X:" labels, acronym pairs, the synonym table,
probe lines, choice options, and the phrases of running text (each a source with its own trust)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Iterator, Sequence

from interviewer.concepts.phrases import phrases, sentences
from interviewer.concepts.rules import probe_rules
from interviewer.lexicon import Lexicon
from interviewer.markdown import Block
from interviewer.records import Document, Question, Section
from interviewer.vocabulary import SynonymTable

# Sources that name a concept on purpose (a heading, bold, an acronym's definition, the synonym
# table, a probe's topic list); a phrase of running text is only evidence that a name recurs.
STRONG = frozenset({"heading", "emphasis", "label", "acronym", "synonym", "probe", "name"})
# "Label: explanation" at the start of a block: the label is the term the line defines.
_LABEL = re.compile(r"^([A-Za-z0-9][A-Za-z0-9 '’/&()+.-]{0,60}?)\s*:\s+\S")


@dataclass(frozen=True)
class Candidate:
    """A name proposed for a concept: its text, its source, and where it was found (section -1: nowhere)."""

    text: str
    source: str
    doc: str = ""
    line: int = 0
    section: int = -1
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Passage:
    """A section of the corpus, numbered across documents, with its blocks."""

    index: int
    doc: str
    section: Section

    @property
    def blocks(self) -> tuple[Block, ...]:
        return self.section.blocks


def passages(documents: Sequence[Document]) -> list[Passage]:
    """Number every section of every document."""
    out = []
    for doc in documents:
        for s in doc.sections:
            out.append(Passage(len(out), doc.doc, s))
    return out


def from_passage(p: Passage) -> Iterator[Candidate]:
    """Yield the candidates of one section: its heading, emphasised spans, labels, names and phrases."""
    if p.section.heading_path:
        yield Candidate(p.section.heading_path[-1], "heading", p.doc, p.section.line, p.index)
    for block in p.blocks:
        if block.kind == "code":
            continue
        for span in block.emphasis:
            yield Candidate(span, "emphasis", p.doc, block.line, p.index)
        if block.kind in ("text", "item"):
            m = _LABEL.match(block.text)
            if m and len(m.group(1).split()) <= 5:
                yield Candidate(m.group(1), "label", p.doc, block.line, p.index)
        if block.kind == "row":
            continue  # a table's cells are values and column names, not phrases
        yield from _phrases_of(block, p)


def _phrases_of(block: Block, p: Passage) -> Iterator[Candidate]:
    text = block.text
    for a, b in sentences(text):
        for ph in phrases(text[a:b]):
            start = a + ph.start
            # A Capitalised word inside a sentence ("uses Kafka", "like Debezium") names a product or a system.
            before = text[a : start].rstrip()
            mid = bool(before) and (before[-1].islower() or before[-1] in ",(")
            source = "name" if ph.words == 1 and _name(ph.text) and mid else "phrase"
            yield Candidate(ph.text, source, p.doc, block.line_of(start), p.index)


def _name(word: str) -> bool:
    return word[:1].isupper() and (word[1:].islower() or any(c.isupper() for c in word[1:])) and len(word) > 2


def from_lexicon(lexicon: Lexicon) -> Iterator[Candidate]:
    """Yield each acronym's long form with the acronym as another name ("change data capture" / CDC)."""
    for short, longs in lexicon.acronyms.items():
        for long in longs:
            yield Candidate(long, "acronym", aliases=(short.upper() if short.islower() else short,))


def from_synonyms(synonyms: SynonymTable) -> Iterator[Candidate]:
    """Yield each group of the synonym table: its first wording, the others as aliases."""
    for token, wordings in synonyms.wordings_of.items():
        if wordings:
            yield Candidate(wordings[0], "synonym", aliases=tuple(wordings[1:]))


def from_questions(questions: Iterable[Question]) -> Iterator[Candidate]:
    """Yield the topics probe lines name and the key phrases of choice options."""
    for q in questions:
        if q.kind == "probe":
            for item, examples in probe_items(q.reference):
                # "cache patterns (write-through, cache-aside)": each example is a concept of its own.
                yield Candidate(item, "probe", q.source.doc, q.source.line)
                for example in examples:
                    yield Candidate(example, "probe", q.source.doc, q.source.line)
        for option in q.options:
            for ph in phrases(option):
                yield Candidate(ph.text, "option", q.source.doc, q.source.line)


def probe_items(line: str) -> list[tuple[str, list[str]]]:
    """Split a probe line ("Explores X, Y (e.g. A, B), and Z. Expect follow-ups on W.") into its topics,
    each with the examples its parenthesis gives."""
    rules = probe_rules()
    out: list[tuple[str, list[str]]] = []
    text = re.sub(r"\s+", " ", line.replace("\n", " "))
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        body = sentence.strip()
        lead = next((m for m in (rx.match(body) for rx in _lead_ins(tuple(rules["lead_ins"]))) if m), None)
        if lead is None:
            continue
        body = body[lead.end():].rstrip(".")
        inner: list[str] = []

        def hide(m: re.Match[str]) -> str:
            inner.append(m.group(1))
            return f" \0{len(inner) - 1}\0 "

        body = re.sub(r"\(([^()]*)\)", hide, body)
        items = [p for p in re.split(r"\s*[,;]\s*", body) if p.strip()]
        parts = items if len(items) > 1 else re.split(rules["separators"], body, flags=re.I)
        for part in parts:
            examples = [inner[int(i)] for i in re.findall(r"\0(\d+)\0", part)]
            label = re.sub(r"\s*\0\d+\0\s*", " ", part).strip(" .;:")
            label = re.sub(r"(?i)^(?:and|or|plus|as well as|including)\s+", "", label)
            names = [a.strip() for e in examples for a in re.split(r",|;|/|\bor\b|\band\b", e)
                     if a.strip() and not re.match(r"(?i)e\.?g\.?$", a.strip())]
            names = [re.sub(r"(?i)^(?:e\.g\.,?|i\.e\.,?|like|such as)\s*", "", n) for n in names]
            if label:
                out.append((label, [n for n in names if n]))
            elif names:
                out.append((names[0], names[1:]))
    return out


@lru_cache(maxsize=8)
def _lead_ins(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.I) for p in patterns)
