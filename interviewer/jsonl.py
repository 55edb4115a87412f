"""JSON Lines input (`grade --batch`, `search --batch`): each line read on its own, a bad one a clear error.

A line that is not JSON, or JSON no reader should have to take (a 5,000-digit number, arrays nested
100,000 deep), is that line's error: the batch goes on with the next line.
"""

from __future__ import annotations

import json
from typing import Any

from interviewer.errors import InputError

# What Python's JSON reader says for a number past its digit limit; said plainly instead.
_TOO_MANY_DIGITS = "integer string conversion"


class BadLine(InputError):
    """One input line is not a JSON value that can be read: `reason` says why, `column` where (if known)."""

    def __init__(self, reason: str, column: int | None = None):
        super().__init__(reason if column is None else f"{reason} at column {column}")
        self.reason = reason
        self.column = column


def parse_line(line: str) -> Any:
    """Return the JSON value of one input line, or raise BadLine saying why it has none."""
    # A byte-order mark starts a line when UTF-8 files with one are joined (`cat a.jsonl b.jsonl`).
    text = line.lstrip("\ufeff")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadLine(exc.msg, exc.colno) from None
    except RecursionError:
        raise BadLine("it is nested too deeply to read") from None
    except ValueError as exc:  # the decoder's limits, outside JSONDecodeError
        if _TOO_MANY_DIGITS in str(exc):
            raise BadLine("a number in it has more digits than can be read (over 4,300)") from None
        raise BadLine(str(exc).split(";")[0]) from None
