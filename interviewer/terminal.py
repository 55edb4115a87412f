"""The terminal front end: a few lines of I/O around the dialogue engine."""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, TextIO

from interviewer.dialogue import Config, Interviewer, Reply, State

WIDTH = 100


def render(reply: Reply, width: int = WIDTH) -> str:
    """Render a reply as "Interviewer: …" text, wrapped for a terminal."""
    label = {"error": "Interviewer (error)", "hint": "Interviewer (hint)"}.get(reply.kind, "Interviewer")
    out = []
    for i, line in enumerate(reply.text.splitlines() or [""]):
        lead = f"{label}: " if i == 0 else "  "
        indent = " " * min(len(lead), 4)
        out.append(textwrap.fill(line, width, initial_indent=lead, subsequent_indent=indent,
                                 break_long_words=False, replace_whitespace=False) if line.strip() else "")
    return "\n".join(out)


def chat(
    engine: Interviewer,
    config: Config,
    lines: Iterable[str],
    out: TextIO = sys.stdout,
    *,
    jsonl: bool = False,
    echo: bool = False,
    state: State | None = None,
    on_step: Callable[[State, str | None, list[Reply]], list[Reply] | None] | None = None,
    review: Any = None,
) -> State:
    """Run an interview over lines of input; end cleanly with the summary on EOF or Ctrl-C.

    `echo` repeats each input line as "You: …" (for piped, scripted sessions); `on_step` sees every
    state, message and replies (the store uses it to save each turn before the next is read) and may
    return the replies to show instead (the summary with what comes back for review). `review`: the
    plan of a review round (`Interviewer.start(config, review=…)`).
    """

    def emit(replies: list[Reply]) -> None:
        for r in replies:
            out.write((json.dumps(r.to_dict(), ensure_ascii=False) if jsonl else render(r)) + "\n")
        out.flush()

    if state is None:
        state, replies = engine.start(config, review=review)
        if on_step:
            replies = on_step(state, None, replies) or replies
        emit(replies)
    it = iter(lines)
    try:
        while state.phase != "ended":
            try:
                line = next(it)
            except StopIteration:
                break
            text = line.rstrip("\n")
            if echo and not jsonl:
                out.write(f"You: {text}\n")
            state, replies = engine.handle(state, text)
            if on_step:
                replies = on_step(state, text, replies) or replies
            emit(replies)
    except KeyboardInterrupt:
        out.write("\n")
    if state.phase != "ended":
        state, replies = engine.handle(state, "/end")
        if on_step:
            replies = on_step(state, "/end", replies) or replies
        emit(replies)
    return state


class Recorder:
    """Save every step of a terminal interview to the store, before its replies are shown; with a learner,
    the reviews of every graded answer go with the turn, and the summary says what comes back when."""

    def __init__(self, store, config: Config, warn: Callable[[str], None], session=None, *,
                 learner: str | None = None, practice: Any = None, now: Callable[[], datetime] | None = None,
                 state: State | None = None):
        self.store = store
        self.config = config
        self.warn = warn
        self.session = session
        self.failed = False
        self.learner = learner
        self.practice = practice
        self.now = now or (lambda: datetime.now(timezone.utc))
        self.state = state  # the state before the step being saved

    def __call__(self, state: State, text: str | None, replies: list[Reply]) -> list[Reply]:
        from interviewer.errors import StoreError

        before, self.state = self.state, state
        if self.store is None or self.failed:
            return replies
        at = self.now()
        write = None
        if self.practice is not None and before is not None:
            replies, write = self.practice.turn(self.store, self.learner, before, state, replies, at)
        try:
            if self.session is None:
                self.session = self.store.create_session(asdict(self.config), state.to_dict(),
                                                         [r.to_dict() for r in replies], learner=self.learner, at=at)
                self.warn(f"Saved as session {self.session.id}; resume it with: "
                          f"interviewer chat --resume {self.session.token}")
            else:
                self.store.record_turn(self.session.id, text, [r.to_dict() for r in replies], state,
                                       practice=write, at=at, before=before)
        except StoreError as exc:
            # The terminal keeps everything on screen; saving stops, the interview goes on.
            self.failed = True
            self.warn(f"{exc} The interview goes on, but from here it is not saved.")
        return replies


def replay(turns, out: TextIO = sys.stdout, *, jsonl: bool = False) -> None:
    """Print a saved transcript the way it was shown."""
    for turn in turns:
        if turn.role == "user":
            if not jsonl:
                out.write(f"You: {turn.text}\n")
            continue
        data = turn.reply()
        reply = Reply(data.pop("kind"), data.pop("text"), data)
        out.write((json.dumps({**reply.to_dict(), "replay": True}, ensure_ascii=False) if jsonl else render(reply)) + "\n")
    out.flush()


def prompt_lines(prompt: str = "You: ") -> Iterable[str]:
    """Yield lines typed at an interactive prompt (with line editing) until EOF."""
    while True:
        try:
            yield input(prompt)
        except EOFError:
            return
