"""`inventoryUpload`: the count file of `orchestra import inventory`, sent as a GraphQL upload."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Protocol

from domain.errors import FieldError, invalid
from domain.inventory import handlers
from domain.inventory.csv_ingest import IngestSummary, ingest_csv
from domain.inventory.ingest import BatchResult, SetUpdate
from resolvers.context import Context
from resolvers.errors import ApiError

log = logging.getLogger("orchestra.errors")


class UploadedFile(Protocol):
    """What strawberry hands over for an `Upload` under Starlette (an UploadFile)."""

    @property
    def file(self) -> IO[bytes]: ...


async def inventory_upload(ctx: Context, upload: UploadedFile) -> BatchResult:
    """Apply the file in batches as the caller (a location-bound token only its location)."""

    async def apply(updates: Sequence[SetUpdate]) -> BatchResult:
        return await handlers.set_inventory(updates, ctx.actor, ctx.uow(), datetime.now(UTC))

    # The multipart parser has already spooled the upload to a local temporary file, so
    # reading it line by line does not wait on the network. The server closes the form
    # (and this file) after the request.
    summary = IngestSummary()
    try:
        await ingest_csv(upload.file, apply, summary)
    except Exception as error:
        # Bad rows are per-line userErrors; this is a fault (the database went away).
        # Batches up to `committed_through` are committed: say so, the client resumes.
        log.error("request %s: upload stopped", ctx.request_id, exc_info=error)
        raise stopped(summary, ctx.request_id) from error
    errors: list[FieldError] = list(summary.errors)
    if summary.omitted_errors:
        errors.append(invalid(("file",), f"... and {summary.omitted_errors} more errors."))
    return BatchResult(
        applied=summary.applied,
        stale=summary.stale,
        clamped=summary.clamped,
        errors=errors,
    )


def stopped(summary: IngestSummary, request_id: str) -> ApiError:
    line = summary.committed_through
    return ApiError(
        f"The upload stopped at a server fault after line {line}: lines 2 to {line} are "
        "committed (see `committedThrough`); sending the whole file again is safe.",
        "INTERNAL",
        committedThrough=line,
        applied=summary.applied,
        requestId=request_id,
    )
