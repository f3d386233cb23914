"""The chart of accounts (docs/ledger.md explains each account and when it moves).

Accounts are named by a stable code (`Account.value`, what the API and the export show) and
carry a number for the ERP (`Account.number`), so renaming a title never breaks an import.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class AccountType(Enum):
    ASSET = "ASSET"
    LIABILITY = "LIABILITY"
    REVENUE = "REVENUE"
    CONTRA_REVENUE = "CONTRA_REVENUE"
    EXPENSE = "EXPENSE"
    MEMO = "MEMO"  # off balance sheet: a self-balancing pair tracking open authorizations


@dataclass(frozen=True, slots=True)
class AccountInfo:
    number: str
    title: str
    type: AccountType
    debit_normal: bool


class Account(Enum):
    PAYMENT_CLEARING = "PAYMENT_CLEARING"
    ACCOUNTS_RECEIVABLE = "ACCOUNTS_RECEIVABLE"
    INVENTORY = "INVENTORY"
    VENDOR_RETURNS_RECEIVABLE = "VENDOR_RETURNS_RECEIVABLE"
    SALES_TAX_PAYABLE = "SALES_TAX_PAYABLE"
    STORE_CREDIT = "STORE_CREDIT"
    SALES_REVENUE = "SALES_REVENUE"
    SHIPPING_REVENUE = "SHIPPING_REVENUE"
    SALES_DISCOUNTS = "SALES_DISCOUNTS"
    SALES_RETURNS = "SALES_RETURNS"
    COST_OF_GOODS_SOLD = "COST_OF_GOODS_SOLD"
    APPEASEMENTS = "APPEASEMENTS"
    INVENTORY_WRITE_OFFS = "INVENTORY_WRITE_OFFS"
    AUTHORIZATIONS_OPEN = "AUTHORIZATIONS_OPEN"
    AUTHORIZATIONS_CONTRA = "AUTHORIZATIONS_CONTRA"

    @property
    def info(self) -> AccountInfo:
        return CHART[self]

    @property
    def number(self) -> str:
        return CHART[self].number

    @property
    def title(self) -> str:
        return CHART[self].title


_A, _L, _R = AccountType.ASSET, AccountType.LIABILITY, AccountType.REVENUE
_C, _E, _M = AccountType.CONTRA_REVENUE, AccountType.EXPENSE, AccountType.MEMO

CHART: dict[Account, AccountInfo] = {
    Account.PAYMENT_CLEARING: AccountInfo(
        "1100", "Payment clearing (captured, not settled)", _A, True
    ),
    Account.ACCOUNTS_RECEIVABLE: AccountInfo(
        "1200", "Accounts receivable / customer deposits", _A, True
    ),
    Account.INVENTORY: AccountInfo("1300", "Inventory", _A, True),
    Account.VENDOR_RETURNS_RECEIVABLE: AccountInfo("1400", "Vendor returns receivable", _A, True),
    Account.SALES_TAX_PAYABLE: AccountInfo("2100", "Sales tax payable", _L, False),
    Account.STORE_CREDIT: AccountInfo("2200", "Store and exchange credit", _L, False),
    Account.SALES_REVENUE: AccountInfo("4000", "Sales revenue", _R, False),
    Account.SHIPPING_REVENUE: AccountInfo("4100", "Shipping revenue", _R, False),
    Account.SALES_DISCOUNTS: AccountInfo("4500", "Sales discounts", _C, True),
    Account.SALES_RETURNS: AccountInfo("4600", "Sales returns", _C, True),
    Account.COST_OF_GOODS_SOLD: AccountInfo("5000", "Cost of goods sold", _E, True),
    Account.APPEASEMENTS: AccountInfo("6100", "Customer appeasements", _E, True),
    Account.INVENTORY_WRITE_OFFS: AccountInfo("6200", "Inventory write-offs (shrinkage)", _E, True),
    Account.AUTHORIZATIONS_OPEN: AccountInfo(
        "9100", "Open payment authorizations (memo)", _M, True
    ),
    Account.AUTHORIZATIONS_CONTRA: AccountInfo("9900", "Authorizations contra (memo)", _M, False),
}
