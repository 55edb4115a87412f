"""The question bank: save/load as JSON, look up by id, select by topic (BM25Plus), kind, difficulty."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

from rank_bm25 import BM25Plus

from interviewer.errors import IndexCorrupt, IndexMissing, InputError
from interviewer.records import DIFFICULTIES, KINDS, Question
from interviewer.text import analyze, normalise_spoken

# Bump when the JSON layout changes: an older bank is then rebuilt.
FORMAT = 2
_HOW_TO_FIX = "run `interviewer build-index` to rebuild it"


class Bank:
    """The questions extracted from the corpus, in a stable order."""

    def __init__(self, questions: Iterable[Question], *, k1: float = 1.2, b: float = 0.5, delta: float = 1.0):
        """Index the questions for topic selection.

        BM25Plus tunables: `k1` (term-frequency saturation), `b` (length normalisation; prompts
        differ a lot in length, so it is kept gentle) and `delta` (the floor every matched term gets).
        """
        self.questions = tuple(questions)
        self._by_id = {q.id: q for q in self.questions}
        # Okapi gives terms in half the questions an IDF of zero; BM25Plus does not. The topic is
        # counted twice: a question filed under "Caching" is about caching even if its prompt is not.
        self._docs = [analyze(" ".join((q.topic, q.topic, q.prompt, *q.source.heading_path))) for q in self.questions]
        self._bm25 = BM25Plus([d or ["-"] for d in self._docs], k1=k1, b=b, delta=delta) if self.questions else None

    def __len__(self) -> int:
        return len(self.questions)

    def __iter__(self) -> Iterator[Question]:
        return iter(self.questions)

    def get(self, question_id: str) -> Question:
        """Return the question with this id; raise InputError if there is none."""
        try:
            return self._by_id[question_id]
        except KeyError:
            raise InputError(f"there is no question with id {question_id!r}") from None

    def topics(self) -> dict[str, int]:
        """Return each topic with its number of questions, commonest first."""
        counts = Counter(q.topic for q in self.questions)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def kinds(self) -> dict[str, int]:
        """Return each question kind with its number of questions, in the order of records.KINDS."""
        counts = Counter(q.kind for q in self.questions)
        return {k: counts[k] for k in KINDS if counts[k]}

    def select(
        self,
        topic: str | None = None,
        kind: str | None = None,
        difficulty: str | None = None,
        exclude: Iterable[str] = (),
    ) -> list[Question]:
        """Return the questions that fit; with a topic, only those about it, most relevant first.

        `topic` is free text ("caching", "leader election", "um, CDC?"); without it the order is
        the bank's own. `exclude` holds ids already asked.
        """
        if kind is not None and kind not in KINDS:
            raise InputError(f"unknown question kind {kind!r}; choose one of {', '.join(KINDS)}")
        if difficulty is not None and difficulty not in DIFFICULTIES:
            raise InputError(f"unknown difficulty {difficulty!r}; choose one of {', '.join(DIFFICULTIES)}")
        skip = set(exclude)
        order = range(len(self.questions))
        if topic is not None:
            terms = analyze(normalise_spoken(topic).text)
            if not terms:
                raise InputError(f"the topic {topic!r} has no searchable words; name one, e.g. 'caching'")
            wanted = set(terms)
            scores = self._bm25.get_scores(terms) if self._bm25 else []
            # BM25Plus scores every question above zero; keep only those sharing a term with the topic.
            matched = [i for i in order if wanted.intersection(self._docs[i])]
            order = sorted(matched, key=lambda i: (-scores[i], i))
        return [
            q for q in (self.questions[i] for i in order)
            if (kind is None or q.kind == kind)
            and (difficulty is None or q.difficulty == difficulty)
            and q.id not in skip
        ]

    def save(self, path: Path) -> None:
        """Write the bank as JSON (with a format version)."""
        data = {"format": FORMAT, "questions": [q.to_dict() for q in self.questions]}
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Bank:
        """Read a bank written by `save`; raise IndexMissing or IndexCorrupt with how to fix it."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise IndexMissing(f"there is no question bank at {path}; run `interviewer build-index`") from exc
        except (OSError, ValueError) as exc:
            raise IndexCorrupt(f"the question bank at {path} cannot be read ({exc}); {_HOW_TO_FIX}") from exc
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            found = data.get("format") if isinstance(data, dict) else None
            raise IndexCorrupt(f"the question bank at {path} has format {found!r}, this version reads "
                               f"{FORMAT}; {_HOW_TO_FIX}")
        try:
            return cls(Question.from_dict(q) for q in data["questions"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise IndexCorrupt(f"the question bank at {path} is damaged ({type(exc).__name__}: {exc}); "
                               f"{_HOW_TO_FIX}") from exc
