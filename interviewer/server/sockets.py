"""The Socket.IO handlers: a few lines each around the hub.

Events (namespace "/"; the contract is DESIGN.md's "Socket.IO contract"):

- client → `start` {token?, topic?, difficulty?, count?, mode?}; mode "review" asks the questions
  that cover the learner's most overdue concepts (the learner: the browser's `learner` cookie, made
  by the first page it opened), and its greeting carries `review` {due, ahead, questions:
  [{question_id, concepts, reason}]}; the `summary` then carries `coming_back` [{concept_id, label,
  due, when}] and a retry's `feedback` carries `difference` {newly_covered, newly_explained, dropped}.
  server → `session` {session_id, token, resumed, share}; then, for a new session, its opening
  `reply` events, or, when a known token resumes one, a single `transcript` event
  {session_id, phase, turns: [{seq, role: "user"|"interviewer", at, kind, text, ...reply data}], earlier}
  holding the latest turns in order (at most TRANSCRIPT_PAGE, 200 by default; a user turn has kind
  "message") and `earlier`, how many turns come before them (0: the whole conversation is there),
  for the client to rebuild the conversation before it carries on. An unknown token gets a new
  session whose first reply is a notice saying the old one was not found; so does the token of a
  session idle for longer than SESSION_IDLE_DAYS (the notice says it expired). `token` resumes and
  continues the interview: keep it private. `share` is the read-only key of the scorecard's link
  (`/sessions/<id>?key=<share>`): it opens the scorecard and its exports, never the interview.
  `start` events are limited per connection, per client address and per process: past a limit the
  reply is an `error` with `retry: true` and `retry_after` (seconds).
- client → `earlier` {before, limit?}: the turns before turn `before` (the first one the client
  has); server → `earlier` {session_id, turns: [...as in `transcript`], earlier}.
- client → `message` {text}; server → one or more `reply` {kind, text, ...}, each committed to the
  store before it is sent. A refused message (too big, too fast, or not saved because the
  database failed) gets an `error` reply with `retry: true` (and `unsent`: the text, when it is
  small enough to send back); the interview state has not moved, so sending it again is safe.
- client → `audio_start` / `audio_chunk` / `audio_end`; server → `dictation` events: see
  interviewer/server/audio.py.
  A session keeps at most MAX_TURNS turns (2,000 by default): past that, an `error` reply with
  `limit` says to start a new interview (and hands the text back in `unsent`). When the session
  was moved on by another server process meanwhile (a second tab), the replies start with a
  `notice` saying so, and the message is answered from where the interview now is.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, request
from flask_socketio import emit

from interviewer.server.app import backend, dictation, socketio
from interviewer.server.chat import Event
from interviewer.server.learner import LEARNER_COOKIE

log = logging.getLogger(__name__)


def _send(events: list[Event]) -> None:
    for event, data in events:
        emit(event, data)


def _one(args: tuple[Any, ...]) -> Any:
    # A client may send no data (`emit("start")`) or several arguments; the hub checks the first.
    return args[0] if len(args) == 1 else (None if not args else list(args))


@socketio.on("connect")
def on_connect(*_auth: Any) -> None:
    # The learner is the browser's: its cookie (made by the first page it opened) comes with the handshake.
    backend(current_app).hub.connect(request.sid, request.remote_addr, request.cookies.get(LEARNER_COOKIE))


@socketio.on("disconnect")
def on_disconnect(*_reason: Any) -> None:
    dictation(current_app).disconnect(request.sid)
    backend(current_app).hub.disconnect(request.sid)


@socketio.on("start")
def on_start(*args: Any) -> None:
    _send(backend(current_app).hub.start(request.sid, _one(args)))


@socketio.on("message")
def on_message(*args: Any) -> None:
    _send(backend(current_app).hub.message(request.sid, _one(args)))


@socketio.on("audio_start")
def on_audio_start(*args: Any) -> None:
    _send(dictation(current_app).start(request.sid, _one(args)))


@socketio.on("audio_chunk")
def on_audio_chunk(*args: Any) -> None:
    _send(dictation(current_app).chunk(request.sid, _one(args)))


@socketio.on("audio_end")
def on_audio_end(*_args: Any) -> None:
    _send(dictation(current_app).end(request.sid))
@socketio.on("earlier")
def on_earlier(*args: Any) -> None:
    _send(backend(current_app).hub.earlier(request.sid, _one(args)))


@socketio.on_error_default
def on_error(exc: Exception) -> None:
    # The hub turns every error into a reply; this only catches bugs in the handlers themselves.
    log.exception("socket handler failed", exc_info=exc)
    emit("reply", {"kind": "error", "text": "Sorry — something went wrong on my side. Reload the page to continue."})
