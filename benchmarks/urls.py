"""The portal's URLs plus two ceilings to measure the API against, served by the same
gunicorn with the same middleware: a bare JSON view, and one INSERT … RETURNING that
commits (the least a request that must write can do). Never part of the product."""

from __future__ import annotations

from django.db import connection, transaction
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt

TABLE = "bench_insert_ceiling"
CREATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} "
    "(id bigserial PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(), body text NOT NULL)"
)


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (body) VALUES (%s) RETURNING id",  # noqa: S608 - constant  # nosec B608  # a constant table name; the body is a parameter
            [request.body.decode()[:500]],
        )
        (row_id,) = cursor.fetchone()
    return JsonResponse({"id": row_id}, status=201)


urlpatterns = [
    path("bench/bare", bare),
    path("bench/insert", insert),
    path("", include("inecopay.urls")),
]
