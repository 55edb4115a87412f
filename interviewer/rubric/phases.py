"""Sentences → phases of a design interview, by cue phrases, vocabulary, patterns and the figures said.

Each sentence scores every phase: a cue ("let me clarify", "the schema", "to scale this") counts
`cue_weight` (more among the first words, where people announce a phase), a vocabulary word
`word_weight`, a pattern ("POST /urls") `pattern_weight`, and for estimates each checked claim and
load figure counts too. The best phase at `min_score` or more is the sentence's own; a sentence
below it continues the phase before it, unless it wraps up or restates the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from interviewer.rubric.cues import Hit, words_of
from interviewer.rubric.estimates import SentenceFigures, dimension
from interviewer.rubric.quantities import Figure
from interviewer.rubric.records import Phase
from interviewer.rubric.rules import Rules
from interviewer.rubric.sentences import Sentence
from interviewer.text import analyze, word_terms


@dataclass(frozen=True)
class Assignment:
    """A sentence's phase (None: no phase), its score, and whether it was the sentence's own or carried over."""

    phase: str | None
    score: float
    own: bool
    scores: tuple[tuple[str, float], ...] = ()  # every phase's score, for --explain style traces


def _is_load(fig: Figure) -> bool:
    """Return whether a figure sizes the system (a rate, bytes, or a large count), not a latency or a factor."""
    if fig.factor or fig.power:
        return False
    dim = dimension(fig)
    return "[information]" in dim or dim == "1 / [time]" or (dim == "dimensionless" and fig.value >= 1000)


def score_sentence(s: Sentence, figures: SentenceFigures, rules: Rules, hits: list[Hit] | None = None) -> dict[str, float]:
    """Return each phase's score for one sentence (`hits`: its phase phrases, when already found)."""
    st = rules.phase_settings
    scores = {p.name: 0.0 for p in rules.phases}
    hits = rules.phase_phrases.find(s.stems, s.clean) if hits is None else hits
    # The phase a sentence announces is the one its first cue names ("If the fan-out workers fall
    # behind…" announces a failure, not fan-out): only that cue gets the opening bonus.
    opening = next((h for h in hits if h.phrase.tag.startswith("cue:")), None)
    seen = set()
    for hit in hits:
        if hit.phrase in seen:
            continue  # a phrase said twice is one piece of evidence
        seen.add(hit.phrase)
        kind, phase = hit.phrase.tag.split(":", 1)
        weight = hit.phrase.weight
        if hit is opening and hit.start < int(st["opening_words"]):
            weight *= float(st["opening_bonus"])
        scores[phase] += weight
    for p in rules.phases:
        for pattern in p.patterns:
            # Two endpoints or two signatures say "API" more than one does; more adds nothing.
            scores[p.name] += float(st["pattern_weight"]) * min(2, len(set(pattern.findall(s.text))))
    if "estimates" in scores:
        loads = sum(1 for f in figures.figures if _is_load(f))
        scores["estimates"] += float(st["claim_weight"]) * figures.claims + float(st["quantity_weight"]) * loads
    return scores


def assign_phases(sentences: Sequence[Sentence], figures: Sequence[SentenceFigures], rules: Rules,
                  prompt: str = "") -> list[Assignment]:
    """Give each sentence a phase (or none), carrying the current phase over sentences that show none."""
    st = rules.phase_settings
    min_score = float(st["min_score"])
    prompt_terms = set(analyze(prompt)) | {t for v in st.get("opening_verbs", ()) for t in analyze(v)}
    order = {p.name: i for i, p in enumerate(rules.phases)}
    out: list[Assignment] = []
    current: str | None = None
    for s, sf in zip(sentences, figures):
        hits = rules.phase_phrases.find(s.stems, s.clean)
        scores = score_sentence(s, sf, rules, hits)
        if current is not None:
            # Phases come in blocks: a sentence as much about the next phase as the current one stays.
            scores[current] += float(st["continuity_bonus"])
        best = max(scores, key=lambda name: (scores[name], -order[name]))
        trace = tuple(sorted(((k, round(v, 2)) for k, v in scores.items() if v), key=lambda kv: -kv[1]))
        if _aside(s, rules, prompt_terms, hits):
            out.append(Assignment(None, scores[best], False, trace))
        elif scores[best] >= min_score:
            current = best
            out.append(Assignment(best, scores[best], True, trace))
        else:
            out.append(Assignment(current if st.get("continue_phase", True) else None, scores[best], False, trace))
    return out


def _aside(s: Sentence, rules: Rules, prompt_terms: set[str], hits: list[Hit]) -> bool:
    """Return whether a sentence wraps up ("that's my design") or restates the task ("Let me design a URL shortener")."""
    st = rules.phase_settings
    if rules.wrap_up.find(s.stems, s.clean):
        return True
    terms = [t for w in words_of(s.clean) for t in word_terms(w.text)]  # analyze(), on the words already read
    if not terms:
        return True
    share = sum(1 for t in terms if t in prompt_terms) / len(terms)
    if share >= float(st["prompt_overlap"]):
        return True
    if s.index:
        return False
    # An answer opens by naming what it designs; a first sentence that announces a phase is no opening.
    opening_cue = any(h.phrase.tag.startswith("cue:") and h.start < int(st["opening_words"]) for h in hits)
    first = {t for w in s.clean.split()[: int(st["opening_names"])] for t in analyze(w)}
    return bool(first & prompt_terms) and not opening_cue


def phase_results(sentences: Sequence[Sentence], assignments: Sequence[Assignment], rules: Rules,
                  kind: str) -> tuple[Phase, ...]:
    """Summarise the assignments per phase: covered, share of words, order of first appearance, evidence."""
    expected = set(rules.kinds[kind].expected)
    total = sum(s.words for s in sentences) or 1
    first: dict[str, int] = {}
    for i, a in enumerate(assignments):
        if a.phase is not None and a.phase not in first:
            first[a.phase] = i
    rank = {name: r + 1 for r, name in enumerate(sorted(first, key=first.get))}
    out = []
    for p in rules.phases:
        mine = [(s, a) for s, a in zip(sentences, assignments) if a.phase == p.name]
        covered = bool(mine)
        evidence = ""
        if mine:
            s, _ = max(mine, key=lambda sa: (sa[1].own, sa[1].score, -sa[0].index))
            evidence = s.text
        out.append(Phase(
            name=p.name,
            title=p.title,
            covered=covered,
            share=sum(s.words for s, _ in mine) / total,
            order=rank.get(p.name),
            evidence=evidence,
            expected=p.name in expected,
            nudge=p.nudge if (p.name in expected and not covered) else "",
        ))
    return tuple(out)


def order_agreement(phases: Sequence[Phase], canonical: Sequence[str]) -> float:
    """Return the share of pairs of covered phases that appear in the usual interview order (0 with fewer than two)."""
    seen = [p for p in phases if p.covered and p.name in canonical]
    pairs = [(a, b) for i, a in enumerate(seen) for b in seen[i + 1 :]]
    if not pairs:
        return 0.0
    pos = {name: i for i, name in enumerate(canonical)}
    agree = sum(1 for a, b in pairs if (pos[a.name] < pos[b.name]) == (a.order < b.order))
    return agree / len(pairs)
