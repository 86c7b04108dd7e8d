"""The idempotency keys' shop index goes: the unique (shop, test, key) constraint starts
with the shop. On PostgreSQL only the index is dropped (the generated operation would also
drop and re-add the foreign key, re-checking every row)."""

import django.db.models.deletion
from django.db import migrations, models

from inecopay.lib.migrations import postgresql_only


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_webhook_actions_and_flags"),
        ("shops", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="idempotencykey",
                    name="shop",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="shops.shop",
                    ),
                ),
            ],
            database_operations=[
                postgresql_only(
                    ['DROP INDEX IF EXISTS "payments_idempotencykey_shop_id_b057132c"'],
                    [
                        'CREATE INDEX "payments_idempotencykey_shop_id_b057132c"'
                        ' ON "payments_idempotencykey" ("shop_id")'
                    ],
                )
            ],
        ),
    ]
