"""Demo data for `make run`: created idempotently, so a second run changes nothing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import timedelta
from io import BytesIO

from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from documents.models import Document, DocumentType
from documents.services import document_approve, document_upload
from integration.services import publish_php_kit
from merchants.models import (
    ContactConfirmation,
    LegalForm,
    Membership,
    Merchant,
    Tariff,
    TariffAcceptance,
    User,
)
from reports.totals import report_totals_rebuild
from settlements.backfill import ledger_backfill, settle_history
from shops.models import Shop, ShopChange
from shops.services import (
    shop_confirm,
    shop_create,
    shop_set_open,
    shop_submit,
    shop_update_section1,
)
from transactions.models import Payment

from .demo_payments import history_create

DEMO_SHOP = "Demo Shop"
DEMO_SECTION1 = {
    "website": "https://shop.demo.inecopay.am",
    "mcc": "5942",
    "description": "Books and stationery with delivery across Armenia.",
    "display_name": "Demo Shop",
    "support_email": "support@demo.inecopay.am",
    "support_phone": "+37410123456",
    "success_url": "https://shop.demo.inecopay.am/payment/success",
    "fail_url": "https://shop.demo.inecopay.am/payment/fail",
}

LIVE_SHOP = "Demo Books"
LIVE_SECTION1 = {
    **DEMO_SECTION1,
    "website": "https://books.demo.inecopay.am",
    "display_name": "Demo Books",
    "success_url": "https://books.demo.inecopay.am/payment/success",
    "fail_url": "https://books.demo.inecopay.am/payment/fail",
}
# The live shop's history: settled payments over the last 90 days, and a few still open.
LIVE_PAYMENTS = 2400
LIVE_DAYS = 90
LIVE_OPEN = 4
TEST_PAYMENTS = 60
TEST_DAYS = 14

DEMO_PASSWORD = "demo-inecopay-2026"
MERCHANT_EMAIL = "merchant@demo.inecopay.am"
STAFF_EMAIL = "staff@demo.inecopay.am"
# The wizard names the account after its legal name (merchant_update_company).
MERCHANT_NAME = "«Demo Shop» LLC"
# One colleague per role besides the owner; all share the demo password.
TEAM = {
    Membership.Role.ADMIN: "admin@demo.inecopay.am",
    Membership.Role.ACCOUNTANT: "accountant@demo.inecopay.am",
    Membership.Role.DEVELOPER: "developer@demo.inecopay.am",
}
COMPANY = {
    "name": MERCHANT_NAME,
    "legal_form": LegalForm.LLC,
    "legal_name": MERCHANT_NAME,
    "tax_id": "01234567",
    "registration_number": "264.110.1234567",
    "legal_address": "Armenia, Yerevan 0010, Abovyan St. 1",
    "actual_address": "Armenia, Yerevan 0010, Abovyan St. 1, office 5",
    "country": "AM",
    "director_name": "Armen Petrosyan",
    "website": "https://shop.demo.inecopay.am",
    "phone": "+37410123456",
    "time_zone": "Asia/Yerevan",
}


@dataclass
class DemoLogins:
    merchant_email: str
    merchant_password: str
    staff_email: str
    staff_password: str
    # role -> email of the colleagues in the demo merchant's team (same password)
    team: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def _user(email: str, *, staff: bool) -> User:
    user, created = User.objects.get_or_create(
        email=email, defaults={"is_staff": staff, "is_superuser": staff}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def _merchant(owner: User) -> Merchant:
    merchant = Merchant.objects.filter(
        memberships__user=owner, memberships__role=Membership.Role.OWNER
    ).first()
    if merchant is None:
        merchant = Merchant.objects.create(name=MERCHANT_NAME)
        Membership.objects.create(merchant=merchant, user=owner, role=Membership.Role.OWNER)
    # Bring an older demo merchant up to the complete, activated profile.
    changed = [name for name, value in COMPANY.items() if getattr(merchant, name) != value]
    for name in changed:
        setattr(merchant, name, COMPANY[name])
    now = timezone.now()
    for name in ("website_confirmed_at", "phone_confirmed_at", "activated_at"):
        if getattr(merchant, name) is None:
            setattr(merchant, name, now)
            changed.append(name)
    if not merchant.website_token:
        merchant.website_token = "demo-website-token"
        changed.append("website_token")
    if merchant.state != Merchant.State.ACTIVATED:
        merchant.state = Merchant.State.ACTIVATED
        changed.append("state")
    if changed:
        merchant.save(update_fields=changed)
    return merchant


def _confirmations(merchant: Merchant, owner: User) -> None:
    """The records the wizard would have written, once each."""
    for kind, value, method in (
        (ContactConfirmation.Kind.EMAIL, owner.email, ContactConfirmation.Method.EMAIL_LINK),
        (ContactConfirmation.Kind.PHONE, merchant.phone, ContactConfirmation.Method.SMS_CODE),
        (ContactConfirmation.Kind.WEBSITE, merchant.website, ContactConfirmation.Method.META_TAG),
    ):
        if not merchant.contact_confirmations.filter(kind=kind, value=value).exists():
            ContactConfirmation.objects.create(
                merchant=merchant, kind=kind, value=value, method=method, confirmed_by=owner
            )
    tariff = Tariff.objects.current()
    if tariff is not None:
        TariffAcceptance.objects.get_or_create(
            merchant=merchant,
            tariff=tariff,
            defaults={"accepted_by": owner, "ip": "127.0.0.1", "user_agent": "seed_demo"},
        )


def _shop(merchant: Merchant, owner: User) -> Shop:
    """One shop in test mode with Section 1 filled in, as a merchant would leave it."""
    shop = Shop.objects.filter(merchant=merchant, name=DEMO_SHOP).first()
    if shop is None:
        shop = shop_create(merchant=merchant, name=DEMO_SHOP, by=owner)
        shop = shop_update_section1(shop=shop, by=owner, **DEMO_SECTION1)
    return shop


def _live_shop(merchant: Merchant, owner: User, staff: User) -> Shop:
    """A second shop, confirmed by staff, open and in live mode, as after months of trade."""
    shop = Shop.objects.filter(merchant=merchant, name=LIVE_SHOP).first()
    if shop is None:
        shop = shop_create(merchant=merchant, name=LIVE_SHOP, by=owner)
        shop = shop_update_section1(shop=shop, by=owner, **LIVE_SECTION1)
        shop = shop_submit(shop=shop, by=owner)
        shop = shop_confirm(shop=shop, staff=staff)
        shop = shop_set_open(shop=shop, is_open=True, by=owner)
    if not shop.live_mode:
        # shop_set_live would refuse: the demo keeps a document waiting in the review
        # queue, which a merchant trading for months would have had approved long ago.
        Shop.objects.filter(pk=shop.pk).update(live_mode=True)
        ShopChange.objects.create(shop=shop, user=owner, action=ShopChange.Action.LIVE_ON)
        shop.live_mode = True
    return shop


def _payments(live_shop: Shop, test_shop: Shop, staff: User) -> None:
    """Payment histories, once per shop and mode: deterministic apart from the dates,
    which follow today. The live history also gets its ledger, settled days and payouts
    paid, so that «Сверка расчетов» has months to show."""
    written = False
    if not Payment.objects.filter(shop=live_shop, test=False).exists():
        written = True
        history_create(
            shop=live_shop,
            test=False,
            count=LIVE_PAYMENTS,
            days=LIVE_DAYS,
            recent=LIVE_OPEN,
            seed=2026,
        )
        ledger_backfill(merchant_id=live_shop.merchant_id)
        settle_history(
            merchant_id=live_shop.merchant_id,
            staff=staff,
            first=timezone.localdate() - timedelta(days=LIVE_DAYS + 1),
        )
    if not Payment.objects.filter(shop=test_shop, test=True).exists():
        written = True
        history_create(shop=test_shop, test=True, count=TEST_PAYMENTS, days=TEST_DAYS, seed=7)
    if written:
        # Histories and their commission are written outside the state machine: the
        # report day totals are recounted from them.
        report_totals_rebuild(merchant_id=live_shop.merchant_id)


def _scan(title: str, kind: str) -> SimpleUploadedFile:
    """A plain page standing in for a scanned document."""
    page = Image.new("RGB", (620, 877), "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle((40, 40, 580, 837), outline="#9aa5b1", width=3)
    draw.text((70, 80), title, fill="#1f2933")
    for line in range(12):
        draw.line((70, 150 + line * 40, 550, 150 + line * 40), fill="#cbd2d9", width=2)
    buffer = BytesIO()
    page.save(buffer, format=kind)
    extension = {"PDF": "pdf", "PNG": "png"}[kind]
    return SimpleUploadedFile(f"{title.lower().replace(' ', '-')}.{extension}", buffer.getvalue())


def _documents(merchant: Merchant, owner: User, staff: User) -> None:
    """Half-way through documents: the charter approved, the certificate waiting."""
    if Document.objects.filter(merchant=merchant).exists():
        return
    charter = DocumentType.objects.filter(code="charter").first()
    certificate = DocumentType.objects.filter(code="registration_certificate").first()
    if charter is not None:
        version = document_upload(
            merchant=merchant, document_type=charter, files=[_scan("Charter", "PDF")], by=owner
        )
        document_approve(version=version, reviewed_by=staff)
    if certificate is not None:
        document_upload(
            merchant=merchant,
            document_type=certificate,
            files=[_scan("Registration certificate", "PNG")],
            by=owner,
        )


@transaction.atomic
def seed_demo() -> DemoLogins:
    """Create the demo staff user and an activated demo merchant with its team, or leave them."""
    staff = _user(STAFF_EMAIL, staff=True)
    owner = _user(MERCHANT_EMAIL, staff=False)
    merchant = _merchant(owner)
    _confirmations(merchant, owner)
    for role, email in TEAM.items():
        Membership.objects.get_or_create(
            merchant=merchant, user=_user(email, staff=False), defaults={"role": role}
        )
    test_shop = _shop(merchant, owner)
    _documents(merchant, owner, staff)
    _payments(_live_shop(merchant, owner, staff), test_shop, staff)
    publish_php_kit()
    return DemoLogins(
        MERCHANT_EMAIL,
        DEMO_PASSWORD,
        STAFF_EMAIL,
        DEMO_PASSWORD,
        team={"owner": MERCHANT_EMAIL, **{role.value: email for role, email in TEAM.items()}},
    )
