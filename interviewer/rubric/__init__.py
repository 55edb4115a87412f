"""The system-design rubric: how an open, scenario or design answer drives the design, with no language model.

    rubric = rubric_for(answer, prompt="Design a URL shortener", kind="design")
    rubric.to_dict()          # {phases, estimates, capacity, signals, score, verdict, verdict_note, nudges}
    print(format_rubric(rubric))      # the terminal block; rubric_markdown(rubric) for exports

Four steps, each a module, all rules in data/rubric.toml:

1. sentences.py — the answer as sentences, each cleaned of fillers by the one text pipeline;
2. estimates.py (quantities.py, units.py, display.py) — figures with their units (pint), arithmetic
   claims recomputed from the answer's own figures, unit slips named; capacity.py — choices the
   numbers contradict ("a single Postgres" for 1M writes/s);
3. phases.py — each sentence's phase (requirements, estimates, API, data model, high-level design,
   deep dive, trade-offs & failure modes): covered, share of words, order, the sentence that shows it;
4. signals.py — level signals (requirements, numbers, options compared, failures, cost & evolution)
   at junior / mid / senior / staff with the answer's own sentences, and a practice verdict
   (strong / solid / borderline / not yet) — a practice heuristic, never a hiring decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from interviewer.errors import InputError
from interviewer.rubric.capacity import capacity_notes
from interviewer.rubric.estimates import EstimateChecker
from interviewer.rubric.phases import assign_phases, phase_results
from interviewer.rubric.records import CapacityNote, Estimate, Phase, Rubric, Signal
from interviewer.rubric.render import format_rubric, rubric_markdown
from interviewer.rubric.rules import Rules, default_rules, parse_rules
from interviewer.rubric.sentences import split_sentences
from interviewer.rubric.signals import Evidence, level_signals, verdict_of

# The question kinds a rubric is made for (choice, probe and concept answers are not designs).
RUBRIC_KINDS = ("design", "scenario", "open")

__all__ = [
    "RUBRIC_KINDS",
    "CapacityNote",
    "Estimate",
    "Phase",
    "Rubric",
    "Rules",
    "Signal",
    "default_rules",
    "format_rubric",
    "parse_rules",
    "phase_trace",
    "rubric_for",
    "rubric_markdown",
]

_CHECKERS: dict[int, EstimateChecker] = {}


@dataclass(frozen=True)
class TraceRow:
    """One sentence as the rubric read it: where it is, its phase, and every phase's score."""

    start: int
    end: int
    text: str
    phase: str | None
    own: bool  # the sentence's own phase (False: carried over from the sentence before, or none)
    scores: tuple[tuple[str, float], ...]


def _checker(rules: Rules) -> EstimateChecker:
    """Return the estimate checker of a set of rules (built once; the shipped rules are the usual case)."""
    checker = _CHECKERS.get(id(rules))
    if checker is None or checker.rules is not rules:
        if len(_CHECKERS) >= 8:
            _CHECKERS.clear()  # rules made on the fly (tests, experiments) must not pile up
        checker = _CHECKERS[id(rules)] = EstimateChecker(rules)
    return checker


def phase_trace(answer: str, prompt: str = "", rules: Rules | None = None) -> list[TraceRow]:
    """Return how each sentence of an answer was read: its span, phase and phase scores."""
    rules = rules or default_rules()
    sentences = split_sentences(answer, rules)
    _, figures = _checker(rules).check(sentences)
    return [TraceRow(s.start, s.start + len(s.text), s.text, a.phase, a.own, a.scores)
            for s, a in zip(sentences, assign_phases(sentences, figures, rules, prompt))]


def rubric_for(answer: str, prompt: str = "", kind: str = "design", rules: Rules | None = None) -> Rubric:
    """Grade how an answer drives a design: phases, estimates, level signals and a practice verdict."""
    if not isinstance(answer, str) or not isinstance(prompt, str):
        raise InputError("the answer and the prompt must be text")
    rules = rules or default_rules()
    if kind not in rules.kinds:
        raise InputError(f"no design rubric for {kind!r} answers (kinds: {', '.join(rules.kinds)})")
    checker = _checker(rules)
    sentences = split_sentences(answer, rules)
    estimates, figures = checker.check(sentences)
    capacity = capacity_notes(sentences, figures, rules)
    assignments = assign_phases(sentences, figures, rules, prompt)
    phases = phase_results(sentences, assignments, rules, kind)
    signals = level_signals(Evidence(sentences, assignments, figures, phases, estimates), rules)
    score, verdict = verdict_of(phases, signals, estimates, rules, kind)
    nudges = [p.nudge for p in phases if p.nudge]
    first = next((p for p in phases if p.order == 1), None)
    requirements = next((p for p in phases if p.name == "requirements"), None)
    if requirements is not None and requirements.covered and requirements.expected and first is not requirements:
        nudges.append(str(rules.phase_settings["order_nudge"]))
    return Rubric(kind, phases, tuple(estimates), tuple(capacity), signals, score, verdict,
                  str(rules.verdict["note"]), tuple(nudges))
