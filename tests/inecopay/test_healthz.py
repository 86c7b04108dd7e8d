from __future__ import annotations

import pytest

from inecopay.celery import app

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(monkeypatch):
    # broker_write_url defaults to broker_url, so it is patched first to keep its own value.
    monkeypatch.setattr(app.conf, "broker_write_url", DEAD_BROKER)
    monkeypatch.setattr(app.conf, "broker_url", DEAD_BROKER)
    _drop_pools()
    yield
    _drop_pools()


def _drop_pools() -> None:
    """Close the app's broker pools and forget them, so the next use opens new ones on the
    URL then configured (a closed pool kept would refuse every later publish)."""
    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


def test_healthz_reports_database_and_broker_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.json()
    assert data["db"] == "ok"
    assert data["broker"] == "ok"


def test_healthz_says_broker_is_down_with_503(client, broker_down):
    response = client.get("/healthz")
    assert response.status_code == 503
    data = response.json()
    assert data["db"] == "ok"
    assert data["broker"].startswith("down")


def test_pages_render_while_broker_is_down(client, broker_down):
    assert client.get("/").status_code == 200
    assert client.get("/accounts/signup/").status_code == 200


def test_healthz_is_not_redirected_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz")
    assert response.status_code == 200, response.content
    assert client.get("/").status_code == 301
