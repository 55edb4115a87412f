"""The `interviewer` command: click commands only, each a few lines around the library."""

from __future__ import annotations

import functools
import json
import os
import secrets
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TextIO

import click

from interviewer import __version__
from interviewer.bank import Bank
from interviewer.build import BuildReport, build, ensure_built
from interviewer.concepts import Inventory
from interviewer.concepts.explain import explain
from interviewer.config import Settings, load_settings
from interviewer.errors import InputError, InterviewerError, StoreError
from interviewer.dialogue import Config, State
from interviewer.dialogue.state import DEFAULT_COUNT, MAX_COUNT
from interviewer.grading import Grader, format_scorecard, grade_batch
from interviewer.jsonl import BadLine, parse_line
from interviewer.lexicon import Lexicon
from interviewer.practice import Practice, cards_of, moment, offset_clock, parse_now
from interviewer.records import DIFFICULTIES, KINDS, Question, Scorecard
from interviewer.report import EXPORT_FORMATS, export, printable, report_from_store
from interviewer.rubric import RUBRIC_KINDS, Rubric, format_rubric, rubric_for
from interviewer.search import SearchIndex
from interviewer.services import open_search, open_services
from interviewer.store import Store
from interviewer.terminal import Recorder, chat, prompt_lines, replay
from interviewer.vocabulary import default_synonyms

_PROMPT_WIDTH = 70
# The learner of a terminal that names none: one per store (and so per data dir, by default).
DEFAULT_LEARNER = "local"
# `interviewer` alone shows the help; that is not an error (click 8.2+ raises this for it).
_NO_ARGS = getattr(click.exceptions, "NoArgsIsHelpError", ())


class _Group(click.Group):
    """The command group; the one place library errors become `Error: …` and exit status 1."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            if not isinstance(exc, _NO_ARGS):
                exc.exit_code = 1  # the contract: every error is `Error: …` and status 1
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            exc.exit_code = 1
            raise
        except InterviewerError as exc:
            raise click.ClickException(str(exc)) from exc
        except BrokenPipeError:
            # `interviewer questions | head`: the reader went away; that is not an error. Point
            # stdout at /dev/null so the flush at exit does not fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(0)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:
            if os.environ.get("INTERVIEWER_DEBUG"):
                raise
            # A bug, not a user error: say so in one line; INTERVIEWER_DEBUG=1 shows the traceback.
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {exc} (set INTERVIEWER_DEBUG=1 for the traceback)"
            ) from exc


def _learner_options(f: Callable) -> Callable:
    f = click.option("--now", metavar="ISO-TIME", default=None,
                     help="Pretend it is this time (e.g. 2025-03-04T09:00Z): for tests and demos only.")(f)
    f = click.option("--learner", metavar="NAME", default=None,
                     help="Whose progress this is (env INTERVIEWER_LEARNER; default: the one local learner "
                          "of the store).")(f)
    return f


# The session store, for every command that opens it.
_db_option = click.option("--db", "db_url", metavar="URL", default=None,
                          help="Session store (env INTERVIEWER_DB; default: sqlite:///<data dir>/interviewer.db).")


def _settings_options(f: Callable) -> Callable:
    f = click.option("--corpus", "corpus_dir", metavar="DIR", default=None,
                     help="Corpus directory (env INTERVIEWER_CORPUS; default: the bundled corpus).")(f)
    f = click.option("--data-dir", "data_dir", metavar="DIR", default=None,
                     help="Where the index and bank live (env INTERVIEWER_DATA; default: .interviewer/).")(f)
    return f


def pass_settings(f: Callable) -> Callable:
    """Give a command `settings`, from its own --data-dir/--corpus, the group's, env or defaults."""

    @_settings_options
    @click.pass_context
    @functools.wraps(f)
    def wrapper(ctx: click.Context, data_dir: str | None, corpus_dir: str | None, **kwargs: Any) -> Any:
        group = ctx.find_root().params
        settings = load_settings(data_dir=data_dir or group.get("data_dir"),
                                 corpus_dir=corpus_dir or group.get("corpus_dir"))
        return f(settings, **kwargs)

    return wrapper


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@_settings_options
@click.version_option(__version__, prog_name="interviewer")
def main(data_dir: str | None, corpus_dir: str | None) -> None:
    """Offline mock interview coach for system-design interviews.

    Questions, model answers and lookups come from a local corpus of interview notes; answers are
    graded by concept coverage with BM25 search and rules. No language model anywhere.
    """


# --------------------------------------------------------------------------- helpers


@contextmanager
def _progress(label: str) -> Iterator[Callable[[str, float], None] | None]:
    """Yield a build progress callback drawing a bar on stderr; none when stderr is not a terminal.

    The bar appears with the first progress report, so a valid index shows nothing at all.
    """
    if not sys.stderr.isatty():
        yield None
        return
    state: dict[str, Any] = {"bar": None, "stage": ""}

    def update(stage: str, fraction: float) -> None:
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=100, label=label, file=sys.stderr, show_eta=False,
                                             item_show_func=lambda _: state["stage"])
            state["bar"].__enter__()
        state["stage"] = stage
        state["bar"].update(max(0, int(fraction * 100) - state["bar"].pos))

    try:
        yield update
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)


def _warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


def _ready(settings: Settings) -> BuildReport:
    """Build the index first if it is missing, damaged or stale (a notice and a bar on stderr)."""
    with _progress("building index") as progress:
        report = ensure_built(settings, progress=progress, notice=lambda m: click.echo(m, err=True))
    if report.built:
        for problem in report.problems:
            _warn(problem)
    return report


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


# --------------------------------------------------------------------------- build-index


@main.command("build-index")
@click.option("--if-missing", is_flag=True,
              help="Only build when there is no valid, up-to-date index (rebuild a damaged or stale one).")
@pass_settings
def build_index(settings: Settings, if_missing: bool) -> None:
    """Build the question bank and search index from the corpus.

    Prints one summary line; problems with corpus files are warnings on stderr.
    """
    if if_missing:
        report = _ready(settings)
        if not report.built:
            click.echo(f"index up to date: {report.documents} documents, {report.chunks} chunks, "
                       f"{report.questions} questions")
            return
    else:
        with _progress("building index") as progress:
            report = build(settings, progress=progress)
        for problem in report.problems:
            _warn(problem)
    click.echo(report.summary())


# --------------------------------------------------------------------------- search


@main.command("search")
@click.argument("query", nargs=-1)
@click.option("--top", "-k", type=click.IntRange(min=1, max=100), default=5, show_default=True,
              help="How many passages to return.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
@click.option("--batch", metavar="FILE.jsonl", default=None,
              help='Answer many queries: JSON lines {"id", "query"} from FILE ("-" = stdin), '
                   "one JSON line out per line in.")
@pass_settings
def search_command(settings: Settings, query: tuple[str, ...], top: int, as_json: bool, batch: str | None) -> None:
    """Search the corpus for passages that answer QUERY (typed or spoken style).

    Shows the document, heading path, line and a snippet with the matched words in **bold**,
    and "did you mean: …" when a word looks misspelled.
    """
    if batch is not None and query:
        raise InputError("give either a QUERY or --batch FILE, not both")
    if batch is None and not " ".join(query).strip():
        raise InputError("give a QUERY to search for (or --batch FILE.jsonl)")
    _ready(settings)
    with open_search(settings) as index:
        if batch is not None:
            with _open_input(batch) as lines:
                for line in lines:
                    if line.strip():
                        _echo_json(_batch_line(index, line, top))
            return
        result = index.search(" ".join(query), top=top)
    if as_json:
        _echo_json(result.to_dict())
        return
    if result.suggestion:
        click.echo(f"did you mean: {result.suggestion}")
    if not result.hits:
        click.echo("no passages found")
    for hit in result.hits:
        click.echo(f"{hit.rank}. {hit.doc}:{hit.line}  {hit.heading}  (score {hit.score:.2f})")
        click.echo(f"   {hit.snippet}")


def _batch_line(index: SearchIndex, line: str, top: int) -> dict[str, Any]:
    """Answer one batch line; a malformed line gets an error line, not a stop."""
    qid = None
    try:
        try:
            record = parse_line(line)
        except BadLine as exc:
            raise InputError(f"not a JSON object ({exc})") from exc
        if not isinstance(record, dict):
            raise InputError("not a JSON object")
        qid = record.get("id")
        q = record.get("query")
        if not isinstance(q, str):
            raise InputError('"query" must be a string')
        result = index.search(q, top=top)
    except InputError as exc:
        return {"id": qid, "error": str(exc), "suggestion": None, "hits": []}
    return {"id": qid, "suggestion": result.suggestion, "hits": [h.to_dict() for h in result.hits]}


class _open_input:
    """Open a batch input file (`-` = stdin) as lines; an unreadable file is a user error."""

    def __init__(self, name: str):
        self.name = name
        self.handle: TextIO | None = None

    def __enter__(self) -> Iterable[str]:
        if self.name == "-":
            return sys.stdin
        try:
            self.handle = open(self.name, encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InputError(f"cannot read {self.name} ({exc.strerror or exc})") from exc
        return self.handle

    def __exit__(self, *exc: object) -> None:
        if self.handle:
            self.handle.close()


# --------------------------------------------------------------------------- questions


@main.command("questions")
@click.option("--topic", "-t", metavar="T", default=None,
              help='Only questions about this topic, most relevant first (free text: "caching", "leader election").')
@click.option("--kind", type=click.Choice(KINDS), default=None, help="Only questions of this kind.")
@click.option("--difficulty", type=click.Choice(DIFFICULTIES), default=None, help="Only questions of this difficulty.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of question records on stdout.")
@pass_settings
def questions_command(settings: Settings, topic: str | None, kind: str | None, difficulty: str | None,
                      as_json: bool) -> None:
    """List the questions of the bank: id, kind, topic, difficulty and prompt."""
    _ready(settings)
    bank = Bank.load(settings.bank_path)
    chosen = bank.select(topic=topic, kind=kind, difficulty=difficulty)
    if as_json:
        _echo_json([q.to_dict() for q in chosen])
        return
    if not chosen:
        click.echo("no questions match" + (f" the topic {topic!r}" if topic else ""), err=True)
        return
    _print_table(chosen)


def _print_table(questions: list[Question]) -> None:
    id_width = max(len("id"), *(len(q.id) for q in questions))
    topic_width = min(24, max(len("topic"), *(len(q.topic) for q in questions)))
    click.echo(f"{'id':<{id_width}}  {'kind':<8}  {'topic':<{topic_width}}  {'difficulty':<10}  prompt")
    for q in questions:
        prompt = " ".join(q.prompt.split())
        if len(prompt) > _PROMPT_WIDTH:
            prompt = prompt[: _PROMPT_WIDTH - 1] + "…"
        topic = q.topic if len(q.topic) <= topic_width else q.topic[: topic_width - 1] + "…"
        click.echo(f"{q.id:<{id_width}}  {q.kind:<8}  {topic:<{topic_width}}  {q.difficulty:<10}  {prompt}")


@main.command("concepts")
@click.argument("query", nargs=-1)
@click.option("--topic", "-t", metavar="T", default=None, help="Only concepts of this topic.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of the inventory's concepts on stdout.")
@click.option("--explain", "explain_id", metavar="QUESTION_ID", default=None,
              help="Trace one question's candidate concepts through the named rules, and list its concepts.")
@pass_settings
def concepts_command(settings: Settings, query: tuple[str, ...], topic: str | None, as_json: bool,
                     explain_id: str | None) -> None:
    """List the concept inventory: what the notes teach, each with where it is defined.

    QUERY keeps the concepts whose names hold all its words ("fencing", "consistent hashing").
    """
    _ready(settings)
    inventory = Inventory.load(settings.inventory_path, default_synonyms())
    if explain_id is not None:
        if query or topic or as_json:
            raise InputError("--explain takes a question id alone")
        click.echo(explain(Bank.load(settings.bank_path).get(explain_id.strip()), inventory))
        return
    text = " ".join(query).strip() or None
    if text is not None and not any(c.isalnum() for c in text):
        raise InputError(f"the query {text!r} has no words to look for")
    chosen = inventory.matching(text, topic)
    if as_json:
        _echo_json([c.to_dict() for c in chosen])
        return
    if not chosen:
        click.echo("no concepts match" + (f" {text!r}" if text else "") + (f" in topic {topic!r}" if topic else ""),
                   err=True)
        return
    width = min(40, max(len(c.label) for c in chosen))
    for c in chosen:
        where = f"{c.defined_at.doc}:{c.defined_at.line}" if c.defined_at else "(named, not defined)"
        label = c.label if len(c.label) <= width else c.label[: width - 1] + "…"
        click.echo(f"{label:<{width}}  {', '.join(c.topics[:2]):<28}  {c.df:>3}  {where}")


# --------------------------------------------------------------------------- grade


@main.command("grade")
@click.option("--reference", metavar="TEXT", default=None, help="The model answer to grade against.")
@click.option("--id", "question_id", metavar="QUESTION_ID", default=None,
              help="Grade against this bank question (its model answer and concepts; see `interviewer questions`).")
@click.option("--answer", metavar="TEXT", default=None, help="The answer, typed or dictated (fillers are fine).")
@click.option("--audio", metavar="FILE.wav", default=None,
              help="Grade a recorded answer: transcribed offline, spoken forms written (p ninety nine → p99), "
                   "speaking time measured from the audio.")
@click.option("--question", metavar="TEXT", default=None,
              help="The question, so restating it earns nothing and off-topic answers are caught.")
@click.option("--kind", type=click.Choice(RUBRIC_KINDS), default=None,
              help="Also grade how the answer drives the design (phases, estimates, level signals); open and "
                   "scenario bank questions get it anyway. --kind design needs no reference: the rubric alone.")
@click.option("--json", "as_json", is_flag=True, help="Print the whole scorecard as one JSON object.")
@click.option("--batch", metavar="FILE.jsonl", default=None,
              help='Grade many answers: JSON lines {"id", "reference" (or "references": [...], or "question_id"), '
                   '"answer", "question"?} from FILE ("-" = stdin), one JSON line out per line in.')
@pass_settings
def grade_command(settings: Settings, reference: str | None, question_id: str | None, answer: str | None,
                  audio: str | None, question: str | None, kind: str | None, as_json: bool, batch: str | None) -> None:
    """Grade an answer by the concepts of a reference answer it covers.

    Prints the score (0..1), the grade (0..5), covered and missed concepts (each missed one with the
    reference sentence that explains it), delivery figures and a follow-up question. Open, scenario and
    --kind design answers also get the design rubric: phases, estimates checked, level signals.
    """
    if audio is not None and (answer is not None or batch is not None):
        raise InputError("give either --answer TEXT or --audio FILE.wav, not both (and no --batch)")
    if batch is not None and (reference is not None or question_id is not None or answer is not None):
        raise InputError("give either --reference/--id with --answer, or --batch FILE, not both")
    if batch is not None and kind is not None:
        raise InputError("--kind works with one --answer, not with --batch")
    if reference is not None and question_id is not None:
        raise InputError("give either --reference TEXT or --id QUESTION_ID, not both")
    if batch is None and answer is not None and kind == "design" and reference is None and question_id is None:
        _echo_rubric(rubric_for(answer, prompt=question or "", kind=kind), None, None, as_json)
        return
    if batch is None and ((answer is None and audio is None) or (reference is None and question_id is None)):
        raise InputError("give --answer TEXT and either --reference TEXT or --id QUESTION_ID (or --batch FILE.jsonl)")
    _ready(settings)
    heard = None
    if audio is not None:
        from interviewer.speech import transcribe_file

        heard = transcribe_file(settings, audio)
        answer = heard.normalised
    grader = Grader(Lexicon.load(settings.lexicon_path), inventory=Inventory.load(settings.inventory_path, default_synonyms()))
    if batch is not None:
        bank = Bank.load(settings.bank_path)
        with _open_input(batch) as lines:
            for result in grade_batch(lines, grader, bank.get):
                _echo_json(result)
        return
    rubric = None
    # The text shows the rubric when asked for (--kind) and for a scenario; an open bank question's
    # rubric is in --json only (most ask what something is, where phases and estimates say little).
    say_rubric = kind is not None
    if question_id is not None:
        asked = Bank.load(settings.bank_path).get(question_id.strip())
        card = grader.grade(answer, question=asked, question_text=question)
        kind = kind or (asked.kind if asked.kind in RUBRIC_KINDS else None)
        say_rubric = say_rubric or asked.kind == "scenario"
        question = question or asked.prompt
    else:
        card = grader.grade(answer, reference=reference, question_text=question)
    if heard is not None:
        from interviewer.speech import with_audio_delivery

        card = with_audio_delivery(card, heard)
    if kind is not None:
        rubric = rubric_for(answer, prompt=question or "", kind=kind)
    _echo_rubric(rubric, card, heard, as_json, say_rubric)


def _echo_rubric(rubric: Rubric | None, card: Scorecard | None, heard: Any, as_json: bool,
                 say_rubric: bool = True) -> None:
    """Print a scorecard, what was heard (a graded recording) and the design rubric (each may be missing)
    as one JSON object or as text blocks."""
    if as_json:
        data = card.to_dict() if card is not None else {}
        if heard is not None:
            data["audio"] = {k: v for k, v in heard.to_dict().items() if k != "words"}
        if rubric is not None:
            data["rubric"] = rubric.to_dict()
        _echo_json(data)
        return
    blocks = [f"heard: {heard.text}"] if heard is not None else []
    blocks += [format_scorecard(card)] if card is not None else []
    if rubric is not None and say_rubric:
        blocks.append(format_rubric(rubric))
    click.echo("\n\n".join(blocks))


# --------------------------------------------------------------------------- transcribe


@main.command("transcribe")
@click.argument("wav", metavar="FILE.wav")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: text, normalised, seconds, speaking_seconds, words_per_minute, "
                   "decode_seconds, real_time_factor, words [{word, start, end}].")
@pass_settings
def transcribe_command(settings: Settings, wav: str, as_json: bool) -> None:
    """Transcribe a recorded answer offline (pocketsphinx with the corpus's vocabulary).

    Prints what was heard; --json adds the text as it is graded (spoken forms written: "p ninety
    nine" → p99), timings and word times. Any PCM WAV works: other sample rates are resampled
    and stereo mixed down.
    """
    _ready(settings)
    from interviewer.speech import transcribe_file

    heard = transcribe_file(settings, wav)
    if as_json:
        _echo_json(heard.to_dict())
    else:
        click.echo(heard.text)


# --------------------------------------------------------------------------- chat


@main.command("chat")
@click.option("--seed", type=int, default=None, help="Seed the question order, for a reproducible session.")
@click.option("--topic", default=None, help='Start at once on this topic ("surprise" for any); otherwise you are asked.')
@click.option("--level", "difficulty", type=click.Choice(DIFFICULTIES), default=None, help="Question level.")
@click.option("--count", type=click.IntRange(min=1, max=MAX_COUNT), default=DEFAULT_COUNT, show_default=True,
              help="How many questions.")
@click.option("--mock", is_flag=True, help="Mock mode: no feedback until the summary, as in a real interview.")
@click.option("--multiline", is_flag=True, help="Collect each answer until an empty line (for long, pasted answers).")
@click.option("--jsonl", is_flag=True, help="Print every reply as one JSON line, shaped like the Socket.IO `reply` events.")
@click.option("--resume", metavar="TOKEN", default=None,
              help="Continue a saved session (the token printed when it started, or kept by the chat page).")
@_db_option
@click.option("--review", is_flag=True,
              help="A review round: questions for the concepts due for review (most overdue first, mixing topics).")
@_learner_options
@pass_settings
def chat_command(settings: Settings, seed: int | None, topic: str | None, difficulty: str | None, count: int,
                 mock: bool, multiline: bool, jsonl: bool, resume: str | None, db_url: str | None, review: bool,
                 learner: str | None, now: str | None) -> None:
    """Practise an interview in the terminal (works with piped stdin; Ctrl-C or EOF ends with the summary).

    Every turn is saved to the session store, so the session can be resumed (--resume) and reviewed
    (`interviewer report`, or its scorecard page in the browser). Every graded answer reviews its
    concepts for the learner (--learner), and the summary says what comes back when; --review asks
    for what is due.
    """
    _ready(settings)
    store = _open_store(db_url or settings.db_url, required=resume is not None or review)
    services = open_services(settings)
    clock = offset_clock(parse_now(now) if now else None)
    topic = " ".join(printable(topic).split()) or None if topic is not None else None
    config = Config(topic=topic, difficulty=difficulty, count=count, mode="mock" if mock else "practice",
                    answer_mode="lines" if multiline else "auto",
                    seed=seed if seed is not None else secrets.randbelow(2**31),
                    round="review" if review else "interview")
    who = store.learner(_learner_name(learner)).id if store is not None else None
    practice = Practice(services.bank, services.inventory)
    plan = practice.review_plan(store, who, moment(clock), seed=config.seed) if review else None
    state, record = None, None
    if resume is not None:
        record = store.session_by_token(resume.strip())
        if record is None:
            raise InputError("no saved session has that token; check it, or start a new one without --resume")
        state = State.from_dict(record.state)
        config = state.config
        replay(store.transcript(record.id), sys.stdout, jsonl=jsonl)
    interactive = sys.stdin.isatty() and not jsonl
    lines = prompt_lines() if interactive else sys.stdin
    if record is not None and record.learner:
        who = record.learner  # a resumed session goes on reviewing for the learner it began with
    recorder = Recorder(store, config, lambda m: click.echo(m, err=True), session=record, learner=who,
                        practice=practice, now=lambda: moment(clock), state=state)
    try:
        chat(services.interviewer(clock=clock), config, lines, sys.stdout, jsonl=jsonl, echo=not interactive,
             state=state, on_step=recorder, review=plan)
    finally:
        services.close()
        if store is not None:
            store.close()


def _learner_name(name: str | None) -> str:
    """Return the terminal learner's name: --learner, else INTERVIEWER_LEARNER, else the data dir's one local learner."""
    return (name or os.environ.get("INTERVIEWER_LEARNER") or "").strip() or DEFAULT_LEARNER


def _open_store(url: str, required: bool) -> Store | None:
    """Open the session store; without one a new terminal session still runs, unsaved."""
    try:
        return Store.open(url)
    except StoreError as exc:
        if required:
            raise
        _warn(f"{exc} This session will not be saved.")
        return None


# --------------------------------------------------------------------------- progress


@main.command("progress")
@click.option("--json", "as_json", is_flag=True,
              help="Print {concepts: [{concept_id, label, topics, state, due, stability, reviews, lapses, "
                   "last_grade}], due_now} on stdout.")
@click.option("--export", "export_to", metavar="FILE", default=None,
              help="Write the learner's whole progress (review log and sessions) as JSON, to import elsewhere.")
@click.option("--import", "import_from", metavar="FILE", default=None,
              help="Merge a progress export into this learner's (reviews it already holds are skipped).")
@click.option("--anki", metavar="FILE.apkg", default=None,
              help="Write the weak concepts as an Anki deck: a probe question on the front, the notes' "
                   "defining sentence and its source on the back.")
@_db_option
@_learner_options
@pass_settings
def progress_command(settings: Settings, as_json: bool, export_to: str | None, import_from: str | None,
                     anki: str | None, db_url: str | None, learner: str | None, now: str | None) -> None:
    """Show a learner's mastery per concept: when each comes back, its stability, reviews, lapses, last grade."""
    from interviewer.practice.exchange import anki_deck, export_progress, import_progress, read_export
    from interviewer.practice.progress import progress_json, progress_text, progress_view

    at = parse_now(now) if now else moment(offset_clock(None))
    inventory = Inventory.load(settings.inventory_path, default_synonyms()) if settings.inventory_path.exists() else None
    with Store.open(db_url or settings.db_url) as store:
        who = store.learner(_learner_name(learner))
        if import_from is not None:
            done = import_progress(store, who, read_export(import_from))
            click.echo(f"imported {done['reviews']} new reviews and {done['sessions']} sessions", err=True)
        if export_to is not None:
            _write_text(export_to, json.dumps(export_progress(store, who, at), ensure_ascii=False, indent=1))
        cards = list(cards_of(store.mastery(who.id)).values())
    if anki is not None:
        n = anki_deck(cards, inventory, at, anki, who.name or "")
        click.echo(f"wrote {anki}: {n} cards", err=True)
    if as_json:
        _echo_json(progress_json(cards, inventory, at))
    elif export_to is None and anki is None and import_from is None:
        click.echo(progress_text(progress_view(cards, inventory, at)))


def _write_text(path: str, text: str) -> None:
    try:
        Path(path).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path} ({exc.strerror or exc})") from exc
    click.echo(f"wrote {path}", err=True)


# --------------------------------------------------------------------------- report


@main.command("report")
@click.argument("session_id")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="md", show_default=True,
              help="Markdown, JSON or a standalone HTML page (charts included).")
@click.option("--output", "-o", metavar="FILE", default=None, help="Write to FILE instead of stdout.")
@_db_option
@pass_settings
def report_command(settings: Settings, session_id: str, fmt: str, output: str | None, db_url: str | None) -> None:
    """Export one session's scorecard: every question with the answer, grade, concepts and delivery."""
    with Store.open(db_url or settings.db_url) as store:
        record = store.session(session_id)
        if record is None:
            raise InputError(f"there is no session {session_id!r} in {store.where}")
        bank = Bank.load(settings.bank_path) if settings.bank_path.exists() else None
        inventory = Inventory.load(settings.inventory_path, default_synonyms()) if settings.inventory_path.exists() else None
        text = export(report_from_store(store, record, bank, inventory.defined_at if inventory else None), fmt)
    if output is None:
        click.echo(text)
        return
    _write_text(output, text)


# --------------------------------------------------------------------------- serve


def _header_timeout() -> float | None:
    """Seconds a client has to send its request headers (INTERVIEWER_HEADER_TIMEOUT; 0 = no limit)."""
    from interviewer.server.http import HEADER_TIMEOUT

    raw = os.environ.get("INTERVIEWER_HEADER_TIMEOUT", "").strip()
    try:
        seconds = float(raw) if raw else HEADER_TIMEOUT
    except ValueError:
        raise InputError(f"INTERVIEWER_HEADER_TIMEOUT={raw!r} is not a number of seconds") from None
    return seconds if seconds > 0 else None


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0 opens it to the network: put a proxy with HTTPS in front).")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=5000, show_default=True,
              help="Port to listen on (0 picks a free one).")
@_db_option
@click.option("--message-queue", metavar="URL", default=None,
              help="Message queue shared by several server processes, e.g. redis://localhost:6379/0 "
                   "(env INTERVIEWER_MESSAGE_QUEUE).")
@click.option("--seed", type=int, default=None,
              help="Give every session the same question order (demos and tests); default: each its own.")
@click.option("--now", metavar="ISO-TIME", default=None,
              help="Start the server's clock at this time (e.g. 2025-03-04T09:00Z): for tests and demos only.")
@pass_settings
def serve_command(settings: Settings, host: str, port: int, db_url: str | None, message_queue: str | None,
                  seed: int | None, now: str | None) -> None:
    """Serve the chat page and the Socket.IO interview on http://HOST:PORT.

    Builds the index first if it is missing; prints the URL once the server is listening.
    """
    import errno
    import logging
    import re
    import socket

    from werkzeug.serving import make_server

    from interviewer.server import create_app
    from interviewer.server.http import RequestHandler

    try:
        # Bind first: a busy port is our `Error: …` before any work (werkzeug would print its own
        # text and exit); the URL is printed only once the app is ready behind it.
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listener = socket.create_server((host, port), family=family, backlog=1024)
    except (OSError, OverflowError) as exc:
        busy = getattr(exc, "errno", None) == errno.EADDRINUSE
        reason = re.sub(r" \(while attempting to bind.*\)$", "", str(getattr(exc, "strerror", None) or exc))
        raise InputError(f"cannot listen on {host}:{port} ({reason})"
                         + ("; another program uses that port: stop it or pick another --port" if busy else "")) from exc
    with listener:
        _ready(settings)
        # The address bound is a host name the server answers to, besides the loopback ones and
        # INTERVIEWER_ALLOWED_HOSTS (a wildcard bind names no host: set the variable).
        hosts = [h for h in os.environ.get("INTERVIEWER_ALLOWED_HOSTS", "").split(",") if h.strip()]
        if host not in ("0.0.0.0", "::", ""):
            hosts.append(host)
        app = create_app({"DATA_DIR": settings.data_dir, "CORPUS_DIR": settings.corpus_dir,
                          "DB_URL": db_url or settings.db_url,
                          "MESSAGE_QUEUE": message_queue or settings.message_queue, "SEED": seed,
                          "NOW": parse_now(now) if now else None,
                          "ALLOWED_HOSTS": hosts})
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        handler = type("Handler", (RequestHandler,), {"header_timeout": _header_timeout()})
        server = make_server(host, port, app, threaded=True, fd=listener.fileno(), request_handler=handler)
    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::") and not os.environ.get("INTERVIEWER_ALLOWED_HOSTS"):
        _warn("listening on every interface, but answering only to localhost until INTERVIEWER_ALLOWED_HOSTS "
              "names this server as its users reach it (e.g. interviewer.example.com or 192.168.1.5)")
    click.echo(f"Serving on http://{shown}:{server.port}", nl=True)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
