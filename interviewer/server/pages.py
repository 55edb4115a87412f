"""The HTTP side: the chat page, health, scorecard pages and exports, history.

Two credentials per session: the token resumes and continues the interview (the chat page keeps it
in localStorage; it never appears in a URL the pages show or export), and the share key only reads
the scorecard — the "Open the full scorecard" link carries it, and the browser's history cookie
holds it. A credential in a URL is never stored as a cookie: only a same-origin POST (`claim`) is.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from interviewer import report
from interviewer.dialogue.intents import default_rules
from interviewer.dialogue.replies import command_list
from interviewer.dialogue.state import DEFAULT_COUNT, LEVELS, MAX_COUNT
from interviewer.errors import InputError
from interviewer.practice import cards_of
from interviewer.practice.schedule import is_due
from interviewer.practice.exchange import anki_deck, export_progress, import_progress
from interviewer.practice.progress import mastery_svg, progress_view
from interviewer.server.app import backend
from interviewer.server.learner import current_learner, keep, learner_key

bp = Blueprint("pages", __name__)

# A browser remembers at most this many sessions (one cookie each); older ones are forgotten first.
MAX_REMEMBERED = 40
COOKIE_PREFIX = "itok_"
COOKIE_DAYS = 365
# A progress export uploaded to /progress/import: some 40,000 reviews, years of daily practice.
MAX_IMPORT_BYTES = 8 * 2**20
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
def chat_page() -> Response:
    """Serve the chat page (and give a new browser its learner cookie, before its socket connects)."""
    b = backend(current_app)
    learner_key()
    learner = current_learner(create=False)
    cards = cards_of(b.store.mastery(learner.id)).values() if learner else ()
    due = sum(1 for m in cards if is_due(m, b.hub.now())) if cards else None
    return keep(Response(render_template(
        "index.html", topics=list(b.services.bank.topics()), levels=LEVELS,
        commands=[c for c in default_rules().listed if c.button], command_list=command_list(),
        max_count=MAX_COUNT, default_count=DEFAULT_COUNT, max_bytes=current_app.config["MAX_MESSAGE_BYTES"],
        due=due)))


@bp.get("/healthz")
def healthz() -> Response:
    """Say whether the server is ready: the bank and index open, the store reachable and writable (else 503)."""
    b = backend(current_app)
    problem = b.store.health()
    body = {"status": "ok" if problem is None else "unhealthy", "questions": len(b.services.bank.select()),
            "connections": b.hub.connections}
    if problem is not None:
        body["store"] = problem
    response = _json(body)
    response.status_code = 200 if problem is None else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/sessions/<name>")
def session_page(name: str) -> Any:
    """Serve a session's scorecard page or its export (.json, .md, .html), only with its share key or token."""
    session_id, _, fmt = name.partition(".")
    if fmt not in ("", "json", "md", "html"):
        abort(404)
    record, via = _authorised(session_id)
    if via == "token" and not fmt:
        # An old link with the resume token in it: show the read-only link instead, so the token
        # leaves the address bar and history (and is not kept as a cookie either).
        return redirect(url_for("pages.session_page", name=session_id, key=record.share), code=303)
    data = _report(record)
    if fmt:
        body = report.export(data, fmt)
        response = Response(body, mimetype=_MIMETYPES[fmt])
        if fmt == "html":
            # The export is one self-contained file with its styles inline: allow exactly those.
            response.headers["Content-Security-Policy"] = CSP.replace(
                "style-src 'self'", "style-src 'self' " + " ".join(inline_style_hashes(body)))
    else:
        key = record.share if via == "key" else None
        response = Response(render_template("scorecard.html", report=data, charts=_charts(data), key=key,
                                            remembered=via == "cookie",
                                            share_url=url_for("pages.session_page", name=session_id,
                                                              key=record.share, _external=True)))
    if fmt and request.args.get("download"):
        stamp = data["session"]["created_at"][:10]
        response.headers["Content-Disposition"] = f'attachment; filename="interview-{stamp}-{session_id[:8]}.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/sessions/<session_id>/claim")
def claim(session_id: str) -> Response:
    """Remember a session in this browser (a cookie of its share key), given its token or key in a JSON body.

    Only from a page of this server: a link or form on another site cannot plant a session in
    someone's history.
    """
    if not _same_origin():
        abort(403)
    body = request.get_json(silent=True)
    given = body.get("token") or body.get("key") if isinstance(body, dict) else None
    record = _check(session_id, given)
    if record is None:
        abort(404)
    response = Response(status=204)
    _remember(response, record)
    return response


@bp.get("/history")
def history() -> Response:
    """List this learner's sessions (and any this browser remembers by cookie), newest first, with a trend chart."""
    b = backend(current_app)
    keys = [v for k, v in request.cookies.items() if k.startswith(COOKIE_PREFIX) and _SAFE.fullmatch(v or "")]
    # A cookie counts only under its own session's name (its share key, or a token from before v2).
    records = [r for r in b.store.sessions(keys) if request.cookies.get(COOKIE_PREFIX + r.id) in (r.share, r.token)]
    learner = current_learner(create=False)
    if learner is not None:
        records = list({r.id: r for r in b.store.learner_sessions(learner.id) + records}.values())
        records.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    rows = [report.history_row(r) for r in records]
    trend = Markup(report.trend_svg(list(reversed(rows))))
    response = keep(Response(render_template("history.html", rows=rows, trend=trend)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/progress")
def progress() -> Response:
    """Show this learner's mastery by topic and by concept, what is due today and this week, a chart per topic."""
    b = backend(current_app)
    now = b.hub.now()
    learner = current_learner(create=False)
    cards = list(cards_of(b.store.mastery(learner.id)).values()) if learner else []
    view = progress_view(cards, b.services.inventory, now)
    charts = {t["topic"]: Markup(mastery_svg(t)) for t in view["topics"]}
    response = keep(Response(render_template("progress.html", view=view, charts=charts,
                                             imported=request.args.get("imported"))))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/progress.<fmt>")
def progress_file(fmt: str) -> Response:
    """Download this learner's progress: `.json` (to import in another browser) or `.apkg` (an Anki deck)."""
    if fmt not in ("json", "apkg"):
        abort(404)
    b = backend(current_app)
    learner = current_learner(create=False)
    if learner is None:
        abort(404)
    now = b.hub.now()
    if fmt == "json":
        response = _json(export_progress(b.store, learner, now))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "deck.apkg"
            anki_deck(cards_of(b.store.mastery(learner.id)).values(), b.services.inventory, now, str(path))
            response = Response(path.read_bytes(), mimetype="application/octet-stream")
    stamp = now.date().isoformat()
    name = f"interviewer-progress-{stamp}.json" if fmt == "json" else f"interviewer-weak-concepts-{stamp}.apkg"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/progress/import")
def progress_import() -> Response:
    """Merge an uploaded progress export into this learner's, then show the progress page."""
    if not _same_origin():
        abort(403)
    # An export is bigger than any chat packet (about 200 bytes a review): this request alone may be.
    request.max_content_length = MAX_IMPORT_BYTES
    upload = request.files.get("file")
    if upload is None:
        abort(400)
    try:
        data = json.loads(upload.read().decode("utf-8"))
        done = import_progress(backend(current_app).store, current_learner(), data)
    except (UnicodeDecodeError, json.JSONDecodeError, InputError) as exc:
        response = keep(Response(render_template("progress.html", view=None, charts={}, error=str(exc)), status=400))
        return response
    return keep(redirect(url_for("pages.progress", imported=f"{done['reviews']} reviews, {done['sessions']} sessions"),
                         code=303))


# --------------------------------------------------------------------------- helpers


def _check(session_id: str, key: Any) -> Any:
    """Return the session when `key` is its share key or its token, else None."""
    if not isinstance(key, str) or not _SAFE.fullmatch(key) or not _SAFE.fullmatch(session_id):
        return None
    return backend(current_app).store.readable(session_id, key)


def _authorised(session_id: str) -> tuple[Any, str]:
    """Return the session the request may read and how: "key" or "token" (in the query), or "cookie"; else 404."""
    for via in ("key", "token"):
        given = request.args.get(via)
        if given:
            record = _check(session_id, given)
            if record is not None:
                return record, via
    record = _check(session_id, request.cookies.get(COOKIE_PREFIX + session_id))
    if record is None and _SAFE.fullmatch(session_id):
        # The learner's own session (its History lists it) opens with the learner's cookie.
        learner = current_learner(create=False)
        found = backend(current_app).store.session(session_id) if learner else None
        record = found if found is not None and found.learner == learner.id else None
    if record is None:
        abort(404)  # not 403: whether a session exists is itself a secret
    return record, "cookie"


def _same_origin() -> bool:
    """Tell whether a request comes from a page of this server (Sec-Fetch-Site, else Origin), or from no page at all."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc.lower() == request.host.lower()


def inline_style_hashes(html: str) -> list[str]:
    """Return the CSP sources ('sha256-…') that allow each <style> element of a page."""
    return [f"'sha256-{base64.b64encode(hashlib.sha256(css.encode('utf-8')).digest()).decode('ascii')}'"
            for css in re.findall(r"<style>(.*?)</style>", html, flags=re.S)]


def _remember(response: Response, record: Any) -> None:
    # The cookie holds the read-only share key: it opens the scorecard and lists the session in
    # History, never the interview itself.
    response.set_cookie(COOKIE_PREFIX + record.id, record.share or record.token, max_age=COOKIE_DAYS * 86400,
                        path="/", httponly=True, samesite="Strict", secure=current_app.config["COOKIE_SECURE"])
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
