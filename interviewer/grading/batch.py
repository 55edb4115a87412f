"""The JSONL batch contract: one graded line out per line in, same ids, in order; bad lines get an error."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from interviewer.errors import GradingError, InputError
from interviewer.grading.scoring import Grader, grade_to_dict
from interviewer.jsonl import BadLine, parse_line
from interviewer.records import Question, Scorecard

# A line longer than this is refused rather than parsed: room for an answer of the grader's
# MAX_ANSWER_CHARS and a reference as long.
MAX_LINE_CHARS = 2_000_000


def grade_batch(lines: Iterable[str], grader: Grader,
                question: Callable[[str], Question] | None = None) -> Iterator[dict[str, Any]]:
    """Grade JSONL lines `{"id", "reference", "answer", "question"?}` into `{"id", "score", "grade", "matched",
    "missed", "flags", "dimensions"}`.

    A line may give `references` (a list: the best match counts) besides or instead of `reference`, or
    `question_id` (a bank question, looked up with `question`) instead. `matched` and `missed` are lists
    of concept labels, `flags` a list of flag names. A line that cannot be graded yields `{"id", "error"}`
    (id null when the line has none) and the batch goes on. Blank lines are skipped.
    """
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            line = line.decode("utf-8", errors="replace")
        if not line.strip():
            continue
        item_id: Any = None
        try:
            item = _parse(line, number)
            item_id = item.get("id")
            card = _grade_item(item, number, grader, question)
        except (GradingError, InputError) as exc:
            yield {"id": item_id, "error": str(exc)}
            continue
        yield {"id": item_id, **grade_to_dict(card)}


def _parse(line: str, number: int) -> dict[str, Any]:
    if len(line) > MAX_LINE_CHARS:
        raise GradingError(f"line {number} is longer than {MAX_LINE_CHARS} characters")
    try:
        item = parse_line(line)
    except BadLine as exc:
        raise GradingError(f"line {number} is not valid JSON ({exc.reason})") from exc
    if not isinstance(item, dict):
        raise GradingError(f"line {number} is not a JSON object")
    return item


def _grade_item(item: dict[str, Any], number: int, grader: Grader,
                question: Callable[[str], Question] | None) -> Scorecard:
    """Grade one parsed line against its reference(s) or its bank question."""
    if "answer" not in item:
        raise GradingError(f"line {number} has no 'answer'")
    for key in ("reference", "answer", "question", "question_id"):
        if key in item and item[key] is not None and not isinstance(item[key], str):
            raise GradingError(f"line {number}: {key!r} must be a string")
    refs = item.get("references", [])
    if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
        raise GradingError(f"line {number}: 'references' must be a list of strings")
    if item.get("question_id"):
        if question is None:
            raise GradingError(f"line {number}: 'question_id' needs the question bank")
        return grader.grade(item["answer"], question=question(item["question_id"].strip()),
                            question_text=item.get("question"), references=refs)
    if "reference" not in item and not refs:
        raise GradingError(f"line {number} has no 'reference' (or 'references', or 'question_id')")
    return grader.grade(item["answer"], reference=item.get("reference"), question_text=item.get("question"),
                        references=refs)
