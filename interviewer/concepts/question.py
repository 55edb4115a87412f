"""A question's concepts: the inventory concepts its reference names, weighted by salience, each with
the sentence of the notes that explains it. A probe question (whose model answer is one "Explores X, Y,
Z" line) gets a reference assembled from the notes: each topic's defining sentence, cited.

Salience of a concept in a reference (every factor a named tunable of data/concept_rules.toml [salience]):
    idf^idf_power × (1 + tf_boost·ln tf) × (1 − position_decay·first/len) × emphasis × standing × asked
where emphasis is `emphasis_boost` when the question's own section emphasises the concept or names it
in a heading, standing is `plain_weight` for a concept only found in running text, and asked is
`question_weight` when the prompt itself names the concept (naming it back shows nothing).
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Iterable, Sequence

from interviewer.concepts import definitions
from interviewer.concepts.inventory import Inventory, group_key
from interviewer.concepts.phrases import phrases, sentences
from interviewer.concepts.rules import judge
from interviewer.concepts.sources import STRONG, Passage, probe_items
from interviewer.extract.rules import slug
from interviewer.markdown import blocks
from interviewer.records import Concept, InventoryConcept, Place, Question
from interviewer.text import word_terms, words
from interviewer.lexicon import Lexicon, find_acronyms
from interviewer.vocabulary import SynonymTable, default_synonyms, terms_of

_DATA = resources.files("interviewer") / "data"
_EXAMPLE = re.compile(r"(?i)^\s*(?:for\s+(?:example|instance)|e\.\s?g\.|imagine|suppose|say\s+(?:we|you|a|an|the)|consider\s+(?:a|an|the|this)|let.s\s+say)\b")
_SOLUTION = re.compile(r"(?i)^\W*(?:solution|approach|answer|model answer|suggested answer|indepth|in depth|in-depth)\W*$")


@lru_cache(maxsize=1)
def salience_settings() -> dict[str, float]:
    """Return the [salience] tunables."""
    return dict(tomllib.loads((_DATA / "concept_rules.toml").read_text(encoding="utf-8"))["salience"])


# search(query, top) → hits with doc, heading, line, text: the look-up a probe's topics are explained by.
Search = Callable[[str, int], Sequence[Any]]


@dataclass
class Mention:
    """How a reference names one concept: in which sentences, how emphatically."""

    concept: InventoryConcept
    sentences: list[int] = field(default_factory=list)
    emphasised: bool = False
    asked: bool = False
    examples: int = 0


@dataclass(frozen=True)
class Sentence:
    """A sentence of a reference, with its file line when known."""

    text: str
    line: int
    heading: bool = False


def reference_sentences(text: str, first_line: int = 0) -> list[Sentence]:
    """Split a reference (markdown or plain text) into sentences; a heading is a sentence of its own."""
    out = []
    for b in blocks(text):
        if b.kind == "code":
            continue
        if b.kind == "heading":
            out.append(Sentence(b.text, 0, True))
            continue
        for a, z in sentences(b.text):
            out.append(Sentence(b.text[a:z], 0))
    return out


class ConceptPicker:
    """Picks the concepts of questions from an inventory (one per build; it remembers nothing between
    questions). Given a lexicon, a reference's own names (emphasis, acronyms, phrases) that the inventory
    lacks are candidates too: that is how a reference from outside the notes gets its concepts."""

    def __init__(self, inventory: Inventory | None, passages: Sequence[Passage] = (), search: Search | None = None,
                 sections: int = 0, lexicon: Lexicon | None = None, synonyms: SynonymTable | None = None,
                 unexplaining: frozenset[tuple[str, str]] = frozenset()):
        self.inventory = inventory
        self.synonyms = synonyms or (inventory.synonyms if inventory is not None else default_synonyms())
        self.lexicon = lexicon
        self.search = search
        # Passages that name topics without explaining them (lists of probe questions): never evidence.
        self.unexplaining = unexplaining
        self.settings = salience_settings()
        self.total = max(sections or len(passages) or len(inventory or ()) or (lexicon.documents if lexicon else 1), 1)
        self._by_doc: dict[str, list[Passage]] = {}
        for p in passages:
            self._by_doc.setdefault(p.doc, []).append(p)

    # ------------------------------------------------------------------ a question

    def concepts_for(self, q: Question) -> tuple[Concept, ...]:
        """Return the weighted concepts of a bank question."""
        if q.kind == "probe" and probe_items(q.reference):
            return self.probe_concepts(q)
        region = self.region(q)
        default = Place(q.source.doc, q.source.heading, q.source.line)
        picked = self.pick(q.reference, q.prompt, region, default=default)
        if len(picked) < self.settings["min_concepts"]:
            # The inventory names too little of this answer: its own names count too, but not its plain
            # words — a passage of the notes that names one concept has one ("specifically", "before"
            # and "wait" are no concepts of the Retry-After header).
            picked = self.pick(q.reference, q.prompt, region, default=default, local=True, plain=False)
        return picked

    def pick(self, reference: str, prompt: str = "", region: Sequence[Passage] = (),
             default: Place | None = None, local: bool = False, plain: bool = True) -> tuple[Concept, ...]:
        """Return the weighted concepts a reference names (at least `min_concepts` where it allows);
        `local`: its own names count too, not only the inventory's; `plain`: and, if they are still too
        few, its plain content words (a one-sentence model answer in everyday words)."""
        s = self.settings
        sents = reference_sentences(reference)
        mentions = self._mentions(sents, prompt, region) if self.inventory is not None else {}
        if local:
            self._local_mentions(reference, sents, prompt, mentions)
            if plain and len(mentions) < s["min_concepts"]:
                self._plain_words(sents, prompt, mentions)
        scored = sorted(((self._salience(m, len(sents)), m) for m in mentions.values()),
                        key=lambda x: (-x[0], x[1].concept.label))
        chosen: list[tuple[float, Mention]] = []
        for score, m in scored:
            if len(chosen) >= s["max_concepts"]:
                break
            if chosen and score < s["min_relative"] * chosen[0][0] and len(chosen) >= s["min_concepts"]:
                break
            if any(_inside(m.concept, c.concept) for _, c in chosen):
                continue  # "outbox" beside "outbox table": the longer names it better
            chosen.append((score, m))
        if not chosen:
            return ()
        top = chosen[0][0]
        lines = _line_index(region)
        return tuple(self._concept(m, score / top, sents, lines, default) for score, m in chosen)

    def region(self, q: Question) -> list[Passage]:
        """Return the sections a question is made of: its own section, those under it, and a Solution
        section right after it (with the sections under that)."""
        path = tuple(q.source.heading_path)
        if not path:
            return []
        doc = self._by_doc.get(q.source.doc, [])
        inside = [i for i, p in enumerate(doc) if p.section.heading_path[: len(path)] == path]
        if not inside:
            return []
        out = [doc[i] for i in inside]
        nxt = inside[-1] + 1
        if nxt < len(doc):
            hp = doc[nxt].section.heading_path
            if len(hp) == len(path) and hp[:-1] == path[:-1] and _SOLUTION.match(hp[-1]):
                out += [p for p in doc[nxt:] if p.section.heading_path[: len(hp)] == hp]
        return out

    def _mentions(self, sents: list[Sentence], prompt: str, region: Sequence[Passage]) -> dict[str, Mention]:
        inv = self.inventory
        asked = {o.concept for o in inv.find(prompt)} if prompt else set()
        loud = self._emphasised(region)
        out: dict[str, Mention] = {}
        for i, sent in enumerate(sents):
            example = bool(_EXAMPLE.match(sent.text))
            for occ in inv.find(sent.text):
                m = out.get(occ.concept)
                if m is None:
                    m = out[occ.concept] = Mention(inv.concepts[occ.concept], asked=occ.concept in asked,
                                                   emphasised=occ.concept in loud)
                if not m.sentences or m.sentences[-1] != i:
                    m.sentences.append(i)
                    m.examples += example
                if sent.heading:
                    m.emphasised = True
        return out

    def _local_mentions(self, reference: str, sents: list[Sentence], prompt: str, mentions: dict[str, Mention]) -> None:
        """Add the names a reference gives that the inventory lacks: its emphasised spans, acronym pairs
        and phrases, judged by the label rules (a one-off phrase is fine here: the reference is all there is)."""
        own = _OwnNames(reference, self.synonyms, set(terms_of(prompt)))
        known = {group_key(m.concept.label, self.synonyms) for m in mentions.values()}
        for i, sent in enumerate(sents):
            example = bool(_EXAMPLE.match(sent.text))
            found = [(ph.text, "phrase") for ph in phrases(sent.text)]
            found += [(long, "acronym") for _, long in find_acronyms(sent.text)]
            for text, source in found:
                for label in judge(text, "heading" if sent.heading else source, self.synonyms).labels:
                    key = own.key(label.text)
                    if not key or key in known:
                        continue
                    cid = own.id_of(key, label.text)
                    m = mentions.get(cid)
                    if m is None:
                        m = mentions[cid] = own.mention(cid, key, label, source, bool(sent.heading), self._df(key))
                    if not m.sentences or m.sentences[-1] != i:
                        m.sentences.append(i)
                        m.examples += example

    def _plain_words(self, sents: list[Sentence], prompt: str, mentions: dict[str, Mention]) -> None:
        """Add a short reference's plain content words ("A location in memory that can store a value"): when
        it names no term of the trade, its everyday words are what an answer can be graded on."""
        asked = set(terms_of(prompt))
        named = {t for m in mentions.values() for t in terms_of(m.concept.label)}
        for i, sent in enumerate(sents):
            for w in words(sent.text):
                terms = word_terms(w.text)
                if len(terms) != 1 or terms[0] in named or terms[0][:1].isdigit():
                    continue
                cid = "local:" + terms[0]
                m = mentions.get(cid)
                if m is None:
                    concept = InventoryConcept(cid, sent.text[w.start : w.end], (), (), self._df(terms), (), None, "",
                                               ("plain",))
                    m = mentions[cid] = Mention(concept, asked=terms[0] in asked)
                if not m.sentences or m.sentences[-1] != i:
                    m.sentences.append(i)

    def _df(self, key: tuple[str, ...]) -> int:
        """Estimate in how many sections a name occurs: its rarest word's count, on the picker's scale."""
        if self.lexicon is None or not self.lexicon.documents:
            return 1
        parts = [p for t in key for p in t.lstrip("=").split("_")]
        df = min((self.lexicon.df.get(p, 0) for p in parts), default=0)
        return max(1, round(df * self.total / self.lexicon.documents))

    def _emphasised(self, region: Sequence[Passage]) -> set[str]:
        """Return the concepts the question's sections emphasise, label or name in a heading."""
        out: set[str] = set()
        for p in region:
            if p.section.heading_path:
                out.update(o.concept for o in self.inventory.find(p.section.heading_path[-1]))
            for b in p.blocks:
                for span in b.emphasis:
                    out.update(o.concept for o in self.inventory.find(span))
        return out

    def _salience(self, m: Mention, n_sentences: int) -> float:
        s = self.settings
        c = m.concept
        idf = math.log(1.0 + self.total / max(c.df, 1)) ** s["idf_power"]
        tf = len(m.sentences)
        value = idf * (1.0 + s["tf_boost"] * math.log(tf))
        value *= 1.0 - s["position_decay"] * (m.sentences[0] / max(n_sentences, 1))
        if m.emphasised:
            value *= s["emphasis_boost"]
        if not set(c.sources) & STRONG:
            value *= s["plain_weight"]
            if " " not in c.label.strip():
                value *= s["plain_weight"]  # a plain word: only when the reference names nothing better
        elif " " not in c.label.strip() and not m.emphasised:
            value *= s["single_word_weight"]  # "lock", "CPU": a word in passing says less than a phrase
        if m.asked:
            value *= s["question_weight"]
        if m.examples == tf:
            value *= s["example_weight"]
        return value

    def _concept(self, m: Mention, weight: float, sents: list[Sentence], lines: dict[str, tuple[Passage, int]],
                 default: Place | None) -> Concept:
        c = m.concept
        evidence = _evidence(c, [sents[i] for i in m.sentences]) or c.definition
        place = _place_of(evidence, lines) or (c.defined_at if evidence == c.definition and c.definition else default)
        return Concept(c.id, c.label, c.aliases, round(weight, 3), evidence, place, bool(evidence))

    # ------------------------------------------------------------------ probes

    def probe_concepts(self, q: Question) -> tuple[Concept, ...]:
        """Return the topics a probe line names, each explained by the notes where they can (cited),
        or marked as not in the notes."""
        out: list[Concept] = []
        seen: set[str] = set()
        secondary = float(self.settings["probe_secondary_weight"])
        for n, (item, examples) in enumerate(probe_items(q.reference)):
            weight = 1.0 if n < self.settings["probe_main_topics"] else secondary
            for c in self._item_concepts(item, examples):
                if c.id in seen:
                    continue
                seen.add(c.id)
                # The examples the line gives for a topic show it: naming cache-aside answers "cache patterns".
                aliases = c.aliases + tuple(e for e in examples if e not in c.aliases and e != c.label)
                out.append(Concept(c.id, c.label, aliases, weight, *self._explain(c, item)))
        return tuple(out)

    def _item_concepts(self, item: str, examples: list[str]) -> list[InventoryConcept]:
        """Return the concepts a probe topic names: its name (as the label rules trim it: "debugging
        strategies in distributed systems" → "debugging") as the inventory knows it, or the inventory
        concepts inside it; a topic the inventory lacks is added to it."""
        verdict = judge(item, "probe", self.synonyms)
        labels = [label.text for label in verdict.labels] or [re.sub(r"(?i)^(?:when|how|why|what)\s+to\s+", "", item)]
        out: list[InventoryConcept] = []
        for label in labels:
            known = self.inventory.named(label)
            if known is None:
                inside = [self.inventory.concepts[o.concept] for o in self.inventory.find(label)]
                # A concept inside the topic stands for it when it is most of the topic's words.
                known = next((c for c in inside if 2 * len(terms_of(c.label)) >= len(terms_of(label))), None)
            out.append(known or self.inventory.add_local(label))
        return out

    def _explain(self, c: InventoryConcept, item: str) -> tuple[str, Place | None, bool]:
        """Return a concept's explaining sentence, where it is, and whether the notes explain it."""
        if c.definition:
            return c.definition, c.defined_at, True
        found = self._look_up(c, item)
        return found if found else ("", None, False)

    def _look_up(self, c: InventoryConcept, item: str) -> tuple[str, Place, bool] | None:
        """Find the sentence of the notes that says most about a concept, by search."""
        if self.search is None:
            return None
        wanted = set(terms_of(c.label))
        if not wanted:
            return None
        for hit in self.search(c.label, 3):
            if (hit.doc, hit.heading) in self.unexplaining:
                continue  # a list of probe questions names topics, it explains none
            best = None
            for a, b in sentences(hit.text):
                sentence = hit.text[a:b]
                said = wanted & set(terms_of(sentence))
                if 3 * len(said) >= 2 * len(wanted) and definitions.usable(sentence) and not sentence.lstrip().startswith("|"):
                    rank = (len(said), definitions.defines(sentence, 0, 0))
                    if best is None or rank > best[0]:
                        best = (rank, sentence, hit.line + hit.text.count("\n", 0, a))
            if best is not None:
                return definitions.clip(best[1]), Place(hit.doc, hit.heading, best[2]), True
        return None


class _OwnNames:
    """What a reference says about its own names: its acronym pairs ("Change Data Capture (CDC)": the
    acronym is another name of its long form), its emphasised spans, and local ids for new concepts."""

    def __init__(self, reference: str, synonyms: SynonymTable, asked: set[str]):
        self.synonyms, self.asked = synonyms, asked
        self.pairs = find_acronyms(reference)
        self.short_of = {group_key(short, synonyms): group_key(long, synonyms) for short, long in self.pairs}
        self.loud = {group_key(span, synonyms) for b in blocks(reference) for span in b.emphasis}
        self.loud |= {group_key(long, synonyms) for _, long in self.pairs}
        self.ids: dict[tuple[str, ...], str] = {}

    def key(self, label: str) -> tuple[str, ...]:
        key = group_key(label, self.synonyms)
        return self.short_of.get(key, key)

    def id_of(self, key: tuple[str, ...], label: str) -> str:
        return self.ids.setdefault(key, "local:" + (slug(label, 50) or "-".join(key)))

    def mention(self, cid: str, key: tuple[str, ...], label: Any, source: str, heading: bool, df: int) -> Mention:
        """Make the mention of a name the inventory lacks; emphasised, an acronym, a heading or a written
        name makes it strong."""
        strong = key in self.loud or source == "acronym" or heading or _written_as_name(label.text)
        shorts = tuple(short for short, long in self.pairs if group_key(long, self.synonyms) == key)
        concept = InventoryConcept(cid, label.text, label.aliases + shorts, (), df, (), None, "",
                                   ("emphasis",) if strong else ("phrase",))
        words_of = set(terms_of(label.text))
        return Mention(concept, emphasised=strong, asked=bool(words_of & self.asked) and words_of <= self.asked)


def with_concepts(q: Question, concepts: tuple[Concept, ...]) -> Question:
    """Return a question with its concepts; a probe's reference becomes what a strong answer covers,
    assembled from the notes (its own line is kept as `focus`)."""
    if q.kind == "probe" and probe_items(q.reference):
        return replace(q, concepts=concepts, reference=assembled_reference(concepts), focus=q.reference)
    return replace(q, concepts=concepts)


def assembled_reference(concepts: Iterable[Concept]) -> str:
    """Write what a strong answer covers: each concept with the sentence of the notes that explains it
    (a concept the notes do not explain is named alone)."""
    return "\n".join(f"{c.label}: {c.evidence}" if c.evidence else f"{c.label}." for c in concepts)


def _written_as_name(label: str) -> bool:
    """Tell whether a label is written as a name: an acronym or a Capitalised word past its first."""
    ws = label.split()
    return any(w.isupper() and len(w) > 1 for w in ws) or any(w[:1].isupper() for w in ws[1:])


def _inside(a: InventoryConcept, b: InventoryConcept) -> bool:
    """Tell whether concept a's words are all inside concept b's name."""
    ta, tb = set(terms_of(a.label)), set(terms_of(b.label))
    return bool(ta) and ta < tb


def _evidence(c: InventoryConcept, mentions: Iterable[Sentence]) -> str:
    """Return the reference sentence that best explains a concept: one that defines it, else the first
    that says something about it (not a heading, not an example, long enough)."""
    best: tuple[tuple[int, int, int], str] | None = None
    for k, s in enumerate(mentions):
        if s.heading or not definitions.usable(s.text):
            continue
        rank = (0 if _defines(c, s.text) else 1, 1 if _EXAMPLE.match(s.text) else 0, k)
        if best is None or rank < best[0]:
            best = (rank, s.text)
    return definitions.clip(best[1]) if best else ""


def _defines(c: InventoryConcept, sentence: str) -> bool:
    low = sentence.lower()
    for w in (c.label, *c.aliases):
        at = low.find(w.lower())
        if 0 <= at <= 4 and definitions.defines(sentence, at, at + len(w)):
            return True
    return False


def _line_index(region: Sequence[Passage]) -> dict[str, tuple[Passage, int]]:
    """Map the start of every sentence of a question's sections to where it is."""
    out: dict[str, tuple[Passage, int]] = {}
    for p in region:
        for b in p.blocks:
            for a, z in sentences(b.text):
                out.setdefault(_norm(b.text[a:z])[:60], (p, b.line_of(a)))
    return out


def _place_of(sentence: str, lines: dict[str, tuple[Passage, int]]) -> Place | None:
    found = lines.get(_norm(sentence)[:60]) if sentence else None
    if found is None:
        return None
    p, line = found
    return Place(p.doc, p.section.heading, line)


def _norm(text: str) -> str:
    return " ".join(w.text for w in words(text))
