"""Strawberry types, inputs, enums and the Schema object; no business logic here."""
