"""Render once, deliver many: subscribers who would get the same answer share one execution.

A dashboard of a thousand identical subscriptions used to execute the same selection on the
same event a thousand times. Here, subscriptions whose answers cannot differ form a group:

    key = (document, operationName, variables, grants)
    grants = the token's kind, scopes, channel, location and customer bindings

Everything a subscription's answer depends on is in the key: the access guard, the query
cost limit and the feeds' row filters (`Viewer`, the channel/location checks) read only the
document, the variables and those grants (domain/access.py `Actor`), so two members of a
group are refused, filtered and answered alike. A channel-bound token and an unbound one,
two customers, two locations: different keys, different groups, filtering decided per group.

The first subscriber of a group starts it with its own run (its request, cost charge and
refusal are its own; a refusal before listening goes to it alone and the group runs again
for whoever joined meanwhile). Every other subscriber runs its own operation up to the point
where it would start listening (`ProbeBus`): parsing, validation, the access guard, its own
cost charge and the resolver's own checks (an order it may not see is NOT_FOUND) are the
individual path's, unchanged; when it reaches the bus it joins the group instead. A group's
bus stream has no owner (a revoked token's connections are closed, which takes its members
out; the others go on). Per event the group executes once, encodes the `next` payload once (orjson)
and pushes the same text to each member's socket queue (server/ws_transport.py): members
with the same operation id get the same string object.

Order and delivery are the group stream's: one bus subscription in `seq` order, at least
once, so each member sees events in commit order from when it joined. A member joins a
running group between two events; a group whose last member leaves is cancelled. A failing
group (its execution raises, its stream overflows) ends its own members only: each group is
its own task. Operations the probe never sees listening (queries, mutations over the
socket) were answered by the member's own run and never group.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Hashable
from typing import TYPE_CHECKING, Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode
from graphql import OperationType as GraphQLOperationType
from strawberry.schema import BaseSchema
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

from domain.tokens.model import ApiToken
from server.documents import DocumentCache
from server.http_json import OPTIONS
from subscriptions.bus import EventBus, OutboxBus
from subscriptions.fanout import Event

if TYPE_CHECKING:
    from resolvers.context import Context
    from server.ws_transport import QueuedWebSocket

log = logging.getLogger("orchestra.subscriptions")

Errors = list[GraphQLError]


def grants_of(token: ApiToken | None) -> Hashable:
    """Everything of a token that can change what it sees (the `Actor` built from it),
    and nothing else: not its id or name."""
    if token is None:
        return None
    return (
        token.kind.value,
        tuple(sorted(token.scopes)),
        token.channel,
        token.location,
        token.customer,
    )


def group_key(
    query: str, operation_name: str | None, variables: Any, token: ApiToken | None
) -> Hashable | None:
    """The group of a subscribe message, or None when it cannot be keyed exactly."""
    try:
        canonical = orjson.dumps(variables or {}, option=OPTIONS | orjson.OPT_SORT_KEYS)
    except TypeError:  # integers beyond 64 bits and the like: run it on its own
        return None
    return (query, operation_name, canonical, grants_of(token))


class ProbeBus:
    """The bus as one subscriber's own run of its operation sees it: everything goes to
    the real bus except `subscribe`, which records that the operation passed every check
    and started listening, and ends the stream at once (the group listens instead)."""

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.reached = False

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        await self._bus.publish(topic, payload)

    def subscribe(
        self, topic: str, owner: int | None = None, key: Hashable | None = None
    ) -> AsyncIterator[Event]:
        self.reached = True
        return _nothing()

    async def flush(self) -> None:
        await self._bus.flush()

    @property
    def subscriber_count(self) -> int:
        return self._bus.subscriber_count


async def _nothing() -> AsyncIterator[Event]:
    return
    yield  # an async generator that ends at once


class Member:
    """One subscription served by a group: its socket queue and operation id."""

    __slots__ = ("done", "id_json", "operation_id", "socket")

    def __init__(self, socket: QueuedWebSocket, operation_id: str) -> None:
        self.socket = socket
        self.operation_id = operation_id
        self.id_json = orjson.dumps(operation_id).decode()
        # Set when the group ends: None (complete) or the errors of a refused start.
        self.done: asyncio.Future[Errors | None] = asyncio.get_running_loop().create_future()


class Group:
    __slots__ = ("ended", "key", "listened", "live", "members", "name", "task")

    def __init__(self, key: Hashable) -> None:
        self.key = key
        self.name = f"shared-{uuid.uuid4().hex[:12]}"
        self.members: dict[Member, None] = {}  # insertion-ordered set
        self.live = False  # its bus stream is registered: no event can be missed
        self.listened = False  # it has been live (stays True once its stream ends)
        self.ended = False
        self.task: asyncio.Task[None] | None = None


class GroupBus:
    """The bus as a group's execution sees it: one stream, owned by no token, that marks
    the group live once registered."""

    def __init__(self, bus: OutboxBus, group: Group) -> None:
        self._bus = bus
        self._group = group

    async def publish(self, topic: str, payload: dict[str, Any]) -> None:
        await self._bus.publish(topic, payload)

    def subscribe(
        self, topic: str, owner: int | None = None, key: Hashable | None = None
    ) -> AsyncIterator[Event]:
        return self._listen(topic, key)

    async def _listen(self, topic: str, key: Hashable | None) -> AsyncIterator[Event]:
        group = self._group

        def ready() -> None:
            group.live = group.listened = True

        stream = self._bus.fanout.subscribe(topic, None, key, ready=ready)
        try:
            async for event in stream:
                yield event
        finally:
            group.live = False
            await stream.aclose()  # type: ignore[attr-defined]

    async def flush(self) -> None:
        await self._bus.flush()

    @property
    def subscriber_count(self) -> int:
        return self._bus.subscriber_count


class SharedSubscriptions:
    """This worker's groups, by key."""

    def __init__(
        self,
        schema: BaseSchema,
        bus: OutboxBus,
        enabled: bool = True,
        documents: DocumentCache | None = None,
    ) -> None:
        self.schema = schema
        self.bus = bus
        self.enabled = enabled
        self.documents = documents
        self.groups: dict[Hashable, Group] = {}
        self.executions = 0  # events executed by groups
        self.deliveries = 0  # `next` messages those executions were written as
        self.led = 0  # groups started by their first member's own run
        bus.shared_members = self.members_beyond_streams

    def members_beyond_streams(self) -> int:
        """Subscriptions served by live groups beyond the one bus stream each holds."""
        return sum(len(g.members) - 1 for g in self.groups.values() if g.live)

    def running(self, key: Hashable) -> Group | None:
        group = self.groups.get(key)
        return None if group is None or group.ended else group

    def listens(self, query: str, operation_name: str | None) -> bool:
        """Whether the operation is known to be a subscription: its document already passed
        parsing, limits and validation (it is in the document cache). Unknown documents
        take the probe's path, which parses them under the limits."""
        entry = self.documents.peek(query) if self.documents is not None else None
        if entry is None:
            return False
        operations = [
            d for d in entry.document.definitions if isinstance(d, OperationDefinitionNode)
        ]
        if operation_name is None:
            chosen = operations[0] if len(operations) == 1 else None
        else:
            chosen = next(
                (o for o in operations if o.name is not None and o.name.value == operation_name),
                None,
            )
        return chosen is not None and chosen.operation is GraphQLOperationType.SUBSCRIPTION

    def join(
        self,
        key: Hashable,
        member: Member,
        context: Context,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        lead: bool = False,
    ) -> Group:
        """Add `member` to its group, starting the group if there is none. A member that
        `lead`s has not run its operation yet: the group's first run is its own (its
        request, its cost charge, its refusal), so a subscription that starts a group
        costs one run, as it did alone."""
        group = self.running(key)
        if group is None:
            group = self.groups[key] = Group(key)
            leader = member if lead else None
            self.led += lead
            shared = self._context(context, group, keep_request=lead)
            run = self._run(group, shared, query, variables, operation_name, leader)
            group.task = asyncio.create_task(run)
        group.members[member] = None
        return group

    def leave(self, member: Member, group: Group) -> None:
        group.members.pop(member, None)
        if not group.members and not group.ended:
            self._end(group, None)
            if group.task is not None:
                group.task.cancel()

    def _context(self, context: Context, group: Group, keep_request: bool = False) -> Context:
        shared = context.fresh()
        shared.gateways = context.gateways
        shared.bus = GroupBus(self.bus, group)
        if not keep_request:
            shared.request = None  # no connection: its cost was charged to each member
            shared.request_id = group.name
            shared.connection_params = None
        return shared

    async def _run(
        self,
        group: Group,
        context: Context,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        lead: Member | None,
    ) -> None:
        try:
            while await self._execute(group, context, query, variables, operation_name, lead):
                # The leader was answered on its own (refused); the members that joined
                # meanwhile passed their own checks: run it again for them, charging no one.
                if not group.members:
                    return
                context, lead = self._context(context, group), None
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("shared subscription %s failed", group.name)
        finally:
            self._end(group, None)

    async def _execute(
        self,
        group: Group,
        context: Context,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        lead: Member | None,
    ) -> bool:
        """Run the stream for the group; True when it stopped at the leader's own answer."""
        source = await self.schema.stream(
            query,
            variable_values=variables,
            context_value=context,
            operation_name=operation_name,
            allowed_operation_types=(OperationType.SUBSCRIPTION,),
        )
        first = True
        async with aclosing(source):
            async for result in source:
                if lead is not None and not group.listened:
                    # A result before listening is the leader's run answering for itself
                    # (a refusal: no such order, out of budget): it is the leader's alone.
                    self._answer_alone(group, lead, result)
                    return True
                if first and isinstance(result, PreExecutionError):
                    self._end(group, list(result.errors or ()))
                    return False
                first = False
                if not isinstance(result, ExecutionResult):
                    self._end(group, [_INCREMENTAL()])
                    return False
                self._broadcast(group, result)
        return False

    def _answer_alone(self, group: Group, member: Member, result: Any) -> None:
        group.members.pop(member, None)
        if member.done.done():
            return
        if isinstance(result, PreExecutionError):
            member.done.set_result(list(result.errors or ()))
        elif isinstance(result, ExecutionResult):
            member.socket.push(_frame(member.id_json, _payload(result)))
            member.done.set_result(None)
        else:
            member.done.set_result([_INCREMENTAL()])

    def _broadcast(self, group: Group, result: ExecutionResult) -> None:
        body = _payload(result)
        frames: dict[str, str] = {}  # one text per operation id: usually just one
        for member in tuple(group.members):
            frame = frames.get(member.id_json)
            if frame is None:
                frame = frames[member.id_json] = _frame(member.id_json, body)
            member.socket.push(frame)
        self.executions += 1
        self.deliveries += len(group.members)

    def _end(self, group: Group, errors: Errors | None) -> None:
        """The group is over: its members are told (complete, or the start's errors)."""
        if group.ended:
            return
        group.ended = True
        if self.groups.get(group.key) is group:
            del self.groups[group.key]
        for member in group.members:
            if not member.done.done():
                member.done.set_result(errors)
        group.members.clear()


def _payload(result: ExecutionResult) -> str:
    """A `next` message's payload, encoded once, as strawberry's handler builds it."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return orjson.dumps(payload, option=OPTIONS).decode()


def _frame(id_json: str, payload: str) -> str:
    return f'{{"id":{id_json},"type":"next","payload":{payload}}}'


def _INCREMENTAL() -> GraphQLError:
    return GraphQLError("Incremental delivery is not supported over graphql-transport-ws")
