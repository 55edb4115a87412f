"""The browser's learner: a cookie holding a secret key, made on the first page a browser opens.

The key names the learner's progress and sessions (the store keeps only its digest); whoever holds
it sees them, so it is HttpOnly and never put in a URL. Progress moves to another browser as a file
(/progress.json, then "Import" there), not by copying the cookie.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import Response, current_app, g, request

LEARNER_COOKIE = "learner"
COOKIE_DAYS = 365 * 2
_KEY = re.compile(r"[A-Za-z0-9_-]{20,128}")


def learner_key() -> str:
    """Return this browser's learner key: its cookie's, else a fresh one (set on the response by `keep`)."""
    key = request.cookies.get(LEARNER_COOKIE)
    if key and _KEY.fullmatch(key):
        return key
    if "learner_key" not in g:
        g.learner_key = secrets.token_urlsafe(24)
    return g.learner_key


def current_learner(create: bool = True) -> Any:
    """Return this browser's learner record (made in the store on first use), or None."""
    from interviewer.server.app import backend

    return backend(current_app).store.learner(key=learner_key(), create=create)


def keep(response: Response) -> Response:
    """Set the learner cookie on a page's response when the browser has none yet."""
    if "learner_key" in g:
        response.set_cookie(LEARNER_COOKIE, g.learner_key, max_age=COOKIE_DAYS * 86400, path="/", httponly=True,
                            samesite="Strict", secure=current_app.config["COOKIE_SECURE"])
    return response
