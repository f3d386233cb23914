"""Use-case handlers against in-memory fakes: the rules, and that failures never commit."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from domain.catalog.handlers import create_category, create_channel, create_product
from domain.catalog.model import (
    ComponentSpec,
    CreateCategory,
    CreateChannel,
    CreateProduct,
    PriceSpec,
    VariantSpec,
)
from domain.errors import DomainError, ErrorCode
from domain.locations.handlers import create_location
from domain.locations.model import CreateLocation, LocationKind
from domain.tokens.handlers import create_token
from domain.tokens.model import CreateToken, hash_secret
from tests.unit.handlers.fakes.uow import FakeUnitOfWork


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def codes(error: pytest.ExceptionInfo[DomainError]) -> list[tuple[tuple[str, ...], ErrorCode]]:
    return [(e.field, e.code) for e in error.value.errors]


def test_a_channel_starts_with_an_empty_view_and_its_code_is_unique() -> None:
    uow = FakeUnitOfWork()
    channel = run(create_channel(CreateChannel("web", "Web", "EUR"), uow))
    assert uow.channel_atp.by_channel[channel.id].location_ids == ()
    assert uow.commits == 1
    with pytest.raises(DomainError) as error:
        run(create_channel(CreateChannel("web", "Again", "EUR"), uow))
    assert codes(error) == [(("input", "code"), ErrorCode.DUPLICATE)]
    assert uow.commits == 1


def test_product_with_unknown_references_is_refused_without_commit() -> None:
    uow = FakeUnitOfWork()
    cmd = CreateProduct(
        handle="tee",
        title="Tee",
        category="nope",
        variants=(
            VariantSpec("TEE-1", "S", prices=(PriceSpec("web", Decimal("5")),)),
            VariantSpec("KIT-1", "Kit", kit_components=(ComponentSpec("GONE", 1),)),
        ),
    )
    with pytest.raises(DomainError) as error:
        run(create_product(cmd, uow))
    assert codes(error) == [
        (("input", "category"), ErrorCode.NOT_FOUND),
        (("input", "variants", "0", "prices", "0", "channel"), ErrorCode.NOT_FOUND),
        (("input", "variants", "1", "kitComponents", "0", "sku"), ErrorCode.NOT_FOUND),
    ]
    assert uow.commits == 0
    assert uow.catalog.products == {}


def test_a_kit_may_use_a_variant_of_the_same_product() -> None:
    uow = FakeUnitOfWork()
    run(create_channel(CreateChannel("web", "Web", "USD"), uow))
    run(create_category(CreateCategory("tops", "Tops"), uow))
    cmd = CreateProduct(
        handle="set",
        title="Set",
        category="tops",
        variants=(
            VariantSpec("PART", "Part", prices=(PriceSpec("web", Decimal("3")),)),
            VariantSpec("SET", "Set", kit_components=(ComponentSpec("PART", 2),)),
        ),
    )
    run(create_product(cmd, uow))
    assert uow.catalog.variants["SET"].is_kit
    assert uow.commits == 3


def test_location_codes_are_unique() -> None:
    uow = FakeUnitOfWork()
    cmd = CreateLocation("nyc-1", "NYC", LocationKind.STORE, can_ship=False, can_pickup=True)
    run(create_location(cmd, uow))
    with pytest.raises(DomainError) as error:
        run(create_location(cmd, uow))
    assert codes(error) == [(("input", "code"), ErrorCode.DUPLICATE)]


def test_token_secret_is_returned_once_and_only_its_hash_is_stored() -> None:
    uow = FakeUnitOfWork()
    token, secret = run(create_token(CreateToken("ops", "admin", ("catalog:read",)), uow))
    assert secret.startswith("orc_")
    assert uow.tokens.hashes == [hash_secret(secret)]
    assert secret not in uow.tokens.hashes
    assert token.scopes == frozenset({"catalog:read"})


def test_bound_token_needs_a_known_channel() -> None:
    uow = FakeUnitOfWork()
    with pytest.raises(DomainError) as error:
        run(create_token(CreateToken("shop", "storefront", ("catalog:read",), channel="nope"), uow))
    assert codes(error) == [(("input", "channel"), ErrorCode.NOT_FOUND)]
    assert uow.tokens.hashes == []
