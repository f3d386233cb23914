"""API tokens: kinds, scopes, bindings and the rules that tie them together."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from domain.access import Actor
from domain.customers.model import email_errors, normalize_email
from domain.errors import FieldError, forbidden, invalid
from domain.validation import CODE_LENGTH, NAME_LENGTH, text


class TokenKind(Enum):
    ADMIN = "admin"
    PARTNER = "partner"
    STOREFRONT = "storefront"
    CUSTOMER = "customer"


SCOPES: tuple[str, ...] = (
    "catalog:read",
    "catalog:write",
    "inventory:read",
    "inventory:write",
    "orders:read",
    "orders:write",
    "fulfillment:write",
    "returns:write",
    "promotions:write",
    "finance:read",
    "customers:read",
    "tokens:write",
)

# Admin may hold any scope; the others are limited to what their role needs.
ALLOWED_SCOPES: dict[TokenKind, frozenset[str]] = {
    TokenKind.ADMIN: frozenset(SCOPES),
    TokenKind.PARTNER: frozenset(
        {
            "catalog:read",
            "inventory:read",
            "inventory:write",
            "orders:read",
            "orders:write",
            "fulfillment:write",
            "returns:write",
        }
    ),
    TokenKind.STOREFRONT: frozenset({"catalog:read", "inventory:read", "orders:write"}),
    TokenKind.CUSTOMER: frozenset({"catalog:read", "orders:read", "returns:write"}),
}

SECRET_PREFIX = "orc_"


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    name: str
    kind: TokenKind
    scopes: frozenset[str]
    channel: str | None
    location: str | None
    created_at: datetime
    customer: str | None = None  # customer tokens: the shopper's normalized e-mail
    revoked_at: datetime | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


@dataclass(frozen=True, slots=True)
class CreateToken:
    """Command: issue a token; the secret is returned once and only its hash is kept."""

    name: str
    kind: str
    scopes: tuple[str, ...]
    channel: str | None = None
    location: str | None = None
    customer: str | None = None  # customer tokens only: the shopper's e-mail

    @property
    def customer_email(self) -> str | None:
        return normalize_email(self.customer) if self.customer is not None else None


@dataclass(frozen=True, slots=True)
class RevokeToken:
    """Command: revoke a token at once, everywhere; its open subscriptions are closed."""

    token_id: int


def parse_kind(raw: str) -> TokenKind | None:
    try:
        return TokenKind(raw.lower())
    except ValueError:
        return None


def validate_token(cmd: CreateToken, base: tuple[str, ...] = ("input",)) -> list[FieldError]:
    errors = text(cmd.name, (*base, "name"), NAME_LENGTH, label="Name")
    errors += text(cmd.channel, (*base, "channel"), CODE_LENGTH, required=False)
    errors += text(cmd.location, (*base, "location"), CODE_LENGTH, required=False)
    kind = parse_kind(cmd.kind)
    if kind is None:
        kinds = ", ".join(k.value for k in TokenKind)
        errors.append(invalid((*base, "kind"), f"Kind must be one of {kinds}."))
        return errors
    if not cmd.scopes:
        errors.append(invalid((*base, "scopes"), "A token needs at least one scope."))
    for i, scope in enumerate(cmd.scopes):
        if scope not in SCOPES:
            errors.append(invalid((*base, "scopes", str(i)), f"Unknown scope {scope!r}."))
        elif scope not in ALLOWED_SCOPES[kind]:
            errors.append(
                invalid((*base, "scopes", str(i)), f"A {kind.value} token cannot hold {scope}.")
            )
    bound_both = cmd.channel is not None and cmd.location is not None
    if bound_both:
        errors.append(invalid((*base, "location"), "Bind a token to a channel or a location."))
    if kind is TokenKind.PARTNER and cmd.channel is None and cmd.location is None:
        errors.append(
            invalid((*base, "channel"), "A partner token is bound to a channel or a location.")
        )
    if kind is TokenKind.STOREFRONT and cmd.channel is None:
        errors.append(invalid((*base, "channel"), "A storefront token is bound to a channel."))
    if kind in (TokenKind.STOREFRONT, TokenKind.CUSTOMER) and cmd.location is not None:
        errors.append(invalid((*base, "location"), f"A {kind.value} token has no location."))
    if kind is TokenKind.CUSTOMER:
        if cmd.customer is None:
            errors.append(
                invalid((*base, "customer"), "A customer token is bound to one shopper's e-mail.")
            )
        else:
            errors.extend(email_errors(cmd.customer, (*base, "customer")))
    elif cmd.customer is not None:
        errors.append(invalid((*base, "customer"), "Only a customer token names a customer."))
    return errors


def escalation_errors(
    minter: Actor, cmd: CreateToken, base: tuple[str, ...] = ("input",)
) -> list[FieldError]:
    """A token mints only tokens holding a subset of its scopes, bound the same or narrower.

    A channel-bound minter may bind the new token to its channel only; a location-bound
    one to its location only; a customer-bound one to its shopper only; an unbound minter
    (or the system) may bind as it likes.
    """
    errors = [
        forbidden(
            (*base, "scopes", str(i)), f"This token does not hold {scope}, so it cannot grant it."
        )
        for i, scope in enumerate(cmd.scopes)
        if scope in SCOPES and not minter.holds(scope)
    ]
    if minter.channel is not None and (cmd.channel != minter.channel or cmd.location is not None):
        errors.append(
            forbidden(
                (*base, "channel"),
                f"A token bound to channel {minter.channel!r} mints "
                "tokens bound to that channel only.",
            )
        )
    if minter.location is not None and (cmd.location != minter.location or cmd.channel is not None):
        errors.append(
            forbidden(
                (*base, "location"),
                f"A token bound to location {minter.location!r} "
                "mints tokens bound to that location only.",
            )
        )
    if minter.customer is not None and cmd.customer_email != minter.customer:
        errors.append(
            forbidden(
                (*base, "customer"),
                "A customer token mints tokens bound to its own shopper only.",
            )
        )
    return errors


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """Secrets are 256-bit random, so a fast unsalted digest is safe and allows lookup by hash."""
    return hashlib.sha256(secret.encode()).hexdigest()


def may_revoke(actor: Actor, token: ApiToken) -> bool:
    """A token may revoke itself, and any token it could have minted (the minting rule:
    no scope it lacks, bound the same or more narrowly). The system may revoke any."""
    if actor.token_id is not None and actor.token_id == token.id:
        return True
    as_minted = CreateToken(
        token.name, token.kind.value, tuple(sorted(token.scopes)), token.channel, token.location
    )
    return not escalation_errors(actor, as_minted)
