"""One error shape for every error of the API, and HTML error pages for the web pages.

Every error response body is ``{"error": {"status": int, "code": str, "message": str,
"details": list}}``; :data:`ERROR_STATUS` maps each :mod:`shopscope.errors` class to one status.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from shopscope import errors as e

__all__ = ["ERROR_STATUS", "ApiError", "error_body", "install_error_handlers"]

log = logging.getLogger(__name__)

ERROR_STATUS: tuple[tuple[type[e.ShopscopeError], int, str], ...] = (
    (e.WarehouseURLError, 503, "warehouse_unavailable"),
    (e.MissingColumnsError, 400, "invalid_input"),
    (e.FileFormatError, 400, "invalid_input"),
    (e.InvalidInputError, 400, "invalid_input"),
    (e.ConfigurationError, 400, "invalid_input"),
    (e.NotFoundError, 404, "not_found"),
    (e.ConvergenceError, 422, "not_converged"),
    (e.BackendUnavailableError, 503, "backend_unavailable"),
    (e.IngestError, 500, "ingest_failed"),
    (e.ShopscopeError, 500, "error"),
)
"""Error class → (HTTP status, code); the first matching class wins."""

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "validation_error",
    429: "too_many_requests",
}


class ApiError(Exception):
    """An error with its HTTP status, machine code and human message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: list[Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


def error_body(status: int, code: str, message: str, details: list[Any] | None = None) -> Any:
    """The JSON body of an error."""
    return {"error": {"status": status, "code": code, "message": message, "details": details or []}}


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _respond(request: Request, err: ApiError) -> Response:
    if _is_api(request) or request.url.path.startswith("/static/"):
        return JSONResponse(
            error_body(err.status, err.code, err.message, err.details),
            status_code=err.status,
            headers=err.headers,
        )
    if err.status == 401:
        from urllib.parse import quote

        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    from shopscope.server.pages.render import render_error

    return render_error(request, err)


def _from_shopscope(exc: e.ShopscopeError) -> ApiError:
    for cls, status, code in ERROR_STATUS:
        if isinstance(exc, cls):
            return ApiError(status, code, str(exc))
    raise AssertionError("unreachable: ShopscopeError is last")  # pragma: no cover


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through :func:`_respond`."""

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return _respond(request, exc)

    async def shopscope_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, e.ShopscopeError)
        return _respond(request, _from_shopscope(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = f"No page or endpoint at {request.url.path}; see /api/docs for the API."
        headers = dict(exc.headers or {})
        return _respond(request, ApiError(exc.status_code, code, message, headers=headers))

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        details = [
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "message": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
            for err in exc.errors()
        ]
        where = "; ".join(f"{'.'.join(d['loc'])}: {d['message']}" for d in details[:5])
        return _respond(
            request,
            ApiError(
                422, "validation_error", f"The request is not valid: {where}.", details=details
            ),
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return _respond(
            request,
            ApiError(
                500,
                "internal_error",
                f"Unexpected {type(exc).__name__}; this is a bug, the server log has the details.",
            ),
        )

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(e.ShopscopeError, shopscope_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
