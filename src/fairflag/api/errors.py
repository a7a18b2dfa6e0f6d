"""One error shape for every JSON error, and the one place domain errors become HTTP statuses.

    {"error": {"type": "<stable code>", "message": "<reason>", "field": "<the offending field or null>",
               "details": [...]}}
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from fairflag.api.responses import SafeJSONResponse as JSONResponse
from fairflag.api.responses import error_body
from fairflag.domain.errors import DomainError, ErrorCategory, RateLimited
from fairflag.policy import PolicyError

STATUS = {
    ErrorCategory.invalid: 422,
    ErrorCategory.not_found: 404,
    ErrorCategory.conflict: 409,
    ErrorCategory.forbidden: 403,
    ErrorCategory.unauthenticated: 401,
    ErrorCategory.rate_limited: 429,
}


class ErrorDetail(BaseModel):
    field: str | None
    reason: str


class ErrorInfo(BaseModel):
    type: str = Field(description="A stable machine-readable code, e.g. unknown_reason, lease_expired.")
    message: str
    field: str | None = Field(description="The offending field, dotted for nested ones; null if none.")
    details: list[ErrorDetail]


class ErrorBody(BaseModel):
    error: ErrorInfo


# Documented on every route, so the OpenAPI spec says what a failure looks like.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Missing, unknown or expired credentials."},
    403: {"model": ErrorBody, "description": "The caller's role may not do this."},
    404: {"model": ErrorBody, "description": "No such thing (or not yours to see)."},
    409: {"model": ErrorBody, "description": "The current state forbids it (held case, duplicate appeal...)."},
    422: {"model": ErrorBody, "description": "Invalid input: `field` names it, `message` says why. Also a body "
          "that is not JSON, not UTF-8, or nested too deeply (`field` is `body`)."},
}


# Documented on the routes a platform service key calls (its limit, and the reporter's on filing reports).
RATE_LIMITED_RESPONSES: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "Over a rate limit of the policy (`[rate_limits]`): the service "
          "key's requests per second (`service_key_rate_limited`), or the reporter's new reports per minute or "
          "hour (`reporter_rate_limited`, `field` is `reporter_id`), or the reporter's links to the report page "
          "(`report_link_rate_limited`, `field` is `reporter_id`). Nothing was stored; retry after "
          "`Retry-After` seconds.",
          "headers": {"Retry-After": {"description": "Seconds to wait before the request would be allowed.",
                                      "schema": {"type": "integer", "minimum": 1}}}},
}


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


def allowed_methods(request: Request) -> list[str]:
    """Every method the spec documents at this path (Starlette names only the first matching route's)."""
    methods: set[str] = set()
    for template, operations in request.app.openapi().get("paths", {}).items():
        regex, _, _ = compile_path(template)
        if regex.match(request.url.path):
            methods.update(m.upper() for m in operations)
    return sorted(methods)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.category is ErrorCategory.unauthenticated else None
        if isinstance(exc, RateLimited):
            headers = {"Retry-After": str(exc.retry_after_s)}
            if (metrics := getattr(request.app.state, "metrics", None)) is not None:
                metrics.count_rate_limited(exc.code)
        return JSONResponse(error_body(exc.code, exc.message, exc.field), status_code=STATUS[exc.category],
                            headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"field": _loc(e.get("loc", ())), "reason": e.get("msg", "")} for e in exc.errors()]
        first = details[0] if details else {"field": None, "reason": "invalid request"}
        return JSONResponse(
            error_body("validation_error", f"{first['field']}: {first['reason']}", first["field"], details),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and isinstance(exc.__cause__, ValueError | RecursionError):
            # FastAPI's body reader: json.loads refused the bytes without a JSONDecodeError (not UTF-8, or
            # nested deeper than the parser recurses). A malformed body, like any other JSON error: a 422.
            reason = ("nested too deeply" if isinstance(exc.__cause__, RecursionError)
                      else "not valid UTF-8 JSON")
            return JSONResponse(error_body("validation_error", f"body: {reason}", "body",
                                           [{"field": "body", "reason": reason}]), status_code=422)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        code = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
                413: "body_too_large"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), status_code=exc.status_code,
                            headers=headers or None)

    @app.exception_handler(PolicyError)
    async def _policy(_: Request, exc: PolicyError) -> JSONResponse:
        return JSONResponse(error_body("policy_error", str(exc)), status_code=500)
