"""The named rules that turn a candidate label into concept labels (or drop it), with a trace.

The rules, their descriptions, parameters and test rows live in data/concept_rules.toml; this module
holds one small function per rule name and a generic engine that runs them in the table's order.
A rule gets a label and returns the labels it becomes: the same one (no change), another (trimmed),
several (split) or none (dropped). Every change is recorded as a Step, so `interviewer concepts
--explain` can say which rule kept or dropped what.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Mapping

from interviewer.concepts.words import (
    edge_word, evaluative, example_domain, example_value, is_adverb, is_noun_verb, is_verb, never_alone, structural,
    word_lists,
)
from interviewer.concepts.words import meta_head as is_meta_head
from interviewer.text import word_terms
from interviewer.vocabulary import SynonymTable, default_synonyms, terms_of

_DATA = resources.files("interviewer") / "data"
SOURCES = ("heading", "emphasis", "label", "acronym", "synonym", "probe", "option", "phrase", "question")


@dataclass(frozen=True)
class Label:
    """A candidate name of a concept, with other names it was given beside it ("(CDC)")."""

    text: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One decision: a rule turned `before` into `after` (empty: dropped)."""

    rule: str
    before: str
    after: tuple[str, ...]

    @property
    def dropped(self) -> bool:
        return not self.after


@dataclass(frozen=True)
class Verdict:
    """What the label rules made of a candidate: its concept labels and the steps that led there."""

    source: str
    original: str
    labels: tuple[Label, ...]
    steps: tuple[Step, ...]

    @property
    def kept(self) -> bool:
        return bool(self.labels)

    @property
    def deciding(self) -> str:
        """Name the rule that dropped the candidate, or "kept"."""
        return next((s.rule for s in reversed(self.steps) if s.dropped), "kept") if not self.labels else "kept"


@dataclass(frozen=True)
class Rule:
    """A named rule of the table: its description, parameters, the sources it skips and its test rows."""

    name: str
    description: str
    params: Mapping[str, Any]
    skip: frozenset[str]
    examples: tuple[tuple[str, Any], ...]
    only: frozenset[str] = frozenset()  # the sources it applies to (empty: all but `skip`)


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[Rule, ...]]:
    """Return the label rules and the concept rules of data/concept_rules.toml, in order."""
    data = tomllib.loads((_DATA / "concept_rules.toml").read_text(encoding="utf-8"))
    out: dict[str, tuple[Rule, ...]] = {}
    for stage in ("label", "concept"):
        rules = []
        for raw in data.get(stage, ()):
            params = {k: v for k, v in raw.items() if k not in ("name", "description", "skip", "only", "examples")}
            rules.append(Rule(raw["name"], raw["description"], params, frozenset(raw.get("skip", ())),
                              tuple((e[0], e[1]) for e in raw.get("examples", ())), frozenset(raw.get("only", ()))))
        out[stage] = tuple(rules)
    return out


@lru_cache(maxsize=1)
def probe_rules() -> dict[str, Any]:
    """Return the [probe] table: lead-ins cut from probe lines, the separators between their topics."""
    return tomllib.loads((_DATA / "concept_rules.toml").read_text(encoding="utf-8"))["probe"]


def concept_rule(name: str) -> Rule:
    """Return a concept-stage rule by name."""
    return next(r for r in table()["concept"] if r.name == name)


def judge(text: str, source: str, synonyms: SynonymTable | None = None) -> Verdict:
    """Run every label rule on a candidate label, in the table's order; return the verdict."""
    synonyms = synonyms if synonyms is not None else default_synonyms()
    labels = [Label(_tidy(text))]
    steps: list[Step] = []
    for rule in table()["label"]:
        if source in rule.skip or (rule.only and source not in rule.only):
            continue
        apply = _RULES[rule.name]
        out: list[Label] = []
        for label in labels:
            after = apply(label, rule.params, synonyms)
            if len(after) == 1 and after[0] is label:
                out.append(label)  # unchanged: the common case, nothing to tidy or trace
                continue
            after = [Label(t, a.aliases) for a in after if (t := _tidy(a.text))]
            if [a.text for a in after] != [label.text]:
                steps.append(Step(rule.name, label.text, tuple(a.text for a in after)))
            out.extend(after)
        labels = out
        if not labels:
            break
    return Verdict(source, text, tuple(labels), tuple(steps))


def apply_rule(name: str, text: str, synonyms: SynonymTable | None = None) -> list[str]:
    """Run one label rule alone on a label (for the table's test rows)."""
    rule = next(r for r in table()["label"] if r.name == name)
    out = _RULES[name](Label(_tidy(text)), rule.params, synonyms or default_synonyms())
    return [_tidy(a.text) for a in out if _tidy(a.text)]


_QUOTES = "'’‘\"“”`"


_SPACES = re.compile(r"\s+")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+(?=\S)", re.I)


# Double quotes around a word of a label ("the \"Blocking\" problem") are the page's, not the name's.
_DOUBLE_QUOTES = re.compile(r"[\"“”]")


def _tidy(text: str) -> str:
    text = _SPACES.sub(" ", _DOUBLE_QUOTES.sub("", text)).strip(" .,;:!-–—*_" + _QUOTES)
    return _ARTICLE.sub("", text) if " " in text else text


def _words(text: str) -> list[str]:
    return text.split()


# --------------------------------------------------------------------------- the rules

RuleFn = Callable[[Label, Mapping[str, Any], SynonymTable], list[Label]]


def _same(label: Label, text: str) -> list[Label]:
    """Return the label renamed; a name left with no content word ("out") is no name."""
    return [Label(text, label.aliases)] if terms_of(text) else []


def numbered_label(label: Label, params: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    rx = _any_of(tuple(params["patterns"]))
    text = label.text
    m = rx.match(text)
    if m is None:
        return [label]
    while m is not None and m.end() < len(text):
        text = text[m.end() :].strip()
        m = rx.match(text)
    return _same(label, text)


@lru_cache(maxsize=8)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.I)


def question_subject(label: Label, params: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    m = re.match(params["subject"], label.text, re.I)
    if m:
        return _same(label, m.group("x"))
    if re.search(params["question"], label.text, re.I):
        return []
    return [label]


def sentence_span(label: Label, params: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    text = label.text.strip()
    if len(_words(text)) > int(params["max_words"]) or re.search(r"[.!?]$", text):
        return []
    return [label]


def comma_list(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    if "," not in label.text:
        return [label]
    parts = [p.strip() for p in label.text.split(",")]
    if len(_words(parts[0])) == 1 and len(parts) == 2 and not parts[0][:1].isupper():
        return []  # "same, predictable amount of work": a rating of what follows
    return [Label(re.sub(r"(?i)^(?:and|or)\s+", "", p)) for p in parts if p]


_CLAUSE_WORDS = frozenset("your our their my his her its it we you they i this that these those which who there".split())
_CLAUSE_OPENERS = frozenset("if when whenever because unless while although whether".split())


def clause(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    ws = [w.lower() for w in _words(label.text)]
    if any(w in _CLAUSE_WORDS for w in ws) or (len(ws) > 1 and (is_adverb(ws[-1]) or ws[0] in _CLAUSE_OPENERS)):
        return []  # "understand your use case", "store session state locally", "if the coordinator receives yes"
    return [label]


def possessive(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    m = re.search(r"\b(\w+)['’]s?\b(?=\s)", label.text)
    if m and "'" in label.text[m.start() : m.end() + 1] or (m and "’" in label.text[m.start() : m.end() + 1]):
        if not m.group(1)[:1].isupper():
            return []
    return [label]


def comparison(label: Label, params: Mapping[str, Any], synonyms: SynonymTable) -> list[Label]:
    parts = [p for p in re.split(params["pattern"], label.text, flags=re.I) if p.strip()]
    if len(parts) > 1:
        return [Label(p) for p in parts]
    m = _SLASH_PAIR.fullmatch(label.text)
    if m and not _known_phrase(label.text, synonyms) and label.text.lower() not in params["compounds"]:
        return [Label(m.group(1)), Label(m.group(2))]  # "Kafka/Kinesis", "Mocks/Stubs": two names
    return [label]


_SLASH_PAIR = re.compile(r"([A-Za-z][\w-]+)/([A-Za-z][\w-]+)")


def label_colon(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    if ":" not in label.text or "://" in label.text:
        return [label]
    left, right = (p.strip() for p in label.text.split(":", 1))
    if not right:
        return _same(label, left)
    if not left or structural(left) or _all_plain(left):
        return _same(label, right)
    return [Label(left), Label(right)]


def _all_plain(text: str) -> bool:
    """Tell whether every word of a text rates, labels or is generic (no word names a thing)."""
    ws = [w for w in re.split(r"[\s/-]+", text.lower()) if w and word_terms(w)]
    return bool(ws) and all(_plain_word(w) for w in ws)


def _plain_word(w: str) -> bool:
    lists = word_lists()
    return (never_alone(w) or w in lists.generic or evaluative(w) or is_meta_head(w) or edge_word(w)
            or w in _generic_alone() or w.isdigit())


@lru_cache(maxsize=1)
def _generic_alone() -> frozenset[str]:
    rule = next(r for r in table()["label"] if r.name == "generic_alone")
    return frozenset(rule.params["words"])


_PAREN = re.compile(r"^(?P<x>.*?)\s*\((?P<y>[^()]*)\)\s*(?P<rest>.*)$")


def parenthesis(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    m = _PAREN.match(label.text)
    if not m or not m.group("x").strip():
        return [label]
    inner = m.group("y").strip()
    # "Change Data Capture (CDC)": another name; "Pessimistic Locking (Lock Writes)": a note.
    alias = (inner,) if re.fullmatch(r"[A-Za-z0-9&/.-]{2,12}s?", inner) and any(c.isupper() for c in inner) else ()
    return [Label((m.group("x") + " " + m.group("rest")).strip(), label.aliases + alias)]


def lead_verb(label: Label, params: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    ws = _words(label.text)
    gerunds = frozenset(params["gerunds"])
    while ws:
        first = ws[0].lower()
        if is_adverb(first) and len(ws) > 1:
            ws = ws[2:]  # "Gradually roll out": an adverb, then its verb
        elif first in gerunds or is_verb(first) or (is_noun_verb(first) and first.endswith("s") and len(ws) > 1):
            ws = ws[1:]  # "Handling …", "Covers CDC"
        elif first in ("the", "a", "an") and len(ws) > 1:
            ws = ws[1:]
        elif first in ("when", "how", "why", "what", "where", "whether") and len(ws) > 2 and ws[1].lower() == "to":
            ws = ws[2:]  # "when to denormalize data"
        elif first in word_lists().breakers:
            ws = ws[1:]  # "roll out", "scale up": the verb's particle goes with it
        else:
            break
    return _same(label, " ".join(ws)) if ws else []


def cut_at_preposition(label: Label, params: Mapping[str, Any], synonyms: SynonymTable) -> list[Label]:
    stops = _word_set(tuple(params["words"]))
    ws = _words(label.text)
    cut = next((i for i, w in enumerate(ws) if i and w.lower().strip(",;") in stops), None)
    if cut is None and ws[-1].lower() not in _DANGLING:
        return [label]
    if _known_phrase(label.text, synonyms):
        return [label]  # "backend for frontend", "time to live"
    ws = ws[:cut]
    while ws and ws[-1].lower() in _DANGLING:
        ws = ws[:-1]
    return _same(label, " ".join(ws)) if ws else []


_DANGLING = frozenset({"of", "and", "or", "the", "a", "an", "&"})


@lru_cache(maxsize=8)
def _word_set(ws: tuple[str, ...]) -> frozenset[str]:
    return frozenset(ws)


_ADJECTIVE = re.compile(r"(?:al|ive|ous|ic|ary|ent|ant|ful|less|able|ible)$", re.I)


def split_and(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    parts = [p.strip() for p in re.split(r"\s+(?:and|&)\s+", label.text) if p.strip()]
    if len(parts) < 2:
        return [label]
    first = parts[0].split()
    if len(first) == 1 and _ADJECTIVE.search(first[0]) and len(parts[-1].split()) > 1:
        return [label]  # "Legal and Regulatory Compliance": two modifiers of one head
    return [Label(p) for p in parts]


# Third-person forms that end a subject-and-verb label ("client asks", "coordinator fails"); plurals
# that look alike ("retry attempts", "consumer groups") are not listed.
_SUBJECT_VERBS = frozenset("""asks fails waits sends crashes dies responds replies returns receives
becomes calls decides tries writes reads retries goes comes holds keeps gets sees knows thinks wants
needs stops starts restarts recovers rejoins rejects accepts applies commits aborts votes wins loses
times fires inspects computes calculates verifies expires""".split())


def generic_head(label: Label, params: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    ws = _words(label.text)
    while len(ws) > 1 and ws[-1].lower() in params["words"]:
        ws = ws[:-1]
    return _same(label, " ".join(ws))


def trailing_verb(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    ws = _words(label.text)
    if len(ws) > 1 and (ws[-1].lower() in _SUBJECT_VERBS or (is_verb(ws[-1].lower()) and ws[-1].lower().endswith("s"))):
        return _same(label, " ".join(ws[:-1]))
    return [label]


def edge_words(label: Label, _p: Mapping[str, Any], synonyms: SynonymTable) -> list[Label]:
    ws = _words(label.text)
    if _known_phrase(label.text, synonyms):
        return [label]  # "single point of failure", "multiple availability zones"
    while len(ws) > 1 and edge_word(ws[0]) and not _known_phrase(" ".join(ws), synonyms):
        ws = ws[1:]
    while len(ws) > 1 and edge_word(ws[-1]):
        ws = ws[:-1]
    if len(ws) == 1 and edge_word(ws[0]):
        return []
    return _same(label, " ".join(ws))


def _known_phrase(text: str, synonyms: SynonymTable) -> bool:
    """Tell whether the synonym table knows a wording of several words as one idea."""
    key = synonyms.canonical(terms_of(text))
    return len(key) == 1 and "_" in key[0]


def meta_head(label: Label, _p: Mapping[str, Any], synonyms: SynonymTable) -> list[Label]:
    ws = _words(label.text)
    trimmed = False
    while ws and is_meta_head(ws[-1]):
        ws, trimmed = ws[:-1], True
    rest = " ".join(ws)
    if trimmed and len(ws) > 1 and evaluative(ws[0]) and not _known_phrase(rest, synonyms):
        return []  # "The Key Reliability Benefit" rates a benefit; it names no "key reliability"
    return _same(label, rest) if ws else []


def structural_rule(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    if structural(label.text) or _generic_heading(label.text):
        return []
    return [label]


@lru_cache(maxsize=1)
def _generic_headings() -> re.Pattern[str]:
    data = tomllib.loads((_DATA / "extract.toml").read_text(encoding="utf-8"))
    return re.compile("(?:%s)" % "|".join(data["concepts"]["generic_headings"]), re.I)


def _generic_heading(text: str) -> bool:
    return bool(_generic_headings().fullmatch(text.strip(" ?:.")))


# Operators and brackets, or a method call on an object ("db.save", "InventoryService.releaseItems").
_CODE = re.compile(r"[=(){};<>\[\]^\\|~$#@+→←]|\b\w+\.[a-z]+[A-Z]\w*|\b[a-z]+\.[a-z]+\b(?!\.)")


def code_or_value(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    if _CODE.search(label.text):
        return []
    ws = [w.strip(",.;:") for w in re.split(r"\s+", label.text)]
    for w in ws:
        if w and (example_value(w) and not _trade_name(w) or _HEXISH.fullmatch(w)):
            return []
        if len(ws) > 1 and len(w) == 1 and w.isupper():
            return []  # "process B", "Node A": a part of an example, lettered
    return [label]


# A key, a hash or a UUID of an example ("f47ac10b-58cc-4372-a567-0e02b2c3d479", "a1b2c3d4").
_HEXISH = re.compile(r"(?=[\w-]*\d[\w-]*[a-z]|[\w-]*[a-z][\w-]*\d)[0-9a-f]{6,}(?:-[0-9a-f]+)*", re.I)


def _trade_name(word: str) -> bool:
    """Names of the trade that look like identifiers: "HTTP/2", "DynamoDB", "RabbitMQ", "K8s", "mTLS", "2PC".

    A Pascal-cased word is a name only with capitals in a row ("PostgreSQL", "MongoDB"): "OrderCreated"
    and "PaymentService" are names from an example's code.
    """
    return bool(re.fullmatch(
        r"[A-Z][A-Za-z]*[A-Z]{2,}[A-Za-z]*|[A-Z]{2,}\d*s?|[a-z][A-Z]{2,}s?|[A-Z]\d+[a-z]+|\d[A-Z]{2,}s?"
        r"|[A-Za-z]+/\d(?:\.\d)?", word))


def too_long(label: Label, params: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    return [] if len(_words(label.text)) > int(params["max_words"]) else [label]


def generic_alone(label: Label, params: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    ws = _words(label.text)
    if len(ws) != 1:
        return [label]
    w = ws[0].lower()
    parts = [p for p in re.split(r"[-/]", w) if p]
    if w in params["words"] or all(never_alone(p) or p in params["words"] or not word_terms(p) for p in parts):
        return []
    if is_verb(w) or evaluative(w) or edge_word(w) or is_adverb(w):
        return []
    if ws[0][1:].islower() and _ADJECTIVE_ALONE.search(w):
        return []  # "theoretical", "reactive", "predictable": a word that describes, not a thing
    if ws[0][1:].islower() and w.endswith("ed") and not w.endswith("eed"):
        return []  # "paused", "deployed", "throttled": a state, said of something
    if len(w) < 2:
        return []  # "N", "W", "R": the letters of a formula
    return [label]


# Endings of words that describe; "-ic" and "-ent" name things too ("topic", "agent").
_ADJECTIVE_ALONE = re.compile(r"(?:al|ous|ive|able|ible|ful|less)$")


def evaluative_head(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    ws = _words(label.text)
    if len(ws) > 1 and _all_plain(label.text):
        return []
    return [label]


def example_entity(label: Label, _p: Mapping[str, Any], _s: SynonymTable) -> list[Label]:
    ws = [w for w in re.split(r"[\s/]+", label.text) if w]
    low = [w.lower().strip(",.") for w in ws]
    if not any(example_domain(w) for w in low):
        return [label]
    if all(example_domain(w) or _plain_word(w) for w in low):
        return []  # "payment processor", "user request", "European customers"
    if ws[0][:1].isupper() and example_domain(low[0]) and len(ws) > 1 and not ws[1][:1].isupper():
        return []  # "Payment microservices", "Order service": a part of the example, named
    return [label]


_RULES: dict[str, RuleFn] = {
    "numbered_label": numbered_label,
    "question_subject": question_subject,
    "sentence_span": sentence_span,
    "comparison": comparison,
    "label_colon": label_colon,
    "parenthesis": parenthesis,
    "comma_list": comma_list,
    "possessive": possessive,
    "clause": clause,
    "lead_verb": lead_verb,
    "cut_at_preposition": cut_at_preposition,
    "split_and": split_and,
    "trailing_verb": trailing_verb,
    "generic_head": generic_head,
    "edge_words": edge_words,
    "meta_head": meta_head,
    "structural": structural_rule,
    "code_or_value": code_or_value,
    "too_long": too_long,
    "generic_alone": generic_alone,
    "evaluative_head": evaluative_head,
    "example_entity": example_entity,
}
