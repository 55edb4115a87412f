"""Passage + matched terms → a short excerpt with the matched words wrapped in **…**."""

from __future__ import annotations

import re
from typing import AbstractSet, Sequence

from interviewer.text import word_terms, words

MARK = "**"

# A word of a text: where it is and its pipeline terms (none for a stop word).
Span = tuple[int, int, tuple[str, ...]]


def tokens(text: str) -> tuple[Span, ...]:
    """Return the words of a text with their offsets and terms (worth caching per passage)."""
    return tuple((w.start, w.end, word_terms(w.text)) for w in words(text))


def snippet(text: str, terms: AbstractSet[str], *, width: int = 32, lead: int = 6,
            tokens_: Sequence[Span] | None = None) -> str:
    """Return about `width` words of `text` around the densest run of matched words.

    The window starts up to `lead` words before its first match so the match reads in context;
    chunk text has its emphasis markers stripped, so `**` only ever marks a match. `tokens_` are
    the text's `tokens`, when the caller has them already.
    """
    ws = tokens_ if tokens_ is not None else tokens(text)
    if not ws:
        return _squash(text)[:200]
    matched = [tuple(t for t in ts if t in terms) if ts else () for _, _, ts in ws]
    positions = [i for i, m in enumerate(matched) if m]
    best, best_key = 0, (0, 0)
    for a, start in enumerate(positions):
        found: set[str] = set()
        count = 0
        for i in positions[a:]:
            if i >= start + width:
                break
            found.update(matched[i])
            count += 1
        if (len(found), count) > best_key:
            best, best_key = start, (len(found), count)
    if positions:
        last_hit = max(i for i in positions if best <= i < best + width)
        best = max(0, best - min(lead, width - 1 - (last_hit - best)))
    end = min(len(ws), best + width)
    out, pos = [], ws[best][0]
    for i in range(best, end):
        start, stop, _ = ws[i]
        out.append(text[pos:start])
        piece = text[start:stop]
        out.append(f"{MARK}{piece}{MARK}" if matched[i] else piece)
        pos = stop
    if end == len(ws):
        out.append(text[pos:])
    body = _squash("".join(out))
    return ("…" if best > 0 else "") + body + ("…" if end < len(ws) else "")


def _squash(text: str) -> str:
    """Put a passage on one line: collapse whitespace, drop code fences and table rules."""
    text = re.sub(r"```\w*|~~~\w*", " ", text)
    text = re.sub(r"\|?(\s*:?-{3,}:?\s*\|)+", " ", text)
    return re.sub(r"\s+", " ", text).strip()
