"""The hooks through which the payment core announces changes to the apps above it.

`payment_event_written` is sent inside the transaction that writes a PaymentEvent, with
`event` (the saved PaymentEvent). Receivers write rows that must exist if and only if the
event does (an outbox: a webhook delivery); an exception rolls the whole change back, so
receivers do no I/O and queue nothing but `transaction.on_commit` callbacks.

`payment_event_recorded` is sent after the transaction that wrote a PaymentEvent commits,
with `payment_id` and `event_id` (primary keys). Receivers (webhooks, notifications,
totals) must be quick: queue a task, do not work inline. A failing receiver is logged and
never undoes or hides the change, which is already committed.
"""

from __future__ import annotations

from django.dispatch import Signal

payment_event_written = Signal()
payment_event_recorded = Signal()
