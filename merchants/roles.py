"""What each team role may do. Every view names the permission it needs."""

from __future__ import annotations

from enum import StrEnum


class Perm(StrEnum):
    MANAGE_ACCOUNT = "manage_account"  # activation wizard, company data, tariffs, documents
    MANAGE_TEAM = "manage_team"  # invite, change roles, remove members
    MANAGE_SHOPS = "manage_shops"  # add shops, Section 1, open and close
    MANAGE_INTEGRATION = "manage_integration"  # API keys, webhooks, integration settings
    VIEW_SHOPS = "view_shops"
    VIEW_PAYMENTS = "view_payments"
    REFUND = "refund"
    VIEW_REPORTS = "view_reports"
    MANAGE_SUBSCRIPTIONS = "manage_subscriptions"
    VIEW_RECONCILIATION = "view_reconciliation"


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    "owner": frozenset(Perm),
    "admin": frozenset(Perm),
    "accountant": frozenset(
        {
            Perm.VIEW_SHOPS,
            Perm.VIEW_PAYMENTS,
            Perm.VIEW_REPORTS,
            Perm.MANAGE_SUBSCRIPTIONS,
            Perm.VIEW_RECONCILIATION,
        }
    ),
    "developer": frozenset({Perm.VIEW_SHOPS, Perm.MANAGE_INTEGRATION, Perm.VIEW_PAYMENTS}),
}


def role_has(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
