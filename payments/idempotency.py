"""Idempotency-Key on POST: the same key and request give the same answer, once.

The handler runs in one transaction with the key's row. A concurrent request with the
same key blocks on the row's unique index until the first commits, then finds the row
and replays its response; if the first failed, its row is rolled back with it and the
second goes ahead. Only successful responses are kept: an error leaves the key free, so
the corrected request can be retried with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import get_type_hints

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from shops.models import ApiKey

from .errors import CONTENT_TYPE, ApiError, json_response
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
MAX_LENGTH = 255
_TABLE = IdempotencyKey._meta.db_table
CLAIM_SQL = (
    f'INSERT INTO "{_TABLE}" ("shop_id", "test", "key", "fingerprint", "created_at") '  # noqa: S608  # nosec B608  # the model's own table name; values are parameters
    'VALUES (%s, %s, %s, %s, %s) ON CONFLICT ("shop_id", "test", "key") DO NOTHING RETURNING "id"'
)
STORE_SQL = f'UPDATE "{_TABLE}" SET "status_code" = %s, "response_body" = {{body}} WHERE "id" = %s'  # noqa: S608  # nosec B608  # the model's own table name; values are parameters


def _fingerprint(request: HttpRequest) -> str:
    try:
        body = json.dumps(
            json.loads(request.body or b"null"), sort_keys=True, separators=(",", ":")
        )
    except ValueError:
        body = request.body.decode("latin-1")
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _claim(*, key: ApiKey, value: str, fingerprint: str) -> tuple[IdempotencyKey, bool]:
    """The key's row, locked; True when this request is the one to run the handler."""
    now = timezone.now()
    test = key.kind == ApiKey.Kind.SECRET_TEST
    record = IdempotencyKey(
        shop_id=key.shop_id, test=test, key=value, fingerprint=fingerprint, created_at=now
    )
    # ON CONFLICT DO NOTHING rather than catching IntegrityError: no savepoint around the
    # insert (two round trips fewer per request), and the same waiting on a concurrent
    # insert of the key until that transaction ends.
    with connection.cursor() as cursor:
        cursor.execute(CLAIM_SQL, [key.shop_id, test, value, fingerprint, now])
        row = cursor.fetchone()
    if row is not None:
        record.pk = row[0]
        return record, True
    record = IdempotencyKey.objects.select_for_update().get(
        shop_id=key.shop_id, test=test, key=value
    )
    if record.created_at <= now - KEEP_FOR:
        # Past its 24 hours the key is new again.
        record.fingerprint = fingerprint
        record.created_at = now
        record.status_code = None
        record.response_body = None
        record.save()
        return record, True
    return record, False


# The claim written by the payment's own statement (see `Claim.guard`): the row arrives
# with the response, and only if the shop took the payment ("accepted" is that statement's
# name for the shop's row when it does). A key past its 24 hours is taken over; a live one
# is left alone, which the caller learns from the missing row.
GUARD_SQL = (
    f'INSERT INTO "{_TABLE}" ("shop_id", "test", "key", "fingerprint", "created_at", '  # noqa: S608  # nosec B608  # the model's own table name; values are parameters
    '"status_code", "response_body") '
    "SELECT %s::bigint, %s::boolean, %s::varchar, %s::varchar, %s::timestamptz, "
    "%s::integer, %s::jsonb FROM accepted "
    'ON CONFLICT ("shop_id", "test", "key") DO UPDATE SET "fingerprint" = EXCLUDED."fingerprint", '
    '"created_at" = EXCLUDED."created_at", "status_code" = EXCLUDED."status_code", '
    f'"response_body" = EXCLUDED."response_body" WHERE "{_TABLE}"."created_at" <= %s '
    'RETURNING "id"'
)


class Claim:
    """An Idempotency-Key that the operation's own write claims, on PostgreSQL: the key's
    row and its stored response are one more INSERT in the statement that writes the
    payment, so a create is one round trip, and a concurrent request with the same key
    waits on the row as it would on `_claim`'s."""

    def __init__(self, *, key: ApiKey, value: str, fingerprint: str) -> None:
        self.key = key
        self.value = value
        self.fingerprint = fingerprint
        self.body: str | None = None
        self.status = 0

    def guard(self, status: int, render: Callable[[object], str]):
        """For the service's `guard`: given the object about to be written, the statement
        that stores `render(object)` (its JSON text) as the response with `status`, and its
        parameters."""

        def statement(instance: object) -> tuple[str, list]:
            self.status = status
            self.body = render(instance)
            now = timezone.now()
            test = self.key.kind == ApiKey.Kind.SECRET_TEST
            params = [self.key.shop_id, test, self.value, self.fingerprint, now]
            return GUARD_SQL, [*params, status, self.body, now - KEEP_FOR]

        return statement

    def response(self) -> HttpResponse:
        """The stored response, as the first answer."""
        return HttpResponse(self.body, status=self.status, content_type=CONTENT_TYPE)

    def replay(self) -> HttpResponse:
        """The answer when the key was already taken: its stored response, or a conflict."""
        record = IdempotencyKey.objects.select_for_update().get(
            shop_id=self.key.shop_id,
            test=self.key.kind == ApiKey.Kind.SECRET_TEST,
            key=self.value,
        )
        return _replayed(record, self.fingerprint)


def _replayed(record: IdempotencyKey, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        raise ApiError(
            409,
            "idempotency_error",
            "idempotency_key_reused",
            _("This Idempotency-Key was used with a different request in the last 24 hours."),
            param=HEADER,
        )
    return json_response(record.status_code, record.response_body, {"Idempotent-Replayed": "true"})


class _Discard(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def idempotent(
    view: Callable[..., HttpResponse] | None = None, *, joins_write: bool = False
) -> Callable[..., HttpResponse]:
    """Make a POST operation honour the Idempotency-Key header.

    With `joins_write`, on PostgreSQL the operation gets the key as `request.idempotency`
    (a `Claim`, or None without the header) and passes `claim.guard(…)` to the service that
    writes: the key is claimed by that write's own statement rather than before it.
    """
    if view is None:
        return lambda view: idempotent(view, joins_write=joins_write)
    # ninja reads the signature through __wrapped__ but resolves string annotations in
    # the wrapper's module, so hand it the resolved types.
    view.__annotations__ = get_type_hints(view, include_extras=True)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        request.idempotency = None
        value = request.headers.get(HEADER)
        if value is None:
            return view(request, *args, **kwargs)
        if not value or len(value) > MAX_LENGTH or not value.isprintable():
            raise ApiError(
                400,
                "invalid_request_error",
                "idempotency_key_invalid",
                _("The Idempotency-Key must be 1 to 255 printable characters."),
                param=HEADER,
            )
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                if joins_write and connection.vendor == "postgresql":
                    request.idempotency = Claim(
                        key=request.auth, value=value, fingerprint=fingerprint
                    )
                    response = view(request, *args, **kwargs)
                    if not 200 <= response.status_code < 300:
                        raise _Discard(response)
                    return response
                record, mine = _claim(key=request.auth, value=value, fingerprint=fingerprint)
                if not mine:
                    return _replayed(record, fingerprint)
                response = view(request, *args, **kwargs)
                if not 200 <= response.status_code < 300:
                    raise _Discard(response)
                # The body as the response carries it: no second serialisation.
                body = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
                with connection.cursor() as cursor:
                    cursor.execute(
                        STORE_SQL.format(body=body),
                        [response.status_code, response.content.decode(), record.pk],
                    )
                return response
        except _Discard as discarded:
            return discarded.response

    return wrapper


def idempotency_keys_purge() -> int:
    """Delete the keys past their 24 hours."""
    deleted, _types = IdempotencyKey.objects.filter(
        created_at__lte=timezone.now() - KEEP_FOR
    ).delete()
    return deleted
