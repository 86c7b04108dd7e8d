"""The merchant sections in the header, in the seed guide's order.

A section appears once its app provides the page (its URL name resolves), so the
menu never links to a page that does not exist yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from merchants.roles import Perm, role_has


@dataclass(frozen=True)
class Section:
    key: str
    label: str | Promise
    url_name: str
    # Where the section's pages live, when that is wider than its first page.
    prefixes: tuple[str, ...] = ()
    # Hidden from roles that would only get a 403 there.
    perm: Perm | None = None


SECTIONS = (
    Section("dashboard", _("Dashboard"), "dashboard"),
    Section("shops", _("Shops"), "shops:list", perm=Perm.VIEW_SHOPS),
    Section("integration", _("Integration"), "integration:index", perm=Perm.VIEW_SHOPS),
    Section("documents", _("Documents"), "documents:list", perm=Perm.MANAGE_ACCOUNT),
    Section("transactions", _("Transactions"), "transactions:list", perm=Perm.VIEW_PAYMENTS),
    Section("reports", _("Reports"), "reports:index", perm=Perm.VIEW_REPORTS),
    Section(
        "reconciliation",
        _("Reconciliation"),
        "settlements:index",
        perm=Perm.VIEW_RECONCILIATION,
    ),
    # allauth's pages, the team and personal preferences share the settings side menu.
    Section(
        "settings",
        _("Settings"),
        "account_email",
        prefixes=("/accounts/", "/team/", "/settings/"),
    ),
)


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str | Promise
    url: str
    active: bool


def navigation_for(request: HttpRequest, membership) -> list[NavItem]:
    if membership is None:
        return []
    items = []
    for section in SECTIONS:
        if section.perm is not None and not role_has(membership.role, section.perm):
            continue
        try:
            url = reverse(section.url_name)
        except NoReverseMatch:
            continue
        if section.key == "dashboard":
            active = request.path == url
        else:
            active = request.path.startswith(section.prefixes or (url,))
        items.append(NavItem(section.key, section.label, url, active))
    return items
