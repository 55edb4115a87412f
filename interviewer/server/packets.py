"""Socket.IO packets encoded to JSON once.

python-socketio decides whether a packet carries bytes by walking its data (every dict, list and
string of a scorecard: a tenth of a turn's cost in the server), then walks it again to encode it.
`JSONFirstPacket` encodes the data first: data JSON can say holds no bytes, so the walk is skipped
and the text is the packet's; data with bytes (JSON cannot say them) goes the library's own way.
The text sent is byte for byte the library's.
"""

from __future__ import annotations

from typing import Any

from socketio import packet


class JSONFirstPacket(packet.Packet):
    """A Socket.IO packet whose data is encoded once, when it is made (see the module's docstring)."""

    def __init__(self, packet_type: int = packet.EVENT, data: Any = None, namespace: str | None = None,
                 id: int | None = None, binary: bool | None = None, encoded_packet: Any = None) -> None:
        self._text: str | None = None
        if binary is None and encoded_packet is None and data is not None and packet_type in (packet.EVENT, packet.ACK):
            try:
                self._text = self.json.dumps(data, separators=(",", ":"))
                binary = False
            except TypeError:  # bytes in the data: an attachment, which the library's walk finds
                self._text = None
        super().__init__(packet_type, data, namespace, id, binary, encoded_packet)

    def encode(self) -> Any:
        """Return the packet as the Socket.IO protocol writes it: type, namespace, id, then the data."""
        if self._text is None or self.packet_type not in (packet.EVENT, packet.ACK):
            return super().encode()
        head = str(self.packet_type)
        if self.namespace is not None and self.namespace != "/":
            head += self.namespace + ","
        if self.id is not None:
            head += str(self.id)
        return head + self._text
