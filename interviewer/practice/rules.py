"""How an answer rates each concept of its question (data/practice.toml), and the scheduler's tunables.

`rate` is a pure function of what the answer did with a concept; every decision names the rule that
made it, so the review log says why a concept comes back when it does.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Iterable

_DATA = resources.files("interviewer") / "data"

# Ratings as FSRS numbers them; "none" is a rule that adds no review.
RATINGS = {"again": 1, "hard": 2, "good": 3, "easy": 4}
RATING_NAMES = {v: k for k, v in RATINGS.items()}
CONDITIONS = ("conceded", "unchanged", "missed", "named", "retry", "first_try", "explained")
REVEALED = ("1", "2", "3", "lookup", "review")


@dataclass(frozen=True)
class Rule:
    """One row of the rating table: when it applies, the rating it gives (0: no review), why."""

    name: str
    when: str
    rating: int
    description: str


@dataclass(frozen=True)
class Cap:
    """A ceiling on the rating of a concept that help revealed: a hint step or a look-up."""

    name: str
    revealed: str
    rating: int
    description: str


@dataclass(frozen=True)
class Outcome:
    """What one answer did with one concept (the facts the rules read)."""

    covered: bool
    explained: bool = False
    conceded: bool = False
    attempt: int = 1  # 1: the first answer to the question; more: a retry or an addition
    hints: int = 0  # hints taken on the question before this answer
    before: str | None = None  # on a retry, the concept as the earlier attempt had it: missed | named | explained
    revealed: tuple[str, ...] = ()  # how help revealed it: hint steps "1".."3", "lookup"

    @property
    def status(self) -> str:
        return "explained" if self.covered and self.explained else "named" if self.covered else "missed"


@dataclass(frozen=True)
class Rating:
    """A rule's decision: the rating (1..4, or 0 for no review) and the names of the rule and the cap."""

    rating: int
    rule: str
    cap: str | None = None

    @property
    def name(self) -> str:
        return RATING_NAMES.get(self.rating, "none")


@dataclass(frozen=True)
class PracticeRules:
    """The rating table, the caps, the scheduler's settings and the review round's sizes."""

    rules: tuple[Rule, ...]
    caps: tuple[Cap, ...]
    scheduler: dict[str, Any]
    review: dict[str, Any]

    def rate(self, outcome: Outcome) -> Rating:
        """Return the rating the first fitting rule gives a concept, lowered by the caps of the help that revealed it."""
        for rule in self.rules:
            if _fits(rule.when, outcome):
                break
        else:  # pragma: no cover - load() insists on a fallback rule
            raise LookupError("no practice rule fits")
        rating, cap_name = rule.rating, None
        if rating:
            for cap in self.caps:
                if cap.revealed in outcome.revealed and cap.rating < rating:
                    rating, cap_name = cap.rating, cap.name
        return Rating(rating, rule.name, cap_name)


def _fits(when: str, o: Outcome) -> bool:
    retry = o.attempt > 1
    return {
        "conceded": o.conceded,
        "unchanged": retry and o.before == o.status,
        "missed": not o.covered,
        "named": o.covered and not o.explained,
        "retry": retry,
        # A review greeting's naming is no hint: its cap lowers the rating, traceably.
        "first_try": o.attempt == 1 and o.hints == 0 and not set(o.revealed) - {"review"},
        "explained": True,
    }[when]


def _rating(value: str, where: str) -> int:
    if value == "none":
        return 0
    if value not in RATINGS:
        raise ValueError(f"{where}: rating {value!r} is not one of {', '.join(RATINGS)} or none")
    return RATINGS[value]


def parse(data: dict[str, Any]) -> PracticeRules:
    """Build the rules from a parsed practice table; a bad row is a ValueError that names it."""
    rules = []
    for row in data.get("rule", ()):
        if row.get("when") not in CONDITIONS:
            raise ValueError(f"rule {row.get('name')!r}: `when` must be one of {', '.join(CONDITIONS)}")
        rules.append(Rule(row["name"], row["when"], _rating(row["rating"], f"rule {row['name']!r}"),
                          row.get("description", "")))
    if not rules or rules[-1].when != "explained":
        raise ValueError("the last practice rule must be the fallback (`when = \"explained\"`)")
    caps = []
    for row in data.get("cap", ()):
        if str(row.get("revealed")) not in REVEALED:
            raise ValueError(f"cap {row.get('name')!r}: `revealed` must be one of {', '.join(REVEALED)}")
        caps.append(Cap(row["name"], str(row["revealed"]), _rating(row["rating"], f"cap {row['name']!r}"),
                        row.get("description", "")))
    return PracticeRules(tuple(rules), tuple(caps), dict(data.get("scheduler", {})), dict(data.get("review", {})))


@lru_cache(maxsize=1)
def practice_rules() -> PracticeRules:
    """Return the shipped practice rules."""
    return parse(tomllib.loads((_DATA / "practice.toml").read_text(encoding="utf-8")))


def revealed_kinds(keys: Iterable[str], concept_id: str) -> tuple[str, ...]:
    """Return how hints and look-ups revealed a concept, from the engine's revealed keys ("<id>@<step>", "<id>@lookup")."""
    out = []
    for key in keys:
        name, _, how = key.rpartition("@")
        if name and name == concept_id and how in REVEALED:
            out.append(how)
    return tuple(dict.fromkeys(out))
