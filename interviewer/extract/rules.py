"""The extractors' rule tables (data/extract.toml, data/topics.toml) and the small functions that apply them."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Sequence

from interviewer.records import Question, Source
from interviewer.text import analyze, words

_DATA = resources.files("interviewer") / "data"
MAX_ID_LENGTH = 60
# A doc without a leading number ("my-notes") is named by this much of its slug in ids.
_DOC_SLUG_LENGTH = 20


def _load(name: str) -> dict:
    return tomllib.loads((_DATA / name).read_text(encoding="utf-8"))


RULES = _load("extract.toml")
_TOPICS = _load("topics.toml")
CONCEPTS = RULES["concepts"]
FORMATS = RULES["formats"]
DIFFICULTY = RULES["difficulty"]
HINTS = RULES["hints"]

_GENERIC = re.compile("(?:%s)" % "|".join(RULES["concepts"]["generic_headings"]), re.I)
_DROPPED = re.compile("(?:%s)" % "|".join(RULES["concepts"]["dropped_headings"]), re.I)
_PREFIXES = [re.compile(p, re.I) for p in CONCEPTS["heading_prefixes"]]
_SUFFIXES = [re.compile(p, re.I) for p in CONCEPTS["heading_suffixes"]]
_PHRASING = [(r["name"], re.compile(r["when"], re.I), r["template"]) for r in CONCEPTS["phrasing"]]
_GERUNDS: dict[str, str] = CONCEPTS["gerunds"]
_SHAPES = [(re.compile(s["when"], re.I), int(s["points"])) for s in DIFFICULTY["shapes"]]
_REPLACEMENTS: dict[str, str] = RULES["replacements"]
_ARTICLE_BEFORE = re.compile(r"^(the|a|an)\b", re.I)


# --------------------------------------------------------------------------- text bits


def replace_notation(text: str) -> str:
    """Replace the notation the table lists (LaTeX arrows) by plain characters."""
    for old, new in _REPLACEMENTS.items():
        text = text.replace(old, new)
    return text


def slug(text: str, limit: int = 40) -> str:
    """Return a url-safe slug of a text, cut at a word boundary to at most `limit` characters."""
    parts = re.findall(r"[a-z0-9]+", text.lower().replace("'", ""))
    out = ""
    for part in parts:
        candidate = f"{out}-{part}" if out else part
        if len(candidate) > limit:
            break
        out = candidate
    return out or (parts[0][:limit] if parts else "")


def doc_prefix(doc_id: str) -> str:
    """Return the id prefix of a document: its leading number, else a short slug of its name."""
    m = re.match(r"\d+", doc_id)
    return m.group(0) if m else (slug(doc_id, _DOC_SLUG_LENGTH) or "doc")


def question_id(doc_id: str, kind: str, key: str) -> str:
    """Build a deterministic, url-safe id from the doc number, the kind and a content key."""
    head = f"{doc_prefix(doc_id)}-{kind}-"
    return head + (slug(key, MAX_ID_LENGTH - len(head)) or "x")


def with_suffix(qid: str, *content: str) -> str:
    """Make a colliding id unique with a short hash of the question's content."""
    digest = hashlib.sha1("\x1f".join(content).encode("utf-8")).hexdigest()[:6]
    return f"{qid[: MAX_ID_LENGTH - 7].rstrip('-')}-{digest}"


def prose_word_count(text: str) -> int:
    """Count the words of a plain text."""
    return len(words(text))


# --------------------------------------------------------------------------- headings


def is_generic(heading: str) -> bool:
    """Tell whether a heading names a part of an explanation rather than a subject."""
    return bool(_GENERIC.fullmatch(strip_label(heading).strip(" ?:.")) or _GENERIC.fullmatch(heading.strip(" ?:.")))


def is_dropped(heading: str) -> bool:
    """Tell whether a section holds links rather than prose (references, tables of contents)."""
    return bool(_DROPPED.fullmatch(heading.strip(" :")))


def strip_label(heading: str) -> str:
    """Remove numbering and labels ("1. ", "B. ", "Concept: ", "The Solution: ") from a heading."""
    text = heading.strip()
    changed = True
    while changed:
        changed = False
        for rx in _PREFIXES:
            m = rx.match(text)
            if m and m.end() < len(text):
                text = text[m.end() :].strip()
                changed = True
    for rx in _SUFFIXES:
        text = rx.sub("", text)
    return text.strip(" :-—")


def hint_label(heading: str) -> str:
    """Return a heading as the subject a hint names ("What is REST?" → "REST")."""
    label = re.sub(r"^(what|who) (is|are) (an? |the )?", "", strip_label(heading), flags=re.I)
    return label.rstrip("?").strip()


def is_list_item(heading: str) -> bool:
    """Tell whether a heading is numbered or lettered like an item of a list."""
    return bool(re.match(r"^(\d+(\.\d+)*|[A-H])[.):]?\s+\S", heading.strip()))


@dataclass(frozen=True)
class Casing:
    """How a document writes its words: lowercase, capitalised mid-sentence, capitalised anywhere."""

    lower: Counter
    capital: Counter
    anywhere: Counter

    def fix(self, word: str) -> str:
        """Lowercase a capitalised word unless the document writes it as a name (Kafka, Redis)."""
        if not (word[:1].isupper() and word[1:].islower()):
            return word
        low = word.lower()
        if not self.lower[low] and self.anywhere[word]:
            return word  # only ever written with a capital: a name
        return low if self.lower[low] >= self.capital[word] else word


@lru_cache(maxsize=64)
def casing_of(text: str) -> Casing:
    """Count lowercase and capitalised spellings of a text's words, outside headings."""
    lower: Counter = Counter()
    capital: Counter = Counter()
    anywhere: Counter = Counter()
    for line in text.split("\n"):
        if line.lstrip().startswith("#"):
            continue
        # A capital after a lowercase word or a comma is a name; at a sentence start it says little.
        for m in re.finditer(r"(?:(?<=[a-z,] )|(?<=[a-z,] \*\*))[A-Z][a-z]+|\b[a-z][a-z]+\b", line):
            w = m.group(0)
            (lower if w.islower() else capital)[w] += 1
        anywhere.update(re.findall(r"\b[A-Z][a-z]+\b", line))
    return Casing(lower, capital, anywhere)


def sentence_case(phrase: str, casing: Casing) -> str:
    """Lowercase the common words of a title-cased phrase."""
    return re.sub(r"[A-Za-z][A-Za-z]*", lambda m: casing.fix(m.group(0)), phrase)


def phrase_concept(heading: str, casing: Casing) -> str:
    """Turn a concept heading into an interview prompt ("X vs Y" → "Compare X and Y: …")."""
    label = strip_label(heading)
    for name, rx, template in _PHRASING:
        m = rx.search(label)
        if not m:
            continue
        if name == "question":
            text = label[0].upper() + sentence_case(label[1:], casing)
            return text if text.endswith("?") else text + "?"
        if name == "comparison":
            return _phrase_comparison(label, casing, template)
        if name == "gerund":
            verb = _GERUNDS.get(m.group("verb").lower())
            if not verb:
                continue
            rest = label[m.end() :]
            # "Identifying and Mitigating X" → "identify and mitigate X".
            rest = re.sub(r"^(\s+and\s+)(\w+ing)\b", lambda g: g.group(1) + _GERUNDS.get(g.group(2).lower(), g.group(2)), rest)
            return template.format(x=verb + sentence_case(rest, casing).rstrip("?"))
        phrase = sentence_case(label, casing).rstrip("?.")
        # "the CAP theorem", but not "the REST and REST maturity model" nor "the the …".
        the = "" if _ARTICLE_BEFORE.match(phrase) or name == "default" or " and " in phrase else "the "
        return template.format(x=phrase, the=the)
    return f"Explain {label}."  # pragma: no cover - the table ends with a catch-all rule


def _phrase_comparison(label: str, casing: Casing, template: str) -> str:
    context = ""
    if ":" in label:
        left, right = (p.strip() for p in label.split(":", 1))
        if re.search(r"\bvs\.?\b|\bversus\b", right, re.I):
            label, context = right, left
        else:
            label, context = left, right
    # "Semi-Synchronous vs Asynchronous Replication in MySQL": what follows the last item is shared.
    items = [p.strip() for p in re.split(r"\s+(?:vs\.?|versus)\s+", label, flags=re.I) if p.strip()]
    tail = ""
    last = items[-1].split()
    if len(items) == 2 and len(last) > 1 and len(items[0].split()) == 1:
        items[-1], tail = last[0], " " + " ".join(last[1:])
    items = [sentence_case(i, casing) for i in items]
    joined = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    tail = sentence_case(tail, casing)
    ctx = f" ({sentence_case(context, casing)})" if context else ""
    return template.format(items=joined + tail, c=ctx)


# --------------------------------------------------------------------------- topics


def _phrases(keywords: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    # Keywords that stem alike ("consistent", "consistency") are one phrase, counted once.
    return tuple(dict.fromkeys(t for t in (tuple(analyze(k)) for k in keywords) if t))


TOPICS: dict[str, tuple[tuple[str, ...], ...]] = {
    name: _phrases(spec["keywords"]) for name, spec in _TOPICS["topics"].items()
}
FALLBACK_TOPIC: str = _TOPICS["fallback"]
TOPIC_NAMES = tuple(TOPICS) + (FALLBACK_TOPIC,)


_LONGEST_PHRASE = max((len(p) for phrases in TOPICS.values() for p in phrases), default=1)


@lru_cache(maxsize=4096)
def _topic_scores(text: str) -> dict[str, int]:
    terms = analyze(text)
    grams = {tuple(terms[i : i + n]) for n in range(1, _LONGEST_PHRASE + 1) for i in range(len(terms) - n + 1)}
    scores = {}
    for name, phrases in TOPICS.items():
        # An area scores the distinct terms its matching phrases cover: a phrase counts once however
        # often it repeats, "api gateway" counts two terms, and "api" inside it adds nothing.
        covered = {t for p in phrases if p in grams for t in p}
        if covered:
            scores[name] = len(covered)
    return scores


def topic_of(heading_path: Sequence[str], prompt: str, reference: str = "", *, own_heading: bool = True,
             heading_weight: int = 3, ancestor_weight: int = 1, prompt_weight: int = 2) -> str:
    """Pick the interview area whose keywords best match a question's headings and prompt.

    The question's own (innermost) heading counts `heading_weight` times, the headings above it
    `ancestor_weight`, the prompt `prompt_weight`. A question without a heading of its own (an
    item of a list under a category heading) has only ancestors. A tie between the best areas is
    settled by the own heading alone, then the prompt alone, then the reference; no match, or a
    tie that survives all three, gives the fallback topic.
    """
    total: Counter = Counter()
    own = tuple(heading_path[-1:]) if own_heading else ()
    parts = [(h, ancestor_weight) for h in heading_path[: len(heading_path) - len(own)]]
    parts += [(h, heading_weight) for h in own]
    parts.append((prompt, prompt_weight))
    for text, weight in parts:
        for name, score in _topic_scores(text).items():
            total[name] += weight * score
    if not total:
        return FALLBACK_TOPIC
    top = max(total.values())
    best = [name for name, score in total.items() if score == top]
    for text in (*own, prompt, reference):
        if len(best) == 1:
            break
        scores = _topic_scores(text)
        high = max((scores.get(b, 0) for b in best), default=0)
        if high:
            best = [b for b in best if scores.get(b, 0) == high]
    return best[0] if len(best) == 1 else FALLBACK_TOPIC


# --------------------------------------------------------------------------- difficulty


def difficulty_of(kind: str, prompt: str, reference: str) -> str:
    """Rate a question easy, medium or hard by the extract.toml table (kind, prompt shape, length)."""
    rule = DIFFICULTY["kinds"].get(kind, DIFFICULTY["kinds"]["concept"])
    score = int(rule["base"])
    low = prompt.lower()
    score += sum(points for rx, points in _SHAPES if rx.search(low))
    n = prose_word_count(reference)
    if n < rule["short_words"]:
        score -= 1
    elif n > rule["long_words"]:
        score += 1
    if prose_word_count(prompt) > rule["long_prompt_words"]:
        score += 1
    if score <= DIFFICULTY["easy_at"]:
        return "easy"
    if score >= DIFFICULTY["hard_at"]:
        return "hard"
    return "medium"


# --------------------------------------------------------------------------- hints and records


_LABEL_TERMS = frozenset(HINTS["label_terms"])
_NOT_A_TERM = re.compile(r"^(it|this|that|these|those|they|we|you|i|he|she)\b", re.I)


def think_about(items: Sequence[str], limit: int | None = None) -> tuple[str, ...]:
    """Phrase up to `limit` distinct items as "Think about …" hints (labels and clauses skipped)."""
    limit = HINTS["max_hints"] if limit is None else limit
    seen, hints = set(), []
    for item in items:
        item = re.sub(r"\s+", " ", item).strip(" .,:;")
        key = item.lower()
        if not item or key in seen or key in _LABEL_TERMS or _NOT_A_TERM.match(item) or not analyze(item):
            continue
        seen.add(key)
        hints.append(HINTS["template"].format(x=item))
        if len(hints) >= limit:
            break
    return tuple(hints)


def make_question(doc_id: str, kind: str, key: str, *, prompt: str, reference: str,
                  heading_path: tuple[str, ...], line: int, hints: tuple[str, ...] = (),
                  options: tuple[str, ...] = (), answer_option: str | None = None,
                  own_heading: bool = True) -> Question:
    """Build a Question with its id, topic and difficulty derived by the tables."""
    prompt = replace_notation(prompt).strip()
    reference = replace_notation(reference).strip()
    return Question(
        id=question_id(doc_id, kind, key),
        kind=kind,
        topic=topic_of(heading_path, prompt, reference, own_heading=own_heading),
        difficulty=difficulty_of(kind, prompt, reference),
        prompt=prompt,
        reference=reference,
        concepts=(),
        hints=hints,
        options=options,
        answer_option=answer_option,
        source=Source(doc_id, heading_path, line),
    )
