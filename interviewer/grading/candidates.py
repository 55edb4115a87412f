"""Candidates for concepts: a reference read once, and every phrase in it an interviewer might name.

Candidates are emphasised spans (bold, backticks, italics, the "Label:" of a line), acronym pairs,
Capitalised Names, runs of content words (their words, head phrase and repeated phrases), and the
parts a reference lists for a term of the question. A single word must earn its place as a term of
the trade (`settler`); example values, verbs and page labels never make a phrase (reference.py and
labels.py, with their word lists in data/grading_words.toml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Mapping

from interviewer.grading.aliases import SynonymTable, acronym_pairs, terms_of
from interviewer.grading.labels import acronym_like, edge_word, example_value, is_noun_verb, is_verb, meta_head, never_alone
from interviewer.grading.reference import (
    BREAKERS, CAPS_RUN, Run, Sentence, cut_label, is_adverb, read_text, run_text, split_reference, strip_markup, word_class,
)
from interviewer.grading.rules import generic_terms, rules
from interviewer.text import NUMBER_WORDS, word_terms, words


@dataclass(slots=True)
class Candidate:
    """A phrase of the reference that may become a concept, keyed by its canonical terms."""

    key: tuple[str, ...]
    label: str
    sentence: int
    emphasis: float = 1.0
    heading: bool = False
    aliases: list[str] | tuple[str, ...] = ()
    weight: float = 1.0  # probe topics: main vs "expect follow-ups" topics
    standing: str = ""  # "trade": a term an interviewer would name; "plain": a word without evidence
    # of being one; "generic": a word never named on its own; "": not settled yet (see settler)
    part: bool = False  # listed as a part of what the question asks about
    raw: tuple[str, ...] = ()  # the label's terms as written (not canonical)


@lru_cache(maxsize=65536)
def _structural(label: str) -> bool:
    return label.lower().strip(" :") in _STRUCTURAL


_STRUCTURAL = frozenset(rules()["concepts"]["structural_labels"])


@dataclass(frozen=True)
class Reading:
    """A reference read once: its sentences, their runs and canonical terms, and the question's words."""

    sentences: list[Sentence]
    runs: list[list[Run]]
    terms: list[frozenset[str]]  # canonical terms of each sentence
    keep: frozenset[str]  # lowercased words of the question (example values it names stay)
    subject: frozenset[str]  # canonical terms of what the question asks about
    on_subject: frozenset[int]  # sentences that name the subject, or sit under a heading that does
    sentence_ids: Mapping[str, set[int]]  # canonical term → the sentences that use it
    heading_terms: frozenset[tuple[str, ...]]  # the terms of each heading
    acronyms: list[list[tuple[str, str]]]  # the "Long Form (LF)" pairs of each sentence
    question_terms: tuple[str, ...] = ()  # the pipeline terms of the question


def read_reference(reference: str, question: str | None, synonyms: SynonymTable) -> Reading:
    """Split a reference into sentences and read each once (runs of content words, canonical terms)."""
    sentences = split_reference(reference)
    # Example values the question names are what it asks about ("What does OrderCreated carry?");
    # its numbers are not ("retry up to 3 times" does not make "3 retry attempts" a concept).
    # Only a word the reading would drop as a value can be kept.
    question = question or ""
    keep = frozenset(w.text for w in words(question) if word_class(question[w.start : w.end]) == "value")
    runs, terms = [], []
    for s in sentences:
        r, _, canonical = read_text(s.text, synonyms, keep)
        runs.append(r)
        terms.append(canonical)
    q_runs, q_terms, _ = read_text(strip_markup(question), synonyms, keep)
    subject = frozenset(
        t for run in q_runs for t in synonyms.canonical(tuple(x for _, _, ts in run for x in ts)) if t not in generic_terms()
    )
    on_subject: set[int] = set()
    heading_hit = False
    for s, st in zip(sentences, terms):
        hit = bool(subject & st)
        if s.heading and not s.lead_in:
            heading_hit = hit
        if hit or heading_hit:
            on_subject.add(s.index)
    return Reading(
        sentences, runs, terms, keep, subject, frozenset(on_subject), sentence_ids_of(terms),
        frozenset(terms_of(s.text) for s in sentences if s.heading),
        [acronym_pairs(s.text) if "(" in s.text else [] for s in sentences], q_terms,
    )


def sentence_ids_of(sentence_terms: list[frozenset[str]]) -> dict[str, set[int]]:
    """Map each canonical term to the sentences that use it (do not change the sets)."""
    ids: dict[str, set[int]] = {}
    for i, st in enumerate(sentence_terms):
        for t in st:
            found = ids.get(t)
            if found is None:
                ids[t] = {i}
            else:
                found.add(i)
    return ids


_NONE: frozenset[int] = frozenset()


def mentions(key: tuple[str, ...], sentence_ids: Mapping[str, set[int]]) -> set[int] | frozenset[int]:
    """Return the sentences that use every term of a key (do not change the set)."""
    out: set[int] | frozenset[int] | None = None
    for t in key:
        ids = sentence_ids.get(t, _NONE)
        out = ids if out is None else out & ids
        if not out:
            return _NONE
    return out if out is not None else _NONE


def collect_candidates(reading: Reading, synonyms: SynonymTable, opts: Mapping[str, float]) -> dict[tuple[str, ...], Candidate]:
    """Collect concept candidates from every sentence, keyed by their canonical terms."""
    canon = synonyms.canonical
    max_phrase = int(opts["max_phrase_words"])
    found: dict[tuple[str, ...], Candidate] = {}
    boost = opts["emphasis_boost"]
    sentences = reading.sentences

    def add(
        label: str,
        sentence: Sentence,
        emphasis: float = 1.0,
        aliases: tuple[str, ...] = (),
        key: tuple[str, ...] | None = None,
        raw: tuple[str, ...] | None = None,
    ) -> tuple[str, ...]:
        if raw is None:
            raw = terms_of(label)
        if key is None:
            key = canon(raw)
        cand = found.get(key)
        if cand is None:
            if not key or _structural(label) or _CODE_LABEL.search(label):
                return key
            cand = found[key] = Candidate(key, label, sentence.index, emphasis, sentence.heading, raw=raw)
        elif emphasis > cand.emphasis:
            cand.emphasis, cand.label, cand.sentence, cand.raw = emphasis, label, sentence.index, raw
        elif emphasis == cand.emphasis and sentence.index == cand.sentence and len(label) > len(cand.label):
            # "Fencing tokens" and "fencing" are one canonical idea: the fuller wording labels it.
            cand.label, cand.raw = label, raw
        if sentence.heading:
            cand.heading = True
        if aliases:
            cand.aliases = list(cand.aliases) + [a for a in aliases if a not in cand.aliases]
        return key

    emph_keys: set[tuple[str, ...]] = set()
    for s in sentences:
        if s.label:
            continue  # a table header names a column; it explains nothing
        for span in s.emphasised:
            if _structural(span):
                continue
            for label, raw in _span_runs(span, s, reading.runs[s.index], synonyms, reading.keep, max_phrase):
                emph_keys.add(add(label, s, boost, raw=raw))
        for short, long in reading.acronyms[s.index]:
            # Label it as written ("Two-Phase Commit (2PC)"), not as the lexicon spells it.
            pattern = r"[\s-]+".join(re.escape(w) for w in long.split())
            written = re.search(pattern, s.text, re.I)
            long = written.group(0) if written else long
            # … and its short form as written too: "SANs", not "SANS".
            short_written = re.search(rf"\b{re.escape(short)}\b", s.text, re.I)
            short = short_written.group(0) if short_written else short.upper()
            emph_keys.add(add(f"{long} ({short})", s, boost, (long, short)))
        if not s.heading and not s.table:
            # Headings and table cells are Title Case by convention: their capitals name nothing.
            for m in CAPS_RUN.finditer(s.text):
                # "Amazon and Microsoft" are two names; "Node B" names a node of an example.
                for name in re.split(r"\s+and\s+", m.group(0)):
                    for parts in _name_pieces(name.split(), reading.keep, canon):
                        if 2 <= len(parts) <= max_phrase:
                            emph_keys.add(add(" ".join(parts), s, boost))
        if reading.subject and reading.subject & reading.terms[s.index]:
            for item in _listed_parts(s.text, opts, synonyms, reading.keep):
                key = add(item, s, boost)
                emph_keys.add(key)
                if key in found:
                    found[key].part = True
    # Runs of content words: short ones are phrases; a long one gives its words, its head phrase
    # (English noun phrases end in their noun) and the phrases the reference repeats or emphasises.
    grams: list[tuple[Sentence, Run, list[tuple[int, int, tuple[str, ...], tuple[str, ...]]]]] = []
    seen_in: dict[tuple[str, ...], set[int]] = {}
    for s, runs in zip(sentences, reading.runs):
        if s.label:
            continue
        for run in runs:
            keyed = []
            for n in range(2, min(max_phrase, len(run)) + 1):
                for i in range(len(run) - n + 1):
                    terms: tuple[str, ...] = ()
                    for _, _, ts in run[i : i + n]:
                        terms += ts
                    key = canon(terms)
                    keyed.append((n, i, key, terms))
                    seen_in.setdefault(key, set()).add(s.index)
            grams.append((s, run, keyed))
    for s, run, keyed in grams:
        for start, end, ts in run:
            key = canon(ts)
            cand = found.get(key)
            if cand is not None and (cand.emphasis > 1.0 or cand.sentence != s.index):
                # Seen before, under a name at least as good: only a heading can add to it.
                cand.heading = cand.heading or s.heading
                continue
            add(cut_label(s, start, end), s, key=key, raw=ts)
        if len(run) < 2:
            continue
        head_n = min(max_phrase, len(run))
        for n, i, key, terms in keyed:
            is_head = n == head_n and i == len(run) - n
            # A phrase the synonym table knows ("load balancer" → one token) is a term of the trade.
            if is_head or (len(run) > 2 and (key in emph_keys or (len(key) == 1 and "_" in key[0]) or len(seen_in[key]) > 1)):
                first = _head_start(s.text, run, i, n, canon) if is_head else i
                if first > i:
                    terms = tuple(t for _, _, ts in run[first : i + n] for t in ts)
                    key = canon(terms)
                add(cut_label(s, run[first][0], run[i + n - 1][1]), s, key=key, raw=terms)
    # "a background worker (called a Message Relay)": one idea under two names; the name wins.
    for s in sentences:
        if "(" not in s.text:
            continue
        for m in _CALLED.finditer(s.text):
            lead = re.split(r"[(),;:.]", s.text[max(0, m.start() - 120) : m.start()])[-1]
            before = read_text(lead, synonyms, reading.keep)[0]
            name_runs = read_text(m.group(1), synonyms, reading.keep)[0]
            if not before or not name_runs:
                continue
            long = run_text(lead, before[-1][-max_phrase:])
            name = run_text(m.group(1), name_runs[0])
            key_long, key_name = canon(terms_of(long)), canon(terms_of(name))
            if key_long in found and key_name in found and key_long != key_name:
                found[key_name].aliases = [*found[key_name].aliases, long]
                del found[key_long]
    _fold_examples(found, reading, synonyms, max_phrase)
    for cand in found.values():
        if cand.aliases:
            cand.aliases = [a for a in cand.aliases if canon(terms_of(a)) != cand.key]
        if " " in cand.label:
            cand.standing = "trade"
        elif _word_standing(cand.label.strip(_QUOTES), cand.key, synonyms) == "generic":
            cand.standing = "generic"  # settled at once: what the reference says cannot change it
    return found


def _fold_examples(found: dict[tuple[str, ...], Candidate], reading: Reading, synonyms: SynonymTable,
                   max_phrase: int) -> None:
    """Make the products a reference lists as examples of an idea other names for it.

    "Message queue (RabbitMQ, SQS, ActiveMQ)": an answer that says "RabbitMQ" has named a message
    queue, and one that does not name ActiveMQ has missed nothing. The names stop being concepts of
    their own (so does "RabbitMQ/SQS" elsewhere) and become wordings of the idea before them.
    """
    canon = synonyms.canonical
    for s in reading.sentences:
        if "(" not in s.text:
            continue
        for m in _EXAMPLES.finditer(s.text):
            names = [n for n in (n.strip() for n in _EXAMPLE_SPLIT.split(m.group(1))) if n]
            if len(names) < 2 or not all(_PRODUCT.fullmatch(n) for n in names):
                continue
            lead = re.split(r"[(),;:.]", s.text[max(0, m.start() - 120) : m.start()])[-1]
            before = read_text(lead, synonyms, reading.keep)[0]
            if not before:
                continue
            head = found.get(canon(terms_of(run_text(lead, before[-1][-max_phrase:]))))
            if head is None:
                continue
            name_keys = [canon(terms_of(n)) for n in names]
            name_terms = {t for k in name_keys for t in k}
            if not name_terms or name_terms & set(head.key):
                continue
            head.aliases = [*head.aliases, *(n for n in names if n not in head.aliases)]
            for key in [k for k in found if k and k != head.key and set(k) <= name_terms]:
                del found[key]


# "(RabbitMQ, SQS, ActiveMQ)", "(e.g. Redis or Memcached)": two or more names, each Capitalised.
_EXAMPLES = re.compile(r"\((?:e\.g\.,?|for\s+example,?|such\s+as|like|say)?\s*([^()]{3,120})\)", re.I)
_EXAMPLE_SPLIT = re.compile(r"\s*(?:,|/|\bor\b|\band\b|\betc\.?)\s*")
_PRODUCT = re.compile(r"[A-Z][\w.+#-]*(?:\s[A-Z0-9][\w.+#-]*){0,2}")


def settler(reading: Reading, synonyms: SynonymTable, reference: str, opts: Mapping[str, float]) -> Callable[[Candidate], str]:
    """Return a function that settles (once) whether a one-word candidate is a term of the trade.

    Settled lazily: only the candidates that rank high enough to be chosen are ever looked at.
    """
    lower_words: frozenset[str] | None = None
    topic_mentions = int(opts["topic_mentions"])

    def settle(cand: Candidate) -> str:
        nonlocal lower_words
        if not cand.standing:
            if lower_words is None:
                lower_words = frozenset(re.findall(r"(?<![\w-])[a-z][a-z-]*", reference))
            cand.standing = _standing(cand, reading, synonyms, lower_words, topic_mentions)
        return cand.standing

    return settle


_CALLED = re.compile(
    r"\((?:called|known\s+as|aka|a\.k\.a\.?|i\.e\.,?|also\s+called|named)\s+(?:an?\s+|the\s+)?([^()]{2,60})\)",
    re.I,
)


# Formulas and identifiers are not ideas to grade ("2^attempt", "initial_backoff", "delay = min(…)").
_CODE_LABEL = re.compile(r"[\^=*\\{}<>\[\]$%#@_|~→←↔⇒]")
_QUOTES = "'’‘\"“”"


# Tables hold dicts, so they cannot be hashed: cache per table by identity, keeping the table alive.
_WORD_STANDINGS: dict[int, tuple[SynonymTable, dict[tuple[str, tuple[str, ...]], str]]] = {}


def _word_standing(label: str, key: tuple[str, ...], synonyms: SynonymTable) -> str:
    """Return what a word is whatever the reference around it: "generic", "trade", or "" (it depends)."""
    entry = _WORD_STANDINGS.get(id(synonyms))
    if entry is None or entry[0] is not synonyms:
        entry = _WORD_STANDINGS[id(synonyms)] = (synonyms, {})
    cache = entry[1]
    found = cache.get((label, key))
    if found is None:
        found = _word_standing_uncached(label, key, synonyms)
        if len(cache) >= 65536:
            cache.clear()  # the words of the next documents are the ones that will recur
        cache[(label, key)] = found
    return found


def _word_standing_uncached(label: str, key: tuple[str, ...], synonyms: SynonymTable) -> str:
    if is_verb(label) or is_noun_verb(label):
        return "generic"  # "compute", "handling": an action, not a thing
    if never_alone(label) or ("-" in label and all(never_alone(p) or not word_terms(p.lower()) for p in label.split("-"))):
        return "generic"
    group = synonyms.wordings_of.get(key[0], ()) if len(key) == 1 else ()
    if group and never_alone(group[0]):
        return "generic"  # "saving" is a wording of "store", as generic as it
    if any("_" in t for t in key) or label.lower() in (w.lower() for w in group) or acronym_like(label):
        return "trade"  # a wording the synonym table knows on its own ("sharding", "idempotent"), or an acronym
    if _ADJECTIVE.search(label.lower()):
        return "generic"  # "local", "scalable", "observed", "Reliable:": a word that describes, not a thing
    return ""


def _span_runs(
    span: str, s: Sentence, runs: list[Run], synonyms: SynonymTable, keep: frozenset[str], max_phrase: int
) -> list[tuple[str, tuple[str, ...]]]:
    """Return the phrases (label, terms) of an emphasised span, read from its sentence's runs."""
    pos = s.text.lower().find(span.lower())
    if pos < 0:
        return [(run_text(span, run), tuple(t for _, _, ts in run for t in ts))
                for run in read_text(span, synonyms, keep)[0] if len(run) <= max_phrase]
    end = pos + len(span)
    out = []
    for run in runs:
        piece = [e for e in run if e[0] >= pos and e[1] <= end]
        if piece and len(piece) <= max_phrase:
            out.append((s.text[piece[0][0] : piece[-1][1]], tuple(t for _, _, ts in piece for t in ts)))
    return out


def _name_pieces(parts: list[str], keep: frozenset[str], canon: Callable[[tuple[str, ...]], tuple[str, ...]]) -> list[list[str]]:
    """Cut a Capitalised Name into the names it holds: verbs split it ("Client Sends Certificate"),
    example values and lone letters at its ends go ("Partition 1", "Service A", "Tenant B's"), and so
    do rating words at its start ("A More Common Driver") and page labels at its end ("Incident
    Response Steps"), unless the synonym table knows the wording ("Single Point of Failure")."""
    pieces: list[list[str]] = [[]]
    for k, p in enumerate(parts):
        if k == len(parts) - 1 and p.endswith(("'s", "’s")):
            p = p[:-2]  # "Tenant B's": the owner, not a name; "Brewer's Theorem" keeps its own
        p = p.strip(_QUOTES)
        if is_verb(p) and p.lower() not in keep:
            pieces.append([])
        else:
            pieces[-1].append(p)
    out = []
    for piece in pieces:

        def loose(w: str, first: bool = False) -> bool:
            low = w.lower()
            return (
                not w
                or (not word_terms(low) and not (w.isupper() and len(w) > 1))
                or low in BREAKERS
                or (len(w) == 1 and low not in keep)
                # "Two Generals' Problem" counts in its name; "Partition 1" and "3.1 Scaling" number an example or a section.
                or (example_value(w) and low not in keep and not (first and w[:1].isupper() and low in NUMBER_WORDS))
            )

        while piece and (
            loose(piece[0], True) or is_adverb(piece[0].lower())
            or ((edge_word(piece[0]) or is_noun_verb(piece[0])) and not _known_start(piece, canon))
        ):
            piece = piece[1:]  # "A More Common Driver", "Handling Transient Failures"
        while piece and (loose(piece[-1]) or meta_head(piece[-1])):
            piece = piece[:-1]
        if piece and all(len(p) > 1 for p in piece):
            out.append(piece)
    return out


def _head_start(text: str, run: Run, i: int, n: int, canon: Callable[[tuple[str, ...]], tuple[str, ...]]) -> int:
    """Return where a run's head phrase starts once rating words are off its front: the head of "B-Tree
    index causes brutal index fragmentation" is "index fragmentation" ("single point of failure" stays)."""
    surface = [text[a:b] for a, b, _ in run[i : i + n]]
    k = 0
    while k < n - 1 and edge_word(surface[k]):
        key = canon(terms_of(" ".join(surface[k:])))
        if key and "_" in key[0]:
            break  # the rating word opens a wording the synonym table knows ("multiple regions")
        k += 1
    return i + k


def _known_start(words_: list[str], canon: Callable[[tuple[str, ...]], tuple[str, ...]]) -> bool:
    """Tell whether the first word of a name belongs to a wording the synonym table knows."""
    key = canon(terms_of(" ".join(words_)))
    first = terms_of(words_[0])
    return bool(key) and bool(first) and "_" in key[0] and first[0] in key[0].split("_")


_LIST_LAST = re.compile(r"^(?:and|or)\s+|\s+(?:and|or)\s+")


def _listed_parts(text: str, opts: Mapping[str, float], synonyms: SynonymTable, keep: frozenset[str]) -> list[str]:
    """Return the items of a list a sentence gives ("stands for Atomicity, Consistency, Isolation, and Durability").

    A list is "A, B, C(,) and D": commas between short items (list_max_words words at most), "and"
    or "or" before the last; the first item ends its clause and the last one starts its own.
    """
    out: list[str] = []
    max_words = int(opts["list_max_words"])
    groups = [(g, True) for g in re.findall(r"\(([^()]*,[^()]*)\)", text)] + [(re.sub(r"\([^()]*\)", " ", text), False)]
    for group, inside in groups:
        if inside and _EXAMPLE_LEAD.match(group):
            continue  # "(e.g., likes, views, shares)" lists examples, not parts
        parts = [p.strip() for p in group.strip(" .;:").split(",")]
        if len(parts) < 2 or not all(parts):
            continue
        last = _LIST_LAST.split(parts[-1])
        parts = parts[:-1] + [p for p in last if p.strip()]
        if len(parts) < opts["list_min_items"]:
            continue
        items = []
        for k, part in enumerate(parts):
            runs = read_text(part, synonyms, keep)[0]
            if not runs:
                break
            if k == 0:
                run = runs[-1]  # "ACID stands for Atomicity": the item ends the lead-in
                if part[run[-1][1] :].strip() or not (inside and run is runs[0]) and not _LIST_LEAD.search(part[: run[0][0]]):
                    break
            elif k == len(parts) - 1:
                run = runs[0]  # "Durability, given that…": the item starts the rest
                if len(part[: run[0][0]].split()) > 1:
                    break
            else:
                run = runs[0]
                if len(runs) > 1 or len(re.sub(r"(?i)^(?:an?|the)\s+", "", part).split()) != len(run_text(part, run).split()):
                    break  # a middle item is all one name
            if len(run) > max_words:
                break
            items.append(run_text(part, run))
        else:
            out.extend(items)
    return out


# What introduces the parts of a thing: "ACID stands for …", "consists of …", "BASE: …".
_LIST_LEAD = re.compile(r"(?i)(?:\bstands?\s+for|\bconsists?\s+of|\bcompris(?:e|es|ed)(?:\s+of)?|\bmade\s+up\s+of|\binclud(?:e|es|ing)|\bsuch\s+as|\bnamely|\bare|:)\s*$")
_EXAMPLE_LEAD = re.compile(r"(?i)\s*(?:e\.\s?g\.|i\.\s?e\.|like\b|for\s+example|for\s+instance|such\s+as)")
# Endings of words that describe ("local", "scalable", "observed") rather than name; "-ing" words
# name activities ("polling", "batching") and stay.
_ADJECTIVE = re.compile(r"(?:al|ive|ous|ic|able|ible|ent|ant|ful|less|ary|ly|ed)$")


def _standing(cand: Candidate, reading: Reading, synonyms: SynonymTable, lower_words: frozenset[str], topic_mentions: int) -> str:
    """Tell whether a one-word candidate is a term of the trade an interviewer would name on its own
    ("trade"), a plain word ("plain") or a word never named on its own ("generic")."""
    label = cand.label.strip(_QUOTES)
    word = _word_standing(label, cand.key, synonyms)
    if word:
        return word
    if cand.emphasis > 1.0:
        return "trade"  # emphasised ("**fencing**", "Atomicity: …")
    low = label.lower()
    if label[:1].isupper() and label[1:2].islower() and not label.endswith("ing") and not (
        low in lower_words or low + "s" in lower_words or low + "es" in lower_words or low.rstrip("s") in lower_words
    ):
        return "trade"  # a name inside a sentence ("Kafka", "Debezium"): never written in lowercase
    raw = cand.raw or terms_of(label)
    if raw in synonyms.phrases:
        return "trade"  # an inflection of a wording the synonym table knows ("snapshots")
    if len(mentions(cand.key, reading.sentence_ids)) >= topic_mentions:
        return "trade"  # the reference keeps using it: what it is about
    if raw in reading.heading_terms:
        return "trade"  # a heading that is this word alone ("Jitter")
    return "plain"
