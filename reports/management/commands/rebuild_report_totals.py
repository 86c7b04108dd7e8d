"""`manage.py rebuild_report_totals [--merchant ID …] [--stale]`: recount report day totals."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from merchants.models import Merchant
from reports.totals import report_totals_rebuild, stale_merchant_ids


class Command(BaseCommand):
    help = (
        "Recount the report day totals («По дням», «По месяцам») of merchants from their "
        "payments and refunds, in each merchant's zone. Idempotent: run after deploy to "
        "backfill, or after payments were written outside the state machine."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--merchant", type=int, action="append", default=[])
        parser.add_argument(
            "--stale", action="store_true", help="only merchants not complete in their zone"
        )

    def handle(self, *args, merchant: list[int], stale: bool, **options) -> None:
        if merchant:
            ids = merchant
        elif stale:
            ids = stale_merchant_ids()
        else:
            ids = list(Merchant.objects.order_by("pk").values_list("pk", flat=True))
        for merchant_id in ids:
            start = time.perf_counter()
            rows = report_totals_rebuild(merchant_id=merchant_id)
            seconds = time.perf_counter() - start
            self.stdout.write(f"merchant {merchant_id}: {rows} rows in {seconds:.1f} s")
