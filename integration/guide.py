"""The code examples of a shop's integration guide, filled in with the shop's own values.

A secret key is never shown here in full: after its one showing only its masked form
exists, so the examples name where it goes.
"""

from __future__ import annotations

import json
import pprint
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.translation import gettext as _

from shops.models import Shop


@dataclass(frozen=True)
class Example:
    key: str
    title: str
    language: str
    code: str


def _api_base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/api/v1").rstrip("/")


def guide_examples(*, shop: Shop, request: HttpRequest) -> list[Example]:
    api = _api_base(request)
    body = {
        "amount": 1500000,
        "currency": str(shop.default_currency),
        "order_id": "order-1001",
        "description": str(_("Order 1001")),
        "payment_methods": [str(method) for method in shop.payment_methods],
        "expires_in": shop.invoice_lifetime,
        "delivery": {"enabled": shop.delivery_enabled},
    }
    curl = (
        f"curl {api}/payments \\\n"
        f'  -H "Authorization: Bearer $INECOPAY_SECRET_KEY" \\\n'
        f'  -H "Content-Type: application/json" \\\n'
        f'  -H "Idempotency-Key: order-1001" \\\n'
        f"  -d '{json.dumps(body, ensure_ascii=False)}'"
    )
    python = (
        "import os\n\nimport requests\n\n"
        f"payment = {pprint.pformat(body, sort_dicts=False, width=72)}\n"
        "response = requests.post(\n"
        f'    "{api}/payments",\n'
        "    headers={\n"
        '        "Authorization": f"Bearer {os.environ[\'INECOPAY_SECRET_KEY\']}",\n'
        '        "Idempotency-Key": payment["order_id"],\n'
        "    },\n"
        "    json=payment,\n"
        "    timeout=10,\n)\n"
        "response.raise_for_status()\n"
        'print(response.json()["payment_url"])  # send the buyer here\n'
    )
    php = (
        "<?php\n"
        "require 'inecopay-php/src/Inecopay/Client.php';\n\n"
        f"$client = new Inecopay\\Client(getenv('INECOPAY_SECRET_KEY'), '{api}');\n"
        "$payment = $client->createPayment([\n"
        f"    'amount' => {body['amount']},\n"
        f"    'currency' => '{shop.default_currency}',\n"
        "    'order_id' => 'order-1001',\n"
        "], 'order-1001');\n"
        "header('Location: ' . $payment['payment_url']);\n"
    )
    verify_python = (
        "import hashlib\nimport hmac\nimport time\n\n\n"
        "def verify(raw_body: bytes, header: str, secret: str, tolerance: int = 300) -> bool:\n"
        '    """Check Inecopay-Signature: t=<unix time>,v1=<hex HMAC-SHA256>."""\n'
        '    parts = [item.split("=", 1) for item in header.split(",") if "=" in item]\n'
        '    timestamp = next((value for name, value in parts if name == "t"), "")\n'
        '    signatures = [value for name, value in parts if name == "v1"]\n'
        "    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:\n"
        "        return False\n"
        '    signed = timestamp.encode() + b"." + raw_body\n'
        "    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()\n"
        "    return any(hmac.compare_digest(expected, value) for value in signatures)\n"
    )
    verify_php = (
        "<?php\n"
        "require 'inecopay-php/src/Inecopay/Webhook.php';\n\n"
        "$payload = file_get_contents('php://input');\n"
        "$header = $_SERVER['HTTP_INECOPAY_SIGNATURE'] ?? '';\n"
        "if (!Inecopay\\Webhook::verify($payload, $header, getenv('INECOPAY_WEBHOOK_SECRET'))) {\n"
        "    http_response_code(400);\n    exit;\n}\n"
        "$event = json_decode($payload, true);\n"
        "// $event['type'] is e.g. payment.succeeded; $event['data'] is the payment.\n"
        "http_response_code(200);\n"
    )
    return [
        Example("curl", _("Create a payment with curl"), "bash", curl),
        Example("python", _("Create a payment in Python"), "python", python),
        Example("php", _("Create a payment in PHP"), "php", php),
        Example("verify-python", _("Verify a webhook in Python"), "python", verify_python),
        Example("verify-php", _("Verify a webhook in PHP"), "php", verify_php),
    ]
