"""Question formats with headings: numbered open questions with a quoted answer, probe lists (bold
question + italic "what it tests" line), and scenario questions with a Solution section."""

from __future__ import annotations

import re
import textwrap

from interviewer.records import Document, Question

from interviewer.extract.choice import salient_words
from interviewer.extract.outline import Node, Outline, bold_terms, clean_inline, clean_lines, node_lines
from interviewer.extract.rules import (
    FORMATS, casing_of, hint_label, is_generic, make_question, sentence_case, slug, strip_label, think_about,
)

_NUMBERED_HEADING = re.compile(r"^(\d+)[.)]\s+(\S.*)$")
_QUOTE_OPEN = ('"', "“")
_QUOTE_CLOSE = ('"', "”")
_INDEPTH = re.compile(FORMATS["indepth_headings"], re.I)
_SOLUTION = re.compile(FORMATS["solution_headings"], re.I)
_PROBE_ITEM = re.compile(r"^\s*(\d+)[.)]\s+(?:\*\*|__)(.+?)(?:\*\*|__)\s*$")
_ITALIC_LINE = re.compile(r"^\s*(?:\*(?!\*)|_(?!_))(.+?)(?:\*|_)\s*$")
_PROBE_LEAD = re.compile(FORMATS["probe_leads"], re.I)
_LABEL = re.compile(r"^\s*(?:[-*+]\s+)?(?:\*\*|__)\s*(scenario|situation|context|question|task)\s*:?\s*(?:\*\*|__)\s*:?\s*(.*)$", re.I)
_QUESTION_NUMBER = re.compile(r"^(?:question\s+)?(\d+)\s*[:.)]\s*(.*)$", re.I)


# --------------------------------------------------------------------------- open questions


def extract_open(doc: Document) -> list[Question]:
    """Read numbered questions ("181. How …?") answered by a quoted paragraph and an in-depth note."""
    return [q for q, _ in find_open(Outline(doc))]


def find_open(outline: Outline) -> list[tuple[Question, set[int]]]:
    """Return each open question with the indices of the sections it is made of."""
    found = []
    for node in outline.nodes:
        m = _NUMBERED_HEADING.match(node.heading)
        answer = clean_lines(node.body)
        if not m or not answer.startswith(_QUOTE_OPEN):
            continue
        answer = answer[1:]
        if answer.endswith(_QUOTE_CLOSE):
            answer = answer[:-1]
        notes = [outline.nodes[c] for c in node.children if _INDEPTH.fullmatch(outline.nodes[c].heading)]
        reference = "\n\n".join([answer.strip(), *(clean_lines(n.body) for n in notes)]).strip()
        hints = think_about(bold_terms(node.body)) or think_about(salient_words(reference))
        found.append((make_question(
            outline.doc.doc, "open", m.group(1),
            prompt=clean_inline(m.group(2)),
            reference=reference,
            heading_path=node.path,
            line=node.section.line,
            hints=hints,
        ), {node.index, *(n.index for n in notes)}))
    return found


# --------------------------------------------------------------------------- probe lists


def extract_probes(doc: Document) -> list[Question]:
    """Read numbered bold questions each followed by an italic line saying what they probe."""
    return [q for q, _ in find_probes(Outline(doc))]


def find_probes(outline: Outline) -> list[tuple[Question, set[int]]]:
    """Return probe questions (numbered bold line + italic line) and situation/question items."""
    found = []
    for node in outline.nodes:
        body = node.body
        for i, line in enumerate(body):
            m = _PROBE_ITEM.match(line)
            if not m:
                continue
            nxt = next((j for j in range(i + 1, len(body)) if body[j].strip()), None)
            italic = _ITALIC_LINE.match(body[nxt]) if nxt is not None else None
            if not italic:
                continue
            reference = clean_inline(italic.group(1))
            found.append((make_question(
                outline.doc.doc, "probe", m.group(1),
                prompt=clean_inline(m.group(2)),
                reference=reference,
                heading_path=node.path,
                line=node.body_line + i,
                hints=think_about(probe_topics(reference)),
                own_heading=False,
            ), {node.index}))
    found.extend(_find_situations(outline))
    return found


def probe_topics(line: str) -> list[str]:
    """Split "Probes your knowledge of A, B, and C. Expect …" into the topics it lists."""
    first = re.split(r"(?<=[.!?])\s+", line.strip())[0].rstrip(".")
    first = _PROBE_LEAD.sub("", first, count=1)
    parts = re.split(r",\s*(?:and\s+|or\s+)?|\s+and\s+(?=[^,]*$)", first)
    return [p.strip() for p in parts if p.strip()]


def _find_situations(outline: Outline) -> list[tuple[Question, set[int]]]:
    """Situation + question items with no model answer become probes; the situation is the reference."""
    found = []
    for node in outline.nodes:
        labels = labelled_blocks(node.body)
        if not ("situation" in labels or "scenario" in labels) or "question" not in labels:
            continue
        if solution_of(outline, node) is not None:
            continue  # a scenario question: extract_scenarios reads it
        title, lines = labels.get("situation") or labels["scenario"]
        question = clean_inline(" ".join([labels["question"][0], *_unbullet(labels["question"][1])]))
        body = clean_lines(textwrap.dedent("\n".join(lines)).split("\n"))
        situation = f"{clean_inline(title)}:\n{body}" if title and body else clean_inline(title) or body
        found.append((make_question(
            outline.doc.doc, "probe", strip_label(node.heading) or question,
            prompt="\n\n".join(p for p in (situation, question) if p),
            reference=situation,
            heading_path=node.path,
            line=node.section.line,
            hints=think_about(salient_words(body, exclude=set())),
        ), {node.index}))
    return found


def _unbullet(lines: list[str]) -> list[str]:
    return [re.sub(r"^\s*[-*+]\s+", "", line) for line in lines]


def labelled_blocks(lines: tuple[str, ...]) -> dict[str, tuple[str, list[str]]]:
    """Split lines at bold labels ("**Scenario:**", "- **Question:**") into label → (inline text, lines)."""
    blocks: dict[str, tuple[str, list[str]]] = {}
    current = None
    for line in lines:
        m = _LABEL.match(line)
        if m:
            current = m.group(1).lower()
            blocks[current] = (m.group(2).strip(), [])
        elif current:
            blocks[current][1].append(line)
    # A label's text runs to the next label; trailing rules and blank lines are not part of it.
    return {k: (inline, _trim(rest)) for k, (inline, rest) in blocks.items()}


def _trim(lines: list[str]) -> list[str]:
    while lines and (not lines[-1].strip() or re.fullmatch(r"\s*([-*_])(\s*\1){2,}\s*", lines[-1])):
        lines = lines[:-1]
    return lines


# --------------------------------------------------------------------------- scenario questions


def solution_of(outline: Outline, node: Node) -> Node | None:
    """Return the Solution/Approach section of a question (a child, or the sibling right after it),
    if it holds any text."""
    after = outline.next_sibling(node.index)
    candidates = [outline.nodes[c] for c in node.children] + ([after] if after is not None else [])
    for candidate in candidates:
        if _SOLUTION.fullmatch(candidate.heading.strip(" :")):
            has_text = any(line.strip() for n in outline.subtree(candidate.index) for line in n.body)
            return candidate if has_text else None
    return None


def extract_scenarios(doc: Document) -> list[Question]:
    """Read scenario questions: a Scenario/Question paragraph or a question heading, then a Solution."""
    return [q for q, _ in find_scenarios(Outline(doc))]


def find_scenarios(outline: Outline) -> list[tuple[Question, set[int]]]:
    """Return each scenario question with the indices of its question and solution sections."""
    found = []
    casing = casing_of(outline.doc.text)
    for node in outline.nodes:
        if not node.heading or _SOLUTION.fullmatch(node.heading.strip(" :")):
            continue
        solution = solution_of(outline, node)
        if solution is None:
            continue
        labels = labelled_blocks(node.body)
        parts = [" ".join([labels[k][0], *labels[k][1]])
                 for k in ("scenario", "situation", "context", "question", "task") if k in labels]
        number = _QUESTION_NUMBER.match(node.heading)
        title = number.group(2) if number else node.heading
        if parts:
            prompt = "\n\n".join(clean_inline(p) for p in parts if p.strip())
        elif title.rstrip().endswith("?"):
            prompt = clean_inline(title)
        else:
            continue
        parent = outline.nodes[node.parent].heading if node.parent is not None else outline.doc.title
        group = slug(parent.split(":", 1)[-1], 30)
        key = f"{group}-{number.group(1)}" if number else slug(title)
        subtree = outline.subtree(solution.index)
        reference = clean_lines(node_lines(subtree))
        steps = [sentence_case(hint_label(n.heading), casing) for n in subtree[1:] if not is_generic(n.heading)]
        hints = think_about(steps or bold_terms(node_lines(subtree))) or think_about(salient_words(reference))
        found.append((make_question(
            outline.doc.doc, "scenario", key,
            prompt=prompt,
            reference=reference,
            heading_path=node.path,
            line=node.section.line,
            hints=hints,
        ), {node.index, solution.index}))
    return found
