"""Personas and helpers shared by the whole suite.

Every test speaks as one of: the owner of a merchant account, a member of the same
team, an outsider who owns another merchant, staff, or an anonymous visitor.
"""

from __future__ import annotations

import pytest
from django.test import Client

from merchants.models import Membership

from .factories import MembershipFactory, UserFactory


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    """Each test gets its own dev outbox and uploads folders: nothing leaks between tests,
    and nothing lands in the developer's var/."""
    settings.OUTBOX_DIR = tmp_path / "outbox"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _isolated_cache(settings, request):
    """A private in-memory cache per test: rate limits never leak between tests, and
    clearing it never touches a shared Redis database or a running dev server's cache."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": request.node.nodeid,
        }
    }


@pytest.fixture
def owner_membership(db) -> Membership:
    return MembershipFactory(role=Membership.Role.OWNER)


@pytest.fixture
def owner(owner_membership):
    return owner_membership.user


@pytest.fixture
def merchant(owner_membership):
    return owner_membership.merchant


@pytest.fixture
def member(merchant):
    return MembershipFactory(merchant=merchant, role=Membership.Role.ACCOUNTANT).user


@pytest.fixture
def outsider(db):
    return MembershipFactory(role=Membership.Role.OWNER).user


@pytest.fixture
def staff(db):
    return UserFactory(is_staff=True, is_superuser=True)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(owner) -> Client:
    return _client_for(owner)


@pytest.fixture
def outsider_client(outsider) -> Client:
    return _client_for(outsider)


@pytest.fixture
def staff_client(staff) -> Client:
    return _client_for(staff)


@pytest.fixture
def outbox_backend(settings):
    """Send mail through the dev outbox backend instead of Django's test locmem backend."""
    settings.EMAIL_BACKEND = "inecopay.lib.outbox.OutboxEmailBackend"


@pytest.fixture(scope="session", autouse=True)
def _collected_static():
    """Pages are rendered as in production: hashed, compressed static files from a manifest."""
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture
def english(settings):
    """Pages and messages in English, for tests that read English wording."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
