"""What the corpus teaches about words: acronyms and their expansions, term document frequencies.

Built once with the index and saved beside it; search expands queries with it and the grader
weights concepts and recognises acronyms with it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from interviewer.errors import IndexCorrupt, IndexMissing
from interviewer.text import NUMBER_WORDS, analyze, words

# "Long Form (LF)" and "LF (Long Form)": the short form has 2-10 letters/digits, 2+ of them capitals
# or digits ("2PC", "CQRS", "mTLS").
_PAREN = re.compile(r"\(([^()\n]{1,80})\)")
_SHORT = re.compile(r"^(?=(?:.*[A-Z0-9]){2})[A-Za-z0-9][A-Za-z0-9&]{1,9}$")
# Words an expansion may carry without their own letter in the acronym ("Backend for Frontend").
_GLUE = frozenset({"for", "of", "and", "the", "to", "a", "an", "in", "on", "as", "&"})
_DIGITS = {v: k for k, v in NUMBER_WORDS.items()}


@dataclass(frozen=True)
class Lexicon:
    """Acronym ↔ expansion pairs and term document frequencies of a corpus."""

    acronyms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    df: Mapping[str, int] = field(default_factory=dict)
    documents: int = 0

    def idf(self, term: str) -> float:
        """Return a positive IDF for a term (BM25's, floored so common terms keep some weight)."""
        n, df = self.documents, self.df.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def expansions(self, short: str) -> tuple[str, ...]:
        """Return the long forms of an acronym ("cdc" → "change data capture", …)."""
        return self.acronyms.get(short.lower(), ())

    def short_forms(self) -> dict[str, tuple[str, ...]]:
        """Return each long form (lowercase) with the acronyms that stand for it."""
        out: dict[str, list[str]] = {}
        for short, longs in self.acronyms.items():
            for long in longs:
                out.setdefault(long, []).append(short)
        return {k: tuple(v) for k, v in out.items()}

    def to_json(self) -> dict:
        return {"acronyms": {k: list(v) for k, v in sorted(self.acronyms.items())},
                "documents": self.documents, "df": dict(sorted(self.df.items()))}

    def save(self, path: Path) -> None:
        """Write the lexicon as JSON."""
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False, indent=0), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        """Read a lexicon written by `save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(
                acronyms={k: tuple(v) for k, v in data["acronyms"].items()},
                df={k: int(v) for k, v in data["df"].items()},
                documents=int(data["documents"]),
            )
        except FileNotFoundError as exc:
            raise IndexMissing(f"no lexicon at {path}; run `interviewer build-index`") from exc
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise IndexCorrupt(f"the lexicon at {path} is damaged ({exc}); run `interviewer build-index`") from exc


def build_lexicon(passages: Iterable[str]) -> Lexicon:
    """Mine acronyms and count in how many passages each term occurs."""
    df: Counter[str] = Counter()
    acronyms: dict[str, list[str]] = {}
    n = 0
    for text in passages:
        n += 1
        df.update(set(analyze(text)))
        for short, long in find_acronyms(text):
            known = acronyms.setdefault(short.lower(), [])
            if long.lower() not in known:
                known.append(long.lower())
    return Lexicon({k: tuple(v) for k, v in acronyms.items()}, dict(df), n)


def find_acronyms(text: str) -> list[tuple[str, str]]:
    """Find "Long Form (LF)" and "LF (Long Form)" pairs whose letters line up."""
    found = []
    for m in _PAREN.finditer(text):
        inside = m.group(1).strip()
        before = text[max(0, m.start() - 120) : m.start()].rstrip()
        if _SHORT.match(inside):
            cand = [w for w in re.split(r"[\s\-/]+", before) if w]
            long = _match_long_form(inside, cand[-(len(inside) + 4) :])
            if not long and inside.endswith("s"):
                # A plural acronym of a singular phrase: "Single Points of Failure (SPOFs)".
                inside = inside[:-1]
                long = _match_long_form(inside, cand[-(len(inside) + 4) :])
            if long:
                found.append((inside, long))
        else:
            short = re.search(r"([A-Za-z0-9&]+)\s*$", before)
            if short and _SHORT.match(short.group(1)):
                cand = [w for w in re.split(r"[\s\-/]+", inside) if w]
                long = _match_long_form(short.group(1), cand, anchored=True)
                if long:
                    found.append((short.group(1), long))
    return found


def _match_long_form(short: str, cand: list[str], anchored: bool = False) -> str | None:
    """Return the shortest tail of `cand` whose word initials spell `short` (Schwartz-Hearst, by word)."""
    letters = short.lower()
    cand = [re.sub(r"^[^\w]+|[^\w]+$", "", w) for w in cand]
    starts = [0] if anchored else range(len(cand) - 1, -1, -1)
    for k in starts:
        tail = [w for w in cand[k:] if w]
        if not tail or _initial(tail[0]) != letters[0]:
            continue
        if _spells(letters, [w.lower() for w in tail]):
            return " ".join(tail)
    return None


def _initial(word: str) -> str:
    w = word.lower()
    return NUMBER_WORDS.get(w, w)[:1] if w else ""


def _spells(letters: str, tail: list[str]) -> bool:
    """Check that every non-glue word gives the acronym its initial (and maybe more letters) in order."""

    def walk(i: int, j: int) -> bool:
        if j == len(tail):
            return i == len(letters)
        word = NUMBER_WORDS.get(tail[j], tail[j])
        if word in _GLUE and walk(i, j + 1):
            return True
        if i >= len(letters) or word[:1] != letters[i]:
            return False
        # The word gives its initial and possibly further letters of itself, in order ("XML").
        k, p = i + 1, 1
        while True:
            if walk(k, j + 1):
                return True
            while p < len(word) and k < len(letters) and word[p] != letters[k]:
                p += 1
            if p >= len(word) or k >= len(letters):
                return False
            k, p = k + 1, p + 1

    return len(tail) <= len(letters) + 2 and walk(0, 0)


def surface_vocabulary(passages: Iterable[str]) -> Counter[str]:
    """Count the lowercased words of the passages (for spelling suggestions)."""
    counts: Counter[str] = Counter()
    for text in passages:
        counts.update(w.text for w in words(text))
    return counts
