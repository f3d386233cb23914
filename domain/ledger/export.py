"""The general-ledger batch an ERP imports: one record per journal line (docs/ledger.md,
"Export"). Pure formatting: the same entries always give the same bytes, so a batch can be
reproduced and checked against the checksum recorded when it was first exported."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC

from domain.ledger.model import JournalEntry

FORMATS = ("csv", "jsonl")
COLUMNS = (
    "batch_id",
    "entry_id",
    "entry_date",
    "posted_at",
    "event",
    "reference",
    "line",
    "account_code",
    "account_number",
    "account_title",
    "debit",
    "credit",
    "currency",
    "memo",
    "reverses_entry_id",
)


def gl_records(batch_id: int, entries: Iterable[JournalEntry]) -> Iterator[dict[str, str]]:
    """Records in entry id order, each entry's lines in their recorded order (debits
    first). Every value is text: amounts as plain decimals on the currency's grid, times
    in ISO 8601 UTC. An entry without lines has no record (nothing for an ERP to post)."""
    for entry in sorted(entries, key=lambda e: e.id or 0):
        at = entry.at.astimezone(UTC)
        for number, line in enumerate(entry.lines, start=1):
            yield {
                "batch_id": str(batch_id),
                "entry_id": str(entry.id),
                "entry_date": at.date().isoformat(),
                "posted_at": at.isoformat().replace("+00:00", "Z"),
                "event": entry.event,
                "reference": entry.reference,
                "line": str(number),
                "account_code": line.account.value,
                "account_number": line.account.number,
                "account_title": line.account.title,
                "debit": format(line.debit, "f"),
                "credit": format(line.credit, "f"),
                "currency": line.currency,
                "memo": entry.memo,
                "reverses_entry_id": "" if entry.reverses is None else str(entry.reverses),
            }


def header(fmt: str) -> bytes:
    """What a file starts with: the CSV header row; nothing for JSON Lines."""
    return render_records([], fmt, with_header=True) if fmt == "csv" else b""


def render_records(records: Sequence[dict[str, str]], fmt: str, with_header: bool = False) -> bytes:
    """CSV (RFC 4180: header, CRLF, quoted when needed) or JSON Lines (keys in column
    order, UTF-8, LF). Chunks rendered one after the other concatenate to the whole file."""
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
        if with_header:
            writer.writeheader()
        writer.writerows(records)
        return out.getvalue().encode()
    if fmt == "jsonl":
        return b"".join(
            json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
            for record in records
        )
    raise ValueError(f"unknown format {fmt!r}")


def render(records: Sequence[dict[str, str]], fmt: str) -> bytes:
    """A whole file."""
    return header(fmt) + render_records(records, fmt)


class Checksum:
    """SHA-256 of the batch's CSV rendering, fed chunk by chunk: what the batch holds,
    whatever format a run writes it in."""

    def __init__(self) -> None:
        self._hash = hashlib.sha256(header("csv"))

    def add(self, records: Sequence[dict[str, str]]) -> None:
        self._hash.update(render_records(records, "csv"))

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def checksum(records: Sequence[dict[str, str]]) -> str:
    whole = Checksum()
    whole.add(records)
    return whole.hexdigest()
