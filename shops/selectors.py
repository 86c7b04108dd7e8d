"""Reads of shops, scoped to the member who asks."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from merchants.models import Membership

from .models import ApiKey, Shop


def shops_for_member(membership: Membership):
    return Shop.objects.for_merchant(membership.merchant).order_by("name", "pk")


def get_shop_for_member(membership: Membership, pk: int) -> Shop:
    """The member's merchant's shop, or 404: another merchant's shop is not found."""
    return get_object_or_404(
        Shop.objects.select_related("merchant"), pk=pk, merchant=membership.merchant_id
    )


def get_key_for_member(membership: Membership, shop: Shop, pk: int) -> ApiKey:
    return get_object_or_404(ApiKey, pk=pk, shop=shop, shop__merchant=membership.merchant_id)
