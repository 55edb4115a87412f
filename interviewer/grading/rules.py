"""The grader's rules and tunables, read once from data/grading_rules.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from interviewer.text import analyze

_DATA = resources.files("interviewer") / "data"


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    """Return the parsed grading rules table."""
    return tomllib.loads((_DATA / "grading_rules.toml").read_text(encoding="utf-8"))


def tunables(section: str) -> dict[str, Any]:
    """Return the numbers of one section of the rules as a fresh dict (safe to update)."""
    return {k: v for k, v in rules()[section].items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


@lru_cache(maxsize=1)
def generic_terms() -> frozenset[str]:
    """Return the terms of the words that name a kind of thing rather than the thing ("pattern", "strategy")."""
    from interviewer.concepts.words import word_lists

    return frozenset(t for w in word_lists().generic for t in analyze(w))


@dataclass(frozen=True)
class FollowUpRule:
    """A follow-up template, the evidence pattern that selects it (None: always) and, optionally,
    a pattern the concept's label must match too."""

    pattern: re.Pattern[str] | None
    template: str
    label: re.Pattern[str] | None = None


@lru_cache(maxsize=1)
def follow_up_rules() -> tuple[FollowUpRule, ...]:
    """Return the follow-up rules in order; the last one always applies."""
    out = [
        FollowUpRule(re.compile(r["pattern"], re.I) if r["pattern"] else None, r["template"],
                     re.compile(r["label"], re.I) if r.get("label") else None)
        for r in rules()["follow_ups"]
    ]
    if not out or out[-1].pattern is not None:
        out.append(FollowUpRule(None, "How does {concept} fit into your answer?"))
    return tuple(out)


@lru_cache(maxsize=1)
def letter_patterns() -> tuple[re.Pattern[str], ...]:
    """Return the patterns that name a choice option by its letter."""
    return tuple(re.compile(p, re.I) for p in rules()["choice"]["letter_patterns"])
