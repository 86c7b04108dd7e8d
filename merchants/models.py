from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _


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


class Merchant(models.Model):
    """A merchant account (ТСП): the company whose team uses the portal."""

    class State(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        EMAIL_VERIFIED = "email_verified", _("Email verified")
        ACTIVATED = "activated", _("Activated")

    name = models.CharField(_("name"), max_length=200)
    state = models.CharField(
        _("state"), max_length=20, choices=State.choices, default=State.REGISTERED, db_index=True
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Yerevan")
    default_currency = models.CharField(_("default currency"), max_length=3, default="AMD")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="merchants"
    )

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


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
