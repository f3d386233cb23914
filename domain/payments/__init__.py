"""Payments through a gateway port: tokens only, amounts in Decimal."""
