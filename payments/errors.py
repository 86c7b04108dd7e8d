"""Every API error has one shape: {"error": {"type", "code", "message", "param"}}."""

from __future__ import annotations

import json
import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, ValidationError

from inecopay.errors import RETRY_AFTER, database_unavailable
from transactions.services import PaymentStateError, PaymentValidationError

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        type: str,  # noqa: A002 - the field's name in the contract
        code: str,
        message: str,
        *,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers or {}


def json_response(status: int, data: object, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(
        # Compact, as pydantic writes the answers it serialises.
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        status=status,
        content_type=CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: ApiError) -> HttpResponse:
    body = {
        "error": {
            "type": error.type,
            "code": error.code,
            "message": str(error.message),
            "param": error.param,
        }
    }
    return json_response(error.status, body, error.headers)


def not_found() -> ApiError:
    return ApiError(404, "not_found_error", "resource_missing", _("No such payment."))


def _param(loc: tuple | list) -> str | None:
    # ninja puts the source first ("body", "query", "header", "path"), then the schema's
    # argument name for a body; the contract names parameters as the client sent them.
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "header", "path"}:
        source = parts.pop(0)
        if source == "body" and parts and parts[0] == "payload":
            parts.pop(0)
    if "[key]" in parts:  # a bad key of an object: name the object, not the key
        parts = parts[: max(parts.index("[key]") - 1, 0)]
    return ".".join(parts) or None


def handle_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    missing = first.get("type") == "missing"
    message = str(first.get("msg", _("Invalid request.")))
    return error_response(
        ApiError(
            400,
            "invalid_request_error",
            "parameter_missing" if missing else "parameter_invalid",
            message,
            param=_param(first.get("loc", ())),
        )
    )


def handle_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc, AuthenticationError):
        has_header = bool(request.headers.get("Authorization"))
        return error_response(
            ApiError(
                401,
                "authentication_error",
                "api_key_invalid" if has_header else "api_key_missing",
                _("The secret key is not valid, or no longer works.")
                if has_header
                else _("Send your secret key: Authorization: Bearer sk_test_…"),
                headers={"WWW-Authenticate": 'Bearer realm="Inecopay API"'},
            )
        )
    if exc.status_code == 400:
        # ninja raises this only when the body is not JSON.
        return error_response(
            ApiError(400, "invalid_request_error", "body_invalid", _("The body is not valid JSON."))
        )
    return error_response(
        ApiError(exc.status_code, "invalid_request_error", "request_invalid", str(exc))
    )


def handle_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc)


def handle_404(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(not_found())


def handle_payment_validation(request: HttpRequest, exc: PaymentValidationError) -> HttpResponse:
    return error_response(
        ApiError(400, "invalid_request_error", exc.code, exc.message, param=exc.param)
    )


def handle_payment_state(request: HttpRequest, exc: PaymentStateError) -> HttpResponse:
    return error_response(ApiError(409, "state_error", exc.code, exc.message, param=exc.param))


def handle_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path)
    if database_unavailable(exc):
        # The transaction was rolled back with the connection: nothing was written, and
        # the same request (with the same Idempotency-Key) may be sent again.
        return error_response(
            ApiError(
                503,
                "api_error",
                "service_unavailable",
                _("The service is briefly unavailable; nothing was saved. Retry shortly."),
                headers={"Retry-After": str(RETRY_AFTER)},
            )
        )
    return error_response(
        ApiError(500, "api_error", "internal_error", _("Something went wrong on our side."))
    )
