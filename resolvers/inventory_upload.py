"""`inventoryUpload`: the count file of `orchestra import inventory`, sent as a GraphQL upload."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import IO, Protocol

from domain.errors import FieldError, invalid
from domain.inventory import handlers
from domain.inventory.csv_ingest import IngestSummary, ingest_csv
from domain.inventory.ingest import BatchResult, SetUpdate
from resolvers.context import Context


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
    summary = await ingest_csv(upload.file, apply, IngestSummary())
    errors: list[FieldError] = list(summary.errors)
    if summary.omitted_errors:
        errors.append(invalid(("file",), f"... and {summary.omitted_errors} more errors."))
    return BatchResult(
        applied=summary.applied,
        stale=summary.stale,
        clamped=summary.clamped,
        errors=errors,
    )
