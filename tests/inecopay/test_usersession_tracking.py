"""Session tracking is written at most once a minute per session, and at once when the
address or browser changes."""

from __future__ import annotations

import pytest
from allauth.usersessions.models import UserSession
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def _writes(queries) -> int:
    return sum(q["sql"].startswith('UPDATE "usersessions') for q in queries.captured_queries)


def test_pages_write_the_session_once_a_minute(owner_client):
    cache.clear()
    owner_client.get("/dashboard/")
    session = UserSession.objects.get()
    with CaptureQueriesContext(connection) as queries:
        owner_client.get("/dashboard/")
        owner_client.get("/dashboard/")
    assert _writes(queries) == 0

    with CaptureQueriesContext(connection) as queries:
        owner_client.get("/dashboard/", HTTP_USER_AGENT="Another browser")
    assert _writes(queries) == 1
    session.refresh_from_db()
    assert session.user_agent == "Another browser"

    cache.clear()  # as when the minute has passed
    with CaptureQueriesContext(connection) as queries:
        owner_client.get("/dashboard/", HTTP_USER_AGENT="Another browser")
    assert _writes(queries) == 1
