"""Reading a reference: markdown-ish text → plain sentences, and runs of content words in them.

There is no part-of-speech tagger (nothing to download), so phrase boundaries come from the one
text pipeline (stop words) plus rules kept as data (grading_rules.toml, grading_words.toml):
prepositions, light verbs and listed verbs break a phrase, example values (numbers, identifiers)
break it too, and rating words are trimmed from its ends.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from interviewer.grading.aliases import SynonymTable, default_synonyms
from interviewer.grading.labels import edge_word, example_value, is_measure, is_noun_verb, is_number, is_verb, meta_head
from interviewer.grading.rules import rules
from interviewer.text import STOP_WORDS, word_terms, words

# --------------------------------------------------------------------------- markdown → sentences

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*(?:[*+\-•]|\d{1,3}[.)])\s+")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_CODE = re.compile(r"`([^`\n]+)`")
_ITALIC = re.compile(r"(?<![*\w])\*(?![\s*])([^*\n]+?)(?<![\s*])\*(?![*\w])|(?<![_\w])_(?![\s_])([^_\n]+?)(?<![\s_])_(?![_\w])")
_INNER_DASH = re.compile(r"(?<=\w)[–‐‑](?=\w)")
_QUOTED = re.compile(r"[\"“]([^\"“”\n]{3,40})[\"”]")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"<[^>\n]{1,200}>")
_LATEX = re.compile(r"\$([^$\n]{0,80})\$")
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])[\"”'’)]*\s+(?=[A-Z0-9\"“'‘(\[])")
_CODEY = re.compile(r"[=<>{}();\[\]@$#]|\w\.\w|\*")
_BREAK = re.compile(r"[,;:.!?()\[\]{}\"“”/|—–=+*<>&→←↔⇒]|\s-\s|\n")
CAPS_RUN = re.compile(
    r"(?:[A-Z][\w'’-]*(?:/[A-Za-z][\w'’-]*)*|[0-9][\w-]*)"
    r"(?:[ \t]+(?:(?:of|for|and|the|to|as|in|on)[ \t]+)?(?:[A-Z][\w'’-]*(?:/[A-Za-z][\w'’-]*)*|[0-9][\w-]*))+"
)
# "Label: explanation" at the start of a line: the label is the term the line defines.
_LABEL = re.compile(r"^([A-Za-z0-9][A-Za-z0-9 '’/&()+-]{0,60}?)\s*:\s+\S")
_ARTICLES = frozenset({"a", "an", "the"})
_TABLE_SEPARATOR = re.compile(r"^\s*\|?[\s:|-]*-[\s:|-]*$")


@dataclass(frozen=True)
class Sentence:
    """A sentence (or heading, bullet, table cell) of a reference as plain text, with its emphasised spans.

    depth: how deeply its bullet (or table) is nested; label: a table header cell (names a column,
    explains nothing); example: it illustrates ("For example, …", "e.g. …", "Imagine …"). A short
    line on its own without a full stop ("B. Edge POP Cache") is a heading, as a "# " line is.
    """

    text: str
    index: int
    heading: bool = False
    emphasised: tuple[str, ...] = ()
    depth: int = 0
    label: bool = False
    example: bool = False
    lead_in: bool = False  # a line that announces what follows ("Key Techniques:")
    table: bool = False  # a table cell


# A line with none of these needs no markup stripped (most lines of prose): skip the regexes.
_MARKUP_HINT = re.compile(r"[–‐‑\[<$*_`|]|\s\s|[^\S ]")


def strip_markup(line: str) -> str:
    """Return a line of markdown as plain text: links, tags, emphasis markers and table bars gone."""
    if not _MARKUP_HINT.search(line):
        return line.strip().strip("\"“”").strip()
    line = _INNER_DASH.sub("-", line)  # "publish–subscribe" is one compound, like "publish-subscribe"
    line = _LINK.sub(r"\1", line)
    line = _TAG.sub(" ", line)
    line = _LATEX.sub(lambda m: " → " if "arrow" in m.group(1) else m.group(1), line)
    line = line.replace("**", "").replace("__", "").replace("`", "")
    line = _ITALIC.sub(lambda m: m.group(1) or m.group(2), line)
    line = line.replace("|", " ")
    return re.sub(r"\s+", " ", line).strip().strip("\"“”").strip()


@lru_cache(maxsize=1)
def _example_markers() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in rules()["concepts"]["example_markers"]), re.I)


def _table_row(line: str) -> bool:
    return line.lstrip().startswith("|")


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" \t>"))


def split_reference(reference: str) -> list[Sentence]:
    """Split a markdown-ish reference into plain sentences, headings, bullets and table cells (code dropped)."""
    out: list[Sentence] = []
    in_code = False
    lines = reference.split("\n")
    indents = sorted({_indent(r) for r in lines if _BULLET.match(r.lstrip("> ")) or _table_row(r)})
    in_example = False  # under an "Example:" or "Scenario:" lead-in, until the next heading
    for n, raw in enumerate(lines):
        if _FENCE.match(raw):
            in_code = not in_code
            continue
        if in_code:
            continue
        parsed = _parse_line(raw)
        if parsed is None:
            continue
        heading, lead_in, table, nested, example_line, pieces = parsed
        depth = indents.index(_indent(raw)) if nested and _indent(raw) in indents else 0
        # The row above a |---| line is a table's header: its cells name columns.
        header = table and n + 1 < len(lines) and "-" in lines[n + 1] and bool(_TABLE_SEPARATOR.match(lines[n + 1]))
        if heading:
            in_example = lead_in and example_line
        example = in_example or example_line
        for text, emph, example_piece in pieces:
            example = example or example_piece
            out.append(Sentence(text, len(out), heading, emph, depth, header, example, lead_in, table))
    return out


@lru_cache(maxsize=8192)
def _parse_line(raw: str) -> tuple[bool, bool, bool, bool, bool, tuple[tuple[str, tuple[str, ...], bool], ...]] | None:
    """Read one line on its own (cached: a document's lines recur in the references cut from it).

    Returns (heading or lead-in or bare label, lead-in, table row, a bullet or table row (nested
    by its indent), the line starts an example, its pieces as (text, emphasised spans, the piece
    starts an example)), or None for a line with no text.
    """
    stripped = raw.strip()
    if not stripped or set(stripped) <= set("-=*_#>|: "):
        return None
    examples = _example_markers()
    table = _table_row(raw)
    heading = _HEADING.match(raw)
    bullet = not heading and _BULLET.match(raw.lstrip("> "))
    line = heading.group(1) if heading else _BULLET.sub("", raw.lstrip("> "))
    spans = []
    if "*" in line or "_" in line:
        spans += [m.group(1) or m.group(2) for m in _BOLD.finditer(line)]
        spans += [m.group(1) or m.group(2) for m in _ITALIC.finditer(line.replace("**", "\0\0"))]
    if "`" in line:
        spans += [m.group(1) for m in _CODE.finditer(line) if not _CODEY.search(m.group(1))]
    if '"' in line or "“" in line:
        # A short quoted term is a name being introduced: known as a "retry storm".
        # A quoted single word is more often a scare quote ("trips", "wins"): only phrases count.
        spans += [m.group(1) for m in _QUOTED.finditer(line) if len(m.group(1).split()) > 1]
    spans = [strip_markup(s).strip(" :-").rstrip(".") for s in spans]
    plain = strip_markup(line)
    if heading:
        plain = plain.rstrip(":")
    if not plain:
        return None
    lead_in = not heading and plain.endswith(":") and len(plain.split()) <= 5
    numbered = bool(bullet) and bool(re.match(r"\s*\d", raw.lstrip("> ")))
    bare = (
        not heading and (not bullet or numbered) and not table and not lead_in
        and len(plain.split()) <= 6 and not re.search(r"[.!?:;,)]$", plain)
    )
    if not heading and not lead_in and not table:
        label = _LABEL.match(plain)
        head = label.group(1).split() if label else []
        if head and len(head) <= 5 and (head[0].lower() not in STOP_WORDS or head[0].lower() in _ARTICLES) and not any(
            example_value(w) or is_verb(w) for w in head
        ):
            # "Atomicity: Ensures that…" defines its label, as bold would ("Alice posts:" does not, nor
            # does a context that starts with a function word: "In banking:", "For example:"; "The
            # Tail:" does).
            spans.append(label.group(1))
    if not heading and table:
        # A table row: each cell is a piece of its own ("| Latency | Lower |" is no phrase).
        texts = [strip_markup(c) for c in line.strip().strip("|").split("|")]
        texts = [p for p in texts if p and not set(p) <= set("-: ")]
    else:
        texts = [plain.rstrip(":")] if heading or lead_in or bare else [p for p in SENTENCE_SPLIT.split(plain) if p.strip()]
    pieces = []
    for piece in texts:
        if code_like(piece):
            continue
        low = piece.lower()
        emph = tuple(s for s in spans if s and s.lower() in low)
        pieces.append((piece.strip(), emph, bool(examples.match(piece))))
    return (
        bool(heading) or lead_in or bare, lead_in, table, bool(bullet) or table, bool(examples.match(plain)), tuple(pieces),
    )


_LOOSE_QUOTE = re.compile(r"(?<!\w)['‘’\"“”]|['‘’\"“”](?!\w)")


def cut_label(sentence: Sentence, start: int, end: int) -> str:
    """Cut a label out of a sentence; a capital that only starts the sentence is lowered."""
    text = sentence.text[start:end]
    if "'" in text or "‘" in text or "’" in text or '"' in text or "“" in text or "”" in text:
        text = _LOOSE_QUOTE.sub("", text)
    text = text.strip(" -")
    if start == 0 and len(text) > 1 and text[0].isupper() and (len(text) < 2 or not text[1].isupper()):
        first, _, rest = text.partition(" ")
        # "Strong Consistency" is a name in Title Case; "Polling a table" only starts a sentence.
        if first[1:].islower() and not (rest[:1].isupper() and not sentence.text[end:].strip()[:1].islower()):
            text = text[0].lower() + text[1:]
    if " " in text:
        # "message DELETED after acknowledgment": capitals for emphasis, not an acronym.
        text = _SHOUTED.sub(lambda m: m.group(0).lower(), text)
    return text


# A word in capitals with an English ending ("DELETED", "RETAINED", "BLOCKING"); acronyms rarely end so.
_SHOUTED = re.compile(r"\b[A-Z]{2,}(?:ED|ING|LY)\b")


BREAKERS = frozenset(rules()["concepts"]["phrase_breakers"])
_OBJECTS = frozenset(rules()["concepts"]["object_starters"])
_SUBJECTS = frozenset(rules()["concepts"]["subject_words"])
_PRONOUNS = frozenset(rules()["concepts"]["verb_after"])

Run = list[tuple[int, int, tuple[str, ...]]]
_JOINERS = "-/."  # "write-through", "Pub/Sub", "Node.js"


def content_runs(text: str, synonyms: SynonymTable | None = None, keep: frozenset[str] = frozenset()) -> list[Run]:
    """Return the runs of content words of a text (see `read_text`)."""
    return read_text(text, synonyms, keep)[0]


def read_text(
    text: str, synonyms: SynonymTable | None = None, keep: frozenset[str] = frozenset()
) -> tuple[list[Run], tuple[str, ...], frozenset[str]]:
    """Return the runs of content words of a text (no stop word, breaker or punctuation between them),
    all its pipeline terms (what `analyze` returns) and their canonical set, read in one pass.

    Words joined by a hyphen or a slash count as one ("write-through", "Pub/Sub"). Verbs are guessed
    from their surroundings, since there is no tagger: a word right before "the", "them", "this"…
    ("polls this table"), a third-person "-s" word before a participle or gerund ("reads committed
    records", "eliminates polling"), a participle that ends a run ("tables located") and the forms of
    the listed verbs (grading_words.toml). Example values (numbers, measures, identifiers) end a run
    unless `keep` (the question's words, lowercased) or the synonym table names them; rating words and
    page labels are trimmed from a run's ends, except inside a wording the synonym table knows.
    The result is shared with later calls for the same text: do not change it.
    """
    table = synonyms if synonyms is not None else default_synonyms()
    if keep:
        low = text.lower()
        keep = frozenset(k for k in keep if k in low)
    entry = _READ_CACHE.get(id(table))
    if entry is None or entry[0] is not table:
        entry = _READ_CACHE[id(table)] = (table, {})
    cache = entry[1]
    key = (text, keep)
    # The questions of one document share its sentences (a scenario and the concepts it explains,
    # the copies of a document): keep the most recently read ones (a dict keeps insertion order, so
    # the first key is the least recently used). Graders run in threads: one at a time in here.
    with _READ_LOCK:
        found = cache.pop(key, None)
        if found is not None:
            cache[key] = found
            return found
    found = _read_text(text, table, keep)
    with _READ_LOCK:
        if len(cache) >= _READ_CACHE_SIZE:
            cache.pop(next(iter(cache)), None)
        cache[key] = found
    return found


_READ_CACHE: dict[int, tuple[SynonymTable, dict[tuple[str, frozenset[str]], tuple[list[Run], tuple[str, ...], frozenset[str]]]]] = {}
_READ_CACHE_SIZE = 8192
_READ_LOCK = threading.Lock()


def _read_text(text: str, table: SynonymTable, keep: frozenset[str]) -> tuple[list[Run], tuple[str, ...], frozenset[str]]:
    phrases = table.phrases
    # start, end, terms, word before, flag ("" | "verb" | "noun_verb" | "edge"; "value" words lose their
    # terms), and the word's shape (adverb, third-person "-s", participle, gerund)
    elements: list[tuple[int, int, tuple[str, ...], str, str, tuple[bool, bool, bool, bool]]] = []
    all_terms: list[str] = []
    ws = words(text)
    n = len(ws)
    i = 0
    prev_word = ""
    while i < n:
        w, start, end = ws[i]
        wt = word_terms(w)
        all_terms.extend(wt)
        terms = () if w in BREAKERS or (len(w) == 1 and not w.isdigit()) else wt
        while terms and i + 1 < n and ws[i + 1].start == end + 1 and text[end] in _JOINERS:
            i += 1
            more = word_terms(ws[i].text)
            all_terms.extend(more)
            terms = terms + more
            end = ws[i].end
        surface = text[start:end]
        flag, shape = _word_info(surface)
        if terms:
            if flag and surface.lower() in keep:
                flag = ""
            elif flag in ("value", "number") and terms in phrases:
                flag = ""
            if start and text[start - 1] in "./" and (start == 1 or text[start - 2].isspace()):
                flag = "value"  # ".proto", "/api/orders": a file extension or a path
            if flag in ("value", "number"):
                terms = ()
        else:
            flag = ""
        elements.append((start, end, terms, prev_word, flag, shape))
        prev_word = ws[i].text
        i += 1
    runs: list[Run] = []
    flags: list[list[str]] = []
    current: Run = []
    current_flags: list[str] = []
    last_third = False  # the last word of the current run is a third-person "-s" word
    before_last_third = False  # … and the word before it
    last_verbish = False  # … or any form of a listed verb
    last_name = False  # … or a Capitalised name ("Kafka")
    prev_end = 0
    after_adverb = False
    after_name = False  # the word before names an entity of an example ("Service A calls…")
    for k, (start, end, terms, before, flag, (adverb, third, participle, gerund)) in enumerate(elements):
        broken = not (start == prev_end + 1 and text[prev_end] == " ") and _BREAK.search(text, prev_end, start) is not None
        if not current and terms and third and (after_adverb or after_name or before in _SUBJECTS):
            # "randomly tells", "it reads", "which skips", "Service A calls": a verb after its adverb or subject.
            terms = ()
        after_adverb = adverb
        after_name = flag == "value" or (end - start == 1 and text[start].isupper())
        if not current and terms and not broken and before in _PRONOUNS:
            # "we avoid two-phase commit": the word after a personal pronoun is its verb.
            terms = ()
        verb = flag == "verb" and not _in_known_phrase(elements, k, table)
        if current and not broken and flag == "noun_verb" and (
            (last_third and not text[end - 1] == "s" and not text[start:end].endswith(("ed", "ing")))
            or (third and last_name)
        ):
            # "replicas serve reads", "Kafka supports exactly-once": a verb after its subject.
            verb = True
        if current and (not terms or verb or broken or adverb):
            # A run followed at once by "the", "them", "this"…, by an adverb or by a value of an example
            # ends with its verb: "polls this table", "orders causally", "reads customerId".
            if (
                len(current) > 1 and not broken and last_verbish
                and (adverb or flag in ("value", "number") or text[start:end].lower() in _OBJECTS)
            ) or (
                # "consumer groups read independently", "consumer groups replay them": a bare word
                # between a plural and an adverb or object is the plural's verb, even a verb of the trade.
                (adverb or text[start:end].lower() in _OBJECTS) and len(current) > 1 and not broken
                and before_last_third and not last_third
                and not _participle(text[current[-1][0] : current[-1][1]])
            ):
                current.pop()
                current_flags.pop()
            runs.append(current)
            flags.append(current_flags)
            current, current_flags = [], []
        if terms and not verb and not adverb:
            if current and (participle or gerund) and last_third:
                current.pop()
                current_flags.pop()
                if current:
                    runs.append(current)
                    flags.append(current_flags)
                current, current_flags = [], []
            current.append((start, end, terms))
            current_flags.append(flag)
            before_last_third = last_third if len(current) > 1 else False
            last_third = third
            last_verbish = third or flag == "noun_verb"
            last_name = text[start].isupper()
        prev_end = end
    if current:
        runs.append(current)
        flags.append(current_flags)
    trimmed = []
    for run, fl in zip(runs, flags):
        if any(fl):
            run = _trim(run, fl, table)
        while len(run) > 1 and _participle(text[run[-1][0] : run[-1][1]]):
            run = run[:-1]
        if run:
            trimmed.append(run)
    terms = tuple(all_terms)
    return trimmed, terms, frozenset(table.canonical(terms))


@lru_cache(maxsize=65536)
def _word_info(surface: str) -> tuple[str, tuple[bool, bool, bool, bool]]:
    """Return a word's class for phrase building and its shape: (adverb, third-person, participle, gerund)."""
    w = surface.lower()
    lower_start = not surface[:1].isupper()
    plain = "-" not in w and lower_start
    shape = (
        plain and len(w) > 4 and w.endswith("ly") and is_adverb(surface),
        plain and len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is", "ys")),
        plain and len(w) > 4 and w.endswith("ed"),
        plain and len(w) > 5 and w.endswith("ing"),
    )
    return word_class(surface), shape


@lru_cache(maxsize=65536)
def word_class(surface: str) -> str:
    """Classify a word for phrase building: an example value, a verb, a verb-or-noun, a rating word, or plain."""
    low = surface.lower()
    if is_number(surface) or is_measure(surface):
        return "number"
    if example_value(surface):
        return "value"
    if is_verb(low):
        return "verb"
    if is_noun_verb(low):
        return "noun_verb"
    if edge_word(low) or meta_head(low):
        return "edge"
    return ""


def _in_known_phrase(elements: list, idx: int, table: SynonymTable) -> bool:  # type: ignore[type-arg]
    """Tell whether element idx belongs to a wording the synonym table knows ("operating system")."""
    span = table.longest
    for a in range(max(0, idx - span + 1), idx + 1):
        terms: tuple[str, ...] = ()
        for b in range(a, min(len(elements), a + span)):
            terms += elements[b][2] or ("\0",)
            if b >= idx and len(terms) > 1 and terms in table.phrases:
                return True
    return False


def _trim(run: Run, flags: list[str], table: SynonymTable) -> Run:
    """Trim rating words, page labels and leading verbs from a run's ends, keeping known wordings whole."""
    terms = [t for _, _, ts in run for t in ts]

    def known(k: int) -> bool:
        # Is element k part of a wording of two or more terms the synonym table knows?
        offsets = [0]
        for _, _, ts in run:
            offsets.append(offsets[-1] + len(ts))
        lo, hi = offsets[k], offsets[k + 1]
        for a in range(0, hi):
            for b in range(max(a + 2, lo + 1), min(len(terms), a + table.longest) + 1):
                if a < hi and b > lo and tuple(terms[a:b]) in table.phrases:
                    return True
        return False

    lo, hi = 0, len(run)
    while lo < hi and flags[lo] in ("edge", "noun_verb") and not known(lo):
        lo += 1
    while hi > lo and flags[hi - 1] == "edge" and not known(hi - 1):
        hi -= 1
    return run[lo:hi]


@lru_cache(maxsize=65536)
def _third_person(word: str) -> bool:
    w = word.lower()
    return len(w) > 3 and "-" not in w and w.endswith("s") and not w.endswith(("ss", "us", "is", "ys")) and not word[0].isupper()


@lru_cache(maxsize=65536)
def _gerund(word: str) -> bool:
    return len(word) > 5 and "-" not in word and word.lower().endswith("ing") and not word[0].isupper()


@lru_cache(maxsize=65536)
def _participle(word: str) -> bool:
    return len(word) > 4 and "-" not in word and word.lower().endswith("ed") and not word[0].isupper()


@lru_cache(maxsize=65536)
def is_adverb(word: str) -> bool:
    """Tell whether a word is an adverb that describes rather than names ("continuously", "actively").

    Adverbs of a word the synonym table knows on its own ("asynchronously", "atomically") carry
    meaning and are kept.
    """
    w = word.lower()
    if len(w) <= 4 or "-" in w or not w.endswith("ly") or word[0].isupper():
        return False
    base = w[:-2]
    return not (base in _WORDINGS or (w.endswith("ally") and w[:-4] in _WORDINGS))


# One-word wordings of the synonym table: their adverbs ("asynchronously") are terms of the trade.
_WORDINGS = frozenset(w.lower() for ws in default_synonyms().wordings_of.values() for w in ws if " " not in w)


_CODE_CHARS = re.compile(r"[=(){};<>\[\]*^_]")


def code_like(text: str) -> bool:
    """Tell whether a line reads as code or a formula rather than prose."""
    return len(_CODE_CHARS.findall(text)) > max(2, 0.04 * len(text))


def run_text(text: str, run: Run) -> str:
    """Return the text a run of words spans."""
    return text[run[0][0] : run[-1][1]]
