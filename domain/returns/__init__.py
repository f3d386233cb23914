"""Returns: returnable quantities, the return state machine, refunds and exchanges."""
