"""The HTTP edge: the request handler `interviewer serve` runs, and the allowed-hosts check.

werkzeug's own handler, with four changes: replies leave at once (TCP_NODELAY), a client gets a
bounded time to send its request line and headers, the `Server` header names no versions, and a
connection that carried a websocket is closed when the websocket ends (werkzeug would otherwise read
the websocket's last frames as a new HTTP request and log an ERROR for each closed chat page).
"""

from __future__ import annotations

import logging
import socket
from typing import Any, Callable, Iterable

from werkzeug.serving import WSGIRequestHandler

log = logging.getLogger(__name__)

# Seconds a client has to send its request line and headers (the body and websockets are not
# bounded by it). A browser sends them at once; a client that trickles them holds a thread.
HEADER_TIMEOUT = 10.0
# Host names a fresh server answers to: the loopback names. `serve --host` adds the address it
# binds; ALLOWED_HOSTS / INTERVIEWER_ALLOWED_HOSTS names the rest (a DNS-rebinding page sends
# its own host name, so a check on Host is what keeps it out of a server on 127.0.0.1).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


class RequestHandler(WSGIRequestHandler):
    """werkzeug's request handler with TCP_NODELAY, a header deadline, a bare Server header and quiet websocket ends."""

    header_timeout: float | None = HEADER_TIMEOUT
    server_version = "interviewer"

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        # Each reply is a few small websocket frames; with Nagle's algorithm every one after the
        # first waits for the client's delayed ACK (40 ms on Linux) — most of a turn's latency.
        if self.connection.family in (socket.AF_INET, socket.AF_INET6):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle_one_request(self) -> None:
        # The deadline covers the request line and headers only: parse_request lifts it.
        self.connection.settimeout(self.header_timeout)
        try:
            super().handle_one_request()
        except (TimeoutError, socket.timeout):
            self.close_connection = True
        if (getattr(self, "headers", None) is not None
                and self.headers.get("Upgrade", "").lower() == "websocket"):
            # What follows on this connection is the rest of the websocket, not another request.
            self.close_connection = True

    def parse_request(self) -> bool:
        ok = super().parse_request()
        self.connection.settimeout(None)
        return ok

    def log_error(self, format: str, *args: Any) -> None:
        # A half-sent or garbled request is the client's business: one INFO line, not an ERROR.
        log.info("%s: " + format, self.address_string(), *args)


class AllowedHosts:
    """WSGI middleware: answer 400 to any request (pages and Socket.IO alike) whose Host is not allowed."""

    def __init__(self, app: Callable, hosts: Iterable[str]):
        """`hosts`: names or addresses, without ports; "*" allows every host."""
        self.app = app
        self.hosts = frozenset(h.strip().lower() for h in hosts if h.strip())

    def allowed(self, host: str) -> bool:
        """Tell whether a Host header (with or without its port) names this server."""
        return "*" in self.hosts or host_name(host) in self.hosts

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "")
        if self.allowed(host):
            return self.app(environ, start_response)
        log.warning("refused a request for host %.100r (not in ALLOWED_HOSTS)", host)
        body = (f"This server does not answer to the host name {host[:100]!r}. Its operator can add it to "
                "INTERVIEWER_ALLOWED_HOSTS.\n").encode("utf-8", "replace")
        start_response("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8"),
                                           ("Content-Length", str(len(body)))])
        return [body]


def host_name(host: str) -> str:
    """Return the name in a Host header without its port: "example.com", "127.0.0.1", "[::1]"."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end != -1 else host
    if host.count(":") > 1:  # a bare IPv6 address, as `serve --host ::1` names it
        return f"[{host}]"
    return host.split(":", 1)[0]


def allowed_hosts(setting: str | Iterable[str] | None) -> tuple[str, ...]:
    """Return the host list of an ALLOWED_HOSTS setting (comma-separated text or a list) plus the loopback names."""
    if setting is None:
        extra: list[str] = []
    elif isinstance(setting, str):
        extra = setting.split(",")
    else:
        extra = list(setting)
    return tuple(dict.fromkeys([*LOOPBACK_HOSTS, *(host_name(h) for h in extra if h.strip() and h.strip() != "*"),
                                *(["*"] if any(h.strip() == "*" for h in extra) else [])]))
