from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse

from integration.models import Cms, CmsModule, ModuleRelease
from integration.services import kit_archive, publish_php_kit
from merchants.models import Membership
from tests.factories import MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def kit() -> ModuleRelease:
    return publish_php_kit()


def test_empty_catalog_reads_well(owner_client):
    response = owner_client.get(reverse("integration:index"))
    assert response.status_code == 200
    assert "No modules here yet" in response.content.decode()


def test_catalog_lists_the_shipped_php_kit(owner_client, kit):
    body = owner_client.get(reverse("integration:index")).content.decode()
    assert "Inecopay PHP kit" in body
    assert reverse("integration:module", args=["inecopay-php"]) in body


def test_publishing_the_kit_twice_changes_nothing(kit):
    again = publish_php_kit()
    assert again.pk == kit.pk
    assert ModuleRelease.objects.count() == 1


def test_download_gives_the_stored_bytes_and_counts(owner_client, kit):
    url = reverse("integration:download", args=["inecopay-php", "1.0.0"])
    response = owner_client.get(url)
    assert response.status_code == 200
    assert "inecopay-php-1.0.0.zip" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    with default_storage.open(kit.package.name, "rb") as stored:
        assert body == stored.read()
    assert body == kit_archive("inecopay-php")
    names = zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert "inecopay-php/src/Inecopay/Webhook.php" in names
    kit.refresh_from_db()
    assert kit.downloads == 1


def test_kit_archive_is_reproducible():
    assert kit_archive("inecopay-php") == kit_archive("inecopay-php")


def test_older_version_can_be_downloaded(owner_client, kit):
    module = kit.module
    old = ModuleRelease(module=module, version="0.9.0", package_name="old.zip")
    old.package.save("old.zip", ContentFile(b"PK-old"), save=False)
    old.released_at = kit.released_at.replace(year=kit.released_at.year - 1)
    old.save()
    page = owner_client.get(reverse("integration:module", args=[module.slug])).content.decode()
    assert "Earlier versions" in page
    response = owner_client.get(reverse("integration:download", args=[module.slug, "0.9.0"]))
    assert b"".join(response.streaming_content) == b"PK-old"


def test_release_without_a_file_says_so_and_cannot_be_downloaded(owner_client):
    module = CmsModule.objects.create(cms=Cms.TILDA, name="Tilda module", slug="tilda")
    ModuleRelease.objects.create(module=module, version="0.1.0", instructions="Soon.")
    page = owner_client.get(reverse("integration:module", args=["tilda"])).content.decode()
    assert "not available yet" in page
    url = reverse("integration:download", args=["tilda", "0.1.0"])
    assert owner_client.get(url).status_code == 404


def test_instructions_markdown_is_rendered_and_sanitized(owner_client):
    module = CmsModule.objects.create(cms=Cms.OPENCART, name="OpenCart", slug="opencart")
    ModuleRelease.objects.create(
        module=module,
        version="2.0.0",
        instructions="## Setup\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) **bold**",
    )
    page = owner_client.get(reverse("integration:module", args=["opencart"])).content.decode()
    assert "<h2>Setup</h2>" in page
    assert "<strong>bold</strong>" in page
    assert "<script>alert(1)</script>" not in page
    assert "javascript:" not in page


def test_catalog_filters_by_cms(owner_client, kit):
    CmsModule.objects.create(cms=Cms.TILDA, name="Tilda module", slug="tilda")
    body = owner_client.get(reverse("integration:index") + "?cms=tilda").content.decode()
    assert "Tilda module" in body
    assert "Inecopay PHP kit" not in body


def test_unpublished_module_is_not_found(owner_client):
    CmsModule.objects.create(cms=Cms.TILDA, name="Hidden", slug="hidden", is_published=False)
    assert owner_client.get(reverse("integration:module", args=["hidden"])).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, kit):
    for url in (
        reverse("integration:index"),
        reverse("integration:module", args=["inecopay-php"]),
        reverse("integration:download", args=["inecopay-php", "1.0.0"]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("role", [r.value for r in Membership.Role])
def test_every_role_may_browse_the_catalog(role, kit):
    from django.test import Client

    client = Client()
    client.force_login(MembershipFactory(role=role).user)
    assert client.get(reverse("integration:index")).status_code == 200


PHP_CHECK = r"""
require $argv[1];
$payload = $argv[2];
$secrets = explode(',', $argv[4]);
echo Inecopay\Webhook::verify($payload, $argv[3], $secrets, 300, (int) $argv[5]) ? "valid" : "invalid";
"""


def _php(*args: str) -> str:
    php = shutil.which("php")
    if php is None:
        if os.environ.get("REQUIRE_PHP"):
            pytest.fail("REQUIRE_PHP is set but php is not installed")
        pytest.skip("php is not installed (apt install php-cli)")
    from integration.services import KITS_DIR

    webhook = str(KITS_DIR / "inecopay-php" / "src" / "Inecopay" / "Webhook.php")
    result = subprocess.run(
        [php, "-r", PHP_CHECK, "--", webhook, *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _sign(payload: str, secret: str, timestamp: int) -> str:
    import hashlib
    import hmac

    digest = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return digest.hexdigest()


def test_php_kit_accepts_a_signature_made_by_the_documented_scheme():
    payload = '{"id":"evt_1","type":"payment.succeeded","data":{"amount":1500000}}'
    t = 1_800_000_000
    header = f"t={t},v1={_sign(payload, 'whsec_new', t)},v1={_sign(payload, 'whsec_old', t)}"
    assert _php(payload, header, "whsec_old", str(t + 10)) == "valid"
    assert _php(payload, header, "whsec_new", str(t + 10)) == "valid"


@pytest.mark.parametrize("case", ["tampered body", "wrong secret", "too old", "no v1", "garbage"])
def test_php_kit_refuses_bad_signatures(case):
    payload = '{"id":"evt_1"}'
    t = 1_800_000_000
    good = f"t={t},v1={_sign(payload, 'whsec_a', t)}"
    args = {
        "tampered body": (payload + " ", good, "whsec_a", str(t)),
        "wrong secret": (payload, good, "whsec_b", str(t)),
        "too old": (payload, good, "whsec_a", str(t + 301)),
        "no v1": (payload, f"t={t}", "whsec_a", str(t)),
        "garbage": (payload, "nonsense", "whsec_a", str(t)),
    }[case]
    assert _php(*args) == "invalid"
