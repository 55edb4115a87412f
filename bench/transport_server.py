"""The server stack with no interview behind it: what one process's transport costs per message.

`bench_load.py --saturate --transport` runs this instead of `interviewer serve`. It serves with the
same stack as `serve` — Flask, Flask-SocketIO in threading mode with simple-websocket, werkzeug's
threaded server with interviewer's request handler, the same Socket.IO options — but its `start`
and `message` handlers do no work: they send back the replies the real engine gave to the bench's
answer, worked out once at start-up (same events, same sizes, same order), cycling through a
20-question interview. The messages/s it sustains is the ceiling the transport sets for the real
server on the same machine, and its CPU per message is what the transport costs of the real one's.

    python bench/transport_server.py --data-dir .interviewer
"""

from __future__ import annotations

import argparse
import itertools
import logging
import socket
import sys
from pathlib import Path

from flask import Flask, request
from flask_socketio import SocketIO, emit
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from interviewer.config import load_settings  # noqa: E402
from interviewer.dialogue.state import Config  # noqa: E402
from interviewer.server.http import RequestHandler  # noqa: E402
from interviewer.server.packets import JSONFirstPacket  # noqa: E402
from interviewer.services import open_services  # noqa: E402
from interviewer.text import memo  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from bench_load import ANSWER  # noqa: E402


def canned_turns(data_dir: Path, topic: str = "caching", count: int = 20) -> tuple[list[dict], list[list[dict]]]:
    """Return the replies that open a `count`-question interview on `topic`, and those to each answer."""
    services = open_services(load_settings(data_dir=data_dir))
    engine = services.interviewer()
    state, opening = engine.start(Config(topic=topic, count=count, seed=1))
    turns = []
    while True:
        with memo():
            state, replies = engine.handle(state, ANSWER)
        turns.append([r.to_dict() for r in replies])
        if any(r.kind == "summary" for r in replies):
            return [r.to_dict() for r in opening], turns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    opening, turns = canned_turns(Path(args.data_dir))
    app = Flask("transport")
    sio = SocketIO(app, async_mode="threading", cors_allowed_origins=None, manage_session=False,
                   async_handlers=False, serializer=JSONFirstPacket, logger=False, engineio_logger=False)
    cycles: dict[str, itertools.cycle] = {}

    @sio.on("start")
    def on_start(*_args: object) -> None:
        cycles[request.sid] = itertools.cycle(turns)
        emit("session", {"session_id": "bench", "token": "bench"})
        for reply in opening:
            emit("reply", reply)

    @sio.on("message")
    def on_message(*_args: object) -> None:
        for reply in next(cycles[request.sid]):
            emit("reply", reply)

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    listener = socket.create_server(("127.0.0.1", args.port))
    server = make_server("127.0.0.1", args.port, app, threaded=True, fd=listener.fileno(),
                         request_handler=RequestHandler)
    print(f"Serving on http://127.0.0.1:{server.port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
