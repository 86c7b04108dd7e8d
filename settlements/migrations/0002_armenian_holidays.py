"""Armenia's non-working public holidays for 2026 and 2027; staff keep the calendar up to
date in admin."""

from datetime import date

from django.db import migrations

HOLIDAYS = [
    ((1, 1), "New Year"),
    ((1, 2), "New Year"),
    ((1, 6), "Christmas"),
    ((1, 28), "Army Day"),
    ((3, 8), "Women's Day"),
    ((4, 24), "Genocide Remembrance Day"),
    ((5, 1), "Labour Day"),
    ((5, 9), "Victory and Peace Day"),
    ((5, 28), "Republic Day"),
    ((7, 5), "Constitution Day"),
    ((9, 21), "Independence Day"),
    ((12, 31), "New Year's Eve"),
]


def add(apps, schema_editor):
    Holiday = apps.get_model("settlements", "Holiday")
    for year in (2026, 2027):
        for (month, day), name in HOLIDAYS:
            Holiday.objects.get_or_create(day=date(year, month, day), defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("settlements", "0001_initial")]

    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
