"""The HTTP side: the chat page, health, scorecard pages and exports (token-gated), history."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from interviewer import report
from interviewer.dialogue.intents import default_rules
from interviewer.dialogue.replies import command_list
from interviewer.dialogue.state import DEFAULT_COUNT, LEVELS, MAX_COUNT
from interviewer.server.app import backend

bp = Blueprint("pages", __name__)

# A browser remembers at most this many sessions (one cookie each); older ones are forgotten first.
MAX_REMEMBERED = 40
COOKIE_PREFIX = "itok_"
COOKIE_DAYS = 365
# Ids and tokens are URL-safe secrets; anything else is not worth a database query.
_SAFE = re.compile(r"[A-Za-z0-9_-]{1,128}")

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'self'")


@bp.after_app_request
def security_headers(response: Response) -> Response:
    """Add the Content-Security-Policy (no inline scripts) and the other hardening headers."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


@bp.app_errorhandler(404)
def not_found(_exc: Exception) -> tuple[str, int]:
    return render_template("404.html"), 404


@bp.app_errorhandler(413)
def too_large(_exc: Exception) -> tuple[str, int]:
    return "Request too large.\n", 413


@bp.get("/")
def chat_page() -> str:
    """Serve the chat page."""
    bank = backend(current_app).services.bank
    return render_template("index.html", topics=list(bank.topics()), levels=LEVELS,
                           commands=[c for c in default_rules().listed if c.button], command_list=command_list(),
                           max_count=MAX_COUNT, default_count=DEFAULT_COUNT,
                           max_bytes=current_app.config["MAX_MESSAGE_BYTES"])


@bp.get("/healthz")
def healthz() -> Response:
    """Say the server is ready: the bank, index and store are open."""
    b = backend(current_app)
    return _json({"status": "ok", "questions": len(b.services.bank.select()), "connections": b.hub.connections})


@bp.get("/sessions/<name>")
def session_page(name: str) -> Any:
    """Serve a session's scorecard page or its export (.json, .md, .html), only with its token."""
    session_id, _, fmt = name.partition(".")
    if fmt not in ("", "json", "md", "html"):
        abort(404)
    record, from_query = _authorised(session_id)
    data = _report(record)
    if fmt:
        response = Response(report.export(data, fmt), mimetype=_MIMETYPES[fmt])
    elif from_query:
        # Keep the token out of the address bar and history: set the cookie, then drop the query.
        response = redirect(url_for("pages.session_page", name=session_id), code=303)
    else:
        response = Response(render_template("scorecard.html", report=data, charts=_charts(data)))
    if fmt and request.args.get("download"):
        stamp = data["session"]["created_at"][:10]
        response.headers["Content-Disposition"] = f'attachment; filename="interview-{stamp}-{session_id[:8]}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    if from_query:
        _remember(response, record)
    return response


@bp.post("/sessions/<session_id>/claim")
def claim(session_id: str) -> Response:
    """Remember a session in this browser (a cookie), given its token in the JSON body."""
    body = request.get_json(silent=True)
    token = body.get("token") if isinstance(body, dict) else None
    record = _check(session_id, token)
    if record is None:
        abort(404)
    response = Response(status=204)
    _remember(response, record)
    return response


@bp.get("/history")
def history() -> Response:
    """List this browser's sessions (from their cookies), newest first, with a trend chart."""
    b = backend(current_app)
    tokens = [v for k, v in request.cookies.items() if k.startswith(COOKIE_PREFIX) and _SAFE.fullmatch(v or "")]
    records = [r for r in b.store.sessions(tokens) if request.cookies.get(COOKIE_PREFIX + r.id) == r.token]
    rows = [report.history_row(r) for r in records]
    trend = Markup(report.trend_svg(list(reversed(rows))))
    response = Response(render_template("history.html", rows=rows, trend=trend))
    response.headers["Cache-Control"] = "no-store"
    return response


# --------------------------------------------------------------------------- helpers


def _check(session_id: str, token: Any) -> Any:
    if not isinstance(token, str) or not _SAFE.fullmatch(token) or not _SAFE.fullmatch(session_id):
        return None
    return backend(current_app).store.authorised(session_id, token)


def _authorised(session_id: str) -> tuple[Any, bool]:
    """Return the session the request's token opens and whether the token came in the query; else 404."""
    query = request.args.get("token")
    if query:
        record = _check(session_id, query)
        if record is not None:
            return record, True
    record = _check(session_id, request.cookies.get(COOKIE_PREFIX + session_id))
    if record is None:
        abort(404)  # not 403: whether a session exists is itself a secret
    return record, False


def _remember(response: Response, record: Any) -> None:
    response.set_cookie(COOKIE_PREFIX + record.id, record.token, max_age=COOKIE_DAYS * 86400, path="/",
                        httponly=True, samesite="Strict", secure=current_app.config["COOKIE_SECURE"])
    # Cookies ride on every request; past MAX_REMEMBERED, forget this browser's oldest sessions.
    names = [k for k in request.cookies if k.startswith(COOKIE_PREFIX) and k != COOKIE_PREFIX + record.id]
    if len(names) < MAX_REMEMBERED:
        return
    known = backend(current_app).store.sessions([request.cookies[k] for k in names])
    order = {COOKIE_PREFIX + r.id: i for i, r in enumerate(known)}  # newest first
    for name in sorted(names, key=lambda k: order.get(k, -1), reverse=True)[: len(names) - MAX_REMEMBERED + 1]:
        response.delete_cookie(name, path="/", samesite="Strict")


_MIMETYPES = {"json": "application/json", "md": "text/markdown", "html": "text/html"}


def _report(record: Any) -> dict[str, Any]:
    b = backend(current_app)
    return report.report_from_store(b.store, record, b.services.bank, b.services.inventory.defined_at)


def _charts(data: dict[str, Any]) -> dict[str, Markup]:
    # The SVG builders escape every text they draw; Markup marks their output as safe HTML.
    return {"grades": Markup(report.grades_svg(data["questions"])),
            "topics": Markup(report.topics_svg(data["topics"]))}


def _json(data: Any) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/json")
