"""seed_bench: payments by COPY over months and merchants, totals recounted, refused on a
database that is not a throwaway one."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Sum

from merchants.models import Merchant
from transactions.management.commands import seed_bench
from transactions.management.commands.seed_bench import is_throwaway
from transactions.models import DailyTotal, Payment
from transactions.totals import daily_totals_rebuild

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY needs PostgreSQL"),
]


def _seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_bench", *args, stdout=out)
    return out.getvalue()


def test_seeds_payments_and_exact_totals(monkeypatch):
    # The drop-and-rebuild of the indexes runs for big loads only; make this one big.
    monkeypatch.setattr(seed_bench, "REINDEX_FROM", 1000)
    out = _seed("--payments", "2000", "--merchants", "4", "--months", "2")
    assert "COPY of 2000 payments" in out and "indexes and keys rebuilt" in out
    merchants = list(Merchant.objects.filter(name__startswith="Bench merchant").order_by("name"))
    counts = [Payment.objects.filter(merchant=m).count() for m in merchants]
    assert counts == [400, 534, 533, 533]
    payments = Payment.objects.all()
    assert payments.count() == 2000
    assert set(payments.values_list("status", flat=True)) == set(Payment.Status.values)
    assert len(set(payments.values_list("public_id", flat=True))) == 2000
    # Indexes and keys are back after the load.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'transactions_payment'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"payment_merchant_list", "payment_public_id_unique"} <= names
    # The totals equal the payments, and a recount changes nothing.
    big = merchants[0]
    assert big.totals_time_zone == big.time_zone
    rows = DailyTotal.objects.filter(merchant=big).aggregate(n=Sum("count"), a=Sum("amount"))
    truth = Payment.objects.filter(merchant=big).aggregate(n=Count("id"), a=Sum("amount"))
    assert (rows["n"], rows["a"]) == (truth["n"], truth["a"])
    before = set(DailyTotal.objects.filter(merchant=big).values_list("day", "status", "count"))
    daily_totals_rebuild(merchant_id=big.pk)
    after = set(DailyTotal.objects.filter(merchant=big).values_list("day", "status", "count"))
    assert after == before
    # New payments get fresh ids after the copied ones.
    assert Payment.objects.order_by("-id").first().id == Payment.objects.count()
    # A second run keeps the data set; --replace builds it again.
    assert "Already seeded: 2000" in _seed("--payments", "2000", "--merchants", "4")
    _seed("--payments", "1000", "--merchants", "2", "--replace")
    assert Payment.objects.count() == 1000


def test_refuses_a_database_that_is_not_a_throwaway_one(settings):
    assert is_throwaway("inecopay_bench") and is_throwaway("test_inecopay")
    assert not is_throwaway("inecopay") and not is_throwaway("inecopay_dash")
    connection.settings_dict["NAME"], name = "inecopay", connection.settings_dict["NAME"]
    try:
        with pytest.raises(CommandError, match="Refusing"):
            _seed("--payments", "100", "--merchants", "2")
    finally:
        connection.settings_dict["NAME"] = name
    assert not Payment.objects.exists()
