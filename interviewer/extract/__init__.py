"""Documents → question records, one extractor per corpus format (formats are told by content).

- `extract_open`: numbered questions ("181. How …?") with a quoted answer and an in-depth note.
- `extract_probes`: numbered bold questions with an italic "probes your knowledge of …" line, and
  situation/question items that have no model answer.
- `extract_scenarios`: a Scenario/Question paragraph (or a question heading) with a Solution section.
- `extract_quiz`: a plain-text quiz ("N of M", glued options "AYes — …", Hint, Detailed explanation).
- `extract_marked_choices`: sample multiple-choice questions with a marked correct answer.
- `extract_concept_sections`: sections that explain a concept, asked as "Explain …" (not to be
  confused with `grading.extract_concepts`, which finds the key ideas of one reference).

Every function takes one Document and returns [] when the document is not in its format.
`extract_questions` runs them all, drops duplicates and keeps ids unique.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from interviewer.ingest import strip_inline_markdown
from interviewer.records import Document, Question
from interviewer.extract.choice import extract_marked_choices, extract_quiz, find_marked_choices, infer_answer_option
from interviewer.extract.concepts import find_concepts
from interviewer.extract.formats import (
    extract_open, extract_probes, extract_scenarios, find_open, find_probes, find_scenarios,
)
from interviewer.extract.outline import Outline
from interviewer.extract.rules import TOPIC_NAMES, with_suffix

__all__ = [
    "extract_questions", "extract_open", "extract_probes", "extract_scenarios", "extract_quiz",
    "extract_marked_choices", "extract_concept_sections", "extract_document", "infer_answer_option", "TOPIC_NAMES",
]


def extract_concept_sections(doc: Document) -> list[Question]:
    """Read the sections of a document that explain a concept (other formats' sections excluded)."""
    outline = Outline(doc)
    return find_concepts(outline, _claimed(outline)[1])


def extract_document(doc: Document) -> list[Question]:
    """Run every format on one document; return its questions in file order."""
    outline = Outline(doc)
    questions, claimed = _claimed(outline)
    questions += find_concepts(outline, claimed)
    questions += extract_quiz(doc)
    return sorted(questions, key=lambda q: q.source.line)


def extract_questions(documents: Sequence[Document]) -> list[Question]:
    """Extract the question bank of a corpus: every format, duplicates dropped, ids unique."""
    bank: list[Question] = []
    seen_content: set[tuple[str, str]] = set()
    seen_ids: set[str] = set()
    for doc in documents:
        for q in extract_document(doc):
            key = (_normal(q.prompt), _normal(q.reference))
            if key in seen_content:
                continue  # the same question copied twice in the corpus
            seen_content.add(key)
            if q.id in seen_ids:
                q = replace(q, id=with_suffix(q.id, q.source.doc, *q.source.heading_path, q.prompt))
            seen_ids.add(q.id)
            bank.append(q)
    return bank


def _claimed(outline: Outline) -> tuple[list[Question], set[int]]:
    """Run the heading formats; return their questions and the sections they are made of."""
    questions: list[Question] = []
    claimed: set[int] = set()
    for finder in (find_open, find_probes, find_scenarios):
        for q, sections in finder(outline):
            questions.append(q)
            claimed |= sections
    for q, section in find_marked_choices(outline):
        questions.append(q)
        claimed.add(section)
    return questions, claimed


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", strip_inline_markdown(text)).strip().lower()
