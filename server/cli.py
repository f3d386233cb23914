"""The `orchestra` command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import date

from domain.errors import DomainError
from domain.tokens.handlers import create_token
from domain.tokens.model import ALLOWED_SCOPES, CreateToken, parse_kind
from persistence.database import Database
from persistence.migrate import upgrade
from persistence.uow import SqlUnitOfWork
from server.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="orchestra", description="Orchestra commerce API")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API (GraphiQL at /graphql)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade"])

    token = sub.add_parser("token", help="API tokens")
    token_sub = token.add_subparsers(dest="action", required=True)
    create = token_sub.add_parser("create", help="create a token; prints the secret last")
    create.add_argument("--kind", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--scopes", required=True, help="comma-separated, or 'all'")
    create.add_argument("--channel")
    create.add_argument("--location")
    create.add_argument("--customer", help="customer tokens: the shopper's e-mail")

    schema = sub.add_parser("schema", help="the GraphQL schema")
    schema.add_argument("action", choices=["print"])

    demo = sub.add_parser("demo", help="load the deterministic demo data set")
    demo.add_argument("--if-empty", action="store_true", help="only when no channel exists")

    imp = sub.add_parser("import", help="bulk import from CSV")
    imp.add_argument("what", choices=["catalog", "inventory"])
    imp.add_argument("file")

    export = sub.add_parser("export", help="export feeds")
    export.add_argument("what", choices=["availability", "ledger"])
    export.add_argument("--channel", help="availability: the channel")
    export.add_argument(
        "--from", dest="date_from", type=date.fromisoformat, help="ledger: first UTC day"
    )
    export.add_argument(
        "--to", dest="date_to", type=date.fromisoformat, help="ledger: last UTC day (included)"
    )
    export.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    export.add_argument("--output", "-o", default="-")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # `orchestra schema print | head`: the reader has what it wanted. Point stdout at
        # /dev/null so the interpreter's final flush does not fail again, and exit quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command == "serve":
        return _serve(args)
    if args.command == "db":
        upgrade(settings.database_url)
        print("database is at the latest migration")
        return 0
    if args.command == "schema":
        from schema.root import build_schema

        print(str(build_schema()))
        return 0
    return asyncio.run(_async_command(args, settings))


def _serve(args: argparse.Namespace) -> int:
    from server.serve import serve

    # Logging is configured by uvicorn in every process (server/logging_setup.py).
    return serve(args.host, args.port, args.workers, Settings.from_env())


async def _async_command(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        if args.command == "token":
            return await _token_create(db, args)
        if args.command == "demo":
            from server.demo import load_demo

            return await load_demo(db, only_if_empty=args.if_empty)
        if args.command == "import" and args.what == "catalog":
            from server.catalog_import import import_catalog_file

            return await import_catalog_file(db, args.file)
        if args.command == "import" and args.what == "inventory":
            from server.inventory_import import import_inventory_file

            return await import_inventory_file(db, args.file)
        if args.command == "export" and args.what == "ledger":
            from server.ledger_export import export_ledger

            if args.date_from is None or args.date_to is None:
                print("error: export ledger needs --from and --to", file=sys.stderr)
                return 2
            return await export_ledger(db, args.date_from, args.date_to, args.format, args.output)
        if args.command == "export":
            from server.availability_export import export_availability

            if args.channel is None:
                print("error: export availability needs --channel", file=sys.stderr)
                return 2

            return await export_availability(db, args.channel, args.format, args.output)
    finally:
        await db.dispose()
    return 2


async def _token_create(db: Database, args: argparse.Namespace) -> int:
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
    kind = parse_kind(args.kind)
    if scopes == ["all"] and kind is not None:
        scopes = sorted(ALLOWED_SCOPES[kind])
    cmd = CreateToken(
        args.name, args.kind, tuple(scopes), args.channel, args.location, args.customer
    )
    try:
        token, secret = await create_token(cmd, SqlUnitOfWork(db))
    except DomainError as error:
        for e in error.errors:
            print(f"error: {'.'.join(e.field)}: {e.message}", file=sys.stderr)
        return 1
    binding = (
        f" bound to {token.channel or token.location}" if token.channel or token.location else ""
    )
    print(
        f"Created {token.kind.value} token {token.name!r}{binding} with scopes {' '.join(sorted(token.scopes))}."
    )
    print("Keep this secret safe; it is shown only once:")
    print(secret)
    return 0


if __name__ == "__main__":
    sys.exit(main())
