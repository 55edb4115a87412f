"""The app factory: settings in one place, the shared services and store opened once per process."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from typing import Any

import socketio as socketio_lib
from flask import Flask
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

from interviewer.config import Settings, bundled, load_settings
from interviewer.errors import InterviewerError
from interviewer.practice import Practice, moment, offset_clock, parse_now
from interviewer.report import TEMPLATE_FILTERS
from interviewer.rubric.units import registry
from interviewer.server.audio import Dictation
from interviewer.server.chat import Hub, Limits
from interviewer.server.http import AllowedHosts, allowed_hosts
from interviewer.server.packets import JSONFirstPacket
from interviewer.services import Services, open_services
from interviewer.speech.pool import PoolLimits

socketio = SocketIO()

# Every setting of the app, with its default; `create_app({...})` overrides any of them.
DEFAULTS: dict[str, Any] = {
    "DATA_DIR": None,  # None: env INTERVIEWER_DATA, then .interviewer/
    "CORPUS_DIR": None,  # None: env INTERVIEWER_CORPUS, then the bundled corpus
    "DB_URL": None,  # None: env INTERVIEWER_DB, then sqlite:///<data dir>/interviewer.db
    "MESSAGE_QUEUE": None,  # e.g. redis://localhost:6379/0 to run several server processes
    # The queue's channel: None is env INTERVIEWER_MESSAGE_CHANNEL, then Flask-SocketIO's default.
    # Processes of one deployment share it; another deployment (or test run) on the same Redis
    # picks its own, since Redis pub/sub channels ignore the database number in the URL.
    "MESSAGE_CHANNEL": None,
    "MAX_MESSAGE_BYTES": 8 * 1024,  # longer chat messages are refused with a notice
    # Socket.IO packets above this are dropped by the transport itself; the page never sends
    # more than MAX_MESSAGE_BYTES, so this only stops abuse.
    "MAX_PACKET_BYTES": 256 * 1024,
    "RATE_LIMIT": 5.0,  # events per second per connection, on average…
    "RATE_BURST": 10,  # …with bursts of this many
    # Sessions started or resumed (`start` events) per second per client address, and bursts…
    "START_RATE": Limits.start_rate,
    "START_BURST": Limits.start_burst,
    # …and over all clients of the process.
    "ALL_START_RATE": Limits.all_start_rate,
    "ALL_START_BURST": Limits.all_start_burst,
    "MAX_TURNS": Limits.max_turns,  # turns one session keeps (its messages and the replies)
    "TRANSCRIPT_PAGE": Limits.transcript_page,  # turns sent on resume; the page asks for earlier ones
    "SESSION_IDLE_DAYS": Limits.idle_days,  # a session idle this long can't be resumed (0: never expires)
    "SEED": None,  # None: each session draws its own question order; an int fixes it (tests)
    # None: the real time. A timezone-aware datetime: the server's clock starts there and runs on
    # (`serve --now`, for tests and demos only): review schedules, the progress page, turn times.
    "NOW": None,
    "SECRET_KEY": None,  # None: a fresh random key per process (the app keeps no signed cookies)
    "STORE_OPTIONS": {},  # keyword arguments for Store.open (retries, busy_timeout, …)
    # True behind HTTPS: session cookies are then sent over HTTPS only. None: env
    # INTERVIEWER_COOKIE_SECURE ("1"/"true"), else False.
    "COOKIE_SECURE": None,
    # Dictation: recognizers in worker processes (each 70–120 MB), started when first used.
    "SPEECH_WORKERS": 2,
    "SPEECH_MAX_SECONDS": 300.0,  # one recording; past it the text so far is kept
    # Host names (or addresses) the server answers to besides the loopback ones, as a list or
    # comma-separated text; "*" answers to any. None: env INTERVIEWER_ALLOWED_HOSTS.
    "ALLOWED_HOSTS": None,
    # How many proxies (nginx…) stand in front and add X-Forwarded-For/-Proto: the client's address
    # (for the per-address limits) is read from that header only then. 0: the socket's own peer.
    "PROXIES": 0,
    "TESTING": False,
    # True: before serving, prepare every bank question for grading (a few ms each), so no client's
    # first answer to a question waits for it. None: unless TESTING (each test's app skips it).
    "WARM_UP": None,
}

# Settings an environment variable INTERVIEWER_<NAME> may give (gunicorn passes no flags to the
# factory); an explicit `create_app({...})` value wins over the environment.
FROM_ENVIRONMENT: dict[str, type] = {
    "RATE_LIMIT": float, "RATE_BURST": int, "START_RATE": float, "START_BURST": int, "ALL_START_RATE": float,
    "ALL_START_BURST": int, "MAX_TURNS": int, "TRANSCRIPT_PAGE": int, "SESSION_IDLE_DAYS": float, "PROXIES": int,
}


def _from_environment(environ: dict[str, str] | os._Environ) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, kind in FROM_ENVIRONMENT.items():
        raw = environ.get(f"INTERVIEWER_{name}")
        if raw is None or not raw.strip():
            continue
        try:
            out[name] = kind(raw.strip())
        except ValueError:
            what = "whole number" if kind is int else "number"
            raise InterviewerError(f"INTERVIEWER_{name}={raw!r} is not a {what}") from None
    return out


@dataclass
class Backend:
    """What the app holds for its requests and sockets: settings, services, store and the hub."""

    settings: Settings
    services: Services
    store: Any
    hub: Hub


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create the Flask app and bind the Socket.IO server to it; `config` overrides DEFAULTS."""
    from interviewer.server import pages, sockets  # noqa: F401  (registers the handlers)
    from interviewer.store import Store

    web = bundled("web")
    app = Flask("interviewer", template_folder=str(web / "templates"), static_folder=str(web / "static"),
                static_url_path="/static")
    app.config.update(DEFAULTS)
    app.config.update(_from_environment(os.environ))
    app.config.update(config or {})
    if app.config["COOKIE_SECURE"] is None:
        app.config["COOKIE_SECURE"] = os.environ.get("INTERVIEWER_COOKIE_SECURE", "").lower() in ("1", "true", "yes")
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_PACKET_BYTES"]
    app.jinja_env.filters.update(TEMPLATE_FILTERS)

    settings = load_settings(data_dir=app.config["DATA_DIR"], corpus_dir=app.config["CORPUS_DIR"],
                             db_url=app.config["DB_URL"], message_queue=app.config["MESSAGE_QUEUE"])
    services = open_services(settings, notice=logging.getLogger(__name__).info)
    store = Store.open(settings.db_url, **app.config["STORE_OPTIONS"])
    start = app.config["NOW"]
    clock = offset_clock(parse_now(start) if isinstance(start, str) else start)
    engine = services.interviewer(clock=clock)
    _warm_up(services, questions=app.config["WARM_UP"] if app.config["WARM_UP"] is not None
             else not app.config["TESTING"])
    c = app.config
    limits = Limits(max_turns=c["MAX_TURNS"], transcript_page=c["TRANSCRIPT_PAGE"], idle_days=c["SESSION_IDLE_DAYS"],
                    start_rate=c["START_RATE"], start_burst=c["START_BURST"], all_start_rate=c["ALL_START_RATE"],
                    all_start_burst=c["ALL_START_BURST"])
    hub = Hub(engine, store, max_message_bytes=c["MAX_MESSAGE_BYTES"], rate=c["RATE_LIMIT"], burst=c["RATE_BURST"],
              seed=c["SEED"], limits=limits, now=lambda: moment(clock),
              practice=Practice(services.bank, services.inventory))
    app.extensions["interviewer"] = Backend(settings, services, store, hub)
    app.extensions["interviewer.dictation"] = Dictation(
        settings.speech_dir, PoolLimits(workers=int(app.config["SPEECH_WORKERS"]),
                                        max_seconds=float(app.config["SPEECH_MAX_SECONDS"])),
        emit=lambda sid, event, data: socketio.emit(event, data, to=sid))
    app.register_blueprint(pages.bp)

    queue = settings.message_queue
    channel = app.config["MESSAGE_CHANNEL"] or os.environ.get("INTERVIEWER_MESSAGE_CHANNEL") or "flask-socketio"
    # init_app keeps options between calls on the one module-level SocketIO; pass every option
    # so one app's message queue never leaks into the next app made in the same process.
    socketio.init_app(
        app,
        async_mode="threading",
        message_queue=queue,
        channel=channel,
        **({} if queue else {"client_manager": socketio_lib.Manager()}),
        cors_allowed_origins=None,  # same origin only
        manage_session=False,
        # One connection's events run one at a time, in the order sent: "my answer" then "done".
        async_handlers=False,
        serializer=JSONFirstPacket,  # scorecards encoded once, not walked for bytes first
        max_http_buffer_size=app.config["MAX_PACKET_BYTES"],
        logger=False,
        engineio_logger=False,
    )
    if app.config["PROXIES"]:
        # Trust exactly that many X-Forwarded-For entries: a client cannot pick its own address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXIES"], x_proto=app.config["PROXIES"])
    # Outermost, so Socket.IO's handshakes are checked as well as the pages.
    hosts = app.config["ALLOWED_HOSTS"]
    app.wsgi_app = AllowedHosts(app.wsgi_app, allowed_hosts(
        hosts if hosts is not None else os.environ.get("INTERVIEWER_ALLOWED_HOSTS")))
    _quiet_library_loggers()
    return app


def _warm_up(services: Services, questions: bool) -> None:
    """Do before serving the one-off work a first use would do while every client waits on it: load the
    unit registry the design rubric computes estimates with (over a second), and, with `questions`,
    prepare every bank question for grading."""
    registry()
    if not questions:
        return
    for q in services.bank:
        try:
            services.grader.prepare(q)
        except Exception:  # noqa: BLE001 — never a reason not to serve: answering it meets the same error
            logging.getLogger(__name__).debug("could not prepare question %s for grading", q.id, exc_info=True)


class _OneLineForClientGarbage(logging.Filter):
    """Log a client's malformed packet as one warning line, not an ERROR with a traceback.

    The Socket.IO libraries log `exception()` when a frame from a client cannot be decoded, before
    any handler of ours runs; anyone could fill the log with tracebacks that way. Our own handlers
    catch and log their errors themselves, so these records only ever come from bad input.
    """

    MESSAGES = frozenset({"message handler error", "Unknown receive error"})

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.getMessage() in self.MESSAGES:
            exc = record.exc_info[1]
            self._one_line(record, f"{type(exc).__name__}: {exc}")
        elif record.name == "werkzeug" and "Error on request:" in str(record.msg):
            # A frame Engine.IO cannot decode escapes to the WSGI server, which logs the whole
            # traceback in the message; Flask handles every error of our own routes before that.
            self._one_line(record, str(record.msg).strip().splitlines()[-1])
        return True

    @staticmethod
    def _one_line(record: logging.LogRecord, what: str) -> None:
        record.msg, record.args = "dropped a malformed packet from a client (%.200s)", (what,)
        record.exc_info = record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"


def _quiet_library_loggers() -> None:
    for name in ("engineio.server", "socketio.server", "werkzeug"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _OneLineForClientGarbage) for f in logger.filters):
            logger.addFilter(_OneLineForClientGarbage())


def backend(app: Flask) -> Backend:
    """Return what `create_app` opened for this app."""
    return app.extensions["interviewer"]


def dictation(app: Flask) -> Dictation:
    """Return the app's dictation (speech recognition) service."""
    return app.extensions["interviewer.dictation"]
