from decimal import Decimal

from django.db import migrations
from django.utils import timezone

# Percent, fixed fee and minimum fee (AMD minor units) per payment method.
RATES = {
    "card": (Decimal("2.50"), 0, 10000),
    "apple_pay": (Decimal("2.50"), 0, 10000),
    "google_pay": (Decimal("2.50"), 0, 10000),
    "idram": (Decimal("2.00"), 0, 5000),
    "telcell": (Decimal("2.00"), 0, 5000),
}


def create_default_tariff(apps, schema_editor):
    Tariff = apps.get_model("merchants", "Tariff")
    TariffRate = apps.get_model("merchants", "TariffRate")
    if Tariff.objects.exists():
        return
    tariff = Tariff.objects.create(
        name="Standard",
        version=1,
        published_at=timezone.now(),
        refund_returns_commission=False,
    )
    for method, (percent, fixed_fee, min_fee) in RATES.items():
        TariffRate.objects.create(
            tariff=tariff,
            method=method,
            percent=percent,
            fixed_fee=fixed_fee,
            min_fee=min_fee,
            currency="AMD",
        )


class Migration(migrations.Migration):
    dependencies = [("merchants", "0002_onboarding")]

    operations = [migrations.RunPython(create_default_tariff, migrations.RunPython.noop)]
