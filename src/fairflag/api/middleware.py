"""The transport guard around the whole app (pure ASGI, so it sees every request and every byte):

- every request gets an id (the client's ``X-Request-ID`` if it is sane, else a fresh one), returned in the
  ``X-Request-ID`` header of every response;
- a body above the limit is refused with 413 before it is parsed: at once when ``Content-Length`` says so,
  else as soon as the streamed (chunked) bytes pass the limit;
- an unexpected error answers 500 in the error shape, naming the request id that the log line (with the
  traceback) also names, and the connection stays usable (the server never sees the exception); the mounted
  page apps (console, report page, transparency) answer their own 500 as a page naming the same id, and the
  exception they re-raise after it stops here;
- every log line written while serving the request carries its id (fairflag.logs), and the request ends with
  one access line (logger ``fairflag.access``: method, path, status, duration_ms).

:class:`RequestTimeout` answers 504 when a request runs longer than ``FAIRFLAG_REQUEST_TIMEOUT_S``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fairflag.api.responses import SafeJSONResponse, error_body
from fairflag.logs import current_request_id

log = logging.getLogger("fairflag.api")
access_log = logging.getLogger("fairflag.access")

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
        token = current_request_id.set(rid)
        began = time.perf_counter()
        started = complete = False
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal started, complete, status
            if message["type"] == "http.response.start":
                started = True
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID] = rid
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                complete = True
            await send(message)

        try:
            await self._guarded(scope, receive, send_with_id, rid, lambda: (started, complete))
        finally:
            duration_ms = round((time.perf_counter() - began) * 1000, 2)
            method, path = scope.get("method", ""), scope.get("path", "")
            access_log.info("%s %s %d %.1f ms", method, path, status, duration_ms, extra={
                "request_id": rid, "method": method, "path": path, "status": status, "duration_ms": duration_ms})
            current_request_id.reset(token)

    async def _guarded(self, scope: Scope, receive: Receive, send_with_id: Send, rid: str,
                       progress: Callable[[], tuple[bool, bool]]) -> None:
        """The body limit and the last-resort 500, around the app. ``progress``: whether the answer has started,
        and whether it is complete."""
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
            if progress()[0]:
                raise
            await too_large_response(limit)(scope, receive, send_with_id)
        except Exception:
            log.exception("unexpected error in %s %s (request id %s)", scope.get("method"), scope.get("path"), rid)
            started, complete = progress()
            if complete:  # a mounted page app answered its own 500, then re-raised (as Starlette always does)
                return
            if started:  # too late to answer; the server closes the connection
                raise
            body = error_body("internal_error", f"an unexpected error occurred; quote request id {rid} when "
                                                "reporting it")
            await SafeJSONResponse(body, status_code=500)(scope, receive, send_with_id)


class RequestTimeout:
    """Answers 504 (``request_timeout``, in the error shape) when the app has not begun its answer within
    ``timeout_s``. The request's work is not interrupted: a route runs in a worker thread that cannot be
    stopped safely, and its transaction commits or rolls back whole as it would have (PostgreSQL's
    ``statement_timeout`` bounds each statement). Whatever it answers later is dropped. So a 504 means "not known
    to be done": the client retries with the same idempotency key, which replays a report that did commit.
    An answer already begun (a stream) is left to finish."""

    def __init__(self, app: ASGIApp, *, timeout_s: float) -> None:
        self.app = app
        self.timeout_s = timeout_s
        self._abandoned: set[asyncio.Task[None]] = set()  # referenced until they end

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = timed_out = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def guarded_receive() -> Message:
            return {"type": "http.disconnect"} if timed_out else await receive()

        task = asyncio.ensure_future(self.app(scope, guarded_receive, guarded_send))
        done, _ = await asyncio.wait({task}, timeout=self.timeout_s)
        if task in done or started:
            await task
            return
        timed_out = True
        self._abandoned.add(task)
        task.add_done_callback(self._finished)
        log.warning("%s %s ran longer than %g s: answered 504; its work goes on", scope.get("method"),
                    scope.get("path"), self.timeout_s)
        body = error_body("request_timeout", f"the request ran longer than {self.timeout_s:g} s; it may still "
                          "complete: retry with the same idempotency key")
        await SafeJSONResponse(body, status_code=504)(scope, receive, send)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("a request answered 504 failed afterwards", exc_info=exc)
