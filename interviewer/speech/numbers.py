"""Numbers said and written: 10000 ↔ "ten thousand", 99.9 ↔ "ninety nine point nine"."""

from __future__ import annotations

from typing import Sequence

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
        "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
# Past this a digit string is read digit by digit (an id, a port, a phone number).
LONGEST_CARDINAL = 10**15

_UNITS = {w: i for i, w in enumerate(ONES)}
_TENS = {w: i * 10 for i, w in enumerate(TENS) if w}
_SCALES = {w: v for v, w in SCALES}
NUMBER_WORDS = frozenset(_UNITS) | frozenset(_TENS) | frozenset(_SCALES) | {"hundred"}


def say_integer(n: int) -> list[str]:
    """Return the words of a whole number as an English speaker says it (no "and")."""
    if n < 0:
        return ["minus", *say_integer(-n)]
    if n >= LONGEST_CARDINAL:
        return [ONES[int(d)] for d in str(n)]
    if n < 20:
        return [ONES[n]]
    if n < 100:
        return [TENS[n // 10]] + ([ONES[n % 10]] if n % 10 else [])
    if n < 1000:
        return [ONES[n // 100], "hundred"] + (say_integer(n % 100) if n % 100 else [])
    for value, name in SCALES:
        if n >= value:
            rest = n % value
            return say_integer(n // value) + [name] + (say_integer(rest) if rest else [])
    raise AssertionError("unreachable")


def say_number(written: str) -> list[str]:
    """Return the words of a written number: "10,000" → ten thousand, "99.9" → … point nine,
    "007" → zero zero seven."""
    whole, _, frac = written.replace(",", "").partition(".")
    if not whole.isdigit() and whole:
        raise ValueError(f"not a number: {written!r}")
    if len(whole) > 1 and whole.startswith("0"):
        out = [ONES[int(d)] for d in whole]
    else:
        out = say_integer(int(whole)) if whole else ["zero"]
    if frac:
        out += ["point", *(ONES[int(d)] for d in frac)]
    return out


def read_integer(said: Sequence[str]) -> tuple[int, int] | None:
    """Read a whole number from the start of `said`; return (value, words used), or None.

    "ten thousand five hundred" → (10500, 4); "ninety nine" → (99, 2); "one two" → (1, 1): digits
    said one after another are separate numbers.
    """
    total, current, used, last = 0, 0, 0, None  # last: the kind of the previous word
    smallest_scale = None  # "thousand" may follow "million", never the other way round
    for word in said:
        if word in _UNITS:
            if last in ("unit", "teen") or (last == "tens" and _UNITS[word] >= 10):
                break
            current += _UNITS[word]
            last = "teen" if _UNITS[word] >= 10 else "unit"
        elif word in _TENS:
            if last in ("unit", "teen", "tens"):
                break
            current += _TENS[word]
            last = "tens"
        elif word == "hundred":
            if last not in ("unit", "teen", "tens") or current >= 100:
                break
            current *= 100
            last = "hundred"
        elif word in _SCALES:
            scale = _SCALES[word]
            if last in (None, "scale") or (smallest_scale is not None and scale >= smallest_scale):
                break
            total += current * scale
            smallest_scale = scale
            current = 0
            last = "scale"
        else:
            break
        used += 1
    if not used:
        return None
    return total + current, used
