"""Level signals (the patterns that tell junior, mid, senior and staff answers apart) and the practice verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from interviewer.rubric.estimates import SentenceFigures
from interviewer.rubric.phases import Assignment, _is_load, order_agreement
from interviewer.rubric.records import Estimate, Phase, Signal
from interviewer.rubric.rules import Rules, SignalRule, Tier
from interviewer.rubric.sentences import Sentence


@dataclass(frozen=True)
class Evidence:
    """What the signals read: the sentences with their phases and figures, the phases and the checked claims."""

    sentences: Sequence[Sentence]
    assignments: Sequence[Assignment]
    figures: Sequence[SentenceFigures]
    phases: Sequence[Phase]
    estimates: Sequence[Estimate]


@dataclass(frozen=True)
class _Read:
    """The evidence read once for every tier: each sentence's cue tags, and the sentences with load figures."""

    ev: Evidence
    tags: tuple[frozenset[str], ...]
    loads: tuple[Sentence, ...]  # one entry per load figure, in order


def level_signals(ev: Evidence, rules: Rules) -> tuple[Signal, ...]:
    """Return each signal at the highest tier the answer reaches (tiers count only in order)."""
    read = _Read(
        ev,
        tuple(frozenset(h.phrase.tag for h in rules.signal_phrases.find(s.stems, s.clean)) for s in ev.sentences),
        tuple(s for s, sf in zip(ev.sentences, ev.figures) for f in sf.figures if _is_load(f)),
    )
    return tuple(_signal(rule, read, rules) for rule in rules.signals)


def _signal(rule: SignalRule, ev: _Read, rules: Rules) -> Signal:
    level, evidence = rules.levels[0], ""
    for tier in rule.tiers:
        met, quote = _tier_met(tier, ev)
        if not met:
            return Signal(rule.name, rule.title, level, evidence, tier.next)
        level, evidence = tier.level, quote or evidence
    return Signal(rule.name, rule.title, level, evidence, "")


def _tier_met(tier: Tier, read: _Read) -> tuple[bool, str]:
    """Return whether every condition of a tier holds, and the sentence that shows it."""
    ev = read.ev
    quote = ""
    covered = {p.name: p for p in ev.phases if p.covered}
    for name in tier.phases:
        if name not in covered:
            return False, ""
        quote = covered[name].evidence
    if tier.quantities:
        if len(read.loads) < tier.quantities:
            return False, ""
        quote = read.loads[0].text
    if tier.claims:
        if len(ev.estimates) < tier.claims:
            return False, ""
        quote = next((e.text for e in ev.estimates if e.status == "right"), ev.estimates[0].text)
    if tier.no_wrong and any(not e.ok for e in ev.estimates):
        return False, ""
    scope = [s for s, a in zip(ev.sentences, ev.assignments) if not tier.within or a.phase in tier.within]
    if tier.with_numbers:
        with_figures = {s.index for s in read.loads}
        scope = [s for s in scope if s.index in with_figures]
    for i, tag in enumerate(tier.needs):
        found = next((s for s in scope if tag in read.tags[s.index]), None)
        if found is None:
            return False, ""
        quote = quote if i and quote else found.text
    return True, quote


def verdict_of(phases: Sequence[Phase], signals: Sequence[Signal], estimates: Sequence[Estimate], rules: Rules,
               kind: str) -> tuple[float, str]:
    """Return the practice score (0..1) and its band: strong, solid, borderline or not yet."""
    k = rules.kinds[kind]
    w = k.weights
    expected = [p for p in phases if p.expected]
    coverage = sum(p.covered for p in expected) / len(expected) if expected else 0.0
    order = order_agreement(phases, [p.name for p in rules.phases])
    top = len(rules.levels) - 1
    counted = [s for s in signals if s.name in k.signals]
    level = sum(rules.levels.index(s.level) for s in counted) / (top * len(counted)) if counted and top else 0.0
    wrong = sum(1 for e in estimates if not e.ok)
    score = w["phases"] * coverage + w["order"] * order + w["signals"] * level - w["wrong"] * wrong
    score = max(0.0, min(1.0, score))
    band = next(b["verdict"] for b in rules.verdict["bands"] if score >= float(b["floor"]))
    return score, band
