"""What the returns handlers need from persistence (docs/returns.md, "Wiring")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from domain.returns.model import Return


class ReturnRepository(Protocol):
    async def get(self, return_id: int) -> Return | None:
        """The return as stored (callers lock its order row first: that serializes every
        use case on the order's returns)."""
        ...

    async def of_order(self, order_id: str) -> list[Return]:
        """Every return of an order, oldest first."""
        ...

    async def add(self, ret: Return, now: datetime) -> Return:
        """Store a new return; the return with its id."""
        ...

    async def save_receipt(self, ret: Return, now: datetime) -> bool:
        """Write a receipt (status, receiving location, received units and dispositions)
        if the stored return is still REQUESTED; False when it no longer was."""
        ...

    async def mark_refunded(self, return_id: int, amount: Decimal, now: datetime) -> bool:
        """`UPDATE ... SET status='REFUNDED', refund=:amount WHERE id=:id AND
        status='RECEIVED'`: True for the one caller that moved it, False for any other."""
        ...


class ReturnPorts(Protocol):
    """The returns' part of the unit of work."""

    @property
    def returns(self) -> ReturnRepository: ...
