"""The chat server: `create_app()` (Flask + Socket.IO), the socket handlers and the HTTP pages.

Run it with `interviewer serve`; under gunicorn: `gunicorn -w 1 --threads 100 'interviewer.server:create_app()'`.
"""

from interviewer.server.app import DEFAULTS, Backend, backend, create_app, socketio

__all__ = ["DEFAULTS", "Backend", "backend", "create_app", "socketio"]
