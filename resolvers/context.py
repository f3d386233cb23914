"""The per-request GraphQL context."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from domain.access import Actor
from domain.catalog.model import Variant
from domain.payments.ports import PaymentGateway
from domain.tokens.model import ApiToken
from persistence.database import Database
from persistence.uow import SqlUnitOfWork
from resolvers.loaders import Loaders
from resolvers.reference import ReferenceCache, ReferenceData
from subscriptions.bus import EventBus


@dataclass
class Prefetched:
    """Rows a list resolver fetched in bulk for the fields below it, so those fields can
    answer synchronously instead of creating one awaitable per list item."""

    variants_by_product: dict[int, list[Variant]] = field(default_factory=dict)
    prices: dict[tuple[int, int], Decimal] = field(default_factory=dict)
    priced_variants: set[int] = field(default_factory=set)  # every channel's price read
    priced_in: dict[int, set[int]] = field(default_factory=dict)  # channel id -> variants


@dataclass
class Context:
    db: Database
    reference: ReferenceCache
    bus: EventBus
    token: ApiToken | None
    request_id: str
    request: Any = None
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    auth_error: str | None = None
    prefetched: Prefetched = field(default_factory=Prefetched)
    ref: ReferenceData | None = None
    connection_params: Any = None
    gateways: Mapping[str, PaymentGateway] = field(default_factory=dict)
    _extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.db, self.today)

    def extra_loader(self, name: str, factory: Callable[[], Any]) -> Any:
        """Loaders that need the context itself (e.g. availability), created on first use."""
        found = self._extra.get(name)
        if found is None:
            found = self._extra[name] = factory()
        return found

    def forget_cached(self) -> None:
        """Forget what earlier executions cached: a WebSocket connection keeps one context
        for all its subscriptions, and each event must read the data as it is now."""
        self.__dict__.pop("loaders", None)
        self.ref = None
        self.prefetched = Prefetched()

    @property
    def today(self) -> date:
        return self.started.date()

    async def reference_data(self) -> ReferenceData:
        """Reference data, read once per request so nested fields can use `ref` directly."""
        if self.ref is None:
            self.ref = await self.reference.get()
        return self.ref

    def fresh(self) -> Context:
        """The same request with empty per-request caches (loaders, prefetched rows,
        reference data): what a second, independent execution of it would start from."""
        return Context(
            db=self.db,
            reference=self.reference,
            bus=self.bus,
            token=self.token,
            request_id=self.request_id,
            request=self.request,
            started=self.started,
            auth_error=self.auth_error,
            connection_params=self.connection_params,
        )

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db)

    @property
    def actor(self) -> Actor:
        """The caller as the domain sees it; anonymous callers hold no scope at all."""
        token = self.token
        if token is None:
            return Actor(name="anonymous", scopes=frozenset())
        return Actor(
            name=f"{token.kind.value}:{token.name}",
            channel=token.channel,
            location=token.location,
            token_id=token.id,
            kind=token.kind.value,
            scopes=token.scopes,
            customer=token.customer,
        )
