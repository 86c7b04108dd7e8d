"""Writes to merchant accounts: signup, activation wizard, contacts, tariffs and the team.

Each function is the one way to make its change: it checks the rule, writes atomically,
records who did it, and queues emails or SMS for after the commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from zoneinfo import available_timezones

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from inecopay.lib.mail import send_templated_mail
from inecopay.lib.sms import send_sms

from .models import (
    ContactConfirmation,
    Invitation,
    Membership,
    Merchant,
    PhoneCode,
    Tariff,
    TariffAcceptance,
    User,
)
from .selectors import activation_complete
from .website import WebsiteCheck, check_website

PHONE_CODES_PER_HOUR = 5
# Invitation emails go to addresses the merchant types in: cap them so the portal
# cannot be used to flood an inbox.
INVITATIONS_PER_HOUR = 20
INVITATIONS_PER_ADDRESS_PER_HOUR = 3
PHONE_CODE_TTL = timedelta(minutes=10)
COMPANY_FIELDS = (
    "legal_form",
    "legal_name",
    "tax_id",
    "registration_number",
    "legal_address",
    "actual_address",
    "country",
    "director_name",
)


class ServiceError(Exception):
    """A rule said no; the message is for the person who asked, in their language."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _keyed_hash(value: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------------------
# Signup
# ---------------------------------------------------------------------------
@transaction.atomic
def merchant_create(*, owner: User, name: str = "") -> Merchant:
    """Create a merchant account with `owner` as its first member."""
    merchant = Merchant.objects.create(
        name=name or owner.email, time_zone=settings.DISPLAY_TIME_ZONE
    )
    Membership.objects.create(merchant=merchant, user=owner, role=Membership.Role.OWNER)
    return merchant


@transaction.atomic
def merchant_record_email_confirmed(*, user: User, email: str) -> None:
    """The owner followed the activation link: record it and move the account on."""
    for merchant in Merchant.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.OWNER
    ):
        ContactConfirmation.objects.create(
            merchant=merchant,
            kind=ContactConfirmation.Kind.EMAIL,
            value=email,
            method=ContactConfirmation.Method.EMAIL_LINK,
            confirmed_by=user,
        )
        Merchant.objects.filter(pk=merchant.pk, state=Merchant.State.REGISTERED).update(
            state=Merchant.State.EMAIL_VERIFIED
        )


# ---------------------------------------------------------------------------
# Activation wizard
# ---------------------------------------------------------------------------
@transaction.atomic
def merchant_update_company(*, merchant: Merchant, by: User, **fields) -> Merchant:
    """Save the company step; only the company fields can be set here."""
    unknown = set(fields) - set(COMPANY_FIELDS)
    if unknown:
        raise TypeError(f"not company fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(merchant, name, value)
    if merchant.legal_name:
        merchant.name = merchant.legal_name
    merchant.save()
    return merchant


@transaction.atomic
def merchant_set_website(*, merchant: Merchant, website: str, by: User) -> Merchant:
    """Set the shop website; a new address must be confirmed again, with a new token."""
    if website != merchant.website or not merchant.website_token:
        merchant.website = website
        merchant.website_token = secrets.token_urlsafe(24)
        merchant.website_confirmed_at = None
        merchant.save(update_fields=["website", "website_token", "website_confirmed_at"])
    return merchant


@transaction.atomic
def phone_code_send(*, merchant: Merchant, phone: str, by: User) -> PhoneCode:
    """Send a 6-digit code to `phone` (E.164), at most PHONE_CODES_PER_HOUR an hour."""
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
    since = timezone.now() - timedelta(hours=1)
    if merchant.phone_codes.filter(created_at__gte=since).count() >= PHONE_CODES_PER_HOUR:
        raise ServiceError(
            _("Too many codes requested. Please try again in an hour."), field="phone"
        )
    if phone != merchant.phone:
        merchant.phone = phone
        merchant.phone_confirmed_at = None
        merchant.save(update_fields=["phone", "phone_confirmed_at"])
    code = f"{secrets.randbelow(1_000_000):06d}"
    phone_code = PhoneCode.objects.create(
        merchant=merchant,
        phone=phone,
        code_hash=_keyed_hash(f"{merchant.pk}:{phone}:{code}"),
        expires_at=timezone.now() + PHONE_CODE_TTL,
    )
    text = _("Inecopay confirmation code: %(code)s. It is valid for 10 minutes.") % {"code": code}
    transaction.on_commit(lambda: send_sms(to=phone, text=text))
    return phone_code


def phone_code_verify(*, merchant: Merchant, code: str, by: User, ip: str | None) -> None:
    """Confirm the phone with the latest code; five wrong tries lock that code."""
    with transaction.atomic():
        # Only the newest code counts: an older one stops working once another is sent.
        phone_code = (
            PhoneCode.objects.select_for_update()
            .filter(merchant=merchant, phone=merchant.phone)
            .order_by("-created_at", "-pk")
            .first()
        )
        if phone_code is None or phone_code.verified_at is not None:
            raise ServiceError(_("Request a code first."), field="code")
        if phone_code.is_locked:
            raise ServiceError(_("Too many wrong codes. Request a new code."), field="code")
        if phone_code.expires_at <= timezone.now():
            raise ServiceError(_("The code has expired. Request a new code."), field="code")
        expected = _keyed_hash(f"{merchant.pk}:{phone_code.phone}:{code.strip()}")
        if not hmac.compare_digest(expected, phone_code.code_hash):
            phone_code.attempts += 1
            phone_code.save(update_fields=["attempts"])
            wrong = True
        else:
            wrong = False
            now = timezone.now()
            phone_code.verified_at = now
            phone_code.save(update_fields=["verified_at"])
            merchant.phone_confirmed_at = now
            merchant.save(update_fields=["phone_confirmed_at"])
            ContactConfirmation.objects.create(
                merchant=merchant,
                kind=ContactConfirmation.Kind.PHONE,
                value=phone_code.phone,
                method=ContactConfirmation.Method.SMS_CODE,
                confirmed_by=by,
                ip=ip,
            )
    # The failed attempt is committed above before the error is raised.
    if wrong:
        if phone_code.is_locked:
            raise ServiceError(_("Too many wrong codes. Request a new code."), field="code")
        raise ServiceError(_("Wrong code. Check the SMS and try again."), field="code")


def website_verify(*, merchant: Merchant, by: User, ip: str | None) -> WebsiteCheck:
    """Fetch the website and look for the merchant's token; record a success."""
    if not merchant.website or not merchant.website_token:
        return WebsiteCheck(ok=False, error=_("Enter the website address first."))
    result = check_website(
        merchant.website,
        merchant.website_token,
        allow_private=settings.WEBSITE_CHECK_ALLOW_PRIVATE,
    )
    if result.ok:
        _website_confirm(
            merchant=merchant,
            method=ContactConfirmation.Method(result.method),
            by=by,
            ip=ip,
        )
    return result


@transaction.atomic
def _website_confirm(
    *, merchant: Merchant, method: ContactConfirmation.Method, by: User, ip: str | None
) -> None:
    merchant.website_confirmed_at = timezone.now()
    merchant.save(update_fields=["website_confirmed_at"])
    ContactConfirmation.objects.create(
        merchant=merchant,
        kind=ContactConfirmation.Kind.WEBSITE,
        value=merchant.website,
        method=method,
        confirmed_by=by,
        ip=ip,
    )


def website_confirm_by_staff(*, merchant: Merchant, staff: User) -> None:
    """Staff checked the website themselves (admin action)."""
    if not staff.is_staff:
        raise PermissionError("only staff confirm websites manually")
    if not merchant.website:
        raise ServiceError(_("The merchant has not entered a website."))
    _website_confirm(merchant=merchant, method=ContactConfirmation.Method.STAFF, by=staff, ip=None)


@transaction.atomic
def tariff_accept(
    *, merchant: Merchant, tariff: Tariff, by: User, ip: str | None, user_agent: str
) -> TariffAcceptance:
    """Record consent to one published tariff version (once per version)."""
    if not tariff.is_published:
        raise ServiceError(_("This tariff is not published."))
    existing = TariffAcceptance.objects.filter(merchant=merchant, tariff=tariff).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return TariffAcceptance.objects.create(
                merchant=merchant,
                tariff=tariff,
                accepted_by=by,
                ip=ip,
                user_agent=user_agent[:500],
            )
    except IntegrityError:
        return TariffAcceptance.objects.get(merchant=merchant, tariff=tariff)


@transaction.atomic
def merchant_activate_if_complete(*, merchant: Merchant, by: User) -> bool:
    """Activate the account once every wizard step is done; True if it is activated now."""
    merchant = Merchant.objects.select_for_update().get(pk=merchant.pk)
    if merchant.state == Merchant.State.ACTIVATED:
        return True
    if not activation_complete(merchant):
        return False
    merchant.state = Merchant.State.ACTIVATED
    merchant.activated_at = timezone.now()
    merchant.save(update_fields=["state", "activated_at"])
    owners = list(
        User.objects.filter(
            memberships__merchant=merchant, memberships__role=Membership.Role.OWNER
        ).values_list("email", flat=True)
    )
    send_templated_mail(
        template="account_activated",
        to=owners,
        context={"merchant": merchant, "dashboard_url": settings.SITE_URL + reverse("dashboard")},
        language=by.language or None,
    )
    return True


def merchant_notify_owners(*, merchant: Merchant, template: str, context: dict) -> None:
    """Email the merchant's owners and administrators, each in their own language."""
    people = User.objects.filter(
        is_active=True,
        memberships__merchant=merchant,
        memberships__role__in=[Membership.Role.OWNER, Membership.Role.ADMIN],
    ).order_by("pk")
    by_language: dict[str, list[str]] = {}
    for email, language in people.values_list("email", "language"):
        by_language.setdefault(language or "", []).append(email)
    for language, emails in by_language.items():
        send_templated_mail(
            template=template,
            to=emails,
            context={"merchant": merchant, **context},
            language=language or None,
        )


# ---------------------------------------------------------------------------
# Team
# ---------------------------------------------------------------------------
def _owner_count(merchant: Merchant) -> int:
    return merchant.memberships.filter(role=Membership.Role.OWNER).count()


def _may_manage_role(actor: Membership, role: str) -> bool:
    """Admins manage everyone but owners; only an owner makes or unmakes an owner."""
    return actor.role == Membership.Role.OWNER or role != Membership.Role.OWNER


@transaction.atomic
def invitation_create(
    *, merchant: Merchant, email: str, role: str, by: Membership
) -> tuple[Invitation, str]:
    """Invite `email` with `role`; returns the invitation and its one-time token."""
    if by.merchant_id != merchant.pk:
        raise PermissionError("only a member invites to a merchant's team")
    email = email.strip().lower()
    if role not in Membership.Role.values:
        raise ServiceError(_("Choose a role."), field="role")
    if not _may_manage_role(by, role):
        raise ServiceError(_("Only an owner can invite another owner."), field="role")
    if merchant.memberships.filter(user__email__iexact=email).exists():
        raise ServiceError(_("This person is already in your team."), field="email")
    # Lock the merchant so that concurrent invitations are counted one after another.
    Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
    recent = merchant.invitations.filter(created_at__gte=timezone.now() - timedelta(hours=1))
    if recent.count() >= INVITATIONS_PER_HOUR:
        raise ServiceError(
            _("Too many invitations sent. Please try again in an hour."), field="email"
        )
    if recent.filter(email__iexact=email).count() >= INVITATIONS_PER_ADDRESS_PER_HOUR:
        raise ServiceError(
            _("An invitation was sent to this address several times. Please try again later."),
            field="email",
        )
    # A new invitation replaces any pending one for the same address.
    merchant.invitations.filter(
        email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        merchant=merchant,
        email=email,
        role=role,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        invited_by=by.user,
        expires_at=timezone.now() + timedelta(days=Invitation.TTL_DAYS),
    )
    send_templated_mail(
        template="team_invitation",
        to=[email],
        context={
            "invitation": invitation,
            "merchant": merchant,
            "inviter": by.user,
            "accept_url": settings.SITE_URL + reverse("merchants:invitation_accept", args=[token]),
        },
        language=by.user.language or None,
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    return Invitation.objects.select_related("merchant").filter(token_hash=digest).first()


def invitation_acceptance_error(*, invitation: Invitation, user: User) -> str | None:
    """Why `user` cannot accept `invitation`, or None if they can (the page asks before the POST)."""
    if not invitation.is_pending:
        return _("This invitation is no longer valid.")
    if user.email.lower() != invitation.email.lower():
        return _(
            "This invitation was sent to %(email)s. Sign in with that address to accept it."
        ) % {"email": invitation.email}
    return None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the team as the invited role; the invitation works once, for its own address."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    error = invitation_acceptance_error(invitation=invitation, user=user)
    if error is not None:
        raise ServiceError(error)
    membership, _created = Membership.objects.get_or_create(
        merchant=invitation.merchant, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    # The link reached this address, so the address is confirmed.
    EmailAddress.objects.filter(user=user, email__iexact=invitation.email).update(verified=True)
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, by: Membership) -> None:
    if invitation.merchant_id != by.merchant_id:
        raise PermissionError("another merchant's invitation")
    if not _may_manage_role(by, invitation.role):
        raise ServiceError(_("Only an owner can revoke an owner's invitation."))
    # An accepted invitation is a record of how someone joined; it is not revoked afterwards.
    Invitation.objects.filter(
        pk=invitation.pk, revoked_at__isnull=True, accepted_at__isnull=True
    ).update(revoked_at=timezone.now())


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, by: Membership) -> Membership:
    """Change a member's role; the last owner stays an owner."""
    if membership.merchant_id != by.merchant_id:
        raise PermissionError("another merchant's member")
    # Lock the merchant first: two owners demoting each other at once must not both succeed.
    Merchant.objects.select_for_update().filter(pk=membership.merchant_id).first()
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role not in Membership.Role.values:
        raise ServiceError(_("Choose a role."), field="role")
    if not (_may_manage_role(by, membership.role) and _may_manage_role(by, role)):
        raise ServiceError(_("Only an owner can change an owner's role or make someone an owner."))
    if (
        membership.role == Membership.Role.OWNER
        and role != Membership.Role.OWNER
        and _owner_count(membership.merchant) <= 1
    ):
        raise ServiceError(_("The team must keep at least one owner."))
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, by: Membership) -> None:
    """Remove a member from the team; the last owner cannot be removed."""
    if membership.merchant_id != by.merchant_id:
        raise PermissionError("another merchant's member")
    Merchant.objects.select_for_update().filter(pk=membership.merchant_id).first()
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not _may_manage_role(by, membership.role):
        raise ServiceError(_("Only an owner can remove an owner."))
    if membership.role == Membership.Role.OWNER and _owner_count(membership.merchant) <= 1:
        raise ServiceError(_("The team must keep at least one owner."))
    membership.delete()


# ---------------------------------------------------------------------------
# Personal preferences
# ---------------------------------------------------------------------------
def user_set_preferences(*, user: User, language: str, time_zone: str) -> User:
    """Save the language and time zone (empty: the merchant's zone) the user sees pages in."""
    if language and language not in {code for code, _name in settings.LANGUAGES}:
        raise ServiceError(_("Choose a language from the list."), field="language")
    if time_zone and time_zone not in available_timezones():
        raise ServiceError(_("Choose a time zone from the list."), field="time_zone")
    user.language = language
    user.time_zone = time_zone
    user.save(update_fields=["language", "time_zone"])
    return user
