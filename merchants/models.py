from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from inecopay.lib.money import Currency, PaymentMethod


class UserManager(BaseUserManager["User"]):
    """Users are known by their email; there is no username."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who signs in: a merchant's team member or Inecopay staff."""

    username = None
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("Empty: the merchant account's time zone."),
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.email


class LegalForm(models.TextChoices):
    LLC = "llc", _("Limited liability company (LLC)")
    SOLE_PROPRIETOR = "sole_proprietor", _("Sole proprietor")
    JSC = "jsc", _("Joint-stock company (JSC)")
    OTHER = "other", _("Other")


class Merchant(models.Model):
    """A merchant account (ТСП): the company whose team uses the portal."""

    class State(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        EMAIL_VERIFIED = "email_verified", _("Email verified")
        ACTIVATED = "activated", _("Activated")

    name = models.CharField(_("name"), max_length=200)
    # Company profile, the first step of the activation wizard.
    legal_form = models.CharField(
        _("legal form"), max_length=20, choices=LegalForm.choices, blank=True
    )
    legal_name = models.CharField(_("legal name"), max_length=255, blank=True)
    tax_id = models.CharField(_("tax ID (TIN)"), max_length=8, blank=True, db_index=True)
    registration_number = models.CharField(
        _("state registration number"), max_length=64, blank=True
    )
    legal_address = models.CharField(_("legal address"), max_length=500, blank=True)
    actual_address = models.CharField(_("actual address"), max_length=500, blank=True)
    country = CountryField(_("country"), default="AM")
    director_name = models.CharField(_("director's full name"), max_length=255, blank=True)
    # Contacts: what is current and when it was confirmed; the records of each
    # confirmation are ContactConfirmation rows.
    website = models.URLField(_("website"), max_length=500, blank=True)
    website_token = models.CharField(_("website verification token"), max_length=64, blank=True)
    website_confirmed_at = models.DateTimeField(_("website confirmed"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_confirmed_at = models.DateTimeField(_("phone confirmed"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.REGISTERED, db_index=True
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Yerevan")
    # The zone whose daily payment totals are complete (transactions.totals); differs from
    # time_zone only until the rebuild queued by a change of zone has run.
    totals_time_zone = models.CharField(max_length=64, blank=True, editable=False)
    default_currency = models.CharField(
        _("default currency"), max_length=3, choices=Currency.choices, default=Currency.AMD
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="merchants"
    )

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.legal_name or self.name

    def save(self, *args, **kwargs) -> None:
        # A new merchant has no payments, so its (empty) totals are complete in its zone.
        if self._state.adding and not self.totals_time_zone:
            self.totals_time_zone = self.time_zone
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        return self.legal_name or self.name


class Membership(models.Model):
    """A user's place in a merchant's team, with the role that limits what they may do."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        ADMIN = "admin", _("Administrator")
        ACCOUNTANT = "accountant", _("Accountant")
        DEVELOPER = "developer", _("Developer")

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(fields=["merchant", "user"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant} ({self.role})"


class AppendOnlyModel(models.Model):
    """A record of consent or confirmation: written once, never changed or deleted."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("This record cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("This record cannot be deleted."))


class ContactConfirmation(AppendOnlyModel):
    """Proof that a merchant's phone, email or website was confirmed, and how."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        WEBSITE = "website", _("Website")

    class Method(models.TextChoices):
        SMS_CODE = "sms_code", _("Code sent by SMS")
        EMAIL_LINK = "email_link", _("Link sent by email")
        META_TAG = "meta_tag", _("Meta tag on the website")
        WELL_KNOWN_FILE = "well_known_file", _("File on the website")
        STAFF = "staff", _("Confirmed by Inecopay staff")

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="contact_confirmations"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    value = models.CharField(_("value"), max_length=500)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("confirmed at"), default=timezone.now)

    class Meta:
        verbose_name = _("contact confirmation")
        verbose_name_plural = _("contact confirmations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class PhoneCode(models.Model):
    """A one-time SMS code; only its keyed hash is stored."""

    MAX_ATTEMPTS = 5

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="phone_codes")
    phone = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SMS code")
        verbose_name_plural = _("SMS codes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.phone} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def is_locked(self) -> bool:
        return self.attempts >= self.MAX_ATTEMPTS


class TariffQuerySet(models.QuerySet):
    def published(self) -> TariffQuerySet:
        return self.filter(published_at__isnull=False, published_at__lte=timezone.now())

    def current(self) -> Tariff | None:
        """The tariff in force: the newest published version."""
        return self.published().order_by("-version").first()


class Tariff(models.Model):
    """A version of Inecopay's price list. Once published its rates never change."""

    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveIntegerField(_("version"), unique=True)
    published_at = models.DateTimeField(
        _("published"),
        null=True,
        blank=True,
        help_text=_("Empty while it is a draft. Merchants must accept a newly published version."),
    )
    refund_returns_commission = models.BooleanField(
        _("refunds return the commission"),
        default=False,
        help_text=_("Whether a refund gives back the proportional share of the commission."),
    )
    notes = models.TextField(_("notes for merchants"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TariffQuerySet.as_manager()

    class Meta:
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class TariffRate(models.Model):
    """The commission for one payment method: percentage plus a fixed fee, with a minimum."""

    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="rates")
    method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    percent = models.DecimalField(_("percentage"), max_digits=5, decimal_places=2)
    fixed_fee = models.BigIntegerField(
        _("fixed fee, minor units"), default=0, help_text=_("In the currency's minor units.")
    )
    min_fee = models.BigIntegerField(_("minimum fee, minor units"), default=0)
    currency = models.CharField(
        _("currency of the fees"), max_length=3, choices=Currency.choices, default=Currency.AMD
    )

    class Meta:
        verbose_name = _("tariff rate")
        verbose_name_plural = _("tariff rates")
        ordering = ["tariff", "method"]
        constraints = [
            models.UniqueConstraint(fields=["tariff", "method"], name="tariffrate_unique_method"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0, percent__lte=100),
                name="tariffrate_percent_range",
            ),
            models.CheckConstraint(
                condition=models.Q(fixed_fee__gte=0, min_fee__gte=0),
                name="tariffrate_fees_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tariff}: {self.get_method_display()}"


class TariffAcceptance(AppendOnlyModel):
    """A merchant's consent to one tariff version: who, when, from where."""

    merchant = models.ForeignKey(
        Merchant, on_delete=models.PROTECT, related_name="tariff_acceptances"
    )
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="acceptances")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("tariff acceptance")
        verbose_name_plural = _("tariff acceptances")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "tariff"], name="tariffacceptance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant} accepted {self.tariff}"


class Invitation(models.Model):
    """An invitation to join a merchant's team; the link carries a token, the row its hash."""

    TTL_DAYS = 7

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.merchant} ({self.role})"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )
