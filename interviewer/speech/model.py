"""The speech model built from the corpus: a domain language model (ARPA), a pronunciation
dictionary for its words, and the written forms of its terms (for the normaliser).

`build_speech_model` runs as one stage of `interviewer build-index`; `SpeechModel` names the
files in the data dir and the wheel's acoustic model they go with.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from interviewer.errors import IndexMissing
from interviewer.speech.arpa import kneser_ney, to_arpa
from interviewer.speech.numbers import NUMBER_WORDS
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


def general_english(count: int, dictionary: dict[str, list[str]]) -> dict[str, float]:
    """Return the `count` likeliest words of the wheel's general language model with their
    probabilities (renormalised to sum to 1). Its binary file cannot be turned into ARPA, but its
    unigram probabilities can be asked word by word."""
    from pocketsphinx import Config, LogMath, NGramModel

    if count <= 0:
        return {}
    logmath = LogMath()
    lm = NGramModel(Config(loglevel="FATAL"), logmath, str(wheel_model() / "en-us.lm.bin"))
    scored = sorted(((lm.prob([w]), w) for w in dictionary if w.replace("'", "").isalpha()), reverse=True)[:count]
    probs = {w: logmath.exp(score) for score, w in scored}
    total = sum(probs.values())
    return {w: p / total for w, p in probs.items()}


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
    said = verbalise(texts, tables["say"], tables["units"])
    weight = int(tables["model"]["phrase_weight"])
    spoken = [tuple(p.split()) for p in tables["spoken"]["phrases"]] * weight
    counts = Counter(w for s in said.sentences for w in s)

    pronouncer = Pronouncer(dictionary, tables)
    lexicon: dict[str, list[str]] = {}
    rules: Counter[str] = Counter()
    unsayable: set[str] = set()
    for word in sorted(set(counts) | {w for s in spoken for w in s} | set(ALWAYS)):
        written = said.written[word].most_common(1)[0][0] if word in said.written else word
        variants = pronouncer.variants(written)
        if not variants:
            unsayable.add(word)
            continue
        lexicon[word] = variants
        found = pronouncer.pronounce(written)
        rules[found.rule if found else "dictionary"] += 1

    general = general_english(int(tables["model"]["general_words"]), dictionary)
    for word in general:
        lexicon.setdefault(word, dictionary[word])
    sentences = [part for s in (*said.sentences, *spoken) for part in _split_at(s, unsayable)]
    model = kneser_ney(sentences, order=int(tables["model"]["order"]), vocabulary=lexicon, general=general,
                       general_weight=float(tables["model"]["general_weight"]))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / LM_FILE).write_text(to_arpa(model), encoding="utf-8")
    (out_dir / DICT_FILE).write_text(_dictionary_text(lexicon), encoding="utf-8")
    forms = display_forms(said.written, counts)
    (out_dir / FORMS_FILE).write_text(json.dumps({"forms": dict(sorted(forms.items()))}, ensure_ascii=False,
                                                 indent=0), encoding="utf-8")
    return SpeechBuild(
        sentences=len(sentences),
        vocabulary=len(lexicon),
        ngrams=tuple(len(model.grams(n)) for n in range(1, model.order + 1)),
        pronounced_by=dict(sorted(rules.items())),
        unsayable=tuple(sorted(unsayable)),
    )


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
