"""The API describes itself: an OpenAPI 3 document, a reference page rendered from it, and
a schema-driven fuzz run of the API against that document."""

from __future__ import annotations

import re
from unittest import mock

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from payments.api import api as ninja_api
from transactions.models import MAX_AMOUNT

pytestmark = pytest.mark.django_db

OPENAPI_URL = "/api/v1/openapi.json"


def test_openapi_document_describes_every_endpoint_and_error(client):
    response = client.get(OPENAPI_URL)
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    operations = {
        (method, path): operation
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    }
    assert set(operations) == {
        ("post", "/api/v1/payments"),
        ("get", "/api/v1/payments"),
        ("get", "/api/v1/payments/{payment_id}"),
        ("post", "/api/v1/payments/{payment_id}/cancel"),
        ("post", "/api/v1/payments/{payment_id}/refunds"),
        ("post", "/api/v1/test/payments/{payment_id}/simulate"),
    }
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    for (method, _path), operation in operations.items():
        expected = {"400", "401", "403", "404", "429"} | ({"409"} if method == "post" else set())
        responses = {str(status): body for status, body in operation["responses"].items()}
        assert expected <= set(responses)
        for status in expected:
            assert responses[status]["content"]["application/json"]["schema"] == error_ref
        assert "Retry-After" in responses["429"]["headers"]
        assert operation["security"] == [{"SecretKeyAuth": []}]
        if method == "post":
            names = [p["name"] for p in operation["parameters"]]
            assert "Idempotency-Key" in names
    schemas = document["components"]["schemas"]
    assert set(schemas["ErrorBody"]["required"]) == {"type", "code", "message", "param"}
    amount = schemas["PaymentCreate"]["properties"]["amount"]
    assert amount["maximum"] == max(MAX_AMOUNT.values())
    for currency, cap in MAX_AMOUNT.items():
        assert f"{currency} {cap}" in amount["description"]
    assert document["components"]["securitySchemes"]["SecretKeyAuth"]["scheme"] == "bearer"


def test_ninjas_cdn_docs_page_is_off(client):
    assert client.get("/api/v1/docs").status_code == 404


def test_reference_page_renders_the_document_without_cdn_or_inline_code(client, english):
    response = client.get("/integration/api/")
    assert response.status_code == 200
    html = response.content.decode()
    for summary in (
        "Create a payment",
        "Retrieve a payment",
        "List payments",
        "Cancel a payment",
        "Refund a payment",
        "Simulate a buyer (test keys only)",
    ):
        assert summary in html
    for name in ("PaymentCreate", "PaymentOut", "ErrorOut", "RefundCreate", "Retry-After"):
        assert name in html
    assert 'href="/api/v1/openapi.json"' in html
    assert "default-src 'self'" in response["Content-Security-Policy"]
    # Only the portal's own assets: no CDN, no inline scripts or styles.
    assert not re.search(r'(src|href)="https?://(?!testserver)', html)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "<style" not in html and " style=" not in html


# ---------------------------------------------------------------------------
# Schema-driven fuzzing
# ---------------------------------------------------------------------------
class _App(WSGIHandler):
    """Django's WSGI app as the test client runs it: the request signals must not close
    the test's database connection in the middle of its transaction."""

    def __call__(self, environ, start_response):
        request_started.disconnect(close_old_connections)
        request_finished.disconnect(close_old_connections)
        try:
            return super().__call__(environ, start_response)
        finally:
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_dict(ninja_api.get_openapi_schema(path_prefix="/api/v1"))


@pytest.fixture
def fuzz_key(test_key, shop, settings):
    settings.ALLOWED_HOSTS = ["*"]
    settings.API_RATE_LIMIT = (1_000_000, 1)
    return test_key


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_openapi_document(case, fuzz_key):
    case.call_and_validate(
        app=_App(),
        headers={"Authorization": f"Bearer {fuzz_key}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
        ],
    )


def test_reference_page_renders_descriptions_with_code_spans_and_no_raw_markdown(client):
    html = client.get("/integration/api/").content.decode()
    # The overview: paragraphs and code spans, angle brackets escaped, no backticks.
    assert "<code>Authorization: Bearer &lt;secret key&gt;</code>" in html
    assert "<code>Idempotency-Key</code>" in html
    assert "`" not in html
    # Operation docstrings, field descriptions and enum values are rendered too.
    assert "<code>payment_url</code>" in html
    assert "<code>&quot;succeeded&quot;</code>" in html


def test_reference_markup_escapes_everything_but_paragraphs_and_code():
    from payments.reference import render_markup

    html = render_markup("Send `<b>` tags?\nNo <script>alert(1)</script>.\n\nSecond `a & b`.")
    assert html == (
        "<p>Send <code>&lt;b&gt;</code> tags? No &lt;script&gt;alert(1)&lt;/script&gt;.</p>"
        "<p>Second <code>a &amp; b</code>.</p>"
    )
    assert render_markup("one\n\ntwo `x`", inline=True) == "one two <code>x</code>"
    assert render_markup("an ` unclosed tick") == "<p>an ` unclosed tick</p>"


def test_reference_pages_own_words_follow_the_language(client):
    from django.utils import translation

    from payments import reference

    seen = []
    real = reference._

    def spy(message: str) -> str:
        seen.append((translation.get_language(), message))
        return real(message)

    with mock.patch.object(reference, "_", spy):
        client.get("/integration/api/")
    assert ("ru", "at most {} characters") in seen
    assert ("ru", "array of ") in seen
