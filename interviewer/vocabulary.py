"""The vocabulary of the trade: the synonym table (data/synonyms.toml), canonical term sequences, and the
alternative wordings of a label (acronym ↔ expansion, synonym-table wordings). Grading, search and the
concept inventory all read words through it, so "LB" and "load balancer" are one thing everywhere."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from interviewer.errors import GradingError
from interviewer.lexicon import Lexicon, find_acronyms
from interviewer.text import analyze

_DATA = resources.files("interviewer") / "data"
_MAX_ALIASES = 8


@dataclass(frozen=True)
class SynonymTable:
    """Phrases (as pipeline terms) mapped to one canonical token for their group.

    A group of several words becomes one token ("load balancer", "LB" → "load_balanc"), so a phrase
    and its acronym weigh the same and an answer cannot half-match an abbreviation.
    """

    phrases: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    wordings_of: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # token → surface wordings
    longest: int = 1
    starts: frozenset[str] = frozenset()  # first terms of phrases of two or more terms

    @property
    def vocabulary(self) -> frozenset[str]:
        """Return every token and term the table knows: the vocabulary of the trade."""
        return self._vocabulary

    def __post_init__(self) -> None:
        vocab = set(self.wordings_of)
        reach: dict[str, int] = {}  # first term of a phrase of 2+ terms → its longest such phrase
        for key in self.phrases:
            vocab.update(key)
            if len(key) > 1:
                reach[key[0]] = max(reach.get(key[0], 0), len(key))
        object.__setattr__(self, "_vocabulary", frozenset(vocab))
        object.__setattr__(self, "_reach", reach)
        object.__setattr__(self, "_cache", {})

    def canonical(self, terms: Sequence[str]) -> tuple[str, ...]:
        """Rewrite a term sequence to canonical tokens (longest phrase first)."""
        key = tuple(terms)
        cache: dict[tuple[str, ...], tuple[str, ...]] = self._cache  # type: ignore[attr-defined]
        out = cache.get(key)
        if out is None:
            out = tuple(_rewrite(key, self))
            if len(key) <= 8:  # short phrases repeat; sentences do not
                if len(cache) >= 100_000:
                    cache.clear()  # the phrases of the next documents are the ones that will recur
                cache[key] = out
        return out

    def wordings(self, phrase: str) -> tuple[str, ...]:
        """Return the other surface wordings of the group a phrase belongs to."""
        key = terms_of(phrase)
        token = self.phrases.get(key)
        if token is None:
            return ()
        return tuple(w for w in self.wordings_of.get(token, ()) if terms_of(w) != key)


@lru_cache(maxsize=65536)
def terms_of(text: str) -> tuple[str, ...]:
    """Return the pipeline terms of a short text (cached: labels and wordings repeat)."""
    return tuple(analyze(text))


def token_parts(token: str) -> tuple[str, ...]:
    """Return the terms a canonical token stands for ("load_balanc" → ("load", "balanc"))."""
    return tuple(token.split("_")) if "_" in token else (token,)


def load_synonyms(path: str | Path | None = None) -> SynonymTable:
    """Read a synonym table (TOML, `canonical = ["other", …]` in any sections)."""
    try:
        raw = (Path(path).read_text(encoding="utf-8") if path else (_DATA / "synonyms.toml").read_text(encoding="utf-8"))
        data = tomllib.loads(raw)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise GradingError(f"cannot read the synonym table {path or 'synonyms.toml'}: {exc}") from exc
    entries: list[tuple[str, list[str]]] = []
    for key, value in data.items():
        if isinstance(value, dict):
            entries.extend((k, v) for k, v in value.items())
        else:
            entries.append((key, value))
    return build_synonyms(entries)


def build_synonyms(entries: Iterable[tuple[str, Sequence[str]]]) -> SynonymTable:
    """Build a table from (canonical, alternatives) pairs; wordings without terms are skipped."""
    phrases: dict[tuple[str, ...], str] = {}
    wordings: dict[str, list[str]] = {}
    for canonical, others in entries:
        if not isinstance(others, (list, tuple)) or not all(isinstance(o, str) for o in others):
            raise GradingError(f"synonym entry {canonical!r} must be a list of strings")
        canon = terms_of(canonical)
        if not canon:
            continue
        token = "_".join(canon)
        for wording in (canonical, *others):
            key = terms_of(wording)
            # "fail over" and "scale up" lose their stop word and would claim every "fail" and
            # "scale": a wording of several words must keep several terms.
            if len(key) == 1 and len(wording.split()) > 1 and wording is not canonical:
                continue
            # The first group that claims a wording keeps it: the table reads top-down.
            if key and key not in phrases:
                phrases[key] = token
                wordings.setdefault(token, []).append(wording)
    longest = max((len(k) for k in phrases), default=1)
    starts = frozenset(k[0] for k in phrases if len(k) > 1)
    return SynonymTable(phrases, {k: tuple(v) for k, v in wordings.items()}, longest, starts)


def canonicalize(tokens: Sequence[tuple[str, int]], table: SynonymTable) -> list[tuple[str, int]]:
    """Rewrite (term, position) tokens to canonical tokens, longest phrase first, in one pass."""
    terms = [t for t, _ in tokens]
    return [(token, tokens[i][1]) for token, i, _ in _rewrite_at(terms, table)]


def canonical_spans(terms: Sequence[str], table: SynonymTable) -> list[tuple[str, int, int]]:
    """Rewrite terms to canonical tokens, each with the [first, end) range of the terms it stands for."""
    return _rewrite_at(terms, table)


def _rewrite(terms: Sequence[str], table: SynonymTable) -> list[str]:
    """Rewrite terms to canonical tokens, longest phrase first (positions not needed)."""
    return [token for token, _, _ in _rewrite_at(terms, table)]


def _rewrite_at(terms: Sequence[str], table: SynonymTable) -> list[tuple[str, int, int]]:
    """Rewrite terms to (canonical token, first term, end term), longest phrase first, in one pass."""
    out: list[tuple[str, int, int]] = []
    phrases = table.phrases
    reach: dict[str, int] = table._reach  # type: ignore[attr-defined]
    n, i = len(terms), 0
    while i < n:
        term = terms[i]
        longest = reach.get(term)
        if longest:
            # Only as long as the longest phrase that starts with this term.
            for size in range(min(longest, n - i), 1, -1):
                token = phrases.get(tuple(terms[i : i + size]))
                if token is not None:
                    out.append((token, i, i + size))
                    i += size
                    break
            else:
                out.append((phrases.get((term,), term), i, i + 1))
                i += 1
            continue
        out.append((phrases.get((term,), term), i, i + 1))
        i += 1
    return out


@lru_cache(maxsize=1)
def default_synonyms() -> SynonymTable:
    """Return the bundled synonym table (read once)."""
    return load_synonyms()


# "Long Form (LF)" pairs of the text itself win over the corpus lexicon: CDC is change data capture
# in one answer and content-defined chunking in another.
def acronym_pairs(text: str) -> list[tuple[str, str]]:
    """Return the (short, long) acronym pairs a text defines, short forms lowercased."""
    return [(s.lower(), long) for s, long in find_acronyms(text)]


_ACRONYM_WORD = re.compile(r"^(?=(?:.*[A-Z0-9]){2})[A-Za-z0-9&]{2,10}s?$")


def concept_aliases(
    label: str,
    *,
    lexicon: Lexicon | None = None,
    local: Mapping[str, str] | None = None,
    synonyms: SynonymTable | None = None,
) -> tuple[str, ...]:
    """Return the other wordings of a concept label: acronym ↔ expansion, then synonym-table ones."""
    local = local or {}
    label_terms = terms_of(label)
    out: list[str] = []

    def add(wording: str) -> None:
        terms = terms_of(wording)
        if terms and terms != label_terms and all(terms_of(o) != terms for o in out):
            out.append(wording)

    inner = re.fullmatch(r"\s*(.+?)\s*\(\s*([^()]+?)\s*\)\s*", label)
    if inner:  # "Change Data Capture (CDC)": both halves are wordings of the concept.
        add(inner.group(1))
        add(inner.group(2))
    words = label.split()
    if len(words) == 1 and _ACRONYM_WORD.match(label.strip()):
        short = label.strip().lower()
        long = local.get(short) or local.get(short.rstrip("s"))
        if long:
            add(long)
        elif lexicon is not None:
            longs = lexicon.expansions(short) or lexicon.expansions(short.rstrip("s"))
            if len(longs) == 1:  # an ambiguous acronym is left to the reference's own wording
                add(longs[0])
    else:
        phrase = " ".join(label_terms)
        for short, long in local.items():
            if " ".join(terms_of(long)) == phrase:
                add(short)
        if lexicon is not None:
            for long, shorts in _short_forms(lexicon).items():
                if long == phrase:
                    for short in shorts:
                        add(short)
    if synonyms is not None:
        for base in (label, *out):
            for wording in synonyms.wordings(base):
                add(wording)
    return tuple(out[:_MAX_ALIASES])


# Lexicons hold dicts, so they cannot be hashed: cache by identity, keeping the lexicon alive.
_SHORT_FORMS: dict[int, tuple[Lexicon, dict[str, tuple[str, ...]]]] = {}


def _short_forms(lexicon: Lexicon) -> dict[str, tuple[str, ...]]:
    """Return the lexicon's unambiguous long forms (as joined terms) with their acronyms."""
    entry = _SHORT_FORMS.get(id(lexicon))
    if entry is None or entry[0] is not lexicon:
        table: dict[str, list[str]] = {}
        for short, longs in lexicon.acronyms.items():
            if len(longs) == 1:
                table.setdefault(" ".join(analyze(longs[0])), []).append(short)
        entry = (lexicon, {k: tuple(v) for k, v in table.items()})
        _SHORT_FORMS[id(lexicon)] = entry
    return entry[1]
