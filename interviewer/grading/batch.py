"""The JSONL batch contract: one graded line out per line in, same ids, in order; bad lines get an error."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from interviewer.errors import GradingError
from interviewer.grading.scoring import Grader, grade_to_dict
from interviewer.jsonl import BadLine, parse_line

# A line longer than this is refused rather than parsed: room for an answer of the grader's
# MAX_ANSWER_CHARS and a reference as long.
MAX_LINE_CHARS = 2_000_000


def grade_batch(lines: Iterable[str], grader: Grader) -> Iterator[dict[str, Any]]:
    """Grade JSONL lines `{"id", "reference", "answer", "question"?}` into `{"id", "score", "grade", "matched", "missed", "flags"}`.

    `matched` and `missed` are lists of concept labels, `flags` a list of flag names. A line that
    cannot be graded yields `{"id", "error"}` (id null when the line has none) and the batch goes on.
    Blank lines are skipped.
    """
    for number, line in enumerate(lines, start=1):
        if isinstance(line, bytes):
            line = line.decode("utf-8", errors="replace")
        if not line.strip():
            continue
        item_id: Any = None
        try:
            if len(line) > MAX_LINE_CHARS:
                raise GradingError(f"line {number} is longer than {MAX_LINE_CHARS} characters")
            try:
                item = parse_line(line)
            except BadLine as exc:
                raise GradingError(f"line {number} is not valid JSON ({exc.reason})") from exc
            if not isinstance(item, dict):
                raise GradingError(f"line {number} is not a JSON object")
            item_id = item.get("id")
            missing = [k for k in ("reference", "answer") if k not in item]
            if missing:
                raise GradingError(f"line {number} has no {' or '.join(repr(k) for k in missing)}")
            for key in ("reference", "answer", "question"):
                if key in item and item[key] is not None and not isinstance(item[key], str):
                    raise GradingError(f"line {number}: {key!r} must be a string")
            card = grader.grade(item["answer"], reference=item["reference"], question_text=item.get("question"))
        except GradingError as exc:
            yield {"id": item_id, "error": str(exc)}
            continue
        yield {"id": item_id, **grade_to_dict(card)}
