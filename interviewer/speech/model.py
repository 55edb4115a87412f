"""The speech model built from the corpus: a domain language model (ARPA), a pronunciation
dictionary for its words, and the written forms of its terms (for the normaliser).

`build_speech_model` runs as one stage of `interviewer build-index`; `SpeechModel` names the
files in the data dir and the wheel's acoustic model they go with.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from itertools import islice
from pathlib import Path
from typing import Iterable

from interviewer.errors import IndexMissing
from interviewer.speech.arpa import BOS, Background, kneser_ney, to_arpa
from interviewer.speech.frames import frame_terms
from interviewer.speech.numbers import NUMBER_WORDS, say_integer
from interviewer.speech.pronounce import Pronouncer, default_tables, read_dictionary
from interviewer.speech.verbalise import display_forms, verbalise

LM_FILE = "domain.arpa"
DICT_FILE = "domain.dict"
FORMS_FILE = "forms.json"
FILES = (LM_FILE, DICT_FILE, FORMS_FILE)
# Words the recognizer can always say, whatever the corpus: letters (acronyms spelled out) and
# the words of numbers, so "p ninety nine" and "c d c" are in reach of every model.
ALWAYS = tuple("abcdefghijklmnopqrstuvwxyz") + tuple(sorted(NUMBER_WORDS)) + ("point", "percent")


def wheel_model() -> Path:
    """Return the pocketsphinx wheel's model directory (acoustic model, dictionary)."""
    from pocketsphinx import get_model_path

    return Path(get_model_path()) / "en-us"


@lru_cache(maxsize=2)
def wheel_dictionary(path: Path | None = None) -> dict[str, list[str]]:
    """Read the wheel's pronunciation dictionary once per process."""
    return read_dictionary(path or wheel_model() / "cmudict-en-us.dict")


@dataclass(frozen=True)
class GeneralTable:
    """General English from data/speech_general.tsv (made once from the wheel's general language
    model by bench/speech/make_speech_general.py): word → P(word) in the order of the file
    (likeliest first), history → backoff weight, and the n-grams the model lists, → P(word | history)."""

    unigram: dict[str, float]
    backoff: dict[tuple[str, ...], float]
    ngrams: dict[tuple[str, ...], float]


@lru_cache(maxsize=1)
def general_table() -> GeneralTable:
    """Read data/speech_general.tsv once."""
    unigram: dict[str, float] = {}
    backoff: dict[tuple[str, ...], float] = {}
    ngrams: dict[tuple[str, ...], float] = {}
    text = (resources.files("interviewer") / "data" / "speech_general.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, *values = line.split("\t")
        # Interned: each word is one string however many n-grams name it (a third of the memory).
        words = tuple(sys.intern(w) for w in key.split(" "))
        if len(words) == 1:
            unigram[words[0]] = 10 ** float(values[0])
        else:
            ngrams[words] = 10 ** float(values[0])
        if len(values) > 1:
            backoff[words] = 10 ** float(values[1])
    return GeneralTable(unigram, backoff, ngrams)


def general_english(count: int, dictionary: dict[str, list[str]]) -> dict[str, float]:
    """Return the `count` likeliest words of general English that the dictionary can say, with
    their probabilities (renormalised to sum to 1)."""
    if count <= 0:
        return {}
    unigram = general_table().unigram
    probs = dict(islice(((w, p) for w, p in unigram.items() if w in dictionary), count))
    total = sum(probs.values())
    return {w: p / total for w, p in probs.items()}


def background(weight: float, trigram_weight: float = 0.0) -> Background | None:
    """General English bigrams (and trigrams) to mix into the domain model's with these weights
    (None if both are 0)."""
    if weight <= 0 and trigram_weight <= 0:
        return None
    table = general_table()
    return Background(ngrams=table.ngrams, backoff=table.backoff, unigram=table.unigram, weight=weight,
                      trigram_weight=trigram_weight)


@dataclass(frozen=True)
class SpeechBuild:
    """What the speech stage built: sentences, vocabulary, n-grams and how words got pronounced."""

    sentences: int
    vocabulary: int
    ngrams: tuple[int, ...]
    pronounced_by: dict[str, int]
    unsayable: tuple[str, ...]  # words no rule could pronounce (left out of the model)


@dataclass(frozen=True)
class SpeechModel:
    """The files of a built speech model, with the acoustic model of the wheel they go with."""

    directory: Path

    @property
    def lm(self) -> Path:
        return self.directory / LM_FILE

    @property
    def dictionary(self) -> Path:
        return self.directory / DICT_FILE

    @property
    def forms_path(self) -> Path:
        return self.directory / FORMS_FILE

    @property
    def acoustic(self) -> Path:
        return wheel_model() / "en-us"

    def check(self) -> SpeechModel:
        """Return self if every file is there; raise IndexMissing saying how to build them if not."""
        missing = [name for name in FILES if not (self.directory / name).is_file()]
        if missing:
            raise IndexMissing(f"the speech model in {self.directory} is missing ({', '.join(missing)}); "
                               "run `interviewer build-index` to build it")
        return self

    def forms(self) -> dict[str, str]:
        """Return spoken word → written form for the corpus's terms ("cdc" → "CDC")."""
        return json.loads(self.forms_path.read_text(encoding="utf-8"))["forms"]


def build_speech_model(texts: Iterable[str], out_dir: Path, tables: dict | None = None,
                       dictionary: dict[str, list[str]] | None = None) -> SpeechBuild:
    """Build the language model, dictionary and term forms from the corpus texts into out_dir."""
    tables = tables if tables is not None else default_tables()
    dictionary = dictionary if dictionary is not None else wheel_dictionary()
    texts = list(texts)
    said = verbalise(texts, tables["say"], tables["units"])
    settings = tables["model"]
    order = int(settings["order"])
    spoken = [tuple(p.split()) for p in tables["spoken"]["phrases"]]
    counts = Counter(w for s in said.sentences for w in s)
    terms = frame_terms(texts, tables, dictionary, int(settings["frames_per_term"]))

    pronouncer = Pronouncer(dictionary, tables)
    lexicon: dict[str, list[str]] = {}
    rules: Counter[str] = Counter()
    unsayable: set[str] = set()
    term_words = {w for t in terms.terms for w in t}
    for word in sorted(set(counts) | {w for s in spoken for w in s} | term_words | set(ALWAYS)):
        seen = said.written.get(word) or terms.said.written.get(word)
        written = seen.most_common(1)[0][0] if seen else word
        variants = pronouncer.variants(written)
        if not variants:
            unsayable.add(word)
            continue
        lexicon[word] = variants
        found = pronouncer.pronounce(written)
        rules[found.rule if found else "dictionary"] += 1

    general = general_english(int(settings["general_words"]), dictionary)
    for word in general:
        lexicon.setdefault(word, dictionary[word])
    # The spoken phrases open an answer or a sentence: what follows them is anything, not its end.
    openings = [(BOS, *p) for p in spoken] * int(settings["phrase_weight"])
    fragments = [*openings, *(said.joins(order - 1) if settings["join_sentences"] else ()), *terms.fragments,
                 *(number_phrases() if settings["number_phrases"] else ())]
    sentences = [part for s in said.sentences for part in _split_at(s, unsayable)]
    model = kneser_ney(sentences, order=order, vocabulary=lexicon, general=general,
                       general_weight=float(settings["general_weight"]),
                       fragments=[part for f in fragments for part in _split_at(f, unsayable)],
                       background=background(float(settings["general_bigram_weight"]),
                                                  float(settings["general_trigram_weight"])))
    sizes = Counter(map(len, model.logprob))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / LM_FILE).write_text(to_arpa(model), encoding="utf-8")
    (out_dir / DICT_FILE).write_text(_dictionary_text(lexicon), encoding="utf-8")
    forms = display_forms(said.written, counts)
    (out_dir / FORMS_FILE).write_text(json.dumps({"forms": dict(sorted(forms.items()))}, ensure_ascii=False,
                                                 indent=0), encoding="utf-8")
    return SpeechBuild(
        sentences=len(sentences),
        vocabulary=len(lexicon),
        ngrams=tuple(sizes[n] for n in range(1, model.order + 1)),
        pronounced_by=dict(sorted(rules.items())),
        unsayable=tuple(sorted(unsayable)),
    )


def number_phrases(below: int = 1000) -> list[tuple[str, ...]]:
    """Numbers as they are said, for the language model: every whole number below `below`, the
    hundreds said in pairs too ("four twenty nine", "nineteen ninety nine"), and round powers of
    ten ("ten thousand", "a hundred million")."""
    out = [tuple(say_integer(n)) for n in range(1, below)]
    out += [(*say_integer(n // 100), *say_integer(n % 100)) for n in range(110, 2000) if n % 100 >= 10]
    out += [(*say_integer(n), scale) for n in (1, 10, 100) for scale in ("thousand", "million", "billion")]
    out += [("a", "hundred"), ("a", "thousand"), ("a", "million"), ("a", "couple", "hundred")]
    return out


def _split_at(sentence: tuple[str, ...], drop: set[str]) -> list[tuple[str, ...]]:
    """Split a sentence where a word the recognizer cannot say stood."""
    parts, current = [], []
    for word in sentence:
        if word in drop:
            if current:
                parts.append(tuple(current))
            current = []
        else:
            current.append(word)
    if current:
        parts.append(tuple(current))
    return parts


def _dictionary_text(lexicon: dict[str, list[str]]) -> str:
    lines = []
    for word in sorted(lexicon):
        for i, phones in enumerate(dict.fromkeys(lexicon[word])):
            lines.append(f"{word} {phones}" if i == 0 else f"{word}({i + 1}) {phones}")
    return "\n".join(lines) + "\n"
