"""What customer use cases need from persistence."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from domain.customers.model import Customer


class CustomerRepository(Protocol):
    async def by_email(self, email: str) -> Customer | None:
        """The customer with this normalized e-mail."""
        ...

    async def by_ids(self, ids: Iterable[str]) -> dict[str, Customer]: ...

    async def ensure(self, email: str, name: str | None, now: datetime) -> Customer:
        """The customer with this normalized e-mail, created when missing. Two concurrent
        checkouts with one new e-mail end with one customer (unique e-mail)."""
        ...


class CustomerPorts(Protocol):
    @property
    def customers(self) -> CustomerRepository: ...
