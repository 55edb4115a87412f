"""The unit registry the estimate checker computes with: pint's, with information as its own dimension."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pint

# pint defines `bit = []`, so bytes are dimensionless and "1 KB" would silently equal "1000 requests";
# with information as a dimension, 1B rows × 1 KB is bytes and never a request rate.
_INFORMATION = ("\nbit = []\n", "\nbit = [information]\n")
# Dimensions a word after a number may carry to count as a unit here; pint also knows "a" (annum),
# "in" (inch), "at" (atmosphere), "m" (metre), which in an answer are words, not units.
UNIT_DIMENSIONS = frozenset({"[time]", "[information]", "[information] / [time]", "1 / [time]"})


@lru_cache(maxsize=1)
def registry() -> pint.UnitRegistry:
    """Return the shared unit registry (pint's definitions, information as a dimension)."""
    defs = resources.files("pint")
    text = (defs / "default_en.txt").read_text(encoding="utf-8")
    text = text.replace("@import constants_en.txt", (defs / "constants_en.txt").read_text(encoding="utf-8"))
    if _INFORMATION[0] not in text:  # a pint release that changed the line: fail loudly, not subtly
        raise RuntimeError("pint's definitions no longer define `bit = []`; update interviewer/rubric/units.py")
    ureg = pint.UnitRegistry(None)
    ureg.load_definitions(text.replace(*_INFORMATION).splitlines())
    return ureg


def dimension_of(units: pint.Unit) -> str:
    """Return a unit's dimensionality as text ("[information] / [time]", "dimensionless")."""
    return str(units.dimensionality) if units.dimensionality else "dimensionless"


@lru_cache(maxsize=4096)
def parse_unit(expression: str) -> pint.Unit | None:
    """Return the pint unit an expression names, or None when pint does not know it."""
    try:
        return registry().parse_units(expression)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError, ValueError):
        return None


@lru_cache(maxsize=256)
def quantity_of(expression: str) -> pint.Quantity:
    """Return the pint quantity a rule's text gives ("20000 / second"), parsed once: pint parses an
    expression in about half a millisecond, and every answer's rubric checks every rule's limit."""
    return registry().Quantity(expression)


def unit_word(token: str) -> pint.Unit | None:
    """Return the unit a word after a number names ("terabytes", "Gbps", "hours"), if it is one of ours."""
    units = parse_unit(token)
    if units is None or dimension_of(units) not in UNIT_DIMENSIONS:
        return None
    return units
