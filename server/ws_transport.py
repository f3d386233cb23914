"""graphql-transport-ws with a bounded send queue per socket and shared subscriptions.

Every message to a client goes through its socket's queue (`QueuedWebSocket`), written by
one sender task per connection, in order. Producers never wait on a socket: a shared
subscription (server/shared_subscriptions.py) pushes one event to a thousand queues
without awaiting any of them, so a slow client cannot hold up the others.

A client that lets more than `ws_send_queue` messages (default 1,000) pile up unsent is
closed with code 1013 (Try Again Later) and the reason "Slow consumer: ...": its queue is
dropped and nothing more is queued for it. Closing the connection rather than ending one
operation: the socket is what is behind, all its operations alike, and a resubscribing
client must re-read state anyway. The close is counted (`slow_closes`, in /metrics).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Hashable
from typing import Any, ClassVar

from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message
from strawberry.utils.aio import aclosing

from resolvers.context import Context
from server.shared_subscriptions import Group, Member, ProbeBus, SharedSubscriptions, group_key

log = logging.getLogger("orchestra.ws")
SLOW_CLOSE_CODE = 1013


class _Close:
    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class QueuedWebSocket(ASGIWebSocketAdapter):
    limit: ClassVar[int] = 1000
    slow_closes: ClassVar[int] = 0  # connections closed for falling behind (a metric)

    def __init__(self, view: Any, request: Any, response: Any) -> None:
        super().__init__(view, request, response)
        self._queue: deque[str | _Close] = deque()
        self._wake = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._closer: asyncio.Task[None] | None = None
        self.closing = False  # a close is queued or done: nothing more is sent

    def push(self, text: str) -> None:
        """Queue a text frame; never waits."""
        if self.closing:
            return
        if len(self._queue) >= self.limit:
            self._overflow()
            return
        self._queue.append(text)
        self._kick()

    async def send_json(self, message: Any) -> None:
        encoded = self.view.encode_json(message)
        self.push(encoded if isinstance(encoded, str) else encoded.decode())

    async def close(self, code: int, reason: str) -> None:
        # strawberry closes every rejected connection_init with the bare reason
        # "Forbidden"; say why, so a person reading the close frame can fix it.
        if code == 4403:
            reason = getattr(self.ws.state, "rejection", None) or reason
            code = getattr(self.ws.state, "rejection_code", None) or code
        if self.closing:
            return
        self.closing = True  # after what is queued: a refusal's error goes out first
        self._queue.append(_Close(code, reason))
        self._kick()

    def finish(self) -> None:
        """The connection is over: stop the sender unless it still has a close to send."""
        if self._sender is not None and not self._queue:
            self._sender.cancel()

    def _kick(self) -> None:
        self._wake.set()
        if self._sender is None:
            self._sender = asyncio.create_task(self._send_all())

    async def _send_all(self) -> None:
        queue = self._queue
        try:
            while True:
                while not queue:
                    self._wake.clear()
                    await self._wake.wait()
                item = queue.popleft()
                if isinstance(item, _Close):
                    await self.ws.close(code=item.code, reason=item.reason)
                    return
                await self.ws.send_text(item)
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer is gone: nothing more can be sent
            self.closing = True
            queue.clear()

    def _overflow(self) -> None:
        self.closing = True
        dropped = len(self._queue)
        self._queue.clear()
        QueuedWebSocket.slow_closes += 1
        log.warning("closing a WebSocket that left %d messages unsent", dropped)
        if self._sender is not None:
            self._sender.cancel()  # it may be stuck writing to the slow peer
        self._closer = asyncio.create_task(self._close_slow(dropped))

    async def _close_slow(self, dropped: int) -> None:
        reason = (
            f"Slow consumer: more than {dropped} messages unsent; reconnect, "
            "subscribe again and re-read the current state."
        )
        with contextlib.suppress(Exception):
            await self.ws.close(code=SLOW_CLOSE_CODE, reason=reason[:120])


class SharedTransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """strawberry's handler, with subscriptions served by shared groups when they can be.

    Each subscribe runs the operation with a `ProbeBus`: whatever is sent before it would
    listen (a refusal, a query's answer) is sent as strawberry would; once it would listen,
    it joins its group and waits for the group to end."""

    websocket: QueuedWebSocket
    shared: SharedSubscriptions | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shared = getattr(self.view, "shared", None)
        self._members: dict[str, tuple[Member, Group]] = {}

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        shared = self.shared
        key: Hashable | None = None
        if shared is not None and shared.enabled:
            key = group_key(
                operation.query, operation.operation_name, operation.variables, self.context.token
            )
        if key is None:
            await super().run_operation(operation)
            return
        assert shared is not None
        context = self.context.fresh()
        context.gateways = self.context.gateways
        if shared.running(key) is None and shared.listens(
            operation.query, operation.operation_name
        ):
            # The first of its group: its own run is the group's (nothing awaited between
            # the check and the join, so no other subscriber can start the group meanwhile).
            await self._follow(shared, key, operation, context, lead=True)
            return
        probe = ProbeBus(self.context.bus)
        context.bus = probe
        try:
            source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(source):
                await self._send_result_stream(operation, source)
            if probe.reached and not operation.completed and operation.id in self.operations:
                await self._follow(shared, key, operation, context)
                return
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with contextlib.suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise

    async def _follow(
        self,
        shared: SharedSubscriptions,
        key: Hashable,
        operation: Operation[Context, None],
        context: Context,
        lead: bool = False,
    ) -> None:
        member = Member(self.websocket, operation.id)
        group = shared.join(
            key,
            member,
            context,
            operation.query,
            operation.variables,
            operation.operation_name,
            lead,
        )
        self._members[operation.id] = (member, group)
        try:
            errors = await member.done
        finally:
            self._leave(operation.id)
        if errors is None:
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        else:
            await operation.send_initial_errors(errors)

    def _leave(self, operation_id: str) -> None:
        found = self._members.pop(operation_id, None)
        if found is not None and self.shared is not None:
            self.shared.leave(*found)

    async def cleanup_operation(self, operation_id: str) -> None:
        self._leave(operation_id)  # at once: no event reaches it after its `complete`
        await super().cleanup_operation(operation_id)

    async def shutdown(self) -> None:
        await super().shutdown()
        for operation_id in list(self._members):
            self._leave(operation_id)
        self.websocket.finish()

    async def send_message(self, message: Message) -> None:
        await self.websocket.send_json(message)
