"""Figures in a sentence: numbers (digits, 100M, "a hundred million", "ten k"), units, what they count, rates.

    "500M DAU × 10 requests per user per day" → Figure(5e8, "", nouns={user}),
                                                 Figure(10, "1 / day", nouns={request}, per={user})

Units are pint's (interviewer/rubric/units.py), with the few words pint lacks or reads otherwise
("KB", "Mb", "QPS", "DAU") in data/rubric.toml. Counted things (requests, users, rows) are plain
numbers: "100M DAU × 10 requests a day" is a rate of requests without saying "per user".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import pint

from interviewer.rubric.cues import words_of
from interviewer.rubric.rules import Rules
from interviewer.rubric.units import parse_unit, registry, unit_word
from interviewer.text import NUMBER_WORDS, STOP_WORDS, stem


class Tok(NamedTuple):
    """A word of a sentence: lowercased, as written, and its span (a "100M" is two: "100" and "m")."""

    text: str
    raw: str
    start: int
    end: int


@dataclass(frozen=True)
class Figure:
    """A quantity said in a sentence."""

    value: float
    units: str  # a pint expression ("terabyte / day", "1 / second"); "" for a plain count
    text: str  # as written ("100M DAU", "every 4 seconds")
    start: int
    end: int
    nouns: frozenset[str] = frozenset()  # stems of what it counts ("request")
    per: frozenset[str] = frozenset()  # stems of what it is per ("user" in "per user"); "" for "each"
    factor: bool = False  # "3x", "5 times", "20%", "100:1": a multiplier, never a result
    power: bool = False  # "62^7": an expression
    scaled: bool = False  # said with a scale word or suffix ("100M", "a million")
    peak: bool = False  # said of the peak ("20k at peak"): a new assumption unless a factor gives it
    period: str = ""  # the time unit users are counted over: "day" for DAU, "month" for MAU

    def quantity(self) -> pint.Quantity:
        """Return the figure as a pint quantity."""
        return _quantity(self.value, self.units)

    @property
    def dimension(self) -> str:
        """Return the figure's dimensionality as text ("[information] / [time]", "dimensionless")."""
        return units_dimension(self.units)

    @property
    def bare(self) -> bool:
        """Return whether the figure is a plain number: no unit, noun, scale or multiplier."""
        return not (self.units or self.nouns or self.per or self.factor or self.scaled or self.power)

    @property
    def per_item(self) -> bool:
        """Return whether the figure is per some item ("500 bytes each", "2 KB per request")."""
        return bool(self.per)


@lru_cache(maxsize=8192)
def _quantity(value: float, units: str) -> pint.Quantity:
    return registry().Quantity(value, parse_unit(units) if units else registry().dimensionless)


@lru_cache(maxsize=4096)
def units_dimension(units: str) -> str:
    """Return the dimensionality of a pint unit expression as text ("dimensionless" for "")."""
    q = _quantity(1.0, units)
    return "dimensionless" if q.dimensionless else str(q.dimensionality)


_DIGITS = re.compile(r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\d+(?:\.\d+)?e\d+")
_NUMBER_THEN_LETTERS = re.compile(r"(\d+(?:\.\d+)?)([a-zµ]+)", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?e\d+", re.IGNORECASE)
# Words that end a figure's nouns: they start the next part of the sentence.
_BREAK = frozenset({"per", "each", "every", "a", "an", "at", "for", "over", "in", "within", "with", "and", "or",
                    "so", "is", "are", "that", "which", "to", "from", "across", "on", "by", "of", "times", "x"})
_DURATION_PREFIX = frozenset({"for", "over", "in", "within", "during"})
_EVERY = frozenset({"every", "each"})
_WHOLE = frozenset({"whole", "full", "entire", "single", "one", "a", "an", "the"})


def tokens(text: str) -> list[Tok]:
    """Return the words of a text, a number with letters stuck to it split in two ("100M", "5x", "20MB")."""
    out: list[Tok] = []
    for w in words_of(text):
        raw = text[w.start : w.end]
        m = _NUMBER_THEN_LETTERS.fullmatch(raw)
        if m and not _SCIENTIFIC.fullmatch(raw):
            cut = w.start + m.end(1)
            out.append(Tok(m.group(1), m.group(1), w.start, cut))
            out.append(Tok(m.group(2).lower(), m.group(2), cut, w.end))
        else:
            out.append(Tok(w.text, raw, w.start, w.end))
    return out


class FigureReader:
    """Reads the figures of sentences with one set of rules (number words, scales, unit words)."""

    def __init__(self, rules: Rules) -> None:
        nums = rules.numbers
        self.scales: dict[str, float] = {k: float(v) for k, v in nums["scales"].items()}
        self.small: dict[str, float] = {
            w: float(v) for w, v in NUMBER_WORDS.items() if w not in self.scales and w != "hundred"
        }
        self.small.update({w: float(v) for w, v in nums["words"].items() if w not in ("dozen",)})
        self.only_before_scale = frozenset(nums["only_before_scale"])
        self.exact_units: dict[str, str] = dict(rules.units["exact"])
        self.lower_units: dict[str, str] = dict(rules.units["lower"])
        self.users: dict[str, list[tuple[str, ...]]] = {}  # by first word, longest first
        for u in sorted((tuple(u.split()) for u in rules.units["users"]), key=len, reverse=True):
            self.users.setdefault(u[0], []).append(u)
        self.rate_words: dict[str, str] = dict(rules.units["rates"])
        # Words a spoken number can start with; anything else is not a number, at once.
        self.number_starts = frozenset(self.small) | self.only_before_scale | {"half", "hundred", "dozen"} | {
            w for w in self.scales if len(w) > 2}
        self._units: dict[tuple[str, str, bool], str | None] = {}

    # ------------------------------------------------------------------ public

    def read(self, text: str) -> list[Figure]:
        """Return the figures of one (cleaned) sentence, in order."""
        toks = tokens(text)
        out: list[Figure] = []
        i = 0
        while i < len(toks):
            got = self._duration(text, toks, i) or self._figure(text, toks, i)
            if got is None:
                i += 1
                continue
            fig, i = got
            if fig is not None:
                out.append(fig)
        return out

    # ------------------------------------------------------------------ units and words

    def unit(self, tok: Tok, attached: bool = False) -> str | None:
        """Return the pint expression a word after a number names, or None."""
        key = (tok.raw, tok.text, attached)
        if key not in self._units:
            if len(self._units) > 10_000:
                self._units.clear()
            self._units[key] = self._unit(tok, attached)
        return self._units[key]

    def _unit(self, tok: Tok, attached: bool) -> str | None:
        if tok.raw in self.exact_units and not (attached and tok.raw == "B"):
            return self.exact_units[tok.raw]
        if tok.text in self.lower_units:
            return self.lower_units[tok.text]
        if tok.text in STOP_WORDS or len(tok.text) < 2 or not tok.text.isalpha():
            return None
        units = unit_word(tok.raw) or unit_word(tok.text)
        return str(units) if units is not None else None

    def time_unit(self, tok: Tok) -> str | None:
        """Return the unit a word names if it is a unit of time ("day", "seconds", "hr")."""
        name = self.unit(tok)
        if name is None:
            return None
        return name if units_dimension(name) == "[time]" else None

    def _users_at(self, toks: list[Tok], i: int) -> int:
        """Return how many words from i name users ("DAU", "daily active users"), or 0."""
        for phrase in self.users.get(toks[i].text, ()):
            if tuple(t.text for t in toks[i : i + len(phrase)]) == phrase:
                return len(phrase)
        return 0

    # ------------------------------------------------------------------ numbers

    def number(self, toks: list[Tok], i: int) -> tuple[float, int, bool] | None:
        """Read a number at i: digits, digits with scale words, or number words. Returns (value, next, scaled)."""
        t = toks[i]
        if _DIGITS.fullmatch(t.text):
            value = float(t.text.replace(",", ""))
            j = i + 1
        elif t.text not in self.number_starts:
            return None
        else:
            got = self._spoken(toks, i)
            if got is None:
                return None
            value, j = got
        scaled = False
        while j < len(toks) and self._is_scale(toks, j, attached=toks[j].start == toks[j - 1].end):
            value *= self.scales[toks[j].text]
            scaled = True
            j += 1
        return value, j, scaled or not _DIGITS.fullmatch(t.text) and value >= 1000

    def _is_scale(self, toks: list[Tok], j: int, attached: bool) -> bool:
        t = toks[j]
        if t.text not in self.scales:
            return False
        # "500 B" is bytes, "1B" a billion; "5 m" after a number is a million only when stuck to it or said.
        if not attached and t.raw in self.exact_units:
            return False
        if not attached and len(t.text) == 1 and t.text not in ("k",):
            return False
        return True

    def _spoken(self, toks: list[Tok], i: int) -> tuple[float, int] | None:
        """Read number words ("a hundred million", "eight hundred and sixty four", "one point five")."""
        total, current, j, n = 0.0, None, i, len(toks)
        while j < n:
            w = toks[j].text
            nxt = toks[j + 1].text if j + 1 < n else ""
            if w == "half" and nxt in ("a", "an") and j + 2 < n and toks[j + 2].text in self.scales:
                current, j = 0.5, j + 2
                continue
            if w in self.only_before_scale:
                if nxt in self.scales or nxt in ("hundred", "dozen"):
                    current = (current or 0) + self.small.get(w, 1.0)
                    j += 1
                    continue
                break
            if w in self.small:
                v = self.small[w]
                if current is None or (current % 100 == 0 and v < 100) or (current % 10 == 0 and v < 10):
                    current = (current or 0) + v
                    j += 1
                    continue
                break
            if w == "hundred":
                current = (current or 1) * 100
            elif w == "dozen":
                current = (current or 1) * 12
            elif w in self.scales and len(w) > 2:
                total += (current or 1) * self.scales[w]
                current = None
            elif w == "and" and (current or total) and (nxt in self.small or nxt == "hundred"):
                pass
            elif w == "point" and current is not None and nxt in self.small and self.small[nxt] < 10:
                digits = ""
                j += 1
                while j < n and toks[j].text in self.small and self.small[toks[j].text] < 10:
                    digits += str(int(self.small[toks[j].text]))
                    j += 1
                current += float("0." + digits)
                continue
            else:
                break
            j += 1
        if j == i:
            return None
        value = total + (current or 0)
        said = [t.text for t in toks[i:j]]
        # "one" alone is a pronoun ("one option") unless a unit follows; "and" never ends a number.
        if said == ["one"] and not (j < n and (self.unit(toks[j]) or toks[j].text in self.scales)):
            return None
        while said and said[-1] == "and":
            said.pop()
            j -= 1
        return (value, j) if said else None

    # ------------------------------------------------------------------ figures

    def _duration(self, text: str, toks: list[Tok], i: int) -> tuple[Figure | None, int] | None:
        """Read "for an hour", "for a whole day", "every second", "each second" (no digits)."""
        if toks[i].text not in _DURATION_PREFIX | _EVERY:
            return None
        j = i + 1
        while j < len(toks) and toks[j].text in _WHOLE and j - i <= 2:
            j += 1
        if j >= len(toks) or j == i + 1 and toks[i].text in _DURATION_PREFIX:
            return None
        unit = self.time_unit(toks[j])
        if unit is None:
            return None
        start = toks[i + 1].start if toks[i].text in _DURATION_PREFIX else toks[i].start
        if toks[i].text in _EVERY:
            fig = Figure(1.0, f"1 / {unit}", text[start : toks[j].end], start, toks[j].end)
        else:
            fig = Figure(1.0, unit, text[start : toks[j].end], start, toks[j].end)
        return fig, j + 1

    def _figure(self, text: str, toks: list[Tok], i: int) -> tuple[Figure | None, int] | None:
        got = self.number(toks, i)
        if got is None:
            return None
        value, j, scaled = got
        n = len(toks)
        start = toks[i].start
        prev = toks[i - 1] if i else None
        gap_after = text[toks[j - 1].end : toks[j].start] if j < n else ""
        # "N=3": a variable set to a number; "a 500-member group", "a 7-character code": a modifier.
        if prev is not None and len(prev.text) == 1 and text[prev.end : start].strip() == "=":
            return None, j
        if gap_after.startswith("-") and j < n and toks[j].text.isalpha():
            return None, j + 1
        power = False
        if gap_after.strip() == "^" and j < n and _DIGITS.fullmatch(toks[j].text):
            value **= float(toks[j].text)
            power, j = True, j + 1
            gap_after = text[toks[j - 1].end : toks[j].start] if j < n else ""
        factor = False
        if gap_after.strip() == ":" and j < n and _DIGITS.fullmatch(toks[j].text) and float(toks[j].text):
            value /= float(toks[j].text)  # "100:1"
            factor, j = True, j + 1
        elif gap_after.startswith("%") or (j < n and toks[j].text == "percent"):
            value /= 100
            factor = True
            j += 0 if gap_after.startswith("%") else 1
        elif j < n and toks[j].text in ("x", "times", "fold") and not (
            j + 1 < n and _DIGITS.fullmatch(toks[j + 1].text)
        ):
            factor, j = True, j + 1
        units, nouns, per, period = "", set(), set(), ""
        if not factor and j < n:
            unit = self.unit(toks[j], attached=toks[j].start == toks[j - 1].end)
            users = self._users_at(toks, j)
            if unit is not None:
                units, j = unit, j + 1
            elif users:
                nouns.add("user")
                period = self._period(toks[j : j + users])
                j += users
        if not factor and not units and not nouns:
            # A figure stuck to an article and a plain noun is a modifier: "a 4K video".
            if prev is not None and prev.text in ("a", "an") and j < n and toks[j].text.isalpha() \
                    and toks[j].text not in STOP_WORDS and not self._rate_at(toks, j):
                return None, j
            j, period = self._nouns(toks, j, nouns)
        units, per, j = self._rates(text, toks, j, units, per)
        end = toks[j - 1].end
        after = [t.text for t in toks[j : j + 2]]
        before = text[max(0, start - 12) : start].lower().rstrip()
        peak = after[:1] == ["peak"] or after == ["at", "peak"] or before.endswith(("peak", "peak of", "at peak"))
        if prev is not None and prev.text in _EVERY and units and units_dimension(units) == "[time]":
            value, units, start = 1 / value, f"1 / ({units})", prev.start
        return Figure(value, units, text[start:end], start, end, frozenset(nouns), frozenset(per), factor, power,
                      scaled, peak, period), j

    def _period(self, said: list[Tok]) -> str:
        """Return the period a users phrase counts over ("DAU", "daily users" → "day"), or ""."""
        for t in said:
            if t.text in ("dau", "daily"):
                return "day"
            if t.text in ("mau", "monthly"):
                return "month"
        return ""

    def _nouns(self, toks: list[Tok], j: int, nouns: set[str]) -> tuple[int, str]:
        """Collect up to two words naming what a figure counts ("API keys", "new photos", "of video")."""
        taken = 0
        while j < len(toks) and taken < 2:
            t = toks[j]
            if t.text == "of" and taken == 0 and j + 1 < len(toks) and toks[j + 1].text.isalpha() \
                    and toks[j + 1].text not in STOP_WORDS:
                j += 1
                continue
            users = self._users_at(toks, j)
            if users:
                nouns.add("user")
                return j + users, self._period(toks[j : j + users])
            if not t.text.isalpha() or t.text in STOP_WORDS or t.text in _BREAK or self.unit(t) \
                    or t.text in self.rate_words or t.text in self.scales:
                break
            nouns.add(stem(t.text))
            taken += 1
            j += 1
        return j, ""

    def _rate_at(self, toks: list[Tok], j: int) -> bool:
        return toks[j].text in self.rate_words

    def _rates(self, text: str, toks: list[Tok], j: int, units: str, per: set[str]) -> tuple[str, set[str], int]:
        """Read what a figure is per: "/day", "per user per day", "a second", "each", "daily"."""
        n = len(toks)
        while j < n:
            t = toks[j]
            gap = text[toks[j - 1].end : t.start].strip() if j else ""
            if gap == "/":
                unit = self.time_unit(t)
                if unit:
                    units = _per(units, unit)
                elif t.text.isalpha():
                    per.add(stem(t.text))
                else:
                    break  # "40k QPS / 2k QPS": a division, not a rate
                j += 1
                continue
            if gap:
                break
            nxt = toks[j + 1] if j + 1 < n else None
            if t.text == "per" and nxt is not None:
                k = j + 1 + (nxt.text in ("a", "an"))
                if k < n and self.time_unit(toks[k]):
                    units, j = _per(units, self.time_unit(toks[k])), k + 1
                    continue
                if k < n and toks[k].text.isalpha() and toks[k].text not in STOP_WORDS:
                    per.add(stem(toks[k].text))
                    j = k + 1
                    if j < n and toks[j].text.isalpha() and toks[j].text not in STOP_WORDS | _BREAK:
                        per.add(stem(toks[j].text))  # "per API key"
                        j += 1
                    continue
                break
            if t.text in ("a", "an", "each", "every") and nxt is not None and self.time_unit(nxt) \
                    and text[t.end : nxt.start].strip() == "":
                units, j = _per(units, self.time_unit(nxt)), j + 2
                continue
            if t.text in self.rate_words:
                units, j = _per(units, self.rate_words[t.text]), j + 1
                continue
            if t.text == "each":
                per.add("")
                j += 1
                continue
            break
        return units, per, j


def _per(units: str, time_unit: str) -> str:
    """Return `units` per `time_unit` as a pint expression."""
    return f"({units}) / {time_unit}" if units else f"1 / {time_unit}"
