"""THE text pipeline: repair, spoken-style normalisation, tokenise, stem, stop words.

The index, the queries, the question bank and the grader all call `analyze` (or `words` and
`word_terms`), so a word means the same thing everywhere. This module imports nothing of ours.
"""

from __future__ import annotations

import re
import tomllib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Iterator, NamedTuple
from functools import lru_cache
from itertools import islice
from importlib import resources

import ftfy
from nltk.stem.snowball import SnowballStemmer

# --------------------------------------------------------------------------- tables

_DATA = resources.files("interviewer") / "data"


def _load_stop_words() -> frozenset[str]:
    lines = (_DATA / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


STOP_WORDS = _load_stop_words()
_SPOKEN = tomllib.loads((_DATA / "spoken.toml").read_text(encoding="utf-8"))
CONTRACTIONS: dict[str, str] = _SPOKEN["contractions"]
NUMBER_WORDS: dict[str, str] = _SPOKEN["numbers"]
ALWAYS_FILLERS = frozenset(_SPOKEN["always_fillers"])
CONTEXTUAL_FILLERS = frozenset(_SPOKEN["contextual_fillers"])
LIKE_NOT_AFTER = frozenset(_SPOKEN["like_not_after"])
PHRASE_FILLERS: tuple[tuple[tuple[str, ...], frozenset[str]], ...] = tuple(
    (tuple(p["words"]), frozenset(p["not_after"])) for p in _SPOKEN["phrase_fillers"]
)
# Phrase fillers by their first word, so each word of an utterance is checked against few phrases.
_PHRASES_BY_FIRST: dict[str, tuple[tuple[tuple[str, ...], frozenset[str]], ...]] = {
    first: tuple(p for p in PHRASE_FILLERS if p[0][0] == first) for first in {p[0][0] for p in PHRASE_FILLERS}
}

# --------------------------------------------------------------------------- repair

# Every character Mac Roman maps a high byte to. A run of them that re-encodes to valid UTF-8 is
# text that was UTF-8, read as Mac Roman and saved again ("‚Äô" for "’", "\uf8ffüß©" for "🧩").
_MAC_HIGH = "".join(bytes([b]).decode("mac_roman") for b in range(0x80, 0x100))
_MAC_RUN = re.compile("[%s]{2,}" % re.escape(_MAC_HIGH))
# Printable ASCII without "&" (which may start an HTML entity ftfy would unescape).
_PLAIN_LINE = re.compile(r"[\t\x20-\x25\x27-\x7e]*")


def _undo_mac_roman(match: re.Match[str]) -> str:
    run = match.group(0)
    try:
        return run.encode("mac_roman").decode("utf-8")
    except UnicodeError:
        return run


def repair(text: str) -> str:
    """Repair mojibake (cp1252- and Mac Roman-style) and normalise line ends and quotes."""
    # ftfy knows cp1252/latin-1 damage well but misses Mac Roman runs that start with the Apple
    # logo (U+F8FF), and uncurls the "‚" of "‚Üí" before it can repair it: undo Mac Roman first.
    text = _MAC_RUN.sub(_undo_mac_roman, text).replace("\r\n", "\n").replace("\r", "\n")
    # ftfy is slow and has nothing to do on a line of plain printable ASCII: give it only the others.
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if not _PLAIN_LINE.fullmatch(line):
            lines[i] = ftfy.fix_text(line, normalization="NFC")
    return "\n".join(lines)


# --------------------------------------------------------------------------- tokens

# A word: a number with decimals or thousands separators, or letters/digits with inner apostrophes.
_WORD_RE = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['’][^\W_]+)*")


class Word(NamedTuple):
    """A word of a text as written, lowercased, with its character span."""

    # A named tuple, not a frozen dataclass: building one is several times cheaper, and the index,
    # the extractor and the grader build millions of them.
    text: str
    start: int
    end: int


# --------------------------------------------------------------------------- one turn's memo

# While a `memo()` block runs (one chat turn, one grading), the same text is split into words and
# normalised once: the intent classifier, the grader (once per reference of the question) and the
# delivery figures all read the same answer. The memo lives only as long as the block, so nothing
# is remembered from one message to the next.
_MEMO: ContextVar[dict[tuple[str, str], Any] | None] = ContextVar("interviewer_text_memo", default=None)


@contextmanager
def memo() -> Iterator[None]:
    """Within the block, `words` and `normalise_spoken` work out each text once (a block inside
    another shares the outer one's memo)."""
    if _MEMO.get() is not None:
        yield
        return
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _memoised(kind: str, text: str, work: Callable[[str], Any]) -> Any:
    """Return `work(text)`, worked out once per text and kind inside a `memo()` block."""
    seen = _MEMO.get()
    if seen is None:
        return work(text)
    found = seen.get((kind, text))
    if found is None:
        found = seen[(kind, text)] = work(text)
    return found


def first_word_ends(text: str, limit: int) -> list[int]:
    """Return where each of a text's first `limit` words ends (as `words` splits them), reading no further."""
    return [m.end() for m in islice(_WORD_RE.finditer(text), limit)]


def words(text: str) -> list[Word]:
    """Split text into lowercased words with their character offsets."""
    if _MEMO.get() is None:
        return _words(text)
    return list(_memoised("words", text, lambda t: tuple(_words(t))))


def _words(text: str) -> list[Word]:
    lowered = text.lower().replace("’", "'")
    if len(lowered) != len(text):  # a few characters change length when lowercased ("İ")
        return [Word(m.group(0).lower().replace("’", "'"), m.start(), m.end()) for m in _WORD_RE.finditer(text)]
    # tuple.__new__ is what Word(...) calls, without the call through Word.__new__ (a third of the time).
    new = tuple.__new__
    return [new(Word, (lowered[a:z], a, z)) for a, z in map(re.Match.span, _WORD_RE.finditer(text))]


_STEMMER = SnowballStemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Return the Snowball stem of a lowercased word ("-ify" and "-ification" stem alike: "minif")."""
    s = _STEMMER.stem(word)
    # Snowball leaves "minify" as "minifi" but "minification" as "minif": one word, one stem.
    return s[:-1] if s.endswith("ifi") and len(s) > 5 else s


@lru_cache(maxsize=200_000)
def word_terms(word: str) -> tuple[str, ...]:
    """Return the index terms of one lowercased word: contractions expanded, numbers as digits,
    possessives and stop words dropped, stems kept."""
    if word in CONTRACTIONS:
        parts = CONTRACTIONS[word].split()
    elif word.endswith("'s"):
        parts = [word[:-2]]
    else:
        parts = [word.replace("'", "")]
    terms = []
    for part in parts:
        if "," in part and part.replace(",", "").isdigit():
            part = part.replace(",", "")
        part = NUMBER_WORDS.get(part, part)
        if part and part not in STOP_WORDS:
            terms.append(part if part[0].isdigit() else stem(part))
    return tuple(terms)


def analyze(text: str) -> list[str]:
    """Return the terms of a text: the one function the index, queries and grader share."""
    return [t for w in words(text) for t in word_terms(w.text)]


def content_words(text: str) -> list[str]:
    """Return the lowercased words of a text that are not stop words (surface forms, unstemmed)."""
    return [w.text for w in words(text) if word_terms(w.text)]


# --------------------------------------------------------------------------- spoken style


@dataclass(frozen=True)
class Spoken:
    """An utterance with fillers and repeats taken out and contractions spelled out."""

    text: str
    fillers: tuple[str, ...]
    repeats: tuple[str, ...]
    words: int


_PAUSE = re.compile(r"[,;:.!?…—–()]|\s-+\s|^\s*-+")
_SENTENCE_END = re.compile(r"[.!?…]")


def _pause_between(text: str, a: int, b: int) -> bool:
    return bool(_PAUSE.search(text[a:b]))


def _filler_marks(text: str, ws: list[Word]) -> list[int]:
    """Number each word by the filler it belongs to (0 = not a filler), by data/spoken.toml rules."""
    n = len(ws)
    group = [0] * n
    count = 0
    i = 0
    while i < n:
        w = ws[i].text
        prev = ws[i - 1].text if i else ""
        phrase = next(
            (p for p, not_after in _PHRASES_BY_FIRST.get(w, ())
             if tuple(x.text for x in ws[i : i + len(p)]) == p and prev not in not_after),
            None,
        )
        if phrase:
            count += 1
            group[i : i + len(phrase)] = [count] * len(phrase)
            i += len(phrase)
            continue
        if w in ALWAYS_FILLERS or (w in CONTEXTUAL_FILLERS and _is_contextual_filler(text, ws, i, group)):
            count += 1
            group[i] = count
        i += 1
    return group


def _is_contextual_filler(text: str, ws: list[Word], i: int, group: list[int]) -> bool:
    """Decide whether "like", "actually", "well"… at position i is said as a pause."""
    w, n = ws[i].text, len(ws)
    prev = ws[i - 1].text if i else ""
    start = i == 0 or bool(_SENTENCE_END.search(text[ws[i - 1].end : ws[i].start]))
    pause_before = i > 0 and _pause_between(text, ws[i - 1].end, ws[i].start)
    pause_after = _pause_between(text, ws[i].end, ws[i + 1].start if i + 1 < n else len(text))
    if start and i + 1 < n and not pause_after and w != "like":
        # "Well we could…", "Actually the leader…" open a sentence without a comma.
        return w in {"well", "actually", "okay", "ok"}
    if pause_before or (i > 0 and group[i - 1]) or (start and w == "like"):
        return True
    return pause_after and (w != "like" or prev not in LIKE_NOT_AFTER)


def _repeat_marks(seq: list[str]) -> list[bool]:
    """Mark the first copy of a word or phrase said twice in a row ("the the", "we could we could")."""
    n = len(seq)
    drop = [False] * n
    i = 0
    while i < n:
        first = seq[i]
        for k in (3, 2, 1):
            # The first words compared before the slices: most words are said once.
            if i + 2 * k <= n and seq[i + k] == first and seq[i : i + k] == seq[i + k : i + 2 * k]:
                for j in range(i, i + k):
                    drop[j] = True
                i += k - 1
                break
        i += 1
    return drop


def normalise_spoken(text: str) -> Spoken:
    """Take fillers, false starts and repeated words out of an utterance; spell out contractions."""
    return _memoised("spoken", text, _normalise_spoken)


def _normalise_spoken(text: str) -> Spoken:
    ws = words(text)
    group = _filler_marks(text, ws)
    kept = [i for i in range(len(ws)) if not group[i]]
    # A word cut off mid-way ("consi- consistent") is a false start too.
    cut = {
        i
        for a, i in enumerate(kept[:-1])
        if text[ws[i].end : ws[i].end + 1] == "-"
        and text[ws[i].end + 1 : ws[i].end + 2] in (" ", "-")
        and ws[kept[a + 1]].text.startswith(ws[i].text)
    }
    rep = _repeat_marks([ws[i].text for i in kept])
    dropped = cut | {i for i, r in zip(kept, rep) if r}

    out: list[str] = []
    pos = 0
    for i, w in enumerate(ws):
        if group[i] or i in dropped:
            out.append(text[pos : w.start])
            pos = w.end
            # Swallow the comma that set a filler off, and the dash of a cut word.
            m = _SET_OFF.match(text, pos) if (group[i] or i in cut) else None
            if m:
                pos = m.end()
        elif w.text in CONTRACTIONS:
            out.append(text[pos : w.start] + CONTRACTIONS[w.text])
            pos = w.end
    out.append(text[pos:])
    fillers: dict[int, list[str]] = {}
    for i, g in enumerate(group):
        if g:
            fillers.setdefault(g, []).append(ws[i].text)
    return Spoken(
        text=_tidy("".join(out)),
        fillers=tuple(" ".join(f) for f in fillers.values()),
        repeats=tuple(ws[i].text for i in sorted(dropped)),
        words=len(ws),
    )


# The comma that set a filler off, or the dash of a cut word ("consi- consistent").
_SET_OFF = re.compile(r"-+|\s*,")
# Each pattern starts only where its run starts and never backtracks into it, so tidying stays
# linear even on the long runs of spaces that removing thousands of fillers leaves behind.
_SPACE_BEFORE_PUNCT = re.compile(r"(?<!\s)\s++([,.;:!?])")
_DOUBLED_PUNCT = re.compile(r"(?<![,;:])[,;:]++\s*+([,;:.!?])")
_LEADING_JUNK = re.compile(r"^[\s,;:.-]++")
_SPACES = re.compile(r"\s+")


def _tidy(text: str) -> str:
    """Mend the punctuation and spaces left behind where words were taken out."""
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _DOUBLED_PUNCT.sub(r"\1", text)
    text = _LEADING_JUNK.sub("", text)
    return _SPACES.sub(" ", text).strip()
