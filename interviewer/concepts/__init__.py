"""The concept inventory (build time): one list of what the notes teach, behind grading, look-ups,
follow-ups and progress. See inventory.py for how it is built and rules.py (with
data/concept_rules.toml) for the named rules that keep or drop a candidate."""

from interviewer.concepts.inventory import Build, Inventory, build_inventory

__all__ = ["Build", "Inventory", "build_inventory"]
