"""Settings for the Inecopay merchant portal, read from the environment.

One module serves every mode. With nothing set it runs the embedded default
(SQLite under var/, a filesystem Celery broker, emails in the dev outbox);
DATABASE_URL, REDIS_URL and EMAIL_URL point it at PostgreSQL, Redis and SMTP.
Every setting is listed in README.md.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _stop(setting: str, reason: str) -> None:
    """Refuse to start with one line naming the setting at fault."""
    sys.stderr.write(f"Inecopay cannot start: {setting} {reason}\n")
    raise SystemExit(2)


def _read(setting: str, reader, *args, **kwargs):
    try:
        return reader(*(args or (setting,)), **kwargs)
    except (ValueError, KeyError, ImproperlyConfigured) as exc:
        _stop(setting, f"is invalid ({exc})")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _flag(setting: str, *, default: bool) -> bool:
    """A yes/no setting; anything but a clear yes or no stops the start."""
    raw = env.str(setting, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw not in _FALSE:
        _stop(setting, f"must be 1 or 0 (true/false), not {raw!r}")
    return False


def _url(setting: str, *, default: str, schemes: Iterable[str]) -> str:
    value = env.str(setting, default=default)
    if value and urlsplit(value).scheme not in schemes:
        _stop(setting, f"must be a URL with one of the schemes {', '.join(sorted(schemes))}")
    return value


# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------
DEBUG = _flag("DEBUG", default=False)
VAR_DIR = Path(_read("VAR_DIR", env.str, default=str(BASE_DIR / "var")))

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        _stop("SECRET_KEY", "is required when DEBUG is off (set a long random value)")
    SECRET_KEY = "dev-only-insecure-key-never-used-with-debug-off-0123456789abcdef"
elif not DEBUG and len(SECRET_KEY) < 50:
    _stop("SECRET_KEY", "must be at least 50 characters long when DEBUG is off")

ALLOWED_HOSTS = _read(
    "ALLOWED_HOSTS",
    env.list,
    default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [],
)
# The zone times are shown in unless a merchant picks another; storage is always UTC.
DISPLAY_TIME_ZONE = _read("TIME_ZONE", env.str, default="Asia/Yerevan")
try:
    ZoneInfo(DISPLAY_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    _stop("TIME_ZONE", f"is not a known time zone: {DISPLAY_TIME_ZONE!r}")

# The portal's own origin, used in links inside emails and reports.
SITE_URL = _url("SITE_URL", default="http://127.0.0.1:8000", schemes={"http", "https"}).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "django_countries",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "inecopay",
    "merchants",
    "shops",
    "integration",
    "documents",
    "transactions",
    "payments",
    "reports",
    "settlements",
    "exports",
    "subscriptions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "inecopay.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # These two read the signed-in user: their saved language and time zone.
    "inecopay.middleware.UserLanguageMiddleware",
    "inecopay.middleware.TimezoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "inecopay.middleware.UserSessionsMiddleware",
    "inecopay.middleware.StaffMFAMiddleware",
]

ROOT_URLCONF = "inecopay.urls"
WSGI_APPLICATION = "inecopay.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "inecopay.context_processors.portal",
            ],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# ---------------------------------------------------------------------------
# Database: DATABASE_URL, default a SQLite file under var/
# ---------------------------------------------------------------------------
DATABASES = {
    "default": _read(
        "DATABASE_URL",
        environ.Env.db_url_config,
        _url(
            "DATABASE_URL",
            default=f"sqlite:///{VAR_DIR / 'inecopay.sqlite3'}",
            schemes={"postgres", "postgresql", "pgsql", "sqlite"},
        ),
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = _read("CONN_MAX_AGE", env.int, default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # The ORM binds parameters on the client and prepares nothing; the few statements of
    # the API's hot path (inecopay.lib.rows.prepared_cursor) are planned once per
    # connection. Behind a transaction-mode pooler that cannot keep prepared statements,
    # set DATABASE_PREPARED_STATEMENTS=0.
    if _flag("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 5
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded mode has a web server, a worker and beat writing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------------------
# Redis: REDIS_URL is the Celery broker, result backend and cache; without it
# the embedded defaults need no server.
# ---------------------------------------------------------------------------
REDIS_URL = _url("REDIS_URL", default="", schemes={"redis", "rediss", "unix"})
CELERY_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CACHES = {
        "default": {
            # Redis down: reads miss and writes are dropped, so pages keep answering.
            "BACKEND": "inecopay.lib.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "inecopay",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    for folder in ("queue", "results", "control"):
        (CELERY_DIR / folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "queue"),
        "data_folder_out": str(CELERY_DIR / "queue"),
        "control_folder": str(CELERY_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{CELERY_DIR / 'results'}"
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# Queueing a task while the broker is down gives up within about 3 s instead of hanging
# the request; every queued piece of work also has a row in the database that a beat
# sweep picks up (webhook deliveries, exports, report sendings).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 60 * 60 * 24
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_ENABLE_UTC = True
# Beat reads crontab entries in the merchants' default zone (TIME_ZONE, below).
CELERY_TIMEZONE = DISPLAY_TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "scheduler-heartbeat": {"task": "inecopay.tasks.heartbeat", "schedule": 60.0},
    "payments-expire-due": {"task": "transactions.tasks.expire_due_payments", "schedule": 60.0},
    "api-purge-idempotency-keys": {
        "task": "payments.tasks.purge_idempotency_keys",
        "schedule": 3600.0,
    },
    "webhooks-retry-due": {"task": "payments.tasks.retry_due_webhooks", "schedule": 60.0},
    "settlements-build": {"task": "settlements.tasks.build_settlements", "schedule": 3600.0},
    "transactions-compact-totals": {
        "task": "transactions.tasks.compact_totals",
        "schedule": 15.0,
    },
    "transactions-rebuild-stale-totals": {
        "task": "transactions.tasks.rebuild_stale_daily_totals",
        "schedule": 600.0,
    },
    # «По дням» / «По месяцам»: fold pending changes; recount merchants not complete in
    # their zone (a change of zone, or history from before the totals after a deploy).
    "reports-compact-day-totals": {"task": "reports.tasks.compact_report_totals", "schedule": 15.0},
    "reports-rebuild-stale-day-totals": {
        "task": "reports.tasks.rebuild_stale_report_totals",
        "schedule": 600.0,
    },
    "payments-decline-stale-processing": {
        "task": "transactions.tasks.decline_stale_processing",
        "schedule": 60.0,
    },
    # Deletes the files of exports past their week; restarts exports whose worker died.
    "exports-sweep": {"task": "exports.tasks.sweep_exports", "schedule": 300.0},
    # Queues due report subscriptions (periods in the merchants' zones, DST-safe), the
    # minutes of «on each payment» ones, due retries and runs whose worker died.
    "subscriptions-sweep": {
        "task": "subscriptions.tasks.sweep_report_subscriptions",
        "schedule": 60.0,
    },
    "subscriptions-purge-files": {
        "task": "subscriptions.tasks.purge_report_files",
        "schedule": 3600.0,
    },
}

# ---------------------------------------------------------------------------
# Email: EMAIL_URL (smtp://, smtps://, consolemail://, filemail:///path);
# empty means the dev outbox, readable at /dev/outbox/.
# ---------------------------------------------------------------------------
EMAIL_URL = _url(
    "EMAIL_URL",
    default="",
    schemes={
        "smtp",
        "smtps",
        "smtp+tls",
        "smtp+ssl",
        "consolemail",
        "filemail",
        "memorymail",
        "dummymail",
    },
)
OUTBOX_DIR = Path(_read("OUTBOX_DIR", env.str, default=str(VAR_DIR / "outbox")))
if EMAIL_URL:
    globals().update(_read("EMAIL_URL", environ.Env.email_url_config, EMAIL_URL))
else:
    EMAIL_BACKEND = "inecopay.lib.outbox.OutboxEmailBackend"
DEFAULT_FROM_EMAIL = _read("DEFAULT_FROM_EMAIL", env.str, default="Inecopay <noreply@inecopay.am>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20
# The website check fetches merchants' URLs; private addresses only in development.
WEBSITE_CHECK_ALLOW_PRIVATE = _flag("WEBSITE_CHECK_ALLOW_PRIVATE", default=DEBUG)
# Webhooks to private, loopback or link-local addresses: development and tests only.
WEBHOOK_ALLOW_PRIVATE = _flag("WEBHOOK_ALLOW_PRIVATE", default=DEBUG)


def _rate(setting: str, default: str) -> tuple[int, int]:
    """A budget "<count>/<s|m|h>" as (count, window seconds)."""
    value = _read(setting, env.str, default=default)
    try:
        count, unit = value.split("/")
        rate = (int(count), {"s": 1, "m": 60, "h": 3600}[unit])
        if rate[0] < 1:
            raise ValueError
    except (ValueError, KeyError):
        _stop(setting, f"must look like 100/s, 6000/m or 100000/h, not {value!r}")
    return rate


# The HTTP API's budget per secret key: "<requests>/<s|m|h>", counted in the cache.
API_RATE_LIMIT = _rate("API_RATE_LIMIT", "100/s")
# The hosted form against card testing: failed card attempts a payment allows before it is
# declined, and failed card attempts per client address across payments ("off": none).
PAYFORM_CARD_ATTEMPTS = _read("PAYFORM_CARD_ATTEMPTS", env.int, default=5)
if PAYFORM_CARD_ATTEMPTS < 1:
    _stop("PAYFORM_CARD_ATTEMPTS", "must be a whole number, at least 1")
PAYFORM_IP_RATE_LIMIT = (
    None
    if env.str("PAYFORM_IP_RATE_LIMIT", default="") in ("off", "0")
    else _rate("PAYFORM_IP_RATE_LIMIT", "30/h")
)
# Minutes a payment may stay in processing (e.g. a 3-D Secure step the buyer left) before
# the periodic sweep declines it.
PAYMENT_PROCESSING_TIMEOUT = _read("PAYMENT_PROCESSING_TIMEOUT", env.int, default=30)
if PAYMENT_PROCESSING_TIMEOUT < 1:
    _stop("PAYMENT_PROCESSING_TIMEOUT", "must be a whole number of minutes, at least 1")
# SMS provider: a class with send(to, text); the default writes to the dev outbox.
SMS_BACKEND = _read("SMS_BACKEND", env.str, default="inecopay.lib.sms.OutboxSmsBackend")
# The acquirer gateway live payments go through: a subclass of payments.acquirers.Acquirer.
# Empty: live payments are refused on the form (test payments always use the sandbox).
ACQUIRER_BACKEND = _read("ACQUIRER_BACKEND", env.str, default="")

# ---------------------------------------------------------------------------
# Accounts: email login through allauth, Argon2 hashes
# ---------------------------------------------------------------------------
AUTH_USER_MODEL = "merchants.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "landing"

ACCOUNT_ADAPTER = "merchants.adapter.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Inecopay: "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(SITE_URL).scheme or "https"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/h/ip",
    "send_email": "5/5m/key",
    "reset_password": "20/h/ip,5/h/key",
    "confirm_email": "1/3m/key",
}
ACCOUNT_CHANGE_EMAIL = True
# Adding, changing or removing an email address asks for the password again (MFA does
# anyway; API keys through shops.views_keys).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
# The client address allauth's rate limits count by: the connection's, unless the portal sits
# behind proxies that append to X-Forwarded-For; then the entry the nearest of them appended
# (TRUSTED_PROXY_COUNT of them; by default one behind the TLS proxy, as the payment form does).
ALLAUTH_TRUSTED_PROXY_COUNT = _read(
    "TRUSTED_PROXY_COUNT",
    env.int,
    default=1 if env.str("SECURE_PROXY_SSL_HEADER", default="0").strip().lower() in _TRUE else 0,
)
if ALLAUTH_TRUSTED_PROXY_COUNT < 0:
    _stop("TRUSTED_PROXY_COUNT", "must be a whole number, 0 or more")
USERSESSIONS_TRACK_ACTIVITY = True
MFA_ADAPTER = "merchants.mfa.MFAAdapter"
# Encrypts secrets at rest (TOTP keys, webhook signing secrets); derived from SECRET_KEY
# when empty. Set it separately so that rotating SECRET_KEY keeps them readable.
ENCRYPTION_KEY = _read("ENCRYPTION_KEY", env.str, default="")
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Inecopay"

# ---------------------------------------------------------------------------
# Languages and time: Russian first, English complete; UTC in the database,
# Asia/Yerevan on screen unless the merchant chooses another zone.
# ---------------------------------------------------------------------------
LANGUAGE_CODE = "ru"
LANGUAGES = [("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_CURRENCY = "AMD"
LANGUAGE_COOKIE_NAME = "inecopay_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"

# ---------------------------------------------------------------------------
# Files: static files served by WhiteNoise; uploads are private and never
# served as static files.
# ---------------------------------------------------------------------------
STATIC_URL = "/static/"
# Collected at build time; kept apart from VAR_DIR so a volume over var/ cannot hide it.
STATIC_ROOT = Path(_read("STATIC_ROOT", env.str, default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
    # Merchants' documents. Object storage is a setting away, for example
    # PRIVATE_STORAGE_BACKEND=storages.backends.s3.S3Storage with
    # PRIVATE_STORAGE_OPTIONS={"bucket_name": "...", "endpoint_url": "...", "default_acl": "private"}
    # (install the s3 extra). Without a location the file system storage uses MEDIA_ROOT.
    "private": {
        "BACKEND": _read(
            "PRIVATE_STORAGE_BACKEND",
            env.str,
            default="django.core.files.storage.FileSystemStorage",
        ),
        "OPTIONS": _read("PRIVATE_STORAGE_OPTIONS", env.json, default={}),
    },
}
MEDIA_ROOT = Path(_read("MEDIA_ROOT", env.str, default=str(VAR_DIR / "media")))
# No MEDIA_URL: uploads leave the server only through access-checked views.
if MEDIA_ROOT.resolve() in (STATIC_ROOT.resolve(), (BASE_DIR / "static").resolve()):
    _stop("MEDIA_ROOT", "must not be a static files folder: uploads are private")
FILE_UPLOAD_PERMISSIONS = 0o640

# ---------------------------------------------------------------------------
# Security: secure by default, loosened only by DEBUG or explicit settings.
# ---------------------------------------------------------------------------
SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", default=not DEBUG)
# Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=1 so that
# X-Forwarded-Proto: https marks a request secure.
if _flag("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Cookies travel over HTTPS only, unless a plain-HTTP setup (local compose) turns it off.
SECURE_COOKIES = _flag("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, default=[])
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws checkboxes and selects with data: SVG images.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": _read("LOG_LEVEL", env.str, default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
