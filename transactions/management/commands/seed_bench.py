"""Fill a throwaway PostgreSQL database with millions of payments for the benchmarks.

Payments go in through COPY with the table's secondary indexes and unique/foreign keys
dropped and rebuilt afterwards (all in one transaction, so a failure leaves the table as
it was); then each merchant's daily totals are recounted set-based.
"""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from merchants.models import Membership, Merchant, User
from shops.models import Shop
from transactions.models import DailyTotal, Payment, PaymentEvent, Refund
from transactions.totals import daily_totals_rebuild

BENCH_NAME = "Bench merchant"
BENCH_EMAIL = "bench-owner-{n:02d}@bench.inecopay.am"
BIG_MERCHANT = 1_000_000
SHOPS_PER_MERCHANT = 3
# Drop and rebuild the indexes only when that is cheaper than maintaining them row by row.
REINDEX_FROM = 200_000

Status = Payment.Status
# Status, weight in percent.
STATUSES = (
    (Status.SUCCEEDED, 62),
    (Status.DECLINED, 10),
    (Status.EXPIRED, 9),
    (Status.CANCELLED, 4),
    (Status.PARTIALLY_REFUNDED, 5),
    (Status.REFUNDED, 6),
    (Status.CHARGEBACK, 1),
    (Status.PENDING, 2),
    (Status.PROCESSING, 1),
)
METHODS = (("card", 60), ("idram", 14), ("telcell", 10), ("apple_pay", 11), ("google_pay", 5))
BRANDS = (("visa", 50), ("mastercard", 35), ("arca", 15))
CURRENCIES = (("AMD", 85), ("USD", 10), ("EUR", 4), ("RUB", 1))
UNDECIDED = {Status.PENDING, Status.EXPIRED, Status.CANCELLED}
PAID = {Status.SUCCEEDED, Status.PARTIALLY_REFUNDED, Status.REFUNDED, Status.CHARGEBACK}
COLUMNS = (
    "id", "public_id", "shop_id", "merchant_id", "test", "status", "amount", "currency",
    "order_id", "description", "payment_methods", "delivery_enabled", "delivery",
    "customer_email", "customer_phone", "language", "success_url", "fail_url", "metadata",
    "expires_at", "method", "card_brand", "card_last4", "refunded_amount", "form_token",
    "created_at", "updated_at", "succeeded_at",
)  # fmt: skip


def _table(weighted: tuple) -> list:
    """A list of 100 entries to index with a random number: cheaper than random.choices."""
    return [value for value, weight in weighted for _ in range(weight)]


def is_throwaway(name: str) -> bool:
    """A database whose name says it may be filled with generated rows."""
    name = name.lower()
    return "bench" in name or name.startswith("test_")


class Command(BaseCommand):
    help = "Seed a throwaway PostgreSQL database with payments for the benchmarks (COPY)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--payments", type=int, default=5_000_000)
        parser.add_argument("--merchants", type=int, default=20)
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument(
            "--big",
            type=int,
            default=None,
            help="payments of the first merchant (default 1 000 000, at most a fifth)",
        )
        parser.add_argument("--seed", type=int, default=5)
        parser.add_argument(
            "--replace", action="store_true", help="remove an earlier bench data set first"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even if the database name does not say bench or test_",
        )

    def handle(self, *args, **options) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("seed_bench needs PostgreSQL (it writes with COPY).")
        name = connection.settings_dict["NAME"]
        if not is_throwaway(name) and not options["force"]:
            raise CommandError(
                f"Refusing to fill database {name!r}: its name does not contain 'bench' "
                "(or start with 'test_'). Use a throwaway database, or --force."
            )
        total, merchants = options["payments"], options["merchants"]
        if total < merchants or merchants < 1:
            raise CommandError("Give at least one payment per merchant.")
        existing = Merchant.objects.filter(name__startswith=BENCH_NAME)
        if existing.exists():
            if not options["replace"]:
                count = Payment.objects.filter(merchant__in=existing).count()
                self.stdout.write(f"Already seeded: {count} bench payments (--replace to redo).")
                return
            started = time.monotonic()
            self._remove(existing)
            self.stdout.write(
                f"removed the earlier bench data in {time.monotonic() - started:.1f} s"
            )
        big = options["big"] if options["big"] is not None else min(BIG_MERCHANT, total // 5)
        big = min(big, total - (merchants - 1)) if merchants > 1 else total
        rest = total - big
        sizes = [big] + [
            rest // (merchants - 1) + (1 if n < rest % (merchants - 1) else 0)
            for n in range(merchants - 1)
        ]
        clock = time.monotonic()
        people = self._merchants(sizes)
        self.stdout.write(f"{merchants} merchants with {SHOPS_PER_MERCHANT} shops each")
        copied = self._copy(people, options["months"], options["seed"])
        copy_seconds = time.monotonic() - clock
        self.stdout.write(
            f"COPY of {copied} payments with index rebuild: {copy_seconds:.1f} s "
            f"({copied / max(copy_seconds, 1e-9):,.0f} rows/s)"
        )
        clock = time.monotonic()
        rows = sum(daily_totals_rebuild(merchant_id=m.pk) for m, _shops, _n in people)
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Payment._meta.db_table}")  # noqa: S608
            cursor.execute(f"ANALYZE {DailyTotal._meta.db_table}")  # noqa: S608
        self.stdout.write(
            f"daily totals rebuilt ({rows} rows) and analysed: {time.monotonic() - clock:.1f} s"
        )
        self.stdout.write(f"owner of the largest merchant: {people[0][0].memberships.get().user}")

    # ------------------------------------------------------------------
    def _remove(self, merchants) -> None:
        ids = list(merchants.values_list("pk", flat=True))
        with transaction.atomic():
            payments = Payment.objects.filter(merchant_id__in=ids)
            DailyTotal.objects.filter(merchant_id__in=ids).delete()
            Refund.objects.filter(payment__in=payments)._raw_delete(connection.alias)
            PaymentEvent.objects.filter(payment__in=payments)._raw_delete(connection.alias)
            payments._raw_delete(connection.alias)
            for merchant in Merchant.objects.filter(pk__in=ids):
                users = [m.user_id for m in merchant.memberships.all()]
                Shop.objects.filter(merchant=merchant).delete()
                merchant.delete()
                User.objects.filter(pk__in=users, email__endswith="@bench.inecopay.am").delete()

    def _merchants(self, sizes: list[int]) -> list[tuple[Merchant, list[Shop], int]]:
        people = []
        for n, size in enumerate(sizes, start=1):
            merchant = Merchant.objects.create(
                name=f"{BENCH_NAME} {n:02d}",
                state=Merchant.State.ACTIVATED,
                activated_at=timezone.now(),
            )
            user = User.objects.create_user(BENCH_EMAIL.format(n=n), None)
            Membership.objects.create(merchant=merchant, user=user, role=Membership.Role.OWNER)
            shops = [
                Shop.objects.create(
                    merchant=merchant,
                    name=f"Bench shop {n:02d}-{s}",
                    is_open=True,
                    live_mode=True,
                    review_status=Shop.Review.CONFIRMED,
                )
                for s in range(1, SHOPS_PER_MERCHANT + 1)
            ]
            people.append((merchant, shops, size))
        return people

    def _copy(self, people, months: int, seed: int) -> int:
        table = Payment._meta.db_table
        total = sum(size for _m, _s, size in people)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")  # noqa: S608
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608  # nosec B608  # the model's own table name
            first_id = cursor.fetchone()[0] + 1
            rebuild = self._drop_indexes(cursor, table) if total >= REINDEX_FROM else []
            clock = time.monotonic()
            sql = f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN"  # noqa: S608
            with cursor.cursor.copy(sql) as copy:
                next_id = first_id
                for merchant, shops, size in people:
                    rng = random.Random(seed * 1000 + merchant.pk)  # noqa: S311 - bench data
                    for block in _rows(rng, merchant, shops, size, months, next_id):
                        copy.write(block)
                    next_id += size
            self.stdout.write(f"  COPY itself: {time.monotonic() - clock:.1f} s")
            clock = time.monotonic()
            for statement in rebuild:
                cursor.execute(statement)
            if rebuild:
                self.stdout.write(
                    f"  {len(rebuild)} indexes and keys rebuilt: {time.monotonic() - clock:.1f} s"
                )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, next_id - 1]
            )
        return total

    def _drop_indexes(self, cursor, table: str) -> list[str]:
        """Drop the table's unique and foreign keys and secondary indexes; return the
        statements that recreate them (keys after the indexes)."""
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
            "AND i.indexname NOT IN (SELECT conname FROM pg_constraint "
            "WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        quote = connection.ops.quote_name
        for name, _definition in constraints:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quote(name)}")
        return [definition for _name, definition in indexes] + [
            f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}"
            for name, definition in constraints
        ]


def _rows(rng: random.Random, merchant: Merchant, shops: list[Shop], size: int, months: int,
          first_id: int):  # fmt: skip
    """COPY text blocks of `size` payments spread evenly over the last `months` months."""
    statuses, methods = _table(STATUSES), _table(METHODS)
    brands, currencies = _table(BRANDS), _table(CURRENCIES)
    now = datetime.now(UTC).replace(microsecond=0)
    span = int(timedelta(days=30.4 * months).total_seconds())
    start = now - timedelta(seconds=span)
    start_epoch = int(start.timestamp())
    shop_ids = [shop.pk for shop in shops]
    merchant_id = merchant.pk
    stamps: dict[int, str] = {}

    def stamp(epoch: int) -> str:
        # One datetime per minute, cached: formatting dominates the cost otherwise.
        minute, second = divmod(epoch, 60)
        text = stamps.get(minute)
        if text is None:
            text = datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%d %H:%M")
            stamps[minute] = text
        return f"{text}:{second:02d}+00"

    lines = []
    random_, randrange = rng.random, rng.randrange
    for n in range(size):
        pk = first_id + n
        created = start_epoch + int(random_() * span)
        status = statuses[int(random_() * 100)]
        if status in (Status.PENDING, Status.PROCESSING):
            created = int(now.timestamp()) - randrange(60, 600)
        currency = currencies[int(random_() * 100)]
        amount = randrange(1_000, 200_000) * 100 if currency == "AMD" else randrange(500, 40_000)
        if status in UNDECIDED:
            method = brand = last4 = ""
        else:
            method = methods[int(random_() * 100)]
            brand = brands[int(random_() * 100)] if method == "card" else ""
            last4 = f"{randrange(10_000):04d}" if method == "card" else ""
        refunded = 0
        if status == Status.REFUNDED:
            refunded = amount
        elif status == Status.PARTIALLY_REFUNDED:
            refunded = amount // 4
        created_text = stamp(created)
        succeeded = stamp(created + 60) if status in PAID else "\\N"
        lines.append(
            f"{pk}\tpay_b{pk:023x}\t{shop_ids[pk % len(shop_ids)]}\t{merchant_id}\tf\t{status}"
            f'\t{amount}\t{currency}\tB-{pk}\t\t["card", "idram"]\tf\t{{}}\t\t\t\t\t\t{{}}'
            f"\t{stamp(created + 900)}\t{method}\t{brand}\t{last4}\t{refunded}\tbench{pk}"
            f"\t{created_text}\t{created_text}\t{succeeded}\n"
        )
        if len(lines) == 20_000:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)
