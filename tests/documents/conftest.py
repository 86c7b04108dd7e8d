from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from documents.models import DocumentType
from merchants.models import Membership
from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def merchant(owner_membership):
    """The owner's company is an LLC, so the five company documents are asked of it."""
    merchant = owner_membership.merchant
    merchant.legal_form = "llc"
    merchant.save(update_fields=["legal_form"])
    return merchant


@pytest.fixture
def charter(db) -> DocumentType:
    return DocumentType.objects.get(code="charter")


@pytest.fixture
def passport(db) -> DocumentType:
    return DocumentType.objects.get(code="identity_document")


@pytest.fixture
def reviewer(db):
    """Staff with the document reviewer permission, and nothing more."""
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="review_document"))
    return user


@pytest.fixture
def plain_staff(db):
    """Staff without the document reviewer permission."""
    return UserFactory(is_staff=True)


@pytest.fixture
def admin_member(merchant):
    return MembershipFactory(merchant=merchant, role=Membership.Role.ADMIN).user


@pytest.fixture
def developer(merchant):
    return MembershipFactory(merchant=merchant, role=Membership.Role.DEVELOPER).user
