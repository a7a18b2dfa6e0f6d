"""The published contract, made exact for the policy in force.

The input models mark limits that the policy file sets (``x-policy-max-length``, ``x-policy-max-items``,
``x-policy-enum``); here, when the app is built, they become ``maxLength``, ``maxItems`` and ``enum`` from the
loaded policy, so a client (or a fuzzer) reading the spec knows exactly what the server accepts. Every operation
also documents the answers the transport layer gives: 413 for a body above the limit, 500 in the error shape,
and the ``X-Request-ID`` header on every response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from fairflag.policy import Policy

REQUEST_ID_HEADER = {
    "X-Request-ID": {
        "description": "The request's id: the client's `X-Request-ID` if it sent a valid one (1-128 characters "
                       "of A-Z a-z 0-9 . _ : -), else a generated one. Quote it when reporting a 500; the server "
                       "log has it with the traceback.",
        "schema": {"type": "string"},
    }
}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}


def _policy_values(policy: Policy) -> dict[str, Callable[[str], Any]]:
    return {
        "x-policy-max-length": lambda name: int(getattr(policy.limits, name)),
        "x-policy-max-items": lambda name: int(getattr(policy.limits, name)),
        "x-policy-enum": lambda name: sorted(getattr(policy, name)),
    }


def _nullable(schema: dict[str, Any]) -> bool:
    return any(branch.get("type") == "null" for branch in schema.get("anyOf", []))


def _fill(node: Any, policy: Policy) -> None:
    if isinstance(node, list):
        for item in node:
            _fill(item, policy)
        return
    if not isinstance(node, dict):
        return
    values = _policy_values(policy)
    if "x-policy-max-length" in node:
        limit = values["x-policy-max-length"](node["x-policy-max-length"])
        node["maxLength"] = min(limit, node.get("maxLength", limit))
    if "x-policy-max-items" in node:
        node["maxItems"] = values["x-policy-max-items"](node["x-policy-max-items"])
    if "x-policy-enum" in node:
        enum: list[Any] = values["x-policy-enum"](node["x-policy-enum"])
        node["enum"] = [*enum, None] if _nullable(node) else enum
    for value in node.values():
        _fill(value, policy)


def build(app: FastAPI, policy: Policy, *, max_body_bytes: int,
          request_timeout_s: float | None = None) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    _fill(schema.get("components", {}), policy)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                responses["413"] = {"description": f"The body is larger than {max_body_bytes} bytes "
                                                   "(FAIRFLAG_MAX_BODY_BYTES); refused before it is read.",
                                    "content": _ERROR}
            responses["500"] = {"description": "An unexpected error (`internal_error`); the message and the "
                                               "`X-Request-ID` header give the id to quote.", "content": _ERROR}
            if request_timeout_s is not None:
                responses["504"] = {"description": f"Not answered within {request_timeout_s:g} s "
                                    "(FAIRFLAG_REQUEST_TIMEOUT_S; `request_timeout`). The work was not interrupted "
                                    "and may still complete: retry with the same idempotency key.",
                                    "content": _ERROR}
            for response in responses.values():
                response.setdefault("headers", {}).update(REQUEST_ID_HEADER)
    return schema


def install(app: FastAPI, policy: Policy, *, max_body_bytes: int, request_timeout_s: float | None = None) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, policy, max_body_bytes=max_body_bytes,
                                       request_timeout_s=request_timeout_s)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
