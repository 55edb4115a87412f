"""Concept sections: a heading with a substantial explanation becomes an "Explain …" question."""

from __future__ import annotations

import re

from interviewer.records import Question
from interviewer.text import analyze

from interviewer.extract.choice import salient_words
from interviewer.extract.outline import Node, Outline, bold_terms, clean_lines, node_lines
from interviewer.extract.rules import (
    CONCEPTS, casing_of, hint_label, is_dropped, is_generic, is_list_item, make_question, phrase_concept,
    sentence_case, strip_label, think_about,
)

_COMPARISON = re.compile(r"\bvs\.?\b|\bversus\b", re.I)
_QUESTION_SHAPED = re.compile(r"^(what|why|how|when|which)\b", re.I)


def find_concepts(outline: Outline, claimed: set[int], *,
                  min_prose_words: int = CONCEPTS["min_prose_words"],
                  min_own_words: int = CONCEPTS["min_own_words"],
                  standalone_words: int = CONCEPTS["standalone_words"],
                  list_item_standalone_words: int = CONCEPTS["list_item_standalone_words"]) -> list[Question]:
    """Pick the sections that explain a concept, at the most useful granularity.

    Rule (top-down over the section tree; words are prose words: tables, code, images and bare
    links do not count):

    - Sections of other formats (`claimed`: questions, solutions, probe lists) are never concepts,
      but the subsections of a solution may be, if they stand on their own (below).
    - A heading from the generic table (Summary, Pros, Example, Sample Question…) never names a
      concept: under a concept it is part of that concept's explanation, elsewhere the walk looks
      inside it.
    - A child of a section is an *aspect* of it (and part of its reference) unless it *stands on
      its own*: a non-generic heading that shares no term with its parent's, is not a question
      ("What is …?"), and holds at least `standalone_words` words — `list_item_standalone_words`
      if it is a numbered or lettered list item ("1. Two-Phase Commit (2PC)").
    - A section becomes a concept when its reference — its own text and its aspects, without the
      standalone children, other formats and link lists — holds `min_prose_words`, and it
      introduces its topic (`min_own_words` of its own before the first subsection), or is a
      comparison ("X vs Y"), or has aspects and no standalone children (a note made only of
      parts, like "Consistency Models" with its four models), or stands on its own under a
      concept. So "Caching" keeps "Advantages of Caching" and "Strategies" in its answer, while
      "Two-Phase Commit (2PC)" is a concept beside "Three-Phase Commit (3PC)".
    - Standalone children of a concept are visited in turn; a section that is not a concept hands
      the walk to all its children.
    """
    nodes = outline.nodes
    casing = casing_of(outline.doc.text)
    found: list[Question] = []

    own_words = outline.own_words

    def words_of(i: int) -> int:
        return sum(own_words[n.index] for n in outline.subtree(i) if n.index not in claimed)

    def stands_alone(child: Node, parent: Node | None) -> bool:
        if child.index in claimed or not child.heading or is_generic(child.heading) or is_dropped(child.heading):
            return False
        label = strip_label(child.heading)
        if _QUESTION_SHAPED.match(label):
            return False
        if parent is not None and parent.heading and set(analyze(label)) & set(analyze(strip_label(parent.heading))):
            return False
        need = list_item_standalone_words if is_list_item(child.heading) else standalone_words
        return words_of(child.index) >= need

    def visit(i: int, under: Node | None) -> None:
        node = nodes[i]
        if i in claimed:
            for c in node.children:
                visit(c, node)
            return
        if not node.heading or is_generic(node.heading) or is_dropped(node.heading):
            if under is None:
                for c in node.children:
                    visit(c, None)
            return
        if under is not None and not stands_alone(node, under):
            return
        alone = [c for c in node.children if stands_alone(nodes[c], node)]
        skip = set()
        for c in alone + [c for c in node.children if c in claimed]:
            skip.update(n.index for n in outline.subtree(c))
        members = [n for n in outline.subtree(i)
                   if n.index not in skip and n.index not in claimed and not is_dropped(n.heading)]
        aspects = [n for n in members if n.parent == i]
        reference_words = sum(own_words[n.index] for n in members)
        introduces = own_words[i] >= min_own_words
        concept = reference_words >= min_prose_words and (
            introduces or _COMPARISON.search(node.heading) or (aspects and not alone) or under is not None
        )
        if not concept:
            for c in node.children:
                visit(c, None)
            return
        found.append(_concept(outline, node, members, node_lines(members), casing))
        for c in alone:
            visit(c, node)

    for root in outline.roots:
        visit(root, None)
    return found


def _concept(outline: Outline, node: Node, members: list[Node], lines: list[str], casing) -> Question:
    label = strip_label(node.heading)
    itself = _bare(hint_label(node.heading))
    parts = [sentence_case(hint_label(n.heading), casing) for n in members[1:]
             if n.parent == node.index and not is_generic(n.heading)]
    # A hint names a part of the answer, never the concept the prompt already names.
    terms = parts or [t for t in bold_terms(lines) if len(t) > 2 and _bare(t) != itself and not is_generic(t)]
    reference = clean_lines(lines)
    return make_question(
        outline.doc.doc, "concept", label,
        prompt=phrase_concept(node.heading, casing),
        reference=reference,
        heading_path=node.path,
        line=node.section.line,
        hints=think_about(terms) or think_about(salient_words(reference, exclude=set(analyze(label)))),
    )


def _bare(text: str) -> str:
    return re.sub(r"^(the|a|an)\s+", "", text.strip().lower())
