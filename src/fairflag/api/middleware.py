"""The transport guard around the whole app (pure ASGI, so it sees every request and every byte):

- every request gets an id (the client's ``X-Request-ID`` if it is sane, else a fresh one), returned in the
  ``X-Request-ID`` header of every response;
- a body above the limit is refused with 413 before it is parsed: at once when ``Content-Length`` says so,
  else as soon as the streamed (chunked) bytes pass the limit;
- an unexpected error answers 500 in the error shape, naming the request id that the log line (with the
  traceback) also names, and the connection stays usable (the server never sees the exception).
"""

from __future__ import annotations

import logging
import re
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fairflag.api.responses import SafeJSONResponse, error_body

log = logging.getLogger("fairflag.api")

REQUEST_ID = "x-request-id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the streamed body passes the limit. An ``HTTPException`` so that FastAPI's
    body reader passes it on unchanged to the error handlers (it turns other exceptions into a 400)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


def too_large_response(limit: int) -> SafeJSONResponse:
    return SafeJSONResponse(error_body("body_too_large", f"the request body is larger than {limit} bytes"),
                            status_code=413)


def request_id(scope: Scope) -> str:
    sent = Headers(scope=scope).get(REQUEST_ID)
    return sent if sent is not None and _SANE_ID.match(sent) else uuid.uuid4().hex


class RequestGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[REQUEST_ID] = rid
            await send(message)

        limit = self.max_body_bytes
        length = Headers(scope=scope).get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await too_large_response(limit)(scope, receive, send_with_id)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, receive_limited, send_with_id)
        except BodyTooLarge:
            if started:
                raise
            await too_large_response(limit)(scope, receive, send_with_id)
        except Exception:
            log.exception("unexpected error in %s %s (request id %s)", scope.get("method"), scope.get("path"), rid)
            if started:  # too late to answer; the server closes the connection
                raise
            body = error_body("internal_error", f"an unexpected error occurred; quote request id {rid} when "
                                                "reporting it")
            await SafeJSONResponse(body, status_code=500)(scope, receive, send_with_id)
