"""Reading the candidate's set-up choices: topic, level, number of questions, mode."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from interviewer.dialogue.intents import normalise_utterance
from interviewer.text import NUMBER_WORDS

# Words that name a level, by level.
LEVEL_WORDS = {
    "easy": ("easy", "beginner", "junior", "simple", "basic", "gentle", "entry"),
    "medium": ("medium", "intermediate", "mid", "moderate", "normal", "average", "regular"),
    "hard": ("hard", "difficult", "advanced", "senior", "tough", "expert", "staff", "principal", "challenging"),
}
MODE_WORDS = {"mock": ("mock", "exam", "realistic", "real"), "practice": ("practice", "practise", "training", "coach")}
SURPRISE_WORDS = ("surprise", "random", "anything", "whatever", "mix", "mixed", "any", "all", "everything", "choose", "pick")
# Padding around a set-up choice ("let's do messaging, medium level please").
PADDING = frozenset(
    "lets let us do go with try i want would like to a an the on about some of level levels topic topics "
    "questions question qs please me give ask and in mode difficulty how many maybe think start begin "
    "interview round set for".split()
)
# A misspelled topic word still names the topic at this similarity ("mesaging" → messaging).
TOPIC_SIMILARITY = 85.0


@dataclass(frozen=True)
class SetupChoice:
    """What a set-up message chose; `residue` is the text left over (maybe a free-text topic)."""

    topic: str | None = None
    difficulty: str | None = None
    count: int | None = None
    mode: str | None = None
    surprise: bool = False
    residue: str = ""

    @property
    def any_setting(self) -> bool:
        return any((self.topic, self.difficulty, self.count, self.mode, self.surprise))


def parse_setup(text: str, topics: list[str]) -> SetupChoice:
    """Read topic, level, count and mode out of a set-up message ("messaging, medium, 3 questions")."""
    words = normalise_utterance(text).split()
    used: set[int] = set()

    def take(pred) -> str | None:
        for i, w in enumerate(words):
            if i not in used and pred(w):
                used.add(i)
                return w
        return None

    difficulty = next((lvl for lvl, names in LEVEL_WORDS.items() if take(lambda w, n=names: w in n)), None)
    mode = next((m for m, names in MODE_WORDS.items() if take(lambda w, n=names: w in n)), None)
    count = None
    # isdecimal, not isdigit: "²" is a digit that int() refuses.
    number = take(lambda w: w.isdecimal() and 1 <= int(w) <= 99 or w in NUMBER_WORDS)
    if number:
        count = int(NUMBER_WORDS.get(number, number))
    surprise = bool(take(lambda w: w in SURPRISE_WORDS))
    topic = _topic(words, used, topics)
    residue = " ".join(w for i, w in enumerate(words) if i not in used and w not in PADDING)
    return SetupChoice(topic, difficulty, count, mode, surprise and topic is None, residue)


def _topic(words: list[str], used: set[int], topics: list[str]) -> str | None:
    """Find a known topic named in the words, allowing a typo in words of 5+ letters."""
    for topic in topics:
        parts = [p for p in re.split(r"[-\s]+", topic) if p not in ("and", "of")]
        hits = []
        for part in parts:
            i = next((i for i, w in enumerate(words) if i not in used and _same(w, part)), None)
            if i is None:
                break
            hits.append(i)
        else:
            used.update(hits)
            return topic
    return None


def _same(word: str, name: str) -> bool:
    if word == name or word.rstrip("s") == name.rstrip("s"):
        return True
    return len(word) >= 5 and len(name) >= 5 and fuzz.ratio(word, name) >= TOPIC_SIMILARITY
