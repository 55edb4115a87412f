"""The rubric's rules, read from data/rubric.toml into named, frozen records (compiled once)."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

from interviewer.vocabulary import SynonymTable, default_synonyms
from interviewer.rubric.cues import Phrase, PhraseSet, compile_patterns, compile_phrases, stems_of

_DATA = resources.files("interviewer") / "data"


@dataclass(frozen=True)
class PhaseRule:
    """One phase of a design answer: its cues, vocabulary and patterns, and the nudge when it is missing."""

    name: str
    title: str
    nudge: str
    patterns: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class Tier:
    """One rung of a level signal and the conditions (all must hold) that reach it."""

    level: str
    next: str
    phases: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()  # tags of phrase groups (in Rules.signal_phrases); each must match in scope
    within: tuple[str, ...] = ()  # the phases whose sentences are in scope (empty: all)
    quantities: int = 0
    claims: int = 0
    no_wrong: bool = False
    with_numbers: bool = False


@dataclass(frozen=True)
class SignalRule:
    """A level signal: a pattern interviewers use to tell levels apart, as tiers."""

    name: str
    title: str
    tiers: tuple[Tier, ...]


@dataclass(frozen=True)
class CapacityRule:
    """A rule of thumb: one component named for a load above `limit` is worth a note."""

    name: str
    choice: str
    choices: PhraseSet
    measures: frozenset[str]  # noun stems of the figures that load it
    any_rate: bool
    bytes: bool
    limit: str  # a pint quantity ("20000 / second")
    note: str


@dataclass(frozen=True)
class KindRule:
    """What one kind of answer (design, scenario, open) is expected to show, and how its verdict is weighed."""

    name: str
    expected: tuple[str, ...]  # phases
    signals: tuple[str, ...]  # signals the verdict counts
    weights: Mapping[str, float]  # phases, order, signals, wrong


@dataclass(frozen=True)
class Slip:
    """A unit slip: a ratio near `factor` with the units `needs` names in play ("bit", "time", "")."""

    factor: float
    needs: str
    name: str


@dataclass(frozen=True)
class Rules:
    """Everything the rubric reads from its TOML file."""

    phases: tuple[PhaseRule, ...]
    phase_phrases: PhraseSet
    phase_settings: Mapping[str, Any]
    wrap_up: PhraseSet
    kinds: Mapping[str, KindRule]
    sentences: Mapping[str, Any]
    split_before: PhraseSet  # discourse markers a dictated run is cut before
    numbers: Mapping[str, Any]
    units: Mapping[str, Any]
    estimates: Mapping[str, Any]
    slips: tuple[Slip, ...]
    capacity: tuple[CapacityRule, ...]
    negations: PhraseSet
    capacity_window: int
    signals: tuple[SignalRule, ...]
    signal_phrases: PhraseSet  # every tier's cue groups, tagged "signal:level:group"
    levels: tuple[str, ...]
    verdict: Mapping[str, Any]


def _need(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ValueError(f"the rubric rules lack {key!r} in {where}")
    return table[key]


def _phase_phrases(raw: list[Mapping[str, Any]], settings: Mapping[str, Any], synonyms: SynonymTable) -> list[Phrase]:
    """Compile every phase's cues (strong) and vocabulary (weak; widened by the grader's synonyms)."""
    out: list[Phrase] = []
    for p in raw:
        name = p["name"]
        out += compile_phrases(p.get("cues", ()), f"cue:{name}", float(settings["cue_weight"]))
        vocabulary = list(p.get("words", ()))
        for w in p.get("words", ()):
            vocabulary += synonyms.wordings(w)
        out += compile_phrases(vocabulary, f"word:{name}", float(settings["word_weight"]))
    return out


def _tiers(signal: Mapping[str, Any], levels: tuple[str, ...], phases: set[str],
           phrases: list[Phrase]) -> tuple[Tier, ...]:
    tiers = []
    for t in _need(signal, "tiers", f"signal {signal.get('name')!r}"):
        level = _need(t, "level", f"a tier of signal {signal['name']!r}")
        if level not in levels:
            raise ValueError(f"signal {signal['name']!r}: unknown level {level!r} (levels: {', '.join(levels)})")
        named = set(t.get("phases", ())) | set(t.get("within", ()))
        if named - phases:
            raise ValueError(f"signal {signal['name']!r}: unknown phase(s) {', '.join(sorted(named - phases))}")
        tags = tuple(f"{signal['name']}:{level}:{i}" for i in range(len(t.get("needs", ()))))
        for tag, group in zip(tags, t.get("needs", ())):
            phrases += compile_phrases(group, tag)
        tiers.append(Tier(
            level=level,
            next=t.get("next", ""),
            phases=tuple(t.get("phases", ())),
            needs=tags,
            within=tuple(t.get("within", ())),
            quantities=int(t.get("quantities", 0)),
            claims=int(t.get("claims", 0)),
            no_wrong=bool(t.get("no_wrong", False)),
            with_numbers=bool(t.get("with_numbers", False)),
        ))
    return tuple(tiers)


def parse_rules(text: str, synonyms: SynonymTable | None = None) -> Rules:
    """Read rubric rules from TOML text (the shipped file, or a variant in tests)."""
    data = tomllib.loads(text)
    synonyms = synonyms if synonyms is not None else default_synonyms()
    settings = _need(data, "phase_scoring", "the file")
    raw_phases = _need(data, "phases", "the file")
    phases = tuple(
        PhaseRule(_need(p, "name", "a phase"), p.get("title", p["name"]), p.get("nudge", ""),
                  compile_patterns(p.get("patterns", ())))
        for p in raw_phases
    )
    names = {p.name for p in phases}
    verdict = _need(data, "verdict", "the file")
    levels = tuple(_need(verdict, "levels", "[verdict]"))
    capacity = _need(data, "capacity", "the file")
    estimates = _need(data, "estimates", "the file")
    signal_phrases: list[Phrase] = []
    signals = tuple(
        SignalRule(s["name"], s.get("title", s["name"]), _tiers(s, levels, names, signal_phrases))
        for s in _need(data, "signals", "the file")
    )
    kinds = {}
    for kind, v in _need(data, "kinds", "the file").items():
        k = KindRule(kind, tuple(_need(v, "expected", f"kind {kind!r}")), tuple(_need(v, "signals", f"kind {kind!r}")),
                     {w: float(_need(v["weights"], w, f"kind {kind!r} weights")) for w in ("phases", "order", "signals", "wrong")})
        unknown = (set(k.expected) - names) | (set(k.signals) - {s.name for s in signals})
        if unknown:
            raise ValueError(f"kind {kind!r} names unknown phase(s) or signal(s): {', '.join(sorted(unknown))}")
        kinds[kind] = k
    return Rules(
        phases=phases,
        phase_phrases=PhraseSet(_phase_phrases(raw_phases, settings, synonyms)),
        phase_settings=settings,
        wrap_up=PhraseSet(compile_phrases(settings.get("wrap_up", ()), "wrap_up")),
        kinds=kinds,
        sentences=_need(data, "sentences", "the file"),
        split_before=PhraseSet(compile_phrases(data["sentences"].get("split_before", ()), "split")),
        numbers=_need(data, "numbers", "the file"),
        units=_need(data, "units", "the file"),
        estimates=estimates,
        slips=tuple(Slip(float(s["factor"]), s.get("needs", ""), s["name"]) for s in estimates.get("slips", ())),
        capacity=tuple(
            CapacityRule(
                name=r["name"], choice=r.get("choice", r["name"]),
                choices=PhraseSet(compile_phrases(r["choices"], r["name"])),
                measures=frozenset(s for m in r.get("measures", ()) for s in stems_of(m)),
                any_rate=bool(r.get("any_rate", False)), bytes=bool(r.get("bytes", False)),
                limit=r["limit"], note=r.get("note", ""),
            )
            for r in capacity.get("rules", ())
        ),
        negations=PhraseSet(compile_phrases(capacity.get("negations", ()), "negation")),
        capacity_window=int(capacity.get("window", 1)),
        signals=signals,
        signal_phrases=PhraseSet(signal_phrases),
        levels=levels,
        verdict=verdict,
    )


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """Return the shipped rules (data/rubric.toml), read once."""
    return parse_rules((_DATA / "rubric.toml").read_text(encoding="utf-8"))
