"""Orders: carts, pricing, tax, promises, sourcing, lifecycles and customer care."""
