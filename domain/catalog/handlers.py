"""Catalog use cases."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.catalog.model import (
    CatalogRefs,
    Category,
    Channel,
    CreateCategory,
    CreateChannel,
    CreateProduct,
    Product,
    validate_category,
    validate_channel,
    validate_product_refs,
    validate_product_shape,
)
from domain.errors import DomainError, duplicate, not_found
from domain.inventory.model import InventoryView
from domain.ports import UnitOfWork


async def create_product(cmd: CreateProduct, uow: UnitOfWork) -> Product:
    """Create a product with variants, channel prices and kit definitions, all or nothing."""
    errors = validate_product_shape(cmd)
    if errors:
        raise DomainError(errors)
    async with uow:
        skus = {v.sku for v in cmd.variants}
        component_skus = {c.sku for v in cmd.variants for c in v.kit_components}
        channel_codes = {p.channel for v in cmd.variants for p in v.prices}
        existing = await uow.catalog.variants_by_sku(skus | component_skus)
        channels = await uow.catalog.channels_by_code(channel_codes)
        category = await uow.catalog.category_by_code(cmd.category) if cmd.category else None
        refs = CatalogRefs(
            handle_taken=await uow.catalog.handle_exists(cmd.handle),
            taken_skus={s for s in skus if s in existing},
            channel_codes=set(channels),
            category_exists=category is not None,
            existing_component_skus={s for s in component_skus if s in existing},
        )
        errors = validate_product_refs(cmd, refs)
        if errors:
            raise DomainError(errors)
        product = await uow.catalog.add_product(
            cmd,
            category.id if category else None,
            {code: channel.id for code, channel in channels.items()},
            {sku: variant.id for sku, variant in existing.items()},
        )
        await uow.commit()
    return product


async def create_channel(cmd: CreateChannel, uow: UnitOfWork) -> Channel:
    """Open a sales channel. It starts with an empty inventory view."""
    errors = validate_channel(cmd)
    if errors:
        raise DomainError(errors)
    async with uow:
        if await uow.catalog.channels_by_code([cmd.code]):
            raise DomainError([duplicate(("input", "code"), f"Channel {cmd.code!r} exists.")])
        channel = await uow.catalog.add_channel(cmd)
        empty_view = InventoryView(id=0, channel_id=channel.id, code=cmd.code, location_ids=())
        await uow.channel_atp.upsert_view(empty_view, datetime.now(UTC))
        await uow.commit()
    return channel


async def create_category(cmd: CreateCategory, uow: UnitOfWork) -> Category:
    errors = validate_category(cmd)
    if errors:
        raise DomainError(errors)
    async with uow:
        if await uow.catalog.category_by_code(cmd.code):
            raise DomainError([duplicate(("input", "code"), f"Category {cmd.code!r} exists.")])
        parent_id = None
        if cmd.parent is not None:
            parent = await uow.catalog.category_by_code(cmd.parent)
            if parent is None:
                raise DomainError([not_found(("input", "parent"), "Unknown parent category.")])
            parent_id = parent.id
        category = await uow.catalog.add_category(cmd, parent_id)
        await uow.commit()
    return category
