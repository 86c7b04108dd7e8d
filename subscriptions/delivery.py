"""Delivery of report subscriptions: the sweeper that queues due sendings, and the sending.

The sweeper (beat, every minute) locks due subscriptions with SKIP LOCKED, writes one
ReportRun per period (unique on subscription and period start) and moves the subscription
on; the runs are queued on commit, a task per DELIVERY_CHUNK runs, which reads the chunk's
subscriptions, members and shops at once and shares the report files found between its
runs. A periodic subscription that missed periods while no worker ran catches up at most
the last CATCH_UP_PERIODS of them; an «on each payment» one covers at most the last
EACH_PAYMENT_CATCH_UP in one email.

Sending a run is exactly once in all but one instant. A worker claims each run of its
chunk on its own, just before sending it, under the run's row lock (queued → rendering,
with claimed_at; one conditional UPDATE, or a locked read when the run is not plainly
queued or due), renders or reuses the files, stamps sending_at, hands the message to the
mail server and marks the run sent. A second sweep, a duplicate message or a second worker
finds the run claimed or sent and does nothing. A worker that died (a claim older than
STALE_AFTER) is taken over and the run is sent: a mail server accepts a message only with
its final answer to the message's data, so a worker that died during the conversation
delivered nothing. Only a death between that answer and marking the run sent gives a
second copy, and it carries the same Message-ID, which mail systems use to drop
duplicates. A mail server that refuses the message is a known non-delivery: the run is
retried after BACKOFF.
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from inecopay.lib.mail import render_mail, send_templated_mail
from merchants.models import Membership
from merchants.roles import Perm, role_has
from reports.periods import Period, PeriodKind
from reports.registry import ReportRequest, get_variant
from reports.services import ReportTooLarge, report_build

from .activity import effective_shop_ids, window_has_activity, window_payments, window_refunds
from .models import (
    PERIODIC,
    Frequency,
    RenderedReport,
    ReportDownload,
    ReportRun,
    ReportSubscription,
)
from .rendering import rendered_report_get
from .schedule import due_at, following_after, report_period

logger = logging.getLogger(__name__)

# Periods a periodic subscription catches up after an outage: a month of daily reports,
# seven months of weekly ones, two and a half years of monthly ones. Older ones are skipped.
CATCH_UP_PERIODS = 31
# The longest window one «on each payment» email covers after an outage.
EACH_PAYMENT_CATCH_UP = timedelta(days=1)
# Waits before the 2nd, 3rd, 4th and 5th attempt after a failure (the last repeats).
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1))
# Consecutive failures after which a subscription pauses and the owners are told.
MAX_FAILURES = 5
# A run claimed this long ago whose worker has not finished is taken to have died.
STALE_AFTER = timedelta(minutes=10)
# A queued run not taken up this long after its message was queued gets a new message.
REQUEUE_AFTER = timedelta(minutes=10)
# Subscriptions locked and moved on per transaction by the sweeper.
SWEEP_BATCH = 500
# Runs per delivery task: a broker message and the runs' subscriptions, shops and files
# are loaded once per chunk; each run is still claimed on its own.
DELIVERY_CHUNK = 50
# Attachments kept in memory while a chunk is delivered (many runs of a chunk send the
# same files), each up to the first and all together up to the second.
ATTACHMENT_CACHE_FILE = 2 * 1024 * 1024
ATTACHMENT_CACHE_TOTAL = 32 * 1024 * 1024
# The most payments and refunds listed in one «on each payment» email.
LISTED_EVENTS = 200
# Attachments larger than this in total go as expiring links instead.
ATTACHMENT_LIMIT = 15 * 1024 * 1024


def attachment_limit() -> int:
    return getattr(settings, "REPORT_ATTACHMENT_LIMIT", ATTACHMENT_LIMIT)


def _enqueue(run_ids: list[int]) -> None:
    """One message per DELIVERY_CHUNK runs, all published over one broker connection."""
    from .tasks import deliver_report_runs

    if not run_ids:
        return
    with deliver_report_runs.app.producer_or_acquire() as producer:
        for start in range(0, len(run_ids), DELIVERY_CHUNK):
            deliver_report_runs.apply_async(
                (run_ids[start : start + DELIVERY_CHUNK],), producer=producer
            )


# ---------------------------------------------------------------------------
# The sweeper
# ---------------------------------------------------------------------------
def _due_periods(subscription: ReportSubscription, now: datetime) -> list[Period]:
    """The periods of the subscription due by `now` (the last CATCH_UP_PERIODS), moving its
    next_period_after and next_run_at past `now`."""
    zone = subscription.merchant.time_zone
    frequency = subscription.frequency
    after, run_at = subscription.next_period_after, subscription.next_run_at
    due: deque = deque(maxlen=CATCH_UP_PERIODS)
    while run_at <= now:
        due.append(after)
        after = following_after(frequency, after)
        run_at = due_at(after, subscription.send_time, zone)
    subscription.next_period_after, subscription.next_run_at = after, run_at
    return [report_period(frequency, day, zone) for day in due]


def _periodic_batch(now: datetime) -> list[int] | None:
    """One batch of due periodic subscriptions: their runs written, the subscriptions moved
    on; None when none is left."""
    with transaction.atomic():
        batch = list(
            ReportSubscription.objects.sending()
            .filter(frequency__in=PERIODIC, next_run_at__lte=now, next_period_after__isnull=False)
            .select_related("merchant")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("next_run_at", "pk")[:SWEEP_BATCH]
        )
        if not batch:
            return None
        runs = [
            ReportRun(
                subscription=subscription,
                period_start=period.start,
                period_end=period.end,
                time_zone=period.zone,
                enqueued_at=now,
            )
            for subscription in batch
            for period in _due_periods(subscription, now)
        ]
        _move_on(batch)
        ids = _write_runs(runs)
        # robust: the runs are rows already; a broker hiccup leaves them to runs_requeue
        # (a lambda: Django logs a robust callback's failure by its __qualname__).
        transaction.on_commit(lambda ids=ids: _enqueue(ids), robust=True)
    return ids


def _move_on(batch: list[ReportSubscription]) -> None:
    """Save the batch's next_period_after and next_run_at: one UPDATE per shared pair of
    values (subscriptions of one send time and zone move alike), the rest in one bulk_update."""
    groups: dict[tuple, list[ReportSubscription]] = {}
    for subscription in batch:
        key = (subscription.next_period_after, subscription.next_run_at)
        groups.setdefault(key, []).append(subscription)
    single = []
    for (after, run_at), members in groups.items():
        if len(members) == 1:
            single.extend(members)
            continue
        ReportSubscription.objects.filter(pk__in=[m.pk for m in members]).update(
            next_period_after=after, next_run_at=run_at
        )
    if single:
        ReportSubscription.objects.bulk_update(single, ["next_period_after", "next_run_at"])


def _write_runs(runs: list[ReportRun]) -> list[int]:
    """Insert the runs; a run already there (same subscription and period) stays as it is.
    Returns the ids to queue: the new runs and any existing one not yet sent."""
    if not runs:
        return []
    ReportRun.objects.bulk_create(runs, ignore_conflicts=True, batch_size=1000)
    keys = {(run.subscription_id, run.period_start) for run in runs}
    found = ReportRun.objects.filter(
        subscription_id__in={key[0] for key in keys},
        period_start__in={key[1] for key in keys},
    ).exclude(status=ReportRun.Status.SENT)
    return [
        pk
        for pk, subscription_id, start in found.values_list("pk", "subscription_id", "period_start")
        if (subscription_id, start) in keys
    ]


def _each_payment_batch(now: datetime, end: datetime) -> list[int] | None:
    with transaction.atomic():
        batch = list(
            ReportSubscription.objects.sending()
            .filter(frequency=Frequency.EACH_PAYMENT, covered_until__lt=end)
            .select_for_update(skip_locked=True)
            .prefetch_related("shops")
            .order_by("covered_until", "pk")[:SWEEP_BATCH]
        )
        if not batch:
            return None
        runs = []
        for subscription in batch:
            start = max(subscription.covered_until, end - EACH_PAYMENT_CATCH_UP)
            shop_ids = effective_shop_ids(subscription)
            if shop_ids is not None and window_has_activity(subscription, shop_ids, start, end):
                runs.append(
                    ReportRun(
                        subscription=subscription,
                        period_start=start,
                        period_end=end,
                        enqueued_at=now,
                    )
                )
            subscription.covered_until = end
        ReportSubscription.objects.bulk_update(batch, ["covered_until"])
        ids = _write_runs(runs)
        # robust: the runs are rows already; a broker hiccup leaves them to runs_requeue
        # (a lambda: Django logs a robust callback's failure by its __qualname__).
        transaction.on_commit(lambda ids=ids: _enqueue(ids), robust=True)
    return ids


def runs_requeue(*, now: datetime) -> int:
    """Queue again the runs whose message was lost, whose worker died, or whose retry is
    due; each at most once per REQUEUE_AFTER (or once per retry)."""
    waiting = (
        Q(status=ReportRun.Status.QUEUED)
        | Q(status=ReportRun.Status.RENDERING, claimed_at__lt=now - STALE_AFTER)
        | Q(status=ReportRun.Status.FAILED, retry_at__lte=now)
    )
    not_recently = (
        Q(enqueued_at__isnull=True)
        | Q(enqueued_at__lt=now - REQUEUE_AFTER)
        | Q(status=ReportRun.Status.FAILED, enqueued_at__lt=F("retry_at"))
    )
    with transaction.atomic():
        ids = list(
            ReportRun.objects.filter(waiting & not_recently)
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:5000]
        )
        ReportRun.objects.filter(pk__in=ids).update(enqueued_at=now)
        # robust: the runs are rows already; a broker hiccup leaves them to runs_requeue
        # (a lambda: Django logs a robust callback's failure by its __qualname__).
        transaction.on_commit(lambda ids=ids: _enqueue(ids), robust=True)
    return len(ids)


def subscriptions_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Queue every due sending: periodic periods, «on each payment» minutes with payments,
    due retries and lost runs. Safe to run twice or at once on two beats."""
    now = now or timezone.now()
    counts = {"periodic": 0, "each_payment": 0, "requeued": 0}
    while (ids := _periodic_batch(now)) is not None:
        counts["periodic"] += len(ids)
    # Whole minutes only: a minute still running is notified with the next sweep.
    end = now.replace(second=0, microsecond=0)
    while (ids := _each_payment_batch(now, end)) is not None:
        counts["each_payment"] += len(ids)
    counts["requeued"] = runs_requeue(now=now)
    return counts


# ---------------------------------------------------------------------------
# Sending one run
# ---------------------------------------------------------------------------
def _claim_quick(run: ReportRun, now: datetime) -> ReportRun | None:
    """Claim a run loaded with its chunk in one conditional UPDATE, when it was queued or
    due for its retry and its subscription active; None when that no longer holds (the
    caller then claims it under lock). The row's lock and PostgreSQL's recheck of the
    conditions after a concurrent update let one claim win; `attempts` is compared so that
    a run claimed and released by another worker since the chunk was loaded is not
    mistaken for the one loaded."""
    due = run.status == ReportRun.Status.QUEUED or (
        run.status == ReportRun.Status.FAILED and run.retry_at is not None and run.retry_at <= now
    )
    if not due or run.subscription.status != ReportSubscription.Status.ACTIVE:
        return None
    active = ReportSubscription.objects.filter(
        pk=run.subscription_id, status=ReportSubscription.Status.ACTIVE
    ).values("pk")
    claimed = ReportRun.objects.filter(
        Q(status=ReportRun.Status.QUEUED) | Q(status=ReportRun.Status.FAILED, retry_at__lte=now),
        pk=run.pk,
        attempts=run.attempts,
        subscription_id__in=active,
    ).update(
        status=ReportRun.Status.RENDERING,
        claimed_at=now,
        attempts=run.attempts + 1,
        retry_at=None,
        sending_at=None,
    )
    if not claimed:
        return None
    run.status = ReportRun.Status.RENDERING
    run.claimed_at = now
    run.attempts += 1
    run.retry_at = None
    run.sending_at = None
    return run


def _claim(run_id: int, now: datetime) -> ReportRun | None:
    """Take the run for this worker (queued → rendering), or None if it is sent, taken by
    a live worker, waiting for its retry, or not to be sent."""
    with transaction.atomic():
        run = (
            ReportRun.objects.select_for_update(of=("self",))
            .select_related("subscription__merchant", "subscription__membership")
            .filter(pk=run_id)
            .first()
        )
        if run is None or run.status == ReportRun.Status.SENT:
            return None
        if run.status == ReportRun.Status.RENDERING:
            if run.claimed_at is not None and run.claimed_at > now - STALE_AFTER:
                return None
            if run.sending_at is not None:
                logger.warning("report run %s: taking over a send interrupted by a crash", run.pk)
        if run.status == ReportRun.Status.FAILED and (run.retry_at is None or run.retry_at > now):
            return None
        if run.subscription.status != ReportSubscription.Status.ACTIVE:
            run.status = ReportRun.Status.FAILED
            run.retry_at = None
            run.error = _("Not sent: the subscription is %(status)s.") % {
                "status": run.subscription.get_status_display().lower()
            }
            run.save(update_fields=["status", "retry_at", "error"])
            return None
        run.status = ReportRun.Status.RENDERING
        run.claimed_at = now
        run.attempts += 1
        run.retry_at = None
        run.sending_at = None
        run.save(update_fields=["status", "claimed_at", "attempts", "retry_at", "sending_at"])
    return run


def _mine(run: ReportRun):
    # Writes of an attempt touch the run only while that attempt still owns it.
    return ReportRun.objects.filter(
        pk=run.pk, status=ReportRun.Status.RENDERING, claimed_at=run.claimed_at
    )


def access_problem(subscription: ReportSubscription) -> str | None:
    """Why the recipient may no longer get the merchant's reports, or None."""
    membership: Membership | None = subscription.membership
    if membership is None or membership.merchant_id != subscription.merchant_id:
        return _("The team member this subscription belongs to was removed from the team.")
    if not role_has(membership.role, Perm.VIEW_REPORTS):
        return _("The team member's role no longer allows viewing reports.")
    return None


def unsubscribe_url(subscription: ReportSubscription) -> str:
    return settings.SITE_URL + reverse(
        "subscriptions:unsubscribe", args=[subscription.unsubscribe_token]
    )


def run_period(run: ReportRun) -> Period:
    """The reports' Period of a periodic run, in the zone it was queued in."""
    subscription = run.subscription
    zone = ZoneInfo(run.time_zone or subscription.merchant.time_zone)
    first = run.period_start.astimezone(zone).date()
    after = run.period_end.astimezone(zone).date()
    kind = PeriodKind.MONTH if subscription.frequency == Frequency.MONTHLY else PeriodKind.RANGE
    return Period(kind, first, after, zone.key)


class ChunkCache:
    """What the runs of one delivery chunk share: the stored reports by key, and the
    attachments' bytes (read from storage once per chunk and file)."""

    def __init__(self) -> None:
        self.reports: dict[str, RenderedReport] = {}
        self.files: dict[str, bytes] = {}
        self.kept = 0

    def content(self, report: RenderedReport) -> bytes:
        name = report.file.name
        if name in self.files:
            return self.files[name]
        with report.file.open("rb") as stream:
            content = stream.read()
        if len(content) <= ATTACHMENT_CACHE_FILE and self.kept + len(content) <= (
            ATTACHMENT_CACHE_TOTAL
        ):
            self.files[name] = content
            self.kept += len(content)
        return content


def _report_files(
    run: ReportRun, shop_ids: tuple[int, ...], now: datetime, cache: ChunkCache
) -> list:
    """The run's files, each rendered once across all subscriptions that ask for it."""
    subscription = run.subscription
    # The subscription's shops are loaded already (effective_shop_ids read them).
    shops = tuple(
        sorted((s for s in subscription.shops.all() if s.pk in shop_ids), key=lambda s: s.pk)
    )
    request = ReportRequest(
        merchant=subscription.merchant,
        shops=shops,
        period=run_period(run),
        test=subscription.test,
    )
    files = []
    for code in subscription.variants:
        variant = get_variant(code)
        if variant is None:
            continue
        built = []

        def build(variant=variant, built=built):
            # One build per variant, however many of its formats need rendering.
            if not built:
                built.append(report_build(variant=variant, request=request, now=now))
            return built[0]

        for fmt in subscription.formats:
            if fmt not in variant.formats:
                continue
            try:
                files.append(
                    rendered_report_get(
                        request=request,
                        variant=code,
                        fmt=fmt,
                        language=subscription.language,
                        build=build,
                        known=cache.reports,
                    )
                )
            except ReportTooLarge:
                # A registry too long for a PDF: its XLSX or CSV, when chosen, still go.
                logger.info("report run %s: %s %s is too long for a PDF", run.pk, code, fmt)
    return files


def _listing(run: ReportRun, files: list[RenderedReport]) -> tuple[list[dict], datetime | None]:
    """What the email says about each file; above the size limit in total, each gets an
    expiring download link (the same one again if this run is retried)."""
    if sum(report.size for report in files) <= attachment_limit():
        return [{"filename": r.filename, "size": r.size, "url": None} for r in files], None
    listed, expires_at = [], None
    for report in files:
        download, _created = ReportDownload.objects.get_or_create(run=run, report=report)
        url = settings.SITE_URL + reverse("subscriptions:file", args=[download.token])
        listed.append({"filename": report.filename, "size": report.size, "url": url})
        expires_at = download.expires_at
    return listed, expires_at


def _base_context(run: ReportRun, url: str) -> dict:
    subscription = run.subscription
    return {
        "subscription": subscription,
        "merchant_name": subscription.merchant.display_name,
        "unsubscribe_url": url,
        "zone": run.time_zone or subscription.merchant.time_zone,
    }


def _periodic_message(
    run: ReportRun, shop_ids: tuple[int, ...], now: datetime, cache: ChunkCache, url: str
):
    from reports.pdf import period_label

    subscription = run.subscription
    files = _report_files(run, shop_ids, now, cache)
    listed, expires_at = _listing(run, files)
    period = run_period(run)
    context = {
        **_base_context(run, url),
        "period_label": period_label(period),
        "period_interval": period.interval,
        "files": listed,
        "links": expires_at is not None,
        "expires_at": (
            timezone.localtime(expires_at, ZoneInfo(period.zone)).replace(tzinfo=None)
            if expires_at
            else None
        ),
    }
    message = render_mail("report_subscription", context, subscription.language)
    if expires_at is None:
        for report in files:
            message.attach(report.filename, cache.content(report), report.mimetype)
    return message


def _payments_message(run: ReportRun, shop_ids: tuple[int, ...], url: str):
    subscription = run.subscription
    zone = ZoneInfo(subscription.merchant.time_zone)
    start, end = run.period_start, run.period_end

    def payment_url(public_id: str) -> str:
        return settings.SITE_URL + reverse("transactions:detail", args=[public_id])

    events = []
    for payment in window_payments(subscription, shop_ids, start, end)[: LISTED_EVENTS + 1]:
        events.append(
            {
                "kind": "payment",
                "at": payment.succeeded_at,
                "order_id": payment.order_id,
                "amount": payment.amount,
                "currency": payment.currency,
                "shop": payment.shop.name,
                "url": payment_url(payment.public_id),
            }
        )
    for refund in window_refunds(subscription, shop_ids, start, end)[: LISTED_EVENTS + 1]:
        events.append(
            {
                "kind": "refund",
                "at": refund.created_at,
                "order_id": refund.payment.order_id,
                "amount": refund.amount,
                "currency": refund.payment.currency,
                "shop": refund.payment.shop.name,
                "url": payment_url(refund.payment.public_id),
            }
        )
    events.sort(key=lambda event: event["at"])
    for event in events:
        # Naive wall-clock time of the merchant's zone, which the email names.
        event["local"] = event["at"].astimezone(zone).replace(tzinfo=None)
    context = {
        **_base_context(run, url),
        "zone": zone.key,
        "events": events[:LISTED_EVENTS],
        "more": len(events) > LISTED_EVENTS,
        "payments": sum(1 for event in events if event["kind"] == "payment"),
        "refunds": sum(1 for event in events if event["kind"] == "refund"),
        "start": start.astimezone(zone).replace(tzinfo=None),
        "end": end.astimezone(zone).replace(tzinfo=None),
    }
    return render_mail("report_payments", context, subscription.language)


def report_run_message(
    run: ReportRun, *, now: datetime, cache: ChunkCache | None = None
) -> EmailMultiAlternatives | None:
    """The run's email, addressed and with its unsubscribe headers; None when none of the
    chosen shops is the merchant's any more."""
    cache = cache or ChunkCache()
    subscription = run.subscription
    shop_ids = effective_shop_ids(subscription)
    if shop_ids is None:
        return None
    # In the body and the headers; reversing a URL is not free at 10 000 emails.
    url = unsubscribe_url(subscription)
    with translation.override(subscription.language):
        if subscription.is_periodic:
            message = _periodic_message(run, shop_ids, now, cache, url)
        else:
            message = _payments_message(run, shop_ids, url)
    message.to = [subscription.email]
    message.extra_headers = {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # The same for every attempt of the run: a copy resent after a crash is known.
        "Message-ID": run_message_id(run),
    }
    return message


def run_message_id(run: ReportRun) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "inecopay.am"
    return f"<report-run-{run.pk}.{run.subscription.public_id}@{domain}>"


def _notify_owners(subscription: ReportSubscription, reason: str) -> None:
    owners = Membership.objects.filter(
        merchant_id=subscription.merchant_id, role=Membership.Role.OWNER, user__is_active=True
    ).select_related("user")
    for owner in owners:
        send_templated_mail(
            template="subscription_paused",
            to=[owner.user.email],
            context={
                "subscription": subscription,
                "merchant_name": subscription.merchant.display_name,
                "reason": reason,
                "subscriptions_url": settings.SITE_URL + reverse("subscriptions:list"),
            },
            language=owner.user.language or settings.LANGUAGE_CODE,
        )


def _pause(subscription: ReportSubscription, reason: str, now: datetime) -> None:
    """Pause an active subscription and tell the merchant's owners (on commit)."""
    paused = ReportSubscription.objects.filter(
        pk=subscription.pk, status=ReportSubscription.Status.ACTIVE
    ).update(status=ReportSubscription.Status.PAUSED, paused_reason=reason[:255], updated_at=now)
    if paused:
        _notify_owners(subscription, reason)


def _stop(run: ReportRun, reason: str, now: datetime) -> None:
    """Not sent and not to be retried: the run fails with the reason, the subscription
    pauses."""
    with transaction.atomic():
        _mine(run).update(status=ReportRun.Status.FAILED, error=reason, retry_at=None)
        _pause(run.subscription, reason, now)


def _fail(run: ReportRun, error: str, now: datetime) -> None:
    """Record a failed attempt: retry after the backoff, or pause after MAX_FAILURES."""
    with transaction.atomic():
        subscription = ReportSubscription.objects.select_for_update().get(pk=run.subscription_id)
        failures = subscription.consecutive_failures + 1
        ReportSubscription.objects.filter(pk=subscription.pk).update(
            consecutive_failures=failures, last_error=error, last_error_at=now
        )
        retry_at = None
        if failures >= MAX_FAILURES:
            _pause(
                run.subscription,
                _("Sending failed %(count)d times in a row.") % {"count": failures},
                now,
            )
        else:
            retry_at = now + BACKOFF[min(run.attempts, len(BACKOFF)) - 1]
        _mine(run).update(
            status=ReportRun.Status.FAILED, error=error, retry_at=retry_at, sending_at=None
        )


def report_run_deliver(*, run_id: int, now: datetime | None = None) -> str:
    """Send one run's email, at most once. Returns what happened: sent, skipped, stopped
    or failed."""
    return report_runs_deliver(run_ids=[run_id], now=now)[0]


def report_runs_deliver(*, run_ids: list[int], now: datetime | None = None) -> list[str]:
    """Send the emails of a chunk of runs, each at most once and claimed on its own; the
    runs' subscriptions, members and shops are read in two queries for the chunk. Returns
    what happened to each run, in order."""
    loaded = {
        run.pk: run
        for run in ReportRun.objects.filter(pk__in=run_ids)
        .select_related("subscription__merchant", "subscription__membership")
        .prefetch_related("subscription__shops")
    }
    cache = ChunkCache()
    # Subscriptions whose run was sent: their failure count is reset and their last
    # sending noted in one UPDATE for the chunk, or before another run of one of them is
    # taken, so that a failure of that run counts from zero.
    sent: set[int] = set()
    outcomes = []
    try:
        for run_id in run_ids:
            at = now or timezone.now()
            run = loaded.get(run_id)
            subscription_id = run.subscription_id if run is not None else None
            if subscription_id is None or subscription_id in sent:
                _note_sent(sent)
            claimed = _claim_quick(run, at) if run is not None else None
            if claimed is None:
                claimed = _claim(run_id, at)
            if claimed is None:
                outcomes.append("skipped")
                continue
            outcome = _deliver(claimed, at, cache)
            if outcome == "sent":
                sent.add(claimed.subscription_id)
            outcomes.append(outcome)
    finally:
        _note_sent(sent)
    return outcomes


def _note_sent(sent: set[int]) -> None:
    """Reset the failure count of subscriptions just sent, and note their last sending
    (their latest sent run's), in one UPDATE."""
    if not sent:
        return
    latest = (
        ReportRun.objects.filter(subscription=OuterRef("pk"), status=ReportRun.Status.SENT)
        .order_by()
        .values("subscription")
        .annotate(at=Max("sent_at"))
        .values("at")
    )
    ReportSubscription.objects.filter(pk__in=sent).update(
        consecutive_failures=0, last_sent_at=Subquery(latest), last_error=""
    )
    sent.clear()


def _deliver(run: ReportRun, now: datetime, cache: ChunkCache) -> str:
    """Render and send a run this worker has claimed; the caller notes a sending on the
    subscription."""
    subscription = run.subscription
    problem = access_problem(subscription)
    if problem:
        _stop(run, problem, now)
        return "stopped"
    try:
        message = report_run_message(run, now=now, cache=cache)
    except Exception as exc:
        logger.exception("report run %s could not be made", run.pk)
        _fail(run, f"{type(exc).__name__}: {exc}"[:1000], now)
        return "failed"
    if message is None:
        reason = _("None of the chosen shops belongs to the merchant any more.")
        _mine(run).update(status=ReportRun.Status.FAILED, error=reason, retry_at=None)
        return "failed"
    # From here a crash is taken over after STALE_AFTER and the message sent again.
    if not _mine(run).update(sending_at=timezone.now()):
        return "skipped"
    try:
        message.send()
    except Exception as exc:
        logger.warning("report run %s: the mail server refused: %s", run.pk, exc)
        _fail(run, f"{type(exc).__name__}: {exc}"[:1000], now)
        return "failed"
    _mine(run).update(status=ReportRun.Status.SENT, sent_at=timezone.now(), error="")
    return "sent"
