"""Four indexes fewer on payments, which every payment insert paid for and no query used:
the pattern-ops (LIKE) twins of the unique public_id and form_token, and the single-column
indexes of the shop and merchant keys, which the composite indexes starting with them
cover. On PostgreSQL the indexes are dropped and the unique constraints renamed in place:
the generated operations would drop and re-add the foreign keys, re-checking every row."""

import django.db.models.deletion
from django.db import migrations, models

import transactions.models
from inecopay.lib.migrations import postgresql_only

TABLE = '"transactions_payment"'


class Migration(migrations.Migration):
    dependencies = [
        ("merchants", "0004_merchant_totals_time_zone"),
        ("shops", "0001_initial"),
        ("transactions", "0006_total_deltas"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="payment",
                    name="form_token",
                    field=models.CharField(
                        default=transactions.models._form_token, editable=False, max_length=64
                    ),
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="merchant",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="merchants.merchant",
                    ),
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="public_id",
                    field=models.CharField(
                        default=transactions.models._payment_id,
                        max_length=32,
                        verbose_name="payment ID",
                    ),
                ),
                migrations.AlterField(
                    model_name="payment",
                    name="shop",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="shops.shop",
                    ),
                ),
                migrations.AddConstraint(
                    model_name="payment",
                    constraint=models.UniqueConstraint(
                        fields=("public_id",), name="payment_public_id_unique"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="payment",
                    constraint=models.UniqueConstraint(
                        fields=("form_token",), name="payment_form_token_unique"
                    ),
                ),
            ],
            database_operations=[
                postgresql_only(
                    [
                        'DROP INDEX IF EXISTS "transactions_payment_form_token_0d1cfb35_like"',
                        'DROP INDEX IF EXISTS "transactions_payment_public_id_bef2185e_like"',
                        'DROP INDEX IF EXISTS "transactions_payment_merchant_id_4feef5cf"',
                        'DROP INDEX IF EXISTS "transactions_payment_shop_id_3f8aa3de"',
                        f'ALTER TABLE {TABLE} RENAME CONSTRAINT "transactions_payment_public_id_key"'
                        ' TO "payment_public_id_unique"',
                        f'ALTER TABLE {TABLE} RENAME CONSTRAINT "transactions_payment_form_token_key"'
                        ' TO "payment_form_token_unique"',
                    ],
                    [
                        f'ALTER TABLE {TABLE} RENAME CONSTRAINT "payment_form_token_unique"'
                        ' TO "transactions_payment_form_token_key"',
                        f'ALTER TABLE {TABLE} RENAME CONSTRAINT "payment_public_id_unique"'
                        ' TO "transactions_payment_public_id_key"',
                        f'CREATE INDEX "transactions_payment_shop_id_3f8aa3de" ON {TABLE} ("shop_id")',
                        'CREATE INDEX "transactions_payment_merchant_id_4feef5cf"'
                        f' ON {TABLE} ("merchant_id")',
                        'CREATE INDEX "transactions_payment_public_id_bef2185e_like"'
                        f' ON {TABLE} ("public_id" varchar_pattern_ops)',
                        'CREATE INDEX "transactions_payment_form_token_0d1cfb35_like"'
                        f' ON {TABLE} ("form_token" varchar_pattern_ops)',
                    ],
                )
            ],
        ),
    ]
