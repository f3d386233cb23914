"""Responses encoded once, by orjson, straight from the executor's output.

The data is already JSON-shaped when it gets here: every scalar was serialized by its
GraphQL type (Decimal as a string, as the contract says; DateTime and Date in ISO 8601).
orjson writes it several times faster than the standard library. Requests are still
decoded by the standard library: orjson reads integers beyond 64 bits as floats, which
would change the errors a client gets for an out-of-range Int.
"""

from __future__ import annotations

import orjson

# Integer keys (possible inside a JSON scalar) are written as strings, as json.dumps does.
OPTIONS = orjson.OPT_NON_STR_KEYS


class OrjsonResponses:
    """Mixin for strawberry's HTTP views: `encode_json` by orjson.

    Returns text, not bytes: strawberry sends bytes over a WebSocket as a binary frame,
    which graphql-transport-ws clients reject."""

    def encode_json(self, data: object) -> str:
        return orjson.dumps(data, option=OPTIONS).decode()
