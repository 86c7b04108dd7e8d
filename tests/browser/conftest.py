"""Headless Chromium through Playwright, with the system browser (never a downloaded one)."""

from __future__ import annotations

import importlib
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from tests.websites import local_site

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _chromium_path() -> str | None:
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser():
    executable = _chromium_path()
    if executable is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but no chromium is installed")
        pytest.skip("no system chromium (apt install chromium) for the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def http_cookies(settings):
    """The live server speaks plain HTTP; production keeps its cookies Secure."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_COOKIE_SECURE = False


@pytest.fixture
def csp_violations():
    """Collects console messages that report a Content-Security-Policy violation."""
    return []


def watch_console(page, violations: list[str]) -> None:
    page.on(
        "console",
        lambda message: (
            violations.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )


@pytest.fixture
def tariff(db):
    """The current tariff: the data migration's, or a standard one if a flush removed it."""
    from django.utils import timezone

    from merchants.models import Tariff, TariffRate

    current = Tariff.objects.current()
    if current is not None:
        return current
    tariff = Tariff.objects.create(name="Standard", version=1, published_at=timezone.now())
    for method, percent, min_fee in (
        ("card", "2.50", 10000),
        ("apple_pay", "2.50", 10000),
        ("idram", "2.00", 5000),
    ):
        TariffRate.objects.create(
            tariff=tariff, method=method, percent=Decimal(percent), min_fee=min_fee
        )
    return tariff


@pytest.fixture
def shop_site(settings):
    """The merchant's website on 127.0.0.1, which the wizard's website check may fetch."""
    settings.WEBSITE_CHECK_ALLOW_PRIVATE = True
    with local_site() as site:
        site.serve("/", "<html><head><title>Shop</title></head><body>Shop</body></html>")
        yield site


def newest_in_outbox(channel: str) -> str:
    """The text of the newest message of a channel ("email", "sms") in the dev outbox."""
    from inecopay.lib.outbox import outbox_list

    return next(m for m in outbox_list() if m.channel == channel).text


@pytest.fixture(autouse=True)
def _default_document_types(request):
    """The document types of the data migration, which an earlier transactional test's
    flush may have removed (as with the migration's tariff)."""
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    migration = importlib.import_module("documents.migrations.0002_default_document_types")
    migration.create_types(apps, None)


@pytest.fixture(autouse=True)
def _plain_static_names(settings):
    """The live server finds static files by their plain names, not the manifest's hashed ones."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


class PreviewsOneAtATime:
    """Lets the browser load one thumbnail at a time.

    The live server's request threads share one in-memory SQLite connection, and several
    thumbnails loading at once collide on it ("database table is locked"); the file or
    PostgreSQL database of a real deployment does not. Each preview request waits in a
    queue and is let through when the one before it has finished.
    """

    def __init__(self, page) -> None:
        self.waiting: list = []
        self.busy = None
        page.route("**/documents/files/*/preview/", self.queue)
        page.on("requestfinished", self.finished)
        page.on("requestfailed", self.finished)

    def queue(self, route) -> None:
        self.waiting.append(route)
        self.next()

    def finished(self, request) -> None:
        if request is self.busy:
            self.busy = None
            self.next()

    def next(self) -> None:
        while self.busy is None and self.waiting:
            route = self.waiting.pop(0)
            # Taken before continuing: continue_() lets other handlers run while it waits.
            self.busy = route.request
            try:
                route.continue_()
            except Exception:
                # The page went away before this preview's turn came.
                self.busy = None
