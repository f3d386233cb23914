"""Promotions: the model, the pure engine over a cart snapshot, and validation of new ones."""
