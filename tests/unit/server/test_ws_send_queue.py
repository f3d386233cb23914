"""A WebSocket's send queue: a client that stops reading is closed with a reason once its
queue is full, and never holds up the others, who get every message in order."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from server.ws_transport import SLOW_CLOSE_CODE, QueuedWebSocket

LIMIT = 20


class Peer:
    """The ASGI side of one connection; a stuck peer never finishes a send."""

    def __init__(self, stuck: bool) -> None:
        self.stuck = stuck
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self.state = SimpleNamespace()

    async def send_text(self, text: str) -> None:
        if self.stuck:
            await asyncio.Event().wait()
        self.sent.append(text)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


class Small(QueuedWebSocket):
    limit = LIMIT


def socket(peer: Peer) -> QueuedWebSocket:
    view: Any = SimpleNamespace(encode_json=lambda message: str(message))
    return Small(view, peer, peer)


def test_a_stuck_client_is_closed_and_the_others_get_everything() -> None:
    async def scenario() -> tuple[Peer, Peer, int]:
        stuck, reading = Peer(stuck=True), Peer(stuck=False)
        slow, fast = socket(stuck), socket(reading)
        before = QueuedWebSocket.slow_closes
        for n in range(LIMIT * 3):
            slow.push(f"m{n}")
            fast.push(f"m{n}")
            if n % 5 == 0:
                await asyncio.sleep(0)  # the reading client keeps up
        for _ in range(10):
            await asyncio.sleep(0)
        slow.push("after")  # closed: nothing more is queued for it
        return stuck, reading, QueuedWebSocket.slow_closes - before

    stuck, reading, closes = asyncio.run(scenario())
    assert reading.sent == [f"m{n}" for n in range(LIMIT * 3)]
    assert reading.closed is None
    assert stuck.sent == []
    assert stuck.closed is not None
    assert stuck.closed[0] == SLOW_CLOSE_CODE
    assert stuck.closed[1].startswith("Slow consumer")
    assert closes == 1


def test_a_close_goes_out_after_what_was_queued_before_it() -> None:
    async def scenario() -> Peer:
        peer = Peer(stuck=False)
        ws = socket(peer)
        await ws.send_json({"type": "error"})
        await ws.close(4400, "bad")
        ws.push("too late")
        for _ in range(5):
            await asyncio.sleep(0)
        return peer

    peer = asyncio.run(scenario())
    assert peer.sent == [str({"type": "error"})]
    assert peer.closed == (4400, "bad")
