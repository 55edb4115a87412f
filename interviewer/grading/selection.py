"""Weighing and choosing concepts: term weights, candidate importance, the choice, the evidence."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Mapping

from interviewer.grading.aliases import terms_of, token_parts
from interviewer.grading.candidates import Candidate, mentions, sentence_ids_of
from interviewer.grading.reference import Sentence
from interviewer.grading.rules import generic_terms
from interviewer.lexicon import Lexicon
from interviewer.text import STOP_WORDS, words


def term_weigher(
    lexicon: Lexicon | None,
    question_terms: frozenset[str],
    settings: Mapping[str, float],
    sentence_counts: Mapping[str, int] | None = None,
) -> Callable[[str], float]:
    """Return the weight of a (canonical) term: IDF, less for generic words and words of the question.

    A question word weighs question_term of itself, unless the reference keeps explaining it: from
    the third reference sentence that uses it the discount fades, and it is gone by the
    (2 + question_fade)th ("describe exponential backoff with jitter" asks for them by name).
    """
    counts = sentence_counts or {}
    fade = max(1e-9, settings["question_fade"])
    base = _base_weights(lexicon, settings["default_idf"], settings["idf_power"], settings["generic_term"])

    @lru_cache(maxsize=None)
    def weight(term: str) -> float:
        w = base.get(term)
        if w is None:
            w = base.setdefault(term, _base_weight(term, lexicon, settings["default_idf"], settings["idf_power"], settings["generic_term"]))
        if term in question_terms:
            q = settings["question_term"]
            w *= q + (1 - q) * min(1.0, max(0, counts.get(term, 0) - 2) / fade)
        return w

    return weight


def _base_weight(term: str, lexicon: Lexicon | None, default: float, idf_power: float, generic_term: float) -> float:
    """Return a term's weight before the question is known: IDF ** idf_power, less for generic words."""
    parts = token_parts(term)
    # A canonical token ("load_balanc") weighs as its most telling word.
    w = max(lexicon.idf(p) for p in parts) ** idf_power if lexicon is not None and lexicon.documents > 0 else default
    if all(p in generic_terms() for p in parts):
        w *= generic_term
    return w


# Base weights depend on the lexicon and three settings only: computed once per lexicon for every
# reference (lexicons hold dicts, so they cannot be hashed: keyed by identity, kept alive).
_BASE_WEIGHTS: dict[tuple[int, float, float, float], tuple[Lexicon | None, dict[str, float]]] = {}


def _base_weights(lexicon: Lexicon | None, default: float, idf_power: float, generic_term: float) -> dict[str, float]:
    key = (id(lexicon), default, idf_power, generic_term)
    entry = _BASE_WEIGHTS.get(key)
    if entry is None or entry[0] is not lexicon:
        if len(_BASE_WEIGHTS) > 16:
            _BASE_WEIGHTS.clear()
        entry = _BASE_WEIGHTS[key] = (lexicon, {})
    if len(entry[1]) > 500_000:
        entry[1].clear()
    return entry[1]


def sentence_counts(sentence_terms: list[frozenset[str]]) -> dict[str, int]:
    """Count in how many sentences each term occurs."""
    counts: dict[str, int] = {}
    for st in sentence_terms:
        for t in st:
            counts[t] = counts.get(t, 0) + 1
    return counts


def select(
    found: dict[tuple[str, ...], Candidate],
    sentences: list[Sentence],
    weight: Callable[[str], float],
    sentence_terms: list[frozenset[str]],
    emphasised: frozenset[str],
    domain: frozenset[str],
    settings: Mapping[str, float],
    on_subject: frozenset[int] = frozenset(),
    sentence_ids: Mapping[str, set[int]] | None = None,
    admit: Callable[[Candidate], bool] | None = None,
) -> list[tuple[Candidate, float]]:
    """Rank candidates by importance and keep the best that each add an idea of their own (and that
    `admit` lets in, asked only of the candidates the choice reaches).

    importance = (weight of the main term + phrase_tail × the others' weights)
                 × (sentences that mention it) ** tf_power
                 × emphasis (by the share of its terms the reference emphasises somewhere)
                 × heading boost × position (1 for the first sentence, 1 − position_decay for the last)
                 × domain boost (a term the synonym table knows is a term of the trade)
                 × context (1 if a top-level sentence explains it; less if only nested bullets or
                   examples mention it)
                 × subject boost (a sentence about what the question asks names it: "Compare ACID
                   and BASE" is answered by the parts of ACID and BASE)
    """
    last = max(1, len(sentences) - 1)
    boost = settings["emphasis_boost"]
    tf_of: dict[int, int] = {}  # candidate → how many sentences mention it
    if sentence_ids is None:
        sentence_ids = sentence_ids_of(sentence_terms)
    context = [
        (1.0 - settings["depth_decay"]) ** s.depth * (settings["example_weight"] if s.example else 1.0) for s in sentences
    ]
    phrase_tail, tf_power = settings["phrase_tail"], settings["tf_power"]
    heading_boost, position_decay, domain_boost = settings["heading_boost"], settings["position_decay"], settings["domain_boost"]
    subject_boost, part_boost, plain_weight = settings["subject_boost"], settings["part_boost"], settings["plain_weight"]
    scored = []
    for cand in found.values():
        key = cand.key
        terms = set(key)
        # Weigh the words as written: "round robin" is two words (and outranks "round"), "ACID" one
        # (not the four of its expansion).
        ws = [weight(p) for p in (set(cand.raw or terms_of(cand.label)) or terms)]
        top_w = max(ws)
        imp = top_w + phrase_tail * (sum(ws) - top_w)
        ids = mentions(key, sentence_ids)
        tf = len(ids) if ids else 1
        if tf > 1:
            imp *= tf**tf_power
        emph = 0
        in_domain = False
        for t in terms:
            if t in emphasised:
                emph += 1
            if t in domain:
                in_domain = True
        imp *= max(cand.emphasis, 1.0 + (boost - 1.0) * emph / len(terms))
        if cand.heading:
            imp *= heading_boost
        imp *= 1.0 - position_decay * (cand.sentence / last)
        if in_domain:
            imp *= domain_boost
        if ids:
            imp *= max(context[i] for i in ids)
            if on_subject and not on_subject.isdisjoint(ids):
                imp *= subject_boost
        elif cand.sentence < len(context):
            imp *= context[cand.sentence]
        if cand.part:
            imp *= part_boost
        if cand.standing == "plain":
            imp *= plain_weight
        elif cand.standing == "generic":
            imp *= plain_weight**2
        imp *= cand.weight
        scored.append((imp, -len(key), cand.sentence, cand))
        tf_of[id(cand)] = tf
    scored.sort(key=lambda x: (-x[0], x[1], x[2]))
    top = None
    chosen: list[tuple[Candidate, float]] = []
    merged: set[int] = set()
    for imp, _, _, cand in scored:
        if admit is not None and not admit(cand):
            continue
        if top is None:
            top = imp
        if imp < settings["min_relative_importance"] * top:
            break
        terms = all_parts(cand)
        raw = set(terms_of(cand.label)) or terms
        # A phrase and the words inside it are one idea. The better ranked stays, but a phrase
        # nearly as important as a word it contains names the idea better ("outbox table").
        inside = [
            i for i, (c, _) in enumerate(chosen)
            if raw <= all_parts(c) or (set(terms_of(c.label)) or all_parts(c)) <= terms
        ]
        if inside:
            i = inside[0]
            c, c_imp = chosen[i]
            if (
                all(all_parts(chosen[j][0]) < terms for j in inside)
                and not merged & set(inside)
                and terms > all_parts(c)
                # A plain run renames an emphasised name only if the reference repeats it
                # ("outbox table" yes, "Exponential backoff alone" no).
                and (cand.emphasis >= c.emphasis or tf_of[id(cand)] > 1)
                and imp >= settings["merge_ratio"] * c_imp
            ):
                chosen[i] = (cand, c_imp)
                # "round" and "robin" both chosen: "round robin" takes the first place, drops the other.
                for j in sorted(inside[1:], reverse=True):
                    del chosen[j]
                merged = {k - sum(1 for j in inside[1:] if j < k) for k in merged}
                merged.add(i)
            elif (
                len(inside) == 1
                and raw <= all_parts(c)
                and cand.emphasis > c.emphasis
                and tf_of[id(c)] == 1
                and i not in merged
            ):
                # An emphasised word inside a plain one-off phrase names the idea better:
                # "*idempotent*" rather than "consumers stay idempotent".
                chosen[i] = (cand, c_imp)
                merged.add(i)
            continue
        if len(chosen) >= settings["max_concepts"]:
            break
        chosen.append((cand, imp))
    return chosen


def all_parts(cand: Candidate) -> frozenset[str]:
    """Return a candidate's terms both as written and as canonical tokens' parts."""
    return _label_parts(cand.key, cand.label)


@lru_cache(maxsize=65536)
def _label_parts(key: tuple[str, ...], label: str) -> frozenset[str]:
    # The words as written and the canonical tokens, not the tokens' parts: "Isolation" is not inside
    # "Non-Repeatable Read" although the synonym table spells repeatable read "snapshot isolation".
    return frozenset(key) | frozenset(terms_of(label))


def evidence_for(cand: Candidate, sentences: list[Sentence], sentence_terms: list[frozenset[str]], min_words: int) -> str:
    """Return the sentence that best explains a concept.

    A sentence that mentions it and explains: not a heading or table header, at least min_words
    words; outside examples and in shallow bullets first, then one that starts with the concept
    ("Token Bucket: each request…"), then the earliest; a line of prose before a row of a diagram.
    A concept named only by a heading (or a "Label:" line) is explained by the first such sentence
    under it; a short list item by the line that introduces its list.
    """
    terms = set(cand.key)
    label_low = cand.label.lower()
    best = None
    mentioned = []
    for i, (s, st) in enumerate(zip(sentences, sentence_terms)):
        if not terms <= st:
            continue
        mentioned.append(i)
        if s.heading or s.label or len(s.text.split()) < min_words:
            continue
        leads = s.text.lower().startswith(label_low) or s.text.lower().startswith(label_low.split(" (")[0])
        rank = (s.example, not prose(s.text), s.depth, not leads, i)
        if best is None or rank < best[0]:
            best = (rank, s.text)
    if best is not None:
        return best[1]
    for i in mentioned:
        s = sentences[i]
        if s.heading:
            for nxt in sentences[i + 1 :]:
                if nxt.heading and not nxt.lead_in or (nxt.lead_in and nxt.depth <= s.depth and s.lead_in):
                    break
                if not nxt.heading and not nxt.label and len(nxt.text.split()) >= min_words:
                    return nxt.text
    own = cand.sentence if cand.sentence < len(sentences) else (mentioned[0] if mentioned else -1)
    if own < 0:
        return ""
    s = sentences[own]
    if not s.heading and not s.label and len(s.text.split()) < min_words:
        # A short list item is explained by the line that introduces its list ("Server responds
        # with: … Server certificate").
        for prev in reversed(sentences[:own]):
            if prev.lead_in or prev.text.endswith(":"):
                return f"{prev.text.rstrip(':')}: {s.text}"
            if prev.depth != s.depth or len(prev.text.split()) >= min_words or prev.heading:
                break
    return s.text


_BOX = re.compile(r"[│─┌┐└┘├┤┬┴┼]")
_CLAUSE = re.compile(r"[:;,.]")


def prose(text: str) -> bool:
    """Tell a line that explains from a row of a diagram: a diagram's row ("Consumer Group A Consumer
    Group B", "Producer → [Queue] → Consumer") has no function word and no clause punctuation, or draws
    boxes. "Writes need: ACID transactions, validations" and "DNS Resolution → The domain name is
    resolved…" explain."""
    if _BOX.search(text):
        return False
    # Lowercase function words only: the "A" of "Consumer Group A" names a box.
    return bool(_CLAUSE.search(text)) or any(text[w.start : w.end] in STOP_WORDS for w in words(text))
