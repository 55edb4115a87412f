"""Figures for people: short unit labels ("/s", "TB/day") and values the way they are said ("11.6k")."""

from __future__ import annotations

from functools import lru_cache

import pint

from interviewer.rubric.units import registry

_SHORT_TIME = {"second": "s", "millisecond": "ms", "minute": "min", "hour": "h", "day": "day", "week": "week",
               "month": "month", "year": "year"}


def unit_label(units: pint.Unit) -> str:
    """Return a short label for units: "/s", "TB/day", "Mbit/s", "" for a plain count."""
    return _label(str(units))


@lru_cache(maxsize=1024)
def _label(units: str) -> str:
    up, down = [], []
    for name, exp in registry().Quantity(1, units).unit_items():
        label = _SHORT_TIME.get(name) or registry().get_symbol(name)
        label += f"^{exp:g}" if abs(exp) != 1 else ""
        (up if exp > 0 else down).append(label.replace("^-", "^"))
    return "·".join(up) + ("/" + "·".join(down) if down else "")


def format_value(x: float) -> str:
    """Return a figure the way people say it: 11.6k, 1.2M, 3.5T, 0.13."""
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.3g}"


def format_quantity(value: float, units: pint.Unit) -> str:
    """Return a quantity for people: "11.6k/s", "1 TB" (not "0.001 PB"), "9.13 PB", "250k"."""
    return _quantity_text(value, str(units))


@lru_cache(maxsize=4096)
def _quantity_text(value: float, units: str) -> str:
    q = registry().Quantity(value, units)
    if "[information]" in str(q.dimensionality) and value:
        q = q.to_compact()
    label = _label(str(q.units))
    return format_value(float(q.magnitude)) + (" " if label and not label.startswith("/") else "") + label
