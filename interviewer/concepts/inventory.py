"""The concept inventory: every concept the notes teach, built once from the whole corpus.

    candidates (sources.py) → label rules (rules.py) → merged by wording → concept rules (recurs,
    single words need standing, in the notes) → label, aliases, topics, passages, related concepts and
    the defining sentence → one InventoryConcept each, saved as JSON in the data dir.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

from interviewer.concepts import definitions
from interviewer.concepts.finder import Finder, Occurrence, single, singular
from interviewer.concepts.phrases import sentences
from interviewer.concepts.rules import Verdict, concept_rule, judge
from interviewer.concepts.sources import (
    STRONG, Candidate, Passage, from_lexicon, from_passage, from_questions, from_synonyms, passages,
)
from interviewer.errors import IndexCorrupt, IndexMissing
from interviewer.extract.rules import slug, topic_of
from interviewer.lexicon import Lexicon
from interviewer.records import HEADING_SEPARATOR, Document, InventoryConcept, Place, Question
from interviewer.text import words
from interviewer.vocabulary import SynonymTable, terms_of

FORMAT = 1
MAX_ALIASES = 10
MAX_RELATED = 5
MAX_TOPICS = 3


class Inventory:
    """The concepts of a corpus, by id, with a finder for their wordings."""

    def __init__(self, concepts: Iterable[InventoryConcept], synonyms: SynonymTable,
                 dropped: dict[str, tuple[str, str]] | None = None):
        """`dropped`: the candidates a concept rule dropped, by group key: (label, rule) — for `--explain`."""
        self.concepts: dict[str, InventoryConcept] = {c.id: c for c in concepts}
        self.synonyms = synonyms
        self.dropped = dropped or {}
        self.finder = Finder(((c.id, w) for c in self.concepts.values() for w in wordings(c)), synonyms)

    def __len__(self) -> int:
        return len(self.concepts)

    def __iter__(self):
        return iter(self.concepts.values())

    def get(self, concept_id: str) -> InventoryConcept | None:
        """Return a concept by id."""
        return self.concepts.get(concept_id)

    def defined_at(self, concept_id: str) -> Place | None:
        """Return where the notes define a concept (None when they only name it, or it is not known)."""
        found = self.concepts.get(concept_id) if concept_id else None
        return found.defined_at if found is not None else None

    def named(self, phrase: str) -> InventoryConcept | None:
        """Return the concept a phrase names exactly (a label or an alias), if any."""
        cid = self.finder.owner(phrase)
        return self.concepts.get(cid) if cid else None

    def find(self, text: str) -> list[Occurrence]:
        """Return the concepts a text names, left to right."""
        return self.finder.find(text)

    def add_local(self, label: str, aliases: tuple[str, ...] = (), topics: tuple[str, ...] = ()) -> InventoryConcept:
        """Add a concept only one question names (a probe's topic the notes never mention); return it,
        or the concept already known by that name."""
        known = self.named(label)
        if known is not None:
            return known
        base = slug(label, 50) or "concept"
        cid, n = base, 2
        while cid in self.concepts:
            cid, n = f"{base}-{n}", n + 1
        concept = InventoryConcept(cid, label, aliases, topics, 0, (), None, "", ("question",))
        self.concepts[cid] = concept
        self.finder.add(cid, (label, *aliases))
        return concept

    def matching(self, query: str | None = None, topic: str | None = None) -> list[InventoryConcept]:
        """Return the concepts whose label or aliases share the query's words (all, without one), by topic."""
        wanted = set(terms_of(query)) if query else set()
        out = []
        for c in self.concepts.values():
            if topic and topic.lower() not in (t.lower() for t in c.topics):
                continue
            if wanted:
                have = {t for w in (c.label, *c.aliases) for t in terms_of(w)}
                if not wanted <= have:
                    continue
            out.append(c)
        return sorted(out, key=lambda c: (-c.df, c.label.lower()))

    def save(self, path: Path) -> None:
        """Write the inventory as JSON (with a format version)."""
        data = {"format": FORMAT, "concepts": [c.to_dict() for c in self.concepts.values()],
                "dropped": {k: list(v) for k, v in sorted(self.dropped.items())}}
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=0), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, synonyms: SynonymTable) -> Inventory:
        """Read an inventory written by `save`."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IndexMissing(f"there is no concept inventory at {path}; run `interviewer build-index`") from exc
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"the concept inventory at {path} cannot be read ({exc}); run `interviewer build-index`") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise IndexCorrupt(f"the concept inventory at {path} has another format; run `interviewer build-index`")
        try:
            dropped = {k: (v[0], v[1]) for k, v in data.get("dropped", {}).items()}
            return cls((InventoryConcept.from_dict(c) for c in data["concepts"]), synonyms, dropped)
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexCorrupt(f"the concept inventory at {path} is damaged ({exc}); run `interviewer build-index`") from exc


def wordings(c: InventoryConcept) -> tuple[str, ...]:
    """Return the names a concept is found by: its label and aliases, but an acronym ("BASE", "CAP") is
    not found by the everyday word it spells ("base", "cap")."""
    if c.label.isupper():
        return (c.label, *(a for a in c.aliases if a.lower() != c.label.lower() or a.isupper()))
    return (c.label, *c.aliases)


# --------------------------------------------------------------------------- building


@dataclass
class Group:
    """The candidates merged into one concept while the inventory is built."""

    key: tuple[str, ...]
    surfaces: Counter = field(default_factory=Counter)
    sources: set[str] = field(default_factory=set)
    aliases: list[str] = field(default_factory=list)
    found_by: dict[str, set[int]] = field(default_factory=dict)  # source → sections where it proposed this
    dropped_by: str = ""  # the concept rule that dropped it

    def add(self, text: str, cand: Candidate, aliases: Sequence[str]) -> None:
        self.surfaces[text] += 1
        self.sources.add(cand.source)
        for a in (*cand.aliases, *aliases):
            if a not in self.aliases:
                self.aliases.append(a)
        found = self.found_by.setdefault(cand.source, set())
        if cand.section >= 0:
            found.add(cand.section)


@dataclass
class Build:
    """Everything a build learns about candidates: the verdict on each, the groups, the finished inventory."""

    verdicts: dict[tuple[str, str], Verdict]
    groups: dict[tuple[str, ...], Group]
    inventory: Inventory
    passages: list[Passage]


def build_inventory(documents: Sequence[Document], questions: Sequence[Question], lexicon: Lexicon,
                    synonyms: SynonymTable) -> Build:
    """Build the concept inventory of a corpus."""
    sections = passages(documents)
    candidates = _recurring([c for p in sections for c in from_passage(p)])
    candidates += [*from_lexicon(lexicon), *from_synonyms(synonyms), *from_questions(questions)]
    verdicts: dict[tuple[str, str], Verdict] = {}
    groups: dict[tuple[str, ...], Group] = {}
    for cand in candidates:
        verdict = verdicts.get((cand.text, cand.source))
        if verdict is None:
            verdict = verdicts[(cand.text, cand.source)] = judge(cand.text, cand.source, synonyms)
        for label in verdict.labels:
            key = group_key(label.text, synonyms)
            if key:
                groups.setdefault(key, Group(key)).add(label.text, cand, label.aliases)
    merged = _merge(groups, synonyms, lexicon)
    casing = _casing(sections)
    inventory = _finish(merged, sections, questions, synonyms, casing)
    return Build(verdicts, groups, inventory, sections)


def key_text(key: tuple[str, ...]) -> str:
    """Return a group key as one string (how the inventory file records dropped candidates)."""
    return " ".join(key)


def group_key(label: str, synonyms: SynonymTable) -> tuple[str, ...]:
    """Return what merges candidate labels into one concept: their canonical terms; a one-word label
    also by its spelling ("messaging" and "messages" stem alike and are two things)."""
    key = synonyms.canonical(terms_of(label))
    if single(key) and " " not in label.strip():
        return key + ("=" + singular(label.strip()),)
    return key


# A trailing word that names a kind of thing: "X pattern" is X, "load balancing algorithms" load balancing.
_SHAPE_END = re.compile(r"(?i)\s+(?:design|architecture)$")
_GENERIC_END = re.compile(r"(?i)\s+(?:pattern|patterns|strategy|strategies|technique|techniques|approach|approaches|mechanism|mechanisms|algorithm|algorithms)$")


def _recurring(candidates: list[Candidate]) -> list[Candidate]:
    """Keep the candidates of running text that the notes use in two sections or more (a one-off phrase
    is dropped by the `recurs` rule anyway: judging it would only cost time); keep the others all."""
    need = concept_rule("recurs").params["min_sections"]
    where: dict[str, set[int]] = defaultdict(set)
    for c in candidates:
        if c.source == "phrase":
            where[c.text.lower()].add(c.section)
    return [c for c in candidates if c.source != "phrase" or len(where[c.text.lower()]) >= need]


class _Unions:
    """Disjoint sets of group keys (union-find): which groups are one concept."""

    def __init__(self, keys: Iterable[tuple[str, ...]]):
        self.parent = {k: k for k in keys}

    def root(self, k: tuple[str, ...]) -> tuple[str, ...]:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def join(self, child: tuple[str, ...], into: tuple[str, ...]) -> None:
        self.parent[self.root(child)] = self.root(into)


def _merge(groups: dict[tuple[str, ...], Group], synonyms: SynonymTable, lexicon: Lexicon) -> list[Group]:
    """Merge groups that are one concept: an alias of one is the key of another ("CDC" / "change data
    capture"), "the X pattern" is X, or they are one word written apart and joined ("fail over" / "failover")."""
    unions = _Unions(groups)
    ambiguous = {s for s, longs in lexicon.acronyms.items() if len(longs) > 1}
    joined: dict[str, tuple[str, ...]] = {}
    for key, g in groups.items():
        for alias in g.aliases:
            if alias.lower() in ambiguous:
                continue  # "CDC" is change data capture in one passage and content-defined chunking in another
            akey = group_key(alias, synonyms)
            if akey in groups and akey != key:
                unions.join(akey, key)
        for surface in g.surfaces:
            _merge_wording(key, surface, groups, synonyms, unions, joined)
    return _merged(groups, unions)


def _merge_wording(key: tuple[str, ...], surface: str, groups: dict[tuple[str, ...], Group], synonyms: SynonymTable,
                   unions: _Unions, joined: dict[str, tuple[str, ...]]) -> None:
    """Join a group to the one its wording names without a generic end, or written as one word."""
    # "the bulkhead pattern" is the bulkhead, "the saga pattern" the saga.
    base = _GENERIC_END.sub("", surface)
    if base != surface:
        bkey = group_key(base, synonyms)
        if bkey in groups and bkey != key:
            unions.join(key, bkey)
    # "cellular design" and "cellular architecture": one concept, named by the design or its architecture.
    shape = _SHAPE_END.sub("", surface)
    if shape != surface and group_key(shape, synonyms):
        skey = "~" + " ".join(group_key(shape, synonyms))
        if skey in joined and joined[skey] != key:
            unions.join(key, joined[skey])
        joined.setdefault(skey, key)
    # "fail over", "fail-over" and "failover": one word written apart.
    apart = re.search(r"[\s\-/]", surface) is not None
    glued = singular(re.sub(r"[\s\-/]", "", surface.lower()))
    if glued in joined and joined[glued] != key and (apart or joined.get("#" + glued)):
        unions.join(key, joined[glued])
    joined.setdefault(glued, key)
    if apart:
        joined["#" + glued] = key


def _merged(groups: dict[tuple[str, ...], Group], unions: _Unions) -> list[Group]:
    """Fold every group into its set's root: wordings, sources and aliases together."""
    out: dict[tuple[str, ...], Group] = {}
    for key, g in groups.items():
        r = unions.root(key)
        target = out.setdefault(r, Group(r))
        target.surfaces.update(g.surfaces)
        target.sources |= g.sources
        for source, found in g.found_by.items():
            target.found_by.setdefault(source, set()).update(found)
        for a in g.aliases + (list(g.surfaces) if key != r else []):
            if a not in target.aliases:
                target.aliases.append(a)
    return list(out.values())


@dataclass(frozen=True)
class Casing:
    """How the corpus writes its words: lowercase, and with a capital inside a sentence."""

    lower: Counter
    capital: Counter

    def fix(self, word: str) -> str:
        """Lower a capitalised word the notes write in lowercase more often than with a capital ("Saga" →
        "saga"); a name keeps its capital ("Kafka")."""
        if not (word[:1].isupper() and word[1:].islower()):
            return word
        return word.lower() if self.lower[word.lower()] >= max(1, self.capital[word]) else word

    def name(self, word: str) -> bool:
        """Tell whether the notes write a word only with a capital."""
        return not self.lower[word.lower()]


_MID_CAPITAL = re.compile(r"(?<=[a-z,] )[A-Z][a-z]+")


def _casing(sections: list[Passage]) -> Casing:
    """Count how the corpus writes its words (a capital inside a sentence marks a name)."""
    lower: Counter = Counter()
    capital: Counter = Counter()
    for p in sections:
        for b in p.blocks:
            if b.kind in ("text", "item"):
                lower.update(re.findall(r"\b[a-z][a-z0-9-]+\b", b.text))
                capital.update(_MID_CAPITAL.findall(b.text))
    return Casing(lower, capital)


@dataclass
class _Seen:
    """What the scan of the corpus found about one group."""

    sections: set[int] = field(default_factory=set)
    surfaces: Counter = field(default_factory=Counter)
    definition: definitions.Definition | None = None
    defined_at: Place | None = None


def _finish(groups: list[Group], sections: list[Passage], questions: Sequence[Question], synonyms: SynonymTable,
            casing: Casing) -> Inventory:
    """Apply the concept rules on the corpus-wide evidence; label, alias, place and define each concept."""
    provisional = {f"g{i}": g for i, g in enumerate(groups)}
    finder = Finder(((gid, w) for gid, g in provisional.items() for w in (*g.surfaces, *g.aliases)), synonyms)
    seen = {gid: _Seen() for gid in provisional}
    named_in = [_scan(p, finder, seen, synonyms) for p in sections]
    _asked_definitions(questions, finder, seen)
    kept: dict[str, Group] = {}
    dropped: dict[str, tuple[str, str]] = {}
    for gid, g in provisional.items():
        g.dropped_by = _concept_rules(g, seen[gid], casing)
        if not g.dropped_by:
            kept[gid] = g
        else:
            dropped[key_text(g.key)] = (next(iter(g.surfaces)), g.dropped_by)
    ids = _ids(kept, seen, casing, synonyms)
    cooccur: Counter = Counter()
    for named in named_in:
        ordered = sorted(gid for gid in named if gid in kept)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                cooccur[(a, b)] += 1
    related: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for (a, b), n in cooccur.items():
        if n >= 2:
            score = n / math.sqrt(len(seen[a].sections) * len(seen[b].sections))
            related[a].append((score, b))
            related[b].append((score, a))
    concepts = []
    for gid, g in kept.items():
        s = seen[gid]
        label = _label(g, s, casing, synonyms)
        place = s.defined_at if s.definition is not None else None
        concepts.append(InventoryConcept(
            id=ids[gid],
            label=label,
            aliases=_aliases(label, g, s, synonyms),
            topics=_topics(s.sections, sections),
            df=len(s.sections),
            related=tuple(ids[b] for _, b in sorted(related[gid], key=lambda x: (-x[0], ids[x[1]]))[:MAX_RELATED]),
            defined_at=place,
            definition=definitions.clip(s.definition.text) if s.definition else "",
            sources=tuple(sorted(g.sources)),
        ))
    return Inventory(sorted(_own_wordings(concepts, synonyms), key=lambda c: c.id), synonyms, dropped)


def _own_wordings(concepts: list[InventoryConcept], synonyms: SynonymTable) -> list[InventoryConcept]:
    """Take from each concept's aliases the wordings that are another concept's name ("CDC" keeps
    neither "change data capture" nor "content-defined chunking": each is a concept of its own)."""
    names = {group_key(c.label, synonyms): c.id for c in concepts}
    out = []
    for c in concepts:
        own = tuple(a for a in c.aliases if names.get(group_key(a, synonyms), c.id) == c.id)
        out.append(c if own == c.aliases else replace(c, aliases=own))
    return out


_COMPARES = re.compile(r"(?i)\b(?:vs\.?|versus|compared?)\b")


def _scan(p: Passage, finder: Finder, seen: dict[str, _Seen], synonyms: SynonymTable) -> set[str]:
    """Find every group a section names; note where, how it is written, and its best definition."""
    named: set[str] = set()
    heading = p.section.heading_path[-1] if p.section.heading_path else ""
    in_heading = finder.find(heading) if heading else []
    for occ in in_heading:
        seen[occ.concept].sections.add(p.index)
        named.add(occ.concept)
    introduced = _introduced(heading, in_heading)
    first = True
    for block in p.blocks:
        if block.kind == "code":
            continue
        for a, b in sentences(block.text):
            sentence = block.text[a:b]
            place = _place(p, block.line_of(a))
            for occ in finder.find(sentence):
                _note(seen[occ.concept], p.index, sentence, occ, block, place)
                named.add(occ.concept)
            prose = block.kind in ("text", "item") and definitions.usable(sentence)
            if first and prose and not definitions.labelled(sentence):
                first = False  # the first sentence under a heading that introduces a concept defines it
                for gid, share in introduced.items():
                    strength = definitions.UNDER_HEADING + definitions.HEADING_SHARE * min(share, 1.0)
                    _offer(seen[gid], definitions.Definition(sentence, strength, place.line), place)
    return named


def _introduced(heading: str, in_heading: list[Any]) -> dict[str, float]:
    """Return the concepts a heading introduces, each with its share of the heading's words.

    A heading that is the concept's name (give or take numbering) introduces it; one that names it among
    other things does not. The share ranks two such headings: "2. Eventual Consistency" introduces
    eventual consistency more than "Causal Consistency (Eventual Consistency)" does. A heading that
    compares ("Snowflake ID vs UUID?") introduces neither side on its own.
    """
    if _COMPARES.search(heading):
        return {}
    heading_words = len([w for w in words(heading) if not w.text.isdigit()]) or 1
    shares: dict[str, float] = defaultdict(float)
    for o in in_heading:  # "Multi-Version Concurrency Control (MVCC)": its longest wording counts
        shares[o.concept] = max(shares[o.concept], len(words(heading[o.start : o.end])) / heading_words)
    return {cid: share for cid, share in shares.items() if 2 * share >= 1}


def _note(s: _Seen, section: int, sentence: str, occ: Any, block: Any, place: Place) -> None:
    """Note a concept's mention in a sentence: the section, how it is written, and the sentence as a
    definition when it defines it."""
    s.sections.add(section)
    s.surfaces[sentence[occ.start : occ.end]] += 1
    if block.kind in ("text", "item") and definitions.usable(sentence):
        strength = definitions.strength(sentence, occ.start, occ.end)
        if strength:
            _offer(s, definitions.Definition(sentence, strength, place.line), place)


def _offer(s: _Seen, d: definitions.Definition, place: Place) -> None:
    if definitions.better(d, s.definition):
        s.definition, s.defined_at = d, place


def _place(p: Passage, line: int) -> Place:
    return Place(p.doc, p.section.heading, line)


def _asked_definitions(questions: Sequence[Question], finder: Finder, seen: dict[str, _Seen]) -> None:
    """Offer, for each question that asks what a concept is ("What is the bulkhead pattern?", "Explain
    fencing."), its model answer's first sentence as the concept's definition."""
    for q in questions:
        m = definitions.ASKS_FOR.match(q.prompt.strip())
        if not m or q.kind == "probe":
            continue
        found = finder.find(m.group("x"))
        if len(found) != 1 or 2 * len(words(m.group("x")[found[0].start : found[0].end])) < len(words(m.group("x"))):
            continue
        right = "ABCDEFGH".find((q.answer_option or "?")[:1])
        # A choice question's right option says what the thing is; its explanation often starts elsewhere.
        option = q.options[right] if q.kind == "choice" and 0 <= right < len(q.options) else ""
        sentence = option if len(words(option)) >= definitions.MIN_WORDS else definitions.first_sentence(q.reference)
        if sentence:
            d = definitions.Definition(sentence, definitions.ASKED, q.source.line)
            _offer(seen[found[0].concept], d, Place(q.source.doc, q.source.heading, q.source.line))


def _concept_rules(g: Group, s: _Seen, casing: Casing) -> str:
    """Return the name of the concept rule that drops a group, or "" to keep it."""
    strong = g.sources & STRONG
    if "name" in strong and not casing.name(next(iter(g.surfaces))):
        strong = strong - {"name"}  # a Capitalised word is a name only if the notes never lowercase it ("Kafka")
    if not strong and len(s.sections) < concept_rule("recurs").params["min_sections"]:
        return "recurs"
    if len(g.key) == 1 and "_" not in g.key[0] and not _single_word_standing(g, s, strong):
        return "single_word_needs_standing"
    if not s.sections:
        return "in_the_notes"
    if len(g.surfaces) == 1 and not g.sources & {"heading", "acronym"} and _shouted(next(iter(g.surfaces)), casing):
        return "shouted_word"
    return ""


def _shouted(word: str, casing: Casing) -> bool:
    """Tell whether a word in capitals is an everyday word said loudly ("OPEN", "HALF"), not an acronym."""
    return word.isalpha() and word.isupper() and len(word) > 2 and casing.lower[word.lower()] >= 2


def _single_word_standing(g: Group, s: _Seen, strong: set[str]) -> bool:
    """Tell whether a one-word concept is a term of the trade: an acronym, a synonym-table wording, a
    probe topic, a name, a heading of its own, or a word the notes emphasise in two places or define."""
    if strong & {"acronym", "synonym", "probe", "name", "heading"}:
        return True
    emphasised = g.found_by.get("emphasis", set()) | g.found_by.get("label", set())
    defined = s.definition is not None and s.definition.strength >= definitions.PATTERN
    return bool(emphasised) and (len(emphasised) >= 2 or defined)


def _label(g: Group, s: _Seen, casing: Casing, synonyms: SynonymTable) -> str:
    """Name a concept as the notes most often write it among the names its candidates give it ("API",
    not "application programming interface"); a capitalised common word is lowered."""
    used = {k.lower(): n for k, n in s.surfaces.items()}
    names = Counter(g.surfaces)
    for written in s.surfaces:  # the way the notes write the very name ("B-Tree", not "b tree", "API")
        if written not in names and "_" not in written and group_key(written, synonyms) == g.key \
                and len(words(written)) == len(terms_of(written)) and _keeps(written, synonyms):
            names[written] += 0
    phrased = any(" " in n and used.get(n.lower(), 0) for n in names)

    def rank(kv: tuple[str, int]) -> tuple:
        name, count = kv
        n = used.get(name.lower(), 0)
        if phrased and " " not in name and not name.isupper():
            n /= 3  # "relay" is short for "message relay", "Istio" one kind of service mesh: the phrase names it
        return (n, count, -len(name), name)

    best = max(names.items(), key=rank)[0]
    ws = re.sub(r"\s+", " ", best).strip().split(" ")
    if len(ws) == 1:
        return casing.fix(ws[0])
    # A name of several words is written in one way: its common words in lowercase ("change data
    # capture"), its names as the notes write them ("Kafka Streams", "Two Generals").
    return " ".join(w.lower() if w[:1].isupper() and w[1:].islower() and not casing.name(w) else w for w in ws)


def _keeps(written: str, synonyms: SynonymTable) -> bool:
    """Tell whether the label rules leave a way of writing a name as it is ("service fails" they do not)."""
    return [label.text for label in judge(written, "phrase", synonyms).labels] == [written]


def _aliases(label: str, g: Group, s: _Seen, synonyms: SynonymTable) -> tuple[str, ...]:
    """Return the other wordings of a concept: other spellings in the notes, acronyms, synonym-table wordings."""
    seen = {label.lower()}
    out: list[str] = []

    def add(w: str) -> None:
        w = re.sub(r"\s+", " ", w).strip()
        if w and w.lower() not in seen and len(out) < MAX_ALIASES:
            seen.add(w.lower())
            out.append(w)

    for a in g.aliases:
        add(a)
    token = g.key[0]
    if len(g.key) == 1 or (len(g.key) == 2 and g.key[1].startswith("=")):
        group = synonyms.wordings_of.get(token, ())
        if group and (len(g.key) == 1 or singular(group[0]) == g.key[1][1:]):
            for w in group:  # the synonym table's group is this very concept ("idempotent", "retry safe")
                add(w)
    if "-" in label:
        add(label.replace("-", " "))
    for surface, _ in (s.surfaces + g.surfaces).most_common():
        # Other ways the notes write the very name ("Write-through", "write through"), not other words.
        if len(words(surface)) == len(terms_of(surface)) and (
                terms_of(surface) == terms_of(label) or singular(surface) == singular(label)):
            add(surface)
    return tuple(out)


def _topics(found: set[int], sections: list[Passage]) -> tuple[str, ...]:
    counts: Counter = Counter()
    for i in found:
        p = sections[i]
        if p.section.heading_path:
            counts[topic_of(p.section.heading_path, "")] += 1
    return tuple(t for t, _ in counts.most_common(MAX_TOPICS))


def _ids(kept: dict[str, Group], seen: dict[str, _Seen], casing: Casing, synonyms: SynonymTable) -> dict[str, str]:
    """Give each concept a stable id: the slug of its label, numbered when two labels slug alike."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for gid, g in sorted(kept.items(), key=lambda kv: kv[1].key):
        base = slug(_label(g, seen[gid], casing, synonyms), 50) or "concept"
        cid, n = base, 2
        while cid in taken:
            cid, n = f"{base}-{n}", n + 1
        taken.add(cid)
        ids[gid] = cid
    return ids


def heading_of(p: Passage) -> str:
    return HEADING_SEPARATOR.join(p.section.heading_path)


def word_count(text: str) -> int:
    return len(words(text))
