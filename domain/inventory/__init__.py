"""Inventory: positions, channel views, availability to promise and ingest rules."""
