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

from .errors import ApiError, json_response
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


class _Discard(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Make a POST operation honour the Idempotency-Key header."""
    # ninja reads the signature through __wrapped__ but resolves string annotations in
    # the wrapper's module, so hand it the resolved types.
    view.__annotations__ = get_type_hints(view, include_extras=True)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
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
                record, mine = _claim(key=request.auth, value=value, fingerprint=fingerprint)
                if not mine:
                    if record.fingerprint != fingerprint:
                        raise ApiError(
                            409,
                            "idempotency_error",
                            "idempotency_key_reused",
                            _(
                                "This Idempotency-Key was used with a different request "
                                "in the last 24 hours."
                            ),
                            param=HEADER,
                        )
                    return json_response(
                        record.status_code,
                        record.response_body,
                        {"Idempotent-Replayed": "true"},
                    )
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
