"""`interviewer concepts --explain QUESTION_ID`: every candidate of a question, with the rule that kept or
dropped it, and the concepts the question was given."""

from __future__ import annotations

from dataclasses import dataclass

from interviewer.concepts import definitions
from interviewer.concepts.inventory import Inventory, group_key, key_text
from interviewer.concepts.phrases import phrases, sentences
from interviewer.concepts.rules import judge
from interviewer.concepts.sources import probe_items
from interviewer.lexicon import find_acronyms
from interviewer.markdown import blocks
from interviewer.records import Question


@dataclass(frozen=True)
class Decision:
    """What became of one candidate: its text and source, what it was named, and by which rule."""

    text: str
    source: str
    outcome: str  # "concept" | "dropped"
    rule: str  # the rule that dropped it, or the one that last changed it ("kept" when none did)
    concept: str = ""  # the inventory id it became

    def line(self) -> str:
        if self.outcome == "concept":
            how = f" (after {self.rule})" if self.rule != "kept" else ""
            return f"  kept     {self.text!r} [{self.source}] → {self.concept}{how}"
        return f"  dropped  {self.text!r} [{self.source}] — {self.rule}"


def decisions(q: Question, inventory: Inventory) -> list[Decision]:
    """Trace every candidate of a question's model answer (a probe: of its line) through the rules."""
    out: list[Decision] = []
    seen: set[tuple[str, str]] = set()
    for text, source in _candidates(q):
        if (text, source) in seen:
            continue
        seen.add((text, source))
        verdict = judge(text, source, inventory.synonyms)
        if not verdict.labels:
            out.append(Decision(text, source, "dropped", verdict.deciding))
            continue
        changed = verdict.steps[-1].rule if verdict.steps else "kept"
        for label in verdict.labels:
            concept = inventory.named(label.text)
            if concept is not None:
                out.append(Decision(label.text, source, "concept", changed, concept.id))
                continue
            dropped = inventory.dropped.get(key_text(group_key(label.text, inventory.synonyms)))
            if dropped:
                rule = dropped[1]
            elif source == "phrase":
                rule = "recurs"  # a phrase of running text that no other section uses
            else:
                rule = "not in the inventory (only inside a longer name)"
            out.append(Decision(label.text, source, "dropped", rule))
    return out


def _candidates(q: Question) -> list[tuple[str, str]]:
    """Return the candidates a question's text offers, as the inventory's sources name them."""
    if q.kind == "probe" and q.focus:
        return [(item, "probe") for item, _ in probe_items(q.focus)]
    out: list[tuple[str, str]] = []
    for b in blocks(q.reference):
        if b.kind == "code":
            continue
        if b.kind == "heading":
            out.append((b.text, "heading"))
            continue
        out += [(span, "emphasis") for span in b.emphasis]
        out += [(long, "acronym") for _, long in find_acronyms(b.text)]
        for a, z in sentences(b.text):
            out += [(ph.text, "phrase") for ph in phrases(b.text[a:z])]
    return out


def explain(q: Question, inventory: Inventory) -> str:
    """Return the `--explain` report of a question: its candidates' fates, then its concepts."""
    lines = [f"{q.id} ({q.kind}, {q.topic}) — {q.prompt.splitlines()[0][:120]}",
             f"source: {q.source.doc}, line {q.source.line}", "", "candidates:"]
    lines += [d.line() for d in decisions(q, inventory)]
    lines += ["", "concepts (weight · id · label — the sentence that explains it):"]
    for c in q.concepts:
        where = f" ({c.source.doc}, line {c.source.line})" if c.source else ""
        said = f" — {definitions.clip(c.evidence, 16)}{where}" if c.evidence else " — not in the notes"
        lines.append(f"  {c.weight:.2f} · {c.id} · {c.label}{said}")
    return "\n".join(lines)
