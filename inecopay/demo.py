"""Demo data for `make run`: created idempotently, so a second run changes nothing."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from allauth.account.models import EmailAddress
from django.db import transaction

from merchants.models import Membership, Merchant, User

DEMO_PASSWORD = "demo-inecopay-2026"
MERCHANT_EMAIL = "merchant@demo.inecopay.am"
STAFF_EMAIL = "staff@demo.inecopay.am"
MERCHANT_NAME = "Demo Shop LLC"


@dataclass
class DemoLogins:
    merchant_email: str
    merchant_password: str
    staff_email: str
    staff_password: str

    def as_dict(self) -> dict[str, str]:
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


@transaction.atomic
def seed_demo() -> DemoLogins:
    """Create the demo staff user and an activated demo merchant, or leave them as they are."""
    _user(STAFF_EMAIL, staff=True)
    owner = _user(MERCHANT_EMAIL, staff=False)
    merchant = Merchant.objects.filter(
        memberships__user=owner, memberships__role=Membership.Role.OWNER
    ).first()
    if merchant is None:
        merchant = Merchant.objects.create(name=MERCHANT_NAME, state=Merchant.State.ACTIVATED)
        Membership.objects.create(merchant=merchant, user=owner, role=Membership.Role.OWNER)
    return DemoLogins(MERCHANT_EMAIL, DEMO_PASSWORD, STAFF_EMAIL, DEMO_PASSWORD)
