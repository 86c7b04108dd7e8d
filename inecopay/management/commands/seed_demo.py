from __future__ import annotations

import json

from django.conf import settings
from django.core.management.base import BaseCommand

from inecopay.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo merchant, its team and the staff user (idempotent); print the logins."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="print the logins as JSON")

    def handle(self, *args, **options) -> None:
        logins = seed_demo()
        if options["json"]:
            self.stdout.write(json.dumps(logins.as_dict()))
            return
        team = [
            f"  {'Team ' + role + ':':<16} {email} / {logins.merchant_password}"
            for role, email in logins.team.items()
            if email != logins.merchant_email
        ]
        self.stdout.write(
            "\n".join(
                [
                    "",
                    f"  Inecopay portal: {settings.SITE_URL}/",
                    f"  Merchant owner:  {logins.merchant_email} / {logins.merchant_password}",
                    *team,
                    f"  Staff (admin):   {logins.staff_email} / {logins.staff_password}"
                    f"  -> {settings.SITE_URL}/admin/",
                    f"  Dev outbox:      {settings.SITE_URL}/dev/outbox/",
                    "",
                ]
            )
        )
