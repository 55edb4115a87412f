"""Intents by rules: what a message asks for, read from the table in data/intents.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rapidfuzz import fuzz

from interviewer.text import analyze, normalise_spoken

# A one- or two-word message matches a command word despite a typo at this similarity or above
# ("skp" → skip is 86, "hnt" → hint 86, but "gone" → done is only 75).
TYPO_SIMILARITY = 80.0
_CONTINUES = re.compile(r"(\.\.\.|…|[:,;–—-]|\b(?:and|so|then|also|but|because|first|or))\s*$", re.I)


@dataclass(frozen=True)
class Intent:
    """What a message is for, with its argument (a lookup query, set-up text or answer)."""

    name: str
    arg: str = ""


@dataclass(frozen=True)
class _Rule:
    intent: str
    priority: int
    max_words: int
    patterns: tuple[re.Pattern[str], ...]
    keywords: tuple[str, ...]
    keeps_text: bool = False  # the message is kept as the intent's argument (what was said is recorded)


@dataclass(frozen=True)
class Command:
    """A typed command: "/name" (or an alias) reaches `intent`; /help describes it, the page shows a button."""

    name: str
    intent: str
    says: str
    button: str | None = None
    arg: str | None = None
    aliases: tuple[str, ...] = ()

    @property
    def usage(self) -> str:
        """Say how it is typed: "/lookup <topic>"."""
        return f"/{self.name}" + (f" <{self.arg}>" if self.arg else "")


@dataclass(frozen=True)
class Rules:
    """The intent table: commands, phrase rules and the lookup-or-answer weights."""

    commands: dict[str, str]  # "/word" -> intent, aliases included
    listed: tuple[Command, ...]  # in the order /help names them
    rules: tuple[_Rule, ...]
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    lookup: dict


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    """Load data/intents.toml."""
    data = tomllib.loads((resources.files("interviewer") / "data" / "intents.toml").read_text("utf-8"))
    rules = tuple(sorted(
        (
            _Rule(
                intent=r["intent"],
                priority=int(r["priority"]),
                max_words=int(r.get("max_words", 8)),
                patterns=tuple(re.compile(p) for p in r.get("patterns", ())),
                keywords=tuple(r.get("keywords", ())),
                keeps_text=bool(r.get("keep_text", False)),
            )
            for r in data["rule"]
        ),
        key=lambda r: -r.priority,
    ))
    # Longest first, so "can you" is taken off before "can".
    by_length = lambda items: tuple(sorted(items, key=lambda s: -len(s)))  # noqa: E731
    listed = tuple(Command(c["name"], c["intent"], c["says"], c.get("button"), c.get("arg"),
                           tuple(c.get("aliases", ()))) for c in data["command"])
    return Rules(
        commands={f"/{word}": c.intent for c in listed for word in (c.name, *c.aliases)},
        listed=listed,
        rules=rules,
        prefixes=by_length(data["strip_prefixes"]),
        suffixes=by_length(data["strip_suffixes"]),
        lookup=dict(data["lookup"]),
    )


def normalise_utterance(text: str) -> str:
    """Lowercase a message, take fillers out, spell out contractions, drop punctuation."""
    spoken = normalise_spoken(text).text.lower()
    spoken = re.sub(r"\b(?:pls|plz|plez)\b", "please", spoken)
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s/]", " ", spoken)).strip()


def padding_stages(norm: str, rules: Rules) -> list[str]:
    """Return a message as each piece of padding comes off, the bare core last: "honestly no idea",
    "no idea", "idea" (a rule may need a stage before the end: "no" is padding, "no idea" is not)."""
    stages = [norm]
    changed = True
    while changed and norm:
        changed = False
        for p in rules.prefixes:
            if norm.startswith(p + " "):
                norm, changed = norm[len(p) + 1 :], True
                stages.append(norm)
        for s in rules.suffixes:
            if norm.endswith(" " + s):
                norm, changed = norm[: -len(s) - 1], True
                stages.append(norm)
    return stages


def continues(text: str) -> bool:
    """Tell whether a message trails off as if more is coming ("first, …", "and").)"""
    return bool(_CONTINUES.search(text.strip()))


def classify(text: str, question_terms: frozenset[str] = frozenset(), rules: Rules | None = None) -> Intent:
    """Name the intent of one message; `question_terms` are the open question's key terms."""
    rules = rules or default_rules()
    raw = text.strip()
    if not raw:
        return Intent("empty")
    if raw.startswith("/"):
        return _command(raw, rules)
    norm = normalise_utterance(raw)
    if not norm:
        return Intent("help") if raw.strip("? ") == "" and "?" in raw else Intent("noise", raw)
    stages = [s for s in padding_stages(norm, rules) if s]
    core = stages[-1]
    n_words = len(core.split())
    for rule in rules.rules:
        if n_words <= rule.max_words and any(p.fullmatch(x) for p in rule.patterns for x in stages):
            return Intent(rule.intent, raw if rule.keeps_text else "")
    if n_words <= 2:
        for rule in rules.rules:
            for word in core.split():
                if len(word) >= 3 and any(fuzz.ratio(word, k) >= TYPO_SIMILARITY for k in rule.keywords):
                    return Intent(rule.intent)
    verdict, query = lookup_verdict(raw, norm, question_terms, rules)
    if verdict == "lookup":
        return Intent("lookup", query)
    if verdict == "unsure":
        return Intent("unsure", raw)
    return Intent("answer", raw)


def _command(raw: str, rules: Rules) -> Intent:
    word, _, rest = raw.partition(" ")
    word = word.lower()
    if word in rules.commands:
        return Intent(rules.commands[word], rest.strip())
    best = max(rules.commands, key=lambda c: fuzz.ratio(word, c))
    if fuzz.ratio(word, best) >= TYPO_SIMILARITY:
        return Intent(rules.commands[best], rest.strip())
    return Intent("unknown_command", word)


def lookup_verdict(raw: str, norm: str, question_terms: frozenset[str], rules: Rules) -> tuple[str, str]:
    """Weigh whether a message asks something (lookup), is an answer, or is unclear ("unsure")."""
    w = rules.lookup
    words = norm.split()
    opener, rest = _opener(norm, w["openers"])
    has_qmark = "?" in raw
    if not opener and not has_qmark:
        return "answer", ""
    score = 0.0
    score += w["question_mark"] if has_qmark else 0.0
    score += w["opener"] if opener else 0.0
    score += w["short"] if len(words) <= w["short_words"] else 0.0
    score += w["long"] if len(words) > w["long_words"] else 0.0
    padded = f" {norm} "
    if any(f" {m} " in padded for m in w["answer_markers"]) or any(
        re.search(p, norm) for p in w["answer_patterns"]
    ):
        score += w["answer_marker"]
    sentences = [s for s in re.split(r"[.!?]+", raw) if re.search(r"\w", s)]
    score += w["sentences"] if len(sentences) > 1 else 0.0
    if question_terms and len(set(analyze(raw)) & question_terms) >= 2:
        score += w["concept_overlap"]
    query = rest if opener else norm
    if score >= w["lookup_at"]:
        return "lookup", query or norm
    if score <= w["answer_at"]:
        return "answer", ""
    return "unsure", query or norm


def _opener(norm: str, openers: list[str]) -> tuple[str, str]:
    """Split a message into its knowledge-seeking opening ("what is", "explain") and the rest."""
    for lead in ("sorry ", "wait ", "hmm ", "quick question ", "so ", "ok ", "okay ", "and ", "but "):
        if norm.startswith(lead):
            norm = norm[len(lead) :]
    opener = max((o for o in openers if norm == o or norm.startswith(o + " ")), key=len, default="")
    return opener, norm[len(opener) :].strip()
