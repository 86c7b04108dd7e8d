"""What a visitor gets when the portal fails: 503 when the database is unreachable or the
connection dropped mid-request (nothing was saved: the transaction went with it), 500
otherwise. Both pages render without the database, the session or the menu."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader

# Seconds a client is asked to wait before retrying after a 503.
RETRY_AFTER = 30


def database_unavailable(exc: BaseException | None) -> bool:
    """The database could not answer: down, the connection dropped, or a transaction that
    must be retried. Anything that ran in that transaction was rolled back."""
    return isinstance(exc, OperationalError | InterfaceError)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the exception, so sys.exc_info() holds
    it. Rendered from a standalone template, no request context: no query, no session."""
    exc = sys.exc_info()[1]
    if database_unavailable(exc):
        html = loader.get_template("503.html").render({"retry_after": RETRY_AFTER})
        response = HttpResponse(html, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    return HttpResponse(loader.get_template("500.html").render({}), status=500)
