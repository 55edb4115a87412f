"""Build the data dir from the corpus: question bank, lexicon, search index and manifest.

Everything is written into a temporary directory inside the data dir and moved into place; the
manifest (counts, corpus fingerprint, checksums of every file) goes last, so a killed build never
leaves data that looks valid. `ensure_built` notices missing, half-written, damaged or stale data
and rebuilds it; a lock file keeps two processes from building at once.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import logging
import multiprocessing
import os
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from interviewer import __version__, search
from interviewer.bank import FORMAT as BANK_FORMAT
from interviewer.bank import Bank
from interviewer.config import Settings
from interviewer.errors import CorpusError, DataDirError, IndexCorrupt
from interviewer.concepts import build_inventory
from interviewer.concepts.question import ConceptPicker, with_concepts
from interviewer.extract import extract_questions
from interviewer.ingest import corpus_files, load_corpus
from interviewer.lexicon import build_lexicon
from interviewer.records import Document, Question
from interviewer.vocabulary import default_synonyms
from interviewer.speech.model import build_speech_model

# Bump when anything the build writes changes shape; the bank and index carry their own versions.
FORMAT = 1
_LOCK = ".build.lock"
_COUNTS = ("documents", "chunks", "questions")
_TEMP_PREFIXES = (".build-", ".old-")
_log = logging.getLogger("interviewer")

# progress(stage, fraction): the stage being worked on and how much of the whole build is done.
Progress = Callable[[str, float], None]
# Share of the build time each stage takes, measured on the bundled corpus.
_STAGES = {"reading corpus": 0.15, "extracting questions": 0.05, "chunking": 0.05, "lexicon": 0.05,
           "concept inventory": 0.25, "indexing": 0.2, "question concepts": 0.05, "speech model": 0.15,
           "saving": 0.05}


@dataclass(frozen=True)
class BuildReport:
    """What a build produced (or, with built=False, what the up-to-date data dir holds)."""

    documents: int
    chunks: int
    questions: int
    seconds: float
    problems: tuple[str, ...] = ()
    built: bool = True

    def summary(self) -> str:
        """Return the one-line summary `build-index` prints."""
        return (f"indexed {self.documents} documents, {self.chunks} chunks, {self.questions} questions "
                f"in {self.seconds:.2f} s")


@dataclass(frozen=True)
class Defect:
    """Why the data dir needs a (re)build: kind is missing | incomplete | damaged | outdated | stale."""

    kind: str
    message: str


def build(settings: Settings, progress: Progress | None = None) -> BuildReport:
    """Build the question bank, lexicon and search index for the corpus, replacing what is there."""
    _prepare(settings.data_dir)
    with _build_lock(settings.data_dir):
        return _build_locked(settings, progress)


def ensure_built(
    settings: Settings,
    progress: Progress | None = None,
    rebuild_damaged: bool = True,
    notice: Callable[[str], None] | None = None,
) -> BuildReport:
    """Make sure the data dir holds a valid, up-to-date build; build it if not.

    A missing build is always built; a damaged or stale one is rebuilt when `rebuild_damaged`, else
    IndexCorrupt says how to fix it. `notice` gets a one-line explanation before a (re)build.
    """
    defect = check(settings)
    if defect is None:
        return _report_from_manifest(settings)
    if not rebuild_damaged and defect.kind != "missing":
        raise IndexCorrupt(f"{defect.message}; run `interviewer build-index` to rebuild it")
    _prepare(settings.data_dir)
    with _build_lock(settings.data_dir):
        defect = check(settings)  # another process may have built it while we waited
        if defect is None:
            return _report_from_manifest(settings)
        (notice or _log.warning)(_NOTICES[defect.kind].format(message=defect.message))
        return _build_locked(settings, progress)


_NOTICES = {
    "missing": "{message}; building it now",
    "incomplete": "{message}; rebuilding",
    "damaged": "{message}; rebuilding",
    "outdated": "{message}; rebuilding",
    "stale": "{message}; rebuilding",
}


def check(settings: Settings) -> Defect | None:
    """Return what is wrong with the data dir's build, or None when it is valid and up to date."""
    data = settings.data_dir
    try:
        manifest = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        if settings.index_dir.exists() or settings.bank_path.exists():
            return Defect("incomplete", f"the index in {data} is incomplete (a build did not finish)")
        return Defect("missing", f"there is no index in {data} yet")
    except (OSError, ValueError) as exc:
        return Defect("damaged", f"the index manifest in {data} cannot be read ({exc})")
    if not isinstance(manifest, dict) or manifest.get("format") != _format():
        return Defect("outdated", f"the index in {data} was built by another version of interviewer or its rules")
    counts = manifest.get("counts")
    if not isinstance(counts, dict) or not all(isinstance(counts.get(k), int) for k in _COUNTS) \
            or not isinstance(manifest.get("seconds"), (int, float)):
        return Defect("damaged", f"the index manifest in {data} lacks its counts")
    for name, (size, digest) in (manifest.get("files") or {}).items():
        path = data / name
        try:
            if path.stat().st_size != size or _sha1(path) != digest:
                return Defect("damaged", f"the index in {data} is damaged ({name} changed on disk)")
        except OSError:
            return Defect("damaged", f"the index in {data} is damaged ({name} is missing)")
    if not manifest.get("files"):
        return Defect("damaged", f"the index manifest in {data} lists no files")
    try:
        fingerprint = corpus_fingerprint(settings.corpus_dir)
    except CorpusError:
        return None  # no corpus to compare with: the built data is all there is
    if fingerprint != manifest.get("corpus", {}).get("fingerprint"):
        return Defect("stale", f"the corpus in {settings.corpus_dir} changed since the index was built")
    return None


def corpus_fingerprint(corpus_dir: Path) -> str:
    """Hash the names, sizes and contents of the corpus files."""
    h = hashlib.sha1()
    for path in corpus_files(corpus_dir):
        h.update(str(path.relative_to(corpus_dir)).encode("utf-8", "surrogateescape") + b"\0")
        try:
            h.update(_sha1(path).encode())
        except OSError:
            h.update(b"unreadable")
    return h.hexdigest()


# --------------------------------------------------------------------------- the build itself


def _build_locked(settings: Settings, progress: Progress | None) -> BuildReport:
    started = time.perf_counter()
    report = _stepper(progress)
    data = settings.data_dir
    _clean_leftovers(data)
    try:
        temp = Path(tempfile.mkdtemp(prefix=".build-", dir=data))
    except OSError as exc:
        raise _unwritable(data, exc) from exc
    pool: ProcessPoolExecutor | None = None
    try:
        report("reading corpus")
        corpus = load_corpus(settings.corpus_dir, max_file_bytes=settings.max_file_bytes)
        problems = tuple(corpus.problems)
        # The speech model needs only the notes' text: it is built in a process of its own meanwhile
        # (a second core), and waited for before saving. A daemon process (a pool worker) may not have
        # children, and a program read from stdin cannot be spawned again: there it is built in turn.
        texts = [s.text for d in corpus.documents for s in d.sections]
        if multiprocessing.current_process().daemon or not _can_spawn():
            speech = _Done(build_speech_model(texts, temp / "speech"))
        else:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            speech = pool.submit(build_speech_model, texts, temp / "speech")
        fingerprint = corpus_fingerprint(settings.corpus_dir)
        report("extracting questions")
        questions = extract_questions(corpus.documents)
        report("chunking")
        chunks = search.chunk_documents(corpus.documents, _anchors(corpus.documents, questions))
        report("lexicon")
        # Word statistics count sections, as the notes are written, not search passages: how the
        # index packs passages must not move what the grader takes for a rare, telling word.
        lexicon = build_lexicon(s.text for d in corpus.documents for s in d.sections if s.text.strip())
        report("concept inventory")
        inventory = build_inventory(corpus.documents, questions, lexicon, default_synonyms())
        report("indexing")
        # The bank's prompts are indexed with the passages that answer them (their concepts are not needed).
        search.write_index(temp / "index", chunks, lexicon, questions=questions,
                           synonyms=search.synonym_groups(default_synonyms().phrases))
        report("question concepts")
        with search.SearchIndex.open(temp / "index") as index:
            probe_lists = frozenset((q.source.doc, q.source.heading) for q in questions if q.kind == "probe")
            picker = ConceptPicker(inventory.inventory, inventory.passages, lambda q, k: index.search(q, k).hits,
                                   unexplaining=probe_lists)
            questions = [with_concepts(q, picker.concepts_for(q)) for q in questions]
        report("speech model")
        _finish_speech(speech, texts, temp / "speech")
        report("saving")
        Bank(questions).save(temp / settings.bank_path.name)
        lexicon.save(temp / settings.lexicon_path.name)
        inventory.inventory.save(temp / settings.inventory_path.name)
        counts = {"documents": len(corpus.documents), "chunks": len(chunks), "questions": len(questions)}
        seconds = time.perf_counter() - started
        _swap_in(settings, temp, fingerprint, counts, problems, seconds)
    except OSError as exc:
        raise _unwritable(data, exc) from exc
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)  # waits for the speech process before its files go
        shutil.rmtree(temp, ignore_errors=True)
    report(None)
    return BuildReport(counts["documents"], counts["chunks"], counts["questions"],
                       time.perf_counter() - started, problems)


def _can_spawn() -> bool:
    """Whether a spawned process can start this program again: not one read from stdin (`python -`)."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    return path is None or Path(path).exists()


def _finish_speech(speech, texts: list[str], dest: Path) -> None:
    """Wait for the speech model's process; if it could not run (a program read from stdin cannot be
    started again in a spawned process), build the model here instead."""
    try:
        speech.result()
    except BrokenProcessPool:
        _log.info("build: the speech model's process did not run; building it in this one")
        shutil.rmtree(dest, ignore_errors=True)
        build_speech_model(texts, dest)


@dataclass(frozen=True)
class _Done:
    """A result already in hand, read like a future's."""

    value: object

    def result(self) -> object:
        return self.value


def _anchors(documents: Sequence[Document], questions: Sequence[Question]) -> list[search.Anchor]:
    """Name the pieces of heading-less documents after the questions that start in them."""
    plain = {d.doc: d for d in documents if not any(s.heading_path for s in d.sections)}
    anchors = []
    for q in questions:
        doc = plain.get(q.source.doc)
        if doc is None or q.source.line < 1:
            continue
        path = tuple(q.source.heading_path)
        if path[:1] != (doc.title,):
            path = (doc.title,) + path
        if len(path) < 2:
            path = (doc.title, q.prompt)
        anchors.append((doc.doc, q.source.line, path))
    return anchors


def _swap_in(settings: Settings, temp: Path, fingerprint: str, counts: dict, problems: tuple[str, ...],
             seconds: float) -> None:
    """Move the new build into place; the manifest goes last, so only a complete build is valid."""
    data = settings.data_dir
    settings.manifest_path.unlink(missing_ok=True)
    os.replace(temp / settings.bank_path.name, settings.bank_path)
    os.replace(temp / settings.lexicon_path.name, settings.lexicon_path)
    os.replace(temp / settings.inventory_path.name, settings.inventory_path)
    old = None
    if settings.index_dir.exists():
        old = data / f".old-{os.getpid()}-{time.monotonic_ns()}"
        os.replace(settings.index_dir, old)
    os.replace(temp / "index", settings.index_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    shutil.rmtree(settings.speech_dir, ignore_errors=True)
    os.replace(temp / "speech", settings.speech_dir)
    files = [settings.bank_path, settings.lexicon_path, settings.inventory_path,
             *sorted(p for d in (settings.index_dir, settings.speech_dir) for p in d.rglob("*") if p.is_file())]
    manifest = {
        "format": _format(),
        "corpus": {"dir": str(Path(settings.corpus_dir).resolve()), "fingerprint": fingerprint},
        "counts": counts,
        "problems": list(problems),
        "seconds": round(seconds, 3),
        "files": {str(p.relative_to(data)): [p.stat().st_size, _sha1(p)] for p in files},
    }
    part = settings.manifest_path.with_name(settings.manifest_path.name + ".part")
    part.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    os.replace(part, settings.manifest_path)


def _report_from_manifest(settings: Settings) -> BuildReport:
    manifest = json.loads(settings.manifest_path.read_text(encoding="utf-8"))
    counts = manifest["counts"]
    return BuildReport(counts["documents"], counts["chunks"], counts["questions"], float(manifest["seconds"]),
                       tuple(manifest.get("problems", ())), built=False)


def _format() -> str:
    return f"{FORMAT}.{BANK_FORMAT}.{search.FORMAT}+{__version__}.{rules_fingerprint(Path(__file__).parent)}"


@functools.lru_cache(maxsize=4)
def rules_fingerprint(package: Path) -> str:
    """Fingerprint the code and rule tables that turn a corpus into a build (an edited synonyms.toml
    or a new release must not go on serving the concepts chosen before)."""
    h = hashlib.sha1()
    for path in sorted([*package.rglob("*.py"), *(package / "data").glob("*.*")]):
        h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def _sha1(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stepper(progress: Progress | None) -> Callable[[str | None], None]:
    """Return a function that reports the start of each stage (None = done) as a fraction."""
    done = 0.0
    current: list[str] = []

    def step(stage: str | None) -> None:
        nonlocal done
        if current:
            done += _STAGES[current.pop()]
        if stage is not None:
            current.append(stage)
        if progress:
            progress(stage or "done", 1.0 if stage is None else min(done, 1.0))

    return step


# --------------------------------------------------------------------------- the data dir


def _prepare(data: Path) -> None:
    """Create the data dir, or say clearly why it cannot be written."""
    try:
        data.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(data, exc) from exc
    if not os.access(data, os.W_OK):
        raise _unwritable(data, PermissionError("not writable"))


def _unwritable(data: Path, exc: OSError) -> DataDirError:
    reason = exc.strerror or str(exc)
    return DataDirError(f"cannot write the index to the data dir {data} ({reason}); "
                        "choose a writable one with --data-dir or INTERVIEWER_DATA")


@contextmanager
def _build_lock(data: Path) -> Iterator[None]:
    """Hold an exclusive lock on the data dir for the length of a build."""
    try:
        handle = open(data / _LOCK, "a")
    except OSError as exc:
        raise _unwritable(data, exc) from exc
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _clean_leftovers(data: Path) -> None:
    """Remove temporary directories a killed build left behind (we hold the lock, so none is live)."""
    for entry in data.iterdir():
        if entry.is_dir() and entry.name.startswith(_TEMP_PREFIXES):
            shutil.rmtree(entry, ignore_errors=True)
