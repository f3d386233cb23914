"""Returns fake: returns by id in a dict, with the same once-only conditional writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from domain.returns.model import Return, ReturnStatus


class FakeReturns:
    STATE = ("returns",)

    def __init__(self) -> None:
        self.returns: dict[int, Return] = {}

    async def get(self, return_id: int) -> Return | None:
        return self.returns.get(return_id)

    async def of_order(self, order_id: str) -> list[Return]:
        return [r for _, r in sorted(self.returns.items()) if r.order_id == order_id]

    async def add(self, ret: Return, now: datetime) -> Return:
        stored = replace(ret, id=len(self.returns) + 1, updated_at=now)
        self.returns[len(self.returns) + 1] = stored
        return stored

    async def save_receipt(self, ret: Return, now: datetime) -> bool:
        assert ret.id is not None
        if self.returns[ret.id].status is not ReturnStatus.REQUESTED:
            return False
        self.returns[ret.id] = replace(ret, updated_at=now)
        return True

    async def mark_refunded(self, return_id: int, amount: Decimal, now: datetime) -> bool:
        current = self.returns[return_id]
        if current.status is not ReturnStatus.RECEIVED:
            return False
        self.returns[return_id] = replace(
            current, status=ReturnStatus.REFUNDED, refund=amount, updated_at=now
        )
        return True
