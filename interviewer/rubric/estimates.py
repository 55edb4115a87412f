"""Back-of-envelope checks: find the answer's arithmetic claims and recompute them from its own figures.

A figure is a claim when the words before it make it a result ("=", "≈", "is about", "that's",
"so", "which comes to"), or when it restates the figure before it in other units ("1B a day, about
11.6k per second"). Its operands are the figures said before it in the sentence since the last
claim; because people chain and abbreviate, a few readings are tried and the closest counts:

- the sentence's operands alone, or after the last claim ("… ≈ 11.6k QPS; ×3 peak ≈ 35k"), or
  after the figures of the sentence before, or after the last figure that counts the same thing;
- an operand "per key" with nothing to multiply brings in the last figure of keys;
- a bare 365, 86,400 or "12 months" is either a factor or the unit conversion the claim's unit
  already makes ("1B a day / 86,400 ≈ 11.6k QPS");
- when no product has the claim's unit, a quotient is tried ("1 GB over 100 Mbps in 80 s").

Only readings whose units can give the claim's unit count (pint checks the dimensions), so bytes
never pass for requests. The closest reading's ratio decides: within 2× right, 2–10× rough, 10× or
more wrong, and a ratio near 8 with bits in play, or near 86,400 with days and seconds, is named as
that unit slip (and wrong, whatever its size).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import pint

from interviewer.rubric.quantities import Figure, FigureReader
from interviewer.rubric.display import format_quantity, format_value, unit_label
from interviewer.rubric.records import Estimate
from interviewer.rubric.rules import Rules
from interviewer.rubric.sentences import Sentence
from interviewer.rubric.units import registry

_GAP_ITEM = re.compile(r"[a-z]+(?:\.[a-z]\.)?|->|=>|~=|[=≈≃→~÷/×*]|[^\sa-z0-9]")
_SYMBOLS = frozenset({"=", "≈", "≃", "→", "->", "=>", "~="})
_OPERATORS = frozenset({"/", "÷", "×", "*", "x", "times", "divided", "multiplied"})
_LARGER_TIME = ("minute", "hour", "day", "week", "month", "year")
_LOOKAHEAD = ("for", "across", "to serve", "to handle", "serving")


@dataclass(frozen=True)
class Operand:
    """A figure as an operand: multiplied, or divided by ("1B a day / 86,400")."""

    figure: Figure
    divide: bool = False
    opens: bool = False  # "so 40k QPS / 2k QPS = 20": the sum said out loud starts here


@dataclass(frozen=True)
class Reading:
    """One way to read a claim's arithmetic: the operands used and what they give in the claim's unit."""

    operands: tuple[Operand, ...]
    computed: float
    units: pint.Unit
    note: str = ""


class _Known:
    """The figures said so far, by what they count: the last few of each noun, and the last that counts items."""

    def __init__(self) -> None:
        self.by_noun: dict[str, list[tuple[int, Figure]]] = {}  # newest last, with the order they were said
        self.counting: dict[str, Figure] = {}
        self.said = 0

    def add(self, fig: Figure) -> None:
        self.said += 1
        for noun in fig.nouns:
            recent = self.by_noun.setdefault(noun, [])
            recent.append((self.said, fig))
            del recent[:-4]  # a look-back needs the latest few, not the whole answer
            if _counts_items(fig):
                self.counting[noun] = fig

    def latest(self, nouns: frozenset[str], exclude: Sequence[Figure | None]) -> Figure | None:
        """Return the latest figure counting one of these nouns, other than the excluded ones."""
        found = [(n, f) for noun in nouns for n, f in self.by_noun.get(noun, ()) if not any(f is x for x in exclude)]
        return max(found, key=lambda nf: nf[0])[1] if found else None


@dataclass(frozen=True)
class SentenceFigures:
    """What the checker read in one sentence: its figures and how many of them were checked claims."""

    figures: tuple[Figure, ...]
    claims: int


class EstimateChecker:
    """Recompute the arithmetic of an answer, sentence by sentence, with one set of rules."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.reader = FigureReader(rules)
        e = rules.estimates
        self.right_within = float(e["right_within"])
        self.wrong_from = float(e["wrong_from"])
        self.slip_tolerance = float(e["slip_tolerance"])
        self.markers = _phrases(e["result_markers"])
        self.duration_markers = _phrases(e["duration_markers"])
        self.distributive = _phrases(e["distributive"])
        self.hedges = _phrases(e["hedges"])
        self.time_factors = tuple(float(f) for f in e["time_factors"])

    # ------------------------------------------------------------------ the answer

    def check(self, sentences: Sequence[Sentence]) -> tuple[list[Estimate], list[SentenceFigures]]:
        """Return the answer's checked claims and, per sentence, the figures read and claims checked."""
        estimates: list[Estimate] = []
        per_sentence: list[SentenceFigures] = []
        known = _Known()
        last_claim: Figure | None = None
        previous: list[Operand] = []
        for s in sentences:
            figures = self.reader.read(s.clean)
            pending: list[Operand] = []
            claims = 0
            prev_claim = prev_rate = False
            for k, fig in enumerate(figures):
                prev = figures[k - 1] if k else None
                gap = s.clean[prev.end if prev else 0 : fig.start]
                after = s.clean[fig.end : figures[k + 1].start] if k + 1 < len(figures) else s.clean[fig.end :]
                how = self._role(gap, after, fig, prev, prev_claim, prev_rate)
                prev_rate = how == "rate"
                estimate = None
                if how in ("claim", "restate"):
                    ahead = figures[k + 1] if k + 1 < len(figures) else None
                    sets = [[Operand(prev)]] if how == "restate" and prev is not None else self._sets(
                        fig, pending, last_claim, previous, known, ahead, s.clean)
                    estimate = self._judge(s, fig, sets)
                if estimate is not None:
                    estimates.append(estimate)
                    claims += 1
                    last_claim, pending, prev_claim = fig, [], True
                    known.add(fig)
                    continue
                if how == "again":
                    continue
                pending.append(Operand(fig, divide=how == "divide", opens=how == "opens"))  # "rate" multiplies
                known.add(fig)
                prev_claim = False
            previous = pending if not claims else []
            per_sentence.append(SentenceFigures(tuple(figures), claims))
        return estimates, per_sentence

    # ------------------------------------------------------------------ which figures are results

    def _items(self, gap: str) -> tuple[list[str], bool]:
        """Return the words and symbols of the text between two figures, trailing hedges taken off."""
        items = _GAP_ITEM.findall(gap.lower())
        hedged = False
        while items:
            cut = _ends_with(items, self.hedges)
            if not cut:
                break
            items, hedged = items[:-cut], True
        return items, hedged

    def _role(self, gap: str, after: str, fig: Figure, prev: Figure | None, prev_claim: bool,
              prev_rate: bool = False) -> str:
        """Say what a figure is: a "claim", a "restate"ment of the one before, or an operand ("divide",
        "times", or a "rate" each one has: "each makes 10 requests a day")."""
        items, hedged = self._items(gap)
        raw = _GAP_ITEM.findall(gap.lower())
        if "/" in raw or "÷" in raw or _ends_with(raw, (("divided", "by"),)):
            return "divide"
        if fig.factor or fig.power:
            return "times"
        if fig.peak and prev is not None and not (prev.factor or prev.bare):
            return "times"  # "maybe 20k at peak": a new assumption, not arithmetic
        cut = _ends_with(items, self.markers)
        if cut and _ends_with(items[:-cut], self.distributive):
            return "rate"  # "100M DAU, each makes 10 requests a day": a rate per user
        if cut:
            marker = items[-cut:]
            symbol = marker[-1] in _SYMBOLS
            if symbol and len(items) > cut and items[-cut - 1].isalpha():
                return "times"  # "N=3, W=2": a variable, not a result
            # "so 40k QPS / 2k QPS = 20": after a word marker, a figure that is operated on opens a sum;
            # "5k per second is 5k × 3,600" says the same figure again to work on it.
            if not symbol and _GAP_ITEM.findall(after.lower())[:1] and _GAP_ITEM.findall(after.lower())[0] in _OPERATORS:
                if prev is not None and not (fig.units or fig.nouns) and fig.value == prev.value:
                    return "again"
                return "opens"
            return "claim"
        if _ends_with(items, self.duration_markers) and dimension(fig) == "[time]":
            return "claim"
        if prev is not None and all(not i.isalpha() for i in items) and (hedged or items[-1:] == ["("]):
            same = dimension(fig) == dimension(prev)
            if same and prev_rate:
                return "claim"  # "each makes 10 a day, about 11.6k a second": the product, not a restatement
            if same and (fig.units != prev.units or prev.power) \
                    and (prev_claim or prev.power or "/ [time]" in dimension(prev)):
                return "restate"  # "20 billion a day, about 230k per second"
            if same and prev.per_item and dimension(fig) == "[information]":
                return "claim"  # "at 500 bytes each, about 3 TB"
        if prev is not None and items[-1:] == ["or"] and dimension(fig) == dimension(prev) and fig.units != prev.units:
            return "restate"  # "1 Gbps, or 125 MB/s"
        return "times"

    # ------------------------------------------------------------------ readings

    def _sets(self, fig: Figure, pending: list[Operand], last_claim: Figure | None, previous: list[Operand],
              known: _Known, ahead: Figure | None, text: str) -> list[list[Operand]]:
        """Return the operand sets a claim may have been computed from."""
        sets: list[list[Operand]] = []
        if pending:
            sets.append(list(pending))
            opener = max((i for i, o in enumerate(pending) if o.opens), default=0)
            if opener:
                sets.append(pending[opener:])
        if last_claim is not None:
            sets.append([Operand(last_claim)] + pending)
        if previous:
            sets.append(previous + pending)
        same = known.latest(fig.nouns, exclude=[last_claim, *(o.figure for o in pending)])
        if same is not None:
            sets.append([Operand(same)] + pending)
        if ahead is not None and pending:
            between = text[fig.end : ahead.start].strip().lower()
            if any(between.endswith(w) for w in _LOOKAHEAD):
                sets.append(pending + [Operand(ahead)])  # "5,000 gateways for 500M users"
        resolved = []
        for ops in sets:
            ops = self._resolve(ops, fig, known)
            if ops is not None and ops not in resolved:
                resolved.append(ops)
        return resolved

    def _resolve(self, ops: list[Operand], claim: Figure, known: _Known) -> list[Operand] | None:
        """Bring in what a "per key" operand needs when nothing in the set counts keys; None if nothing does."""
        counts = [o for o in ops if _counts_items(o.figure)]
        out = list(ops)
        for o in ops:
            for noun in o.figure.per - {""}:
                if noun in claim.nouns or any(noun in c.figure.nouns for c in counts):
                    continue
                if counts:
                    continue  # "10k QPS × 2 KB per response": the requests are the responses
                found = known.counting.get(noun)
                if found is None:
                    return None
                out.append(Operand(found))
            if "" in o.figure.per and not counts:
                return None  # "500 bytes each" with nothing counted
        return out

    def _judge(self, s: Sentence, claim: Figure, sets: list[list[Operand]]) -> Estimate | None:
        """Recompute a claim by every reading and keep the closest; None when no reading has its unit."""
        target = claim.quantity()
        best: Reading | None = None
        best_gap = math.inf
        for ops in sets:
            if len(ops) == 1 and ops[0].figure.units == claim.units and not ops[0].figure.power:
                continue  # one figure said again in its own unit is a repetition, not arithmetic
            for reading in self._readings(ops, claim, target):
                if reading.computed <= 0:
                    continue
                stated = self._stated(claim, target, reading)
                gap = abs(math.log(stated / reading.computed))
                if gap < best_gap:
                    best, best_gap = reading, gap
        if best is None:
            return None
        stated = self._stated(claim, target, best)
        ratio = stated / best.computed
        slip = self._slip(ratio, claim, best)
        size = max(ratio, 1 / ratio)
        status = "wrong" if slip or size >= self.wrong_from else "right" if size <= self.right_within else "rough"
        unit = unit_label(best.units)
        formula = _formula(best, unit)
        return Estimate(s.text, claim.text, stated, best.computed, unit, ratio, status, formula, slip)

    def _stated(self, claim: Figure, target: pint.Quantity, reading: Reading) -> float:
        if claim.units or not target.dimensionless:
            return float(target.to(reading.units).magnitude)
        return claim.value

    def _readings(self, ops: list[Operand], claim: Figure, target: pint.Quantity) -> list[Reading]:
        """Return the readings of one operand set that can give the claim's unit."""
        anchor = target
        if not claim.units and not claim.nouns:  # a bare claim ("≈ 35k") is in the unit of its operands
            anchor = next((o.figure.quantity() for o in ops if o.figure.units), target)
        variants: list[tuple[list[Operand], str]] = [(ops, "")]
        period = next((o.figure.period for o in ops if o.figure.period), "")
        if period and not any(_time_denominator(o.figure) for o in ops):
            # "100M DAU each making 20 requests": DAU counts users per day, so their actions are daily.
            daily = Figure(1.0, f"1 / {period}", f"per {period}", 0, 0)
            variants.append((ops + [Operand(daily)], f"users counted per {period} act each {period}"))
        conversions = [o for o in ops if self._is_conversion(o.figure)]
        if conversions:
            kept = [o for o in ops if o not in conversions]
            if kept:
                names = ", ".join(o.figure.text for o in conversions)
                variants.append((kept, f"{names} read as a unit conversion"))
            rate_unit = next((u for o in ops if (u := _time_denominator(o.figure))), None)
            bare = [o for o in conversions if o.figure.bare]
            if rate_unit and bare:
                as_time = [Operand(_with_units(o.figure, rate_unit), o.divide) if o in bare else o for o in ops]
                variants.append((as_time, ", ".join(f"{o.figure.text} read as {o.figure.text} {rate_unit}s" for o in bare)))
        unit, dims = _in_base(1.0, str(anchor.units))
        out = []
        for variant, note in variants:
            value, got = _product(variant)
            if got == dims:
                out.append(Reading(tuple(variant), value / unit, anchor.units, note))
        if not out and len(ops) >= 2:
            for k, o in enumerate(ops):
                flipped = [Operand(p.figure, not p.divide) if i == k else p for i, p in enumerate(ops)]
                value, got = _product(flipped)
                if got == dims:
                    out.append(Reading(tuple(flipped), value / unit, anchor.units))
        return out

    def _is_conversion(self, fig: Figure) -> bool:
        """Return whether a figure is one unit of time in another (365, 86,400, "12 months", "24 hours")."""
        if fig.bare:
            return any(abs(fig.value / f - 1) <= 0.1 for f in self.time_factors)
        if dimension(fig) != "[time]" or fig.value <= 1.5:
            return False
        q = fig.quantity()
        return any(abs(q.to(u).magnitude - 1) <= 0.1 for u in _LARGER_TIME)

    def _slip(self, ratio: float, claim: Figure, reading: Reading) -> str:
        """Name the unit slip a ratio points to (bits vs bytes, per day vs per second…), if any."""
        size = max(ratio, 1 / ratio)
        if size <= self.right_within:
            return ""
        figures = [claim] + [o.figure for o in reading.operands]
        for slip in self.rules.slips:
            if abs(math.log(size / slip.factor)) > math.log(1 + self.slip_tolerance):
                continue
            if slip.needs == "bit" and not any("bit" in f.units or "baud" in f.units for f in figures):
                continue
            if slip.needs == "time" and not any("[time]" in dimension(f) for f in figures):
                continue
            return slip.name
        return ""

# --------------------------------------------------------------------------- helpers


def _phrases(texts: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(sorted({tuple(_GAP_ITEM.findall(t.lower())) for t in texts}, key=len, reverse=True))


def _ends_with(items: Sequence[str], phrases: Sequence[tuple[str, ...]]) -> int:
    """Return the length of the longest phrase the items end with, or 0."""
    for p in phrases:
        if p and len(items) >= len(p) and tuple(items[-len(p) :]) == p:
            return len(p)
    return 0


def dimension(fig: Figure) -> str:
    """Return a figure's dimensionality as text ("[information] / [time]", "dimensionless")."""
    return fig.dimension


def _counts_items(fig: Figure) -> bool:
    """Return whether a figure counts things (requests, users), in total or per unit of time."""
    return not fig.factor and not fig.bare and dimension(fig) in ("dimensionless", "1 / [time]") and not fig.per


def _time_denominator(fig: Figure) -> str | None:
    """Return the time unit a rate is per ("day" for "150 GB a day"), or None."""
    for name, exp in fig.quantity().unit_items():
        if exp < 0 and str(registry().Quantity(1, name).dimensionality) == "[time]":
            return name
    return None


def _with_units(fig: Figure, unit: str) -> Figure:
    return Figure(fig.value, unit, fig.text, fig.start, fig.end)


@lru_cache(maxsize=8192)
def _in_base(value: float, units: str) -> tuple[float, tuple[tuple[str, float], ...]]:
    """Return a quantity in pint's base units: its magnitude and its dimensions as (name, exponent) pairs."""
    q = registry().Quantity(value, units) if units else registry().Quantity(value, registry().dimensionless)
    base = q.to_base_units()
    return float(base.magnitude), tuple(sorted(dict(q.dimensionality).items()))


def _product(ops: Sequence[Operand]) -> tuple[float, tuple[tuple[str, float], ...]]:
    """Multiply (or divide by) the operands in base units: the magnitude and dimensions of the result.

    pint converts each figure to base units once (cached); the product is then plain arithmetic,
    which keeps trying a dozen readings of a claim cheap.
    """
    value = 1.0
    dims: dict[str, float] = {}
    for o in ops:
        v, d = _in_base(o.figure.value, o.figure.units)
        if o.divide and not v:
            return 0.0, ()
        value = value / v if o.divide else value * v
        for name, exp in d:
            dims[name] = dims.get(name, 0.0) + (-exp if o.divide else exp)
    return value, tuple(sorted((k, v) for k, v in dims.items() if v))


def _operand_text(o: Operand) -> str:
    f = o.figure
    if f.power:
        return f.text
    if f.factor and not f.units:
        return f"× {format_value(f.value)}" if f.value >= 1 else f"{f.value:.0%}"
    return format_quantity(f.value, f.quantity().units) if f.units else format_value(f.value)


def _formula(reading: Reading, unit: str) -> str:
    """Return a reading as a formula with its result: "100M × 10/day = 11.6k/s"."""
    ops = [o for o in reading.operands if not o.divide] + [o for o in reading.operands if o.divide]
    parts = []
    for i, o in enumerate(ops):
        text = _operand_text(o)
        if o.divide:
            parts.append("÷ " + text)
        elif not i:
            parts.append(text.removeprefix("× "))
        elif not text.startswith("× "):
            parts.append("× " + text)
        else:
            parts.append(text)
    formula = " ".join(parts) + " = " + format_quantity(reading.computed, reading.units)
    return formula + (f" ({reading.note})" if reading.note else "")
