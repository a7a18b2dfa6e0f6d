"""The one error body, and a JSON response that cannot fail to render."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.responses import JSONResponse

_SURROGATE = re.compile("[\ud800-\udfff]")


def error_body(type_: str, message: str, field: str | None = None,
               details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": {"type": type_, "message": message, "field": field, "details": details or []}}


def valid_unicode(text: str) -> str:
    """``text`` with each lone UTF-16 surrogate replaced by U+FFFD (in a Python string every surrogate is lone:
    JSON decoding joins a valid pair into one character)."""
    return _SURROGATE.sub("\ufffd", text)


class SafeJSONResponse(JSONResponse):
    """Errors echo what the client sent (a field name, a map key); a lone surrogate there must not turn a
    422 into a 500, so it is rendered as U+FFFD."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError:
            return valid_unicode(text).encode("utf-8")
