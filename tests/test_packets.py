"""The server's Socket.IO packets: encoded once, and byte for byte what python-socketio sends."""

from __future__ import annotations

import pytest
from socketio import packet

from interviewer.server.packets import JSONFirstPacket

SCORECARD = {"kind": "feedback", "text": "Score 3.5/5 — “saga” explained ✓", "card": {"covered": ["saga", "outbox"],
             "grade": 3.5, "nested": [{"a": None, "b": True, "c": 1e-9}]}}


@pytest.mark.parametrize("kind, namespace, ack_id", [
    (packet.EVENT, None, None), (packet.EVENT, "/", 7), (packet.EVENT, "/chat", None), (packet.ACK, "/chat", 12),
    (packet.ACK, None, 3),
])
def test_a_packet_is_the_text_the_library_sends(kind, namespace, ack_id):
    data = ["reply", SCORECARD] if kind == packet.EVENT else [SCORECARD]
    ours = JSONFirstPacket(kind, data=data, namespace=namespace, id=ack_id)
    theirs = packet.Packet(kind, data=data, namespace=namespace, id=ack_id)
    assert ours.encode() == theirs.encode()
    assert ours.packet_type == kind


def test_bytes_still_go_as_attachments():
    ours = JSONFirstPacket(packet.EVENT, data=["audio", {"pcm": b"\x00\x01"}])
    assert ours.packet_type == packet.BINARY_EVENT
    encoded = ours.encode()
    assert encoded == packet.Packet(packet.EVENT, data=["audio", {"pcm": b"\x00\x01"}]).encode()
    assert encoded[1] == b"\x00\x01"


def test_a_received_packet_decodes_as_before():
    text = JSONFirstPacket(packet.EVENT, data=["message", {"text": "a saga"}], id=4).encode()
    back = JSONFirstPacket(encoded_packet=text)
    assert (back.packet_type, back.id, back.data) == (packet.EVENT, 4, ["message", {"text": "a saga"}])
