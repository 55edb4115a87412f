"""Multiple-choice formats: the plain-text quiz ("N of M", glued options, Hint, Detailed explanation)
and concept notes' sample questions with a marked correct answer; and answer inference for the quiz."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Sequence

from interviewer.records import Document, Question
from interviewer.text import analyze, content_words

from interviewer.extract.outline import Outline, bold_terms, clean_inline, clean_lines
from interviewer.extract.rules import casing_of, hint_label, is_generic, make_question, sentence_case, think_about

LETTERS = "ABCDEFGH"

# --------------------------------------------------------------------------- answer inference

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_OPTION_MENTION = re.compile(r"\boption\s+([A-H])\b", re.I)
_REJECTS = re.compile(r"\b(why not|not|wrong|incorrect|doesn'?t|don'?t|isn'?t|fails?|instead of|rather than)\b", re.I)
_ACCEPTS = re.compile(r"\b(correct|right answer|is the answer)\b", re.I)


def infer_answer_option(options: Sequence[str], explanation: str, hint: str = "", *,
                        sentence_weight: float = 1.0, mention_weight: float = 5.0) -> str:
    """Return the letter of the option the explanation and hint support best.

    Each option scores the weighted overlap of its terms with the explanation and hint: a term
    weighs its IDF over the options (a word every option uses tells them apart least) times
    log(1 + its count in the evidence). The single evidence sentence that shares most weight with
    the option adds `sentence_weight` times that weight, so an option whose words appear together
    ("horizontal: add machines") beats one that only scatters them. An explanation that names an
    option ("why not … (option C)?") moves it by `mention_weight` against or for it.
    """
    if not options:
        raise ValueError("no options to choose from")
    option_terms = [set(analyze(o)) for o in options]
    evidence = f"{explanation}\n{hint}"
    tf = Counter(analyze(evidence))
    df = Counter(t for terms in option_terms for t in terms)
    n = len(options)

    def weight(t: str) -> float:
        return math.log((n + 1) / df[t]) if df[t] else 0.0

    sentences = [Counter(analyze(s)) for s in _SENTENCE.split(evidence) if s.strip()]
    scores = []
    for terms in option_terms:
        overlap = sum(weight(t) * math.log1p(tf[t]) for t in terms)
        best = max((sum(weight(t) for t in terms if s[t]) for s in sentences), default=0.0)
        scores.append(overlap + sentence_weight * best)
    for sentence in _SENTENCE.split(evidence):
        for m in _OPTION_MENTION.finditer(sentence):
            i = LETTERS.index(m.group(1).upper())
            if i < n:
                if _ACCEPTS.search(sentence) and not _REJECTS.search(sentence):
                    scores[i] += mention_weight
                elif _REJECTS.search(sentence):
                    scores[i] -= mention_weight
    best_i = max(range(n), key=lambda i: (scores[i], -i))
    return LETTERS[best_i]


# --------------------------------------------------------------------------- plain-text quiz

_COUNTER = re.compile(r"^\s*(\d+)\s+of\s+(\d+)\s*$")
_GLUED_OPTION = re.compile(r"^([A-H])(?:\s*[.):]\s*|\s+|(?=[A-Z0-9\"'(“]))(\S.*)$")
_HINT = re.compile(r"^\s*hints?\s*:?\s*$", re.I)
_EXPLANATION = re.compile(r"^\s*(detailed\s+)?explanation\s*:?\s*$", re.I)


def extract_quiz(doc: Document) -> list[Question]:
    """Read a plain-text quiz: "N of M", the question, options "A…" "B…", Hint, Detailed explanation."""
    lines = doc.text.split("\n")
    starts = [(i, m) for i, line in enumerate(lines) if (m := _COUNTER.match(line))]
    title = doc.title or doc.doc
    questions = []
    for k, (start, m) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else len(lines)
        item = _quiz_item(lines[start + 1 : end])
        if item is None:
            continue
        prompt, options, hint, explanation = item
        number = m.group(1)
        questions.append(make_question(
            doc.doc, "choice", number,
            prompt=prompt,
            reference=explanation,
            heading_path=(title, f"{number} of {m.group(2)}: {prompt}"),
            line=start + 1,
            hints=(hint,) if hint else (),
            options=tuple(options),
            answer_option=infer_answer_option(options, explanation, hint),
        ))
    return questions


def _quiz_item(block: list[str]) -> tuple[str, list[str], str, str] | None:
    body = [ln.strip() for ln in block]
    i = next((j for j, ln in enumerate(body) if ln), None)
    if i is None:
        return None
    prompt = body[i]
    options: list[str] = []
    j = i + 1
    while j < len(body) and len(options) < len(LETTERS):
        m = _GLUED_OPTION.match(body[j])
        if not m or m.group(1) != LETTERS[len(options)]:
            break
        options.append(m.group(2).strip())
        j += 1
    if len(options) < 2:
        return None
    hint_at = next((k for k in range(j, len(body)) if _HINT.match(body[k])), None)
    expl_at = next((k for k in range(j, len(body)) if _EXPLANATION.match(body[k])), None)
    hint = ""
    if hint_at is not None:
        hint = " ".join(ln for ln in body[hint_at + 1 : expl_at if expl_at and expl_at > hint_at else len(body)] if ln)
    explanation = ""
    if expl_at is not None:
        explanation = re.sub(r"\n{3,}", "\n\n", "\n".join(ln.rstrip() for ln in block[expl_at + 1 :]).strip())
    return prompt, options, hint, explanation


# --------------------------------------------------------------------------- marked multiple choice

_MARKER = re.compile(r"^correct answer\b\s*[:—–-]?\s*(.*)$", re.I)
_OPTION = re.compile(r"^(?:[-*+]\s+)?\(?([A-H])\s*[.):]\s*(?:[—–-]\s*)?(\S.*)$")
_LETTER = re.compile(r"^\(?([A-H])\)?(?:\s*[.):—–-]\s*.*)?$")
_QUESTION_LABEL = re.compile(r"^(?:Q\d*\s*[.:]\s*|(?:question|scenario|problem)\s*(?::\s*|$))(.*)$", re.I)
_OPTIONS_LABEL = re.compile(r"^(options|choices|answers)\s*:?$", re.I)
_EXPLANATION_LABEL = re.compile(r"^(explanation|why|rationale)\s*:\s*(.*)$", re.I)
_BREAK = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


def extract_marked_choices(doc: Document) -> list[Question]:
    """Read sample multiple-choice questions whose correct answer is marked ("Correct Answer: B")."""
    outline = Outline(doc)
    return [q for q, _ in find_marked_choices(outline)]


def find_marked_choices(outline: Outline) -> list[tuple[Question, int]]:
    """Return each marked multiple-choice question with the index of the section that holds it."""
    found = []
    for node in outline.nodes:
        cleaned = [clean_inline(line) for line in node.body]
        if not any(_MARKER.match(c) for c in cleaned):
            continue
        item = _marked_item(cleaned, node.body)
        if item is None:
            continue
        prompt, q_at, options, letter, explanation = item
        reference = explanation or (f"{letter}. {options[LETTERS.index(letter)]}" if letter else "")
        if letter is None:
            letter = infer_answer_option(options, explanation)
        hints = _choice_hints(outline, node.index, explanation, options)
        found.append((make_question(
            outline.doc.doc, "choice", prompt,
            prompt=prompt,
            reference=reference,
            heading_path=node.path,
            line=node.body_line + q_at,
            hints=hints,
            options=tuple(options),
            answer_option=letter,
        ), node.index))
    return found


def _marked_item(cleaned: list[str], raw: tuple[str, ...]):
    """Split one section's lines into question, options, marked letter and explanation."""
    options: list[str] = []
    option_rows: list[int] = []
    marker_at = next(i for i, c in enumerate(cleaned) if _MARKER.match(c))
    for i, c in enumerate(cleaned):
        m = _OPTION.match(c)
        if m and len(options) < len(LETTERS) and m.group(1) == LETTERS[len(options)] and not _MARKER.match(c):
            options.append(m.group(2).strip())
            option_rows.append(i)
    if len(options) < 2:
        return None
    first = option_rows[0]
    # The question: from its last label ("Q:", "Question:", "Scenario:") or last paragraph to the options.
    before = [(i, c) for i, c in enumerate(cleaned[:first]) if c and not _OPTIONS_LABEL.match(c)]
    if not before:
        return None
    label_at = next((k for k in range(len(before) - 1, -1, -1) if _QUESTION_LABEL.match(before[k][1])), None)
    if label_at is None:
        label_at = len(before) - 1
        while label_at > 0 and before[label_at - 1][0] == before[label_at][0] - 1:
            label_at -= 1
    parts = []
    for k, (_, c) in enumerate(before[label_at:]):
        m = _QUESTION_LABEL.match(c) if k == 0 else None
        parts.append(m.group(1) if m else c)
    prompt = " ".join(p for p in parts if p).strip()
    if not prompt:
        return None
    q_at = before[label_at][0]
    letter = _marked_letter(cleaned, marker_at, option_rows)
    explanation = _explanation(cleaned, raw, option_rows)
    return prompt, q_at, options, letter, explanation


def _marked_letter(cleaned: list[str], marker_at: int, option_rows: list[int]) -> str | None:
    rest = _MARKER.match(cleaned[marker_at]).group(1).strip()
    m = _LETTER.match(rest) if rest else None
    if m:
        return m.group(1)
    following = next((c for c in cleaned[marker_at + 1 :] if c), "")
    m = _OPTION.match(following) or (_LETTER.match(following) if len(following) <= 3 else None)
    if not rest and m:
        return m.group(1)
    # A bare "Correct Answer" line placed right under the option it marks.
    above = [i for i in option_rows if i < marker_at]
    if above and not rest:
        return "ABCDEFGH"[option_rows.index(above[-1])]
    return None


def _explanation(cleaned: list[str], raw: tuple[str, ...], option_rows: list[int]) -> str:
    at = next((i for i, c in enumerate(cleaned) if _EXPLANATION_LABEL.match(c)), None)
    if at is None:
        return ""
    end = len(raw)
    for i in range(at + 1, len(raw)):
        if i in option_rows or _BREAK.match(raw[i]) or _MARKER.match(cleaned[i]):
            end = i
            break
    first = _EXPLANATION_LABEL.match(cleaned[at]).group(2)
    return clean_lines([first, *raw[at + 1 : end]])


def _choice_hints(outline: Outline, index: int, explanation: str, options: Sequence[str]) -> tuple[str, ...]:
    """Point at the note the question belongs to, or at explanation terms no option gives away."""
    node = outline.nodes[index]
    parent = outline.nodes[node.parent] if node.parent is not None else None
    context = [hint_label(h) for h in (parent.path if parent else ()) if not is_generic(h)]
    if not context:
        # A question placed after its note at the same level belongs to the note before it.
        before = [n for n in outline.nodes[:index] if n.parent == node.parent and n.heading]
        context = [hint_label(before[-1].heading)] if before and not is_generic(before[-1].heading) else []
    if context:
        casing = casing_of(outline.doc.text)
        return think_about([sentence_case(context[-1], casing)], 1)
    option_words = {w for o in options for w in analyze(o)}
    terms = [t for t in bold_terms(explanation.split("\n")) if not set(analyze(t)) & option_words]
    if not terms:
        terms = salient_words(explanation, exclude=option_words)
    return think_about(terms, 1)


def salient_words(text: str, exclude: set[str] = frozenset(), limit: int = 3) -> list[str]:
    """Return the most repeated content words of a text whose terms are not in `exclude`."""
    counts = Counter(w for w in content_words(text) if len(w) > 3 and not set(analyze(w)) & exclude)
    return [w for w, _ in counts.most_common(limit)]
