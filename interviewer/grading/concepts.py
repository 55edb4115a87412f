"""Concepts from a reference answer: key terms and phrases, weighted, each with the sentence that explains it.

After ETS c-rater: a model answer is a list of concepts, each with alternative wordings. The reference
is read once and its candidates collected (candidates.py), weighed and chosen (selection.py); a probe
line names its topics itself. A concept must be something an interviewer would name: a single word
only as a term of the trade, no example values, verbs or page labels (labels.py).
"""

from __future__ import annotations

import re
from typing import Callable, Mapping

from interviewer.errors import GradingError
from interviewer.grading.aliases import SynonymTable, acronym_pairs, concept_aliases, default_synonyms, terms_of
from interviewer.grading.candidates import Candidate, collect_candidates, read_reference, sentence_ids_of, settler
from interviewer.grading.reference import SENTENCE_SPLIT, Sentence, split_reference, strip_markup
from interviewer.grading.rules import probe_lead_ins, probe_separators, rules, tunables
from interviewer.grading.selection import evidence_for, select, sentence_counts, term_weigher
from interviewer.lexicon import Lexicon
from interviewer.records import Concept, Question
from interviewer.text import analyze

CONCEPT_DEFAULTS: dict[str, float] = tunables("concepts") | tunables("weights")

__all__ = [
    "CONCEPT_DEFAULTS", "concepts_for", "extract_concepts", "probe_concepts", "require_concepts", "sentence_counts",
    "split_reference", "term_weigher",
]


def extract_concepts(
    reference: str,
    lexicon: Lexicon | None = None,
    *,
    question: str | None = None,
    synonyms: SynonymTable | None = None,
    **settings: float,
) -> tuple[Concept, ...]:
    """Return the weighted concepts of a reference answer, each with the sentence that explains it."""
    opts = CONCEPT_DEFAULTS | settings
    synonyms = synonyms if synonyms is not None else default_synonyms()
    reading = read_reference(reference or "", question, synonyms)
    found = collect_candidates(reading, synonyms, opts)
    return _finish(
        found, reading.sentences, reading.terms, lexicon, question, synonyms, opts,
        on_subject=reading.on_subject, sentence_ids=reading.sentence_ids, acronyms=reading.acronyms,
        settle=settler(reading, synonyms, reference or "", opts), question_raw=reading.question_terms,
    )


def _finish(
    found: dict[tuple[str, ...], Candidate],
    sentences: list[Sentence],
    sentence_terms: list[frozenset[str]],
    lexicon: Lexicon | None,
    question: str | None,
    synonyms: SynonymTable,
    opts: Mapping[str, float],
    explain: bool = True,
    on_subject: frozenset[int] = frozenset(),
    sentence_ids: Mapping[str, set[int]] | None = None,
    acronyms: list[list[tuple[str, str]]] | None = None,
    settle: Callable[[Candidate], str] | None = None,
    question_raw: tuple[str, ...] | None = None,
) -> tuple[Concept, ...]:
    """Choose the concepts among the candidates (terms of the trade first) and give each its aliases and evidence."""
    raw = question_raw if question_raw is not None else terms_of(question or "")
    question_terms = frozenset(synonyms.canonical(raw)) | frozenset(raw)
    ids = sentence_ids if sentence_ids is not None else sentence_ids_of(sentence_terms)
    weight = term_weigher(lexicon, question_terms, opts, {t: len(v) for t, v in ids.items()})
    emphasised = frozenset(t for c in found.values() if c.emphasis > 1.0 for t in c.key)
    want = min(int(opts["min_concepts"]), int(opts["max_concepts"]))
    settle = settle or (lambda c: c.standing or "trade")
    chosen = select(
        {k: c for k, c in found.items() if c.standing != "generic"},
        sentences, weight, sentence_terms, emphasised, synonyms.vocabulary, opts, on_subject, ids,
        admit=lambda c: settle(c) == "trade",
    )
    if len(chosen) < want:
        # Too few terms of the trade (a one-line answer in plain words): its plain words stand in,
        # ranked below the terms of the trade it has; its everyday words only when nothing else can.
        for cand in found.values():
            settle(cand)
        for stage in (("trade", "plain"), ("trade", "plain", "generic")):
            if not any(c.standing == stage[-1] for c in found.values()) or (stage[-1] == "generic" and chosen):
                continue
            pool = {k: c for k, c in found.items() if c.standing in stage}
            chosen = select(pool, sentences, weight, sentence_terms, emphasised, synonyms.vocabulary, opts, on_subject, ids)
            if len(chosen) >= want:
                break
    if not chosen:
        return ()
    top = max(imp for _, imp in chosen)
    local = {}
    for pairs in acronyms if acronyms is not None else (acronym_pairs(s.text) for s in sentences):
        local.update(dict(pairs))
    out = []
    for cand, imp in chosen:
        aliases = list(cand.aliases)
        for a in concept_aliases(cand.label, lexicon=lexicon, local=local, synonyms=synonyms):
            if a not in aliases:
                aliases.append(a)
        if explain:
            evidence = evidence_for(cand, sentences, sentence_terms, int(opts["min_evidence_words"]))
        else:
            evidence = sentences[cand.sentence].text if cand.sentence < len(sentences) else ""
        out.append(Concept(cand.label, tuple(aliases[:8]), round(imp / top, 3), evidence))
    return tuple(out)


_PROBE_ITEMS = re.compile(r"\s*[,;]\s*")
_PROBE_LEAD = re.compile(r"(?i)^(?:and|or|plus|as\s+well\s+as|including|the|a|an|how|when|what|why|to)\s+")


def probe_concepts(
    reference: str,
    lexicon: Lexicon | None = None,
    *,
    question: str | None = None,
    synonyms: SynonymTable | None = None,
    **settings: float,
) -> tuple[Concept, ...]:
    """Return the topics a probe line names ("Probes your knowledge of X, Y, and Z.") as concepts."""
    opts = CONCEPT_DEFAULTS | settings
    synonyms = synonyms if synonyms is not None else default_synonyms()
    text = strip_markup(reference.replace("\n", " "))
    sentences = [Sentence(p.strip(), i) for i, p in enumerate(SENTENCE_SPLIT.split(text)) if p.strip()]
    found: dict[tuple[str, ...], Candidate] = {}
    secondary = rules()["probe"]["secondary_weight"]
    for s in sentences:
        body, lead = s.text, None
        for pattern in probe_lead_ins():
            m = pattern.match(body)
            if m:
                body, lead = body[m.end() :], m.group(0)
                break
        topic_weight = secondary if lead and re.match(r"(?i)expect|look", lead) else 1.0
        # "(write-through, write-behind, cache-aside)" names examples of the topic before it: any
        # of them shows the topic, so they become its aliases.
        inner: list[str] = []

        def hide(m: re.Match[str]) -> str:
            inner.append(m.group(1))
            return f" \0{len(inner) - 1}\0 "

        body = re.sub(r"\(([^()]*)\)", hide, body)
        # A comma list names one topic per item; "and" inside an item joins the words of one topic
        # ("conflict detection and resolution", "correlating business and technical metrics").
        items = [p for p in _PROBE_ITEMS.split(body.rstrip(".")) if p.strip()]
        parts = items if len(items) > 1 else probe_separators().split(body.rstrip("."))
        for part in parts:
            examples = [inner[int(i)] for i in re.findall(r"\0(\d+)\0", part)]
            label = re.sub(r"\s*\0\d+\0\s*", " ", part).strip(" .;:")
            while _PROBE_LEAD.match(label):
                label = _PROBE_LEAD.sub("", label, count=1)
            aliases = [a.strip() for e in examples for a in re.split(r",|;|/|\bor\b|\band\b", e) if a.strip()]
            if not analyze(label) and aliases:
                label, aliases = aliases[0], aliases[1:]
            key = synonyms.canonical(tuple(analyze(label)))
            if not key or key in found or len(label.split()) > 8:
                continue
            found[key] = Candidate(key, label, s.index, 1.0, False, aliases, topic_weight)
    if not found:
        return extract_concepts(reference, lexicon, question=question, synonyms=synonyms, **settings)
    opts = dict(opts)
    opts["max_concepts"] = max(opts["max_concepts"], len(found))
    opts["min_relative_importance"] = 0.0
    opts["position_decay"] = 0.0
    # Every named topic counts: the line lists what the interviewer wants to hear.
    sentence_terms = [frozenset(synonyms.canonical(terms_of(s.text))) for s in sentences]
    # A topic's evidence is the line that names it.
    return _finish(found, sentences, sentence_terms, lexicon, question, synonyms, opts, explain=False)


def concepts_for(question: Question, lexicon: Lexicon | None = None, *, synonyms: SynonymTable | None = None) -> tuple[Concept, ...]:
    """Return the concepts of a bank question (probe topics, or the reference's key ideas)."""
    if question.kind == "probe":
        return probe_concepts(question.reference, lexicon, question=question.prompt, synonyms=synonyms)
    return extract_concepts(question.reference, lexicon, question=question.prompt, synonyms=synonyms)


def require_concepts(concepts: tuple[Concept, ...]) -> tuple[Concept, ...]:
    """Return the concepts, or raise GradingError when a reference yields none."""
    if not concepts:
        raise GradingError("the reference has no concepts to grade against (it holds no content words); give a reference answer that explains the idea")
    return concepts
