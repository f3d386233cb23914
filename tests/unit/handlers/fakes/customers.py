"""Customer fake."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.customers.model import Customer
from domain.ids import new_id


class FakeCustomers:
    STATE = ("by_email_",)

    def __init__(self) -> None:
        self.by_email_: dict[str, Customer] = {}

    async def by_email(self, email: str) -> Customer | None:
        return self.by_email_.get(email)

    async def by_ids(self, ids: Iterable[str]) -> dict[str, Customer]:
        wanted = set(ids)
        return {c.id: c for c in self.by_email_.values() if c.id in wanted}

    async def ensure(self, email: str, name: str | None, now: datetime) -> Customer:
        if email not in self.by_email_:
            self.by_email_[email] = Customer(new_id(), email, now, name)
        return self.by_email_[email]
