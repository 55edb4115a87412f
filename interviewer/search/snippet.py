"""Passage + matched terms → a short excerpt with the matched words wrapped in **…**."""

from __future__ import annotations

import re
from typing import AbstractSet

from interviewer.text import word_terms, words

MARK = "**"


def snippet(text: str, terms: AbstractSet[str], *, width: int = 32, lead: int = 6) -> str:
    """Return about `width` words of `text` around the densest run of matched words.

    The window starts up to `lead` words before its first match so the match reads in context;
    chunk text has its emphasis markers stripped, so `**` only ever marks a match.
    """
    ws = words(text)
    if not ws:
        return _squash(text)[:200]
    matched = [tuple(t for t in word_terms(w.text) if t in terms) for w in ws]
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
    out, pos = [], ws[best].start
    for i in range(best, end):
        w = ws[i]
        out.append(text[pos : w.start])
        piece = text[w.start : w.end]
        out.append(f"{MARK}{piece}{MARK}" if matched[i] else piece)
        pos = w.end
    if end == len(ws):
        out.append(text[pos:])
    body = _squash("".join(out))
    return ("…" if best > 0 else "") + body + ("…" if end < len(ws) else "")


def _squash(text: str) -> str:
    """Put a passage on one line: collapse whitespace, drop code fences and table rules."""
    text = re.sub(r"```\w*|~~~\w*", " ", text)
    text = re.sub(r"\|?(\s*:?-{3,}:?\s*\|)+", " ", text)
    return re.sub(r"\s+", " ", text).strip()
