"""Locations."""
