"""HTTP/1.1 with a header-read timeout, which uvicorn does not have.

uvicorn times out idle keep-alive connections (`timeout_keep_alive`) but arms that timer
only after a response: a connection that never sends a full request head (slowloris, or
a client that opens a socket and waits) is held forever. This protocol arms a timer when
a connection opens and whenever a new request starts arriving, and disarms it once the
headers are complete; if it fires, the connection is closed. Body reads and responses are
untouched (the request body limit bounds those). Used by `orchestra serve` through
uvicorn's `http=` option; behind a proxy, the proxy's own header timeout does the same.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.settings import Settings


class HeaderTimeoutProtocol(HttpToolsProtocol):
    # Read from the environment when the module loads: uvicorn's worker processes import
    # this class by name, so the setting cannot travel as an argument.
    header_timeout = Settings.from_env().header_timeout

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # Bytes arriving between requests start the next request's head: time it.
        if self.cycle is None or self.cycle.response_complete:
            self._arm_header_timer()
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._disarm_header_timer()
        super().on_headers_complete()

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._header_timed_out)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timed_out(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()
