"""The base of every input model and the string types every input field uses.

Every string that enters fairflag — values and map keys, on every endpoint — is one of the types below. Each
is valid Unicode that both databases store and give back: no lone UTF-16 surrogate (JSON lets ``"\\ud800"``
through; PostgreSQL refuses it, SQLite stores it and then fails every read) and no NUL or other C0 control
character (PostgreSQL cannot store NUL; none belongs in an id or in text a person wrote, except tab and
newlines in free text). A refused string is a 422 naming the field.

Each type also carries its rule into the OpenAPI spec as a ``pattern``, so the published contract is the
behaviour; lengths that the policy file sets are marked ``x-policy-max-length`` and filled in from the loaded
policy when the app is built (``fairflag.api.openapi``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict

from fairflag.clock import ensure_utc

# Character classes in a syntax Python's ``re``, ECMA-262 and Rust's regex read the same way. Lone surrogates
# are not in the patterns: a JSON Schema string is a sequence of Unicode characters, which they are not (and
# regex engines disagree on how to name them); the validators below refuse them all the same.
_TEXT_CONTROLS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f"  # free text may hold tab, newline and CR
_ID_CONTROLS = r"\u0000-\u001f\u007f"
_TEXT_CHAR = f"[^{_TEXT_CONTROLS}]"
_ID_CHAR = f"[^{_ID_CONTROLS}]"

TEXT_PATTERN = f"^{_TEXT_CHAR}*$"
# Not blank: at least one character that is not whitespace (what ``str.strip()`` removes).
STATEMENT_PATTERN = f"^{_TEXT_CHAR}*[^\\s{_TEXT_CONTROLS}]{_TEXT_CHAR}*$"
ID_PATTERN = f"^{_ID_CHAR}*[^\\s{_ID_CONTROLS}]{_ID_CHAR}*$"
OPAQUE_PATTERN = f"^{_ID_CHAR}*$"  # secrets and descriptions: no control characters, may be empty
URL_PATTERN = f"^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#\\[\\]{_ID_CONTROLS}]+(?:[/?#][^\\s{_ID_CONTROLS}]*)?$"
_PORT = r"(?:[0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])"
WEBHOOK_URL_PATTERN = (f"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9._~-]+(?::{_PORT})?"
                       f"(?:[/?#][^\\s{_ID_CONTROLS}]*)?$")

_SURROGATE = re.compile("[\ud800-\udfff]")
_TEXT_CONTROL = re.compile(f"[{_TEXT_CONTROLS}]")
_ID_CONTROL = re.compile(f"[{_ID_CONTROLS}]")


def _unicode(value: str) -> str:
    if _SURROGATE.search(value):
        raise ValueError("is not valid Unicode (contains a lone UTF-16 surrogate)")
    return value


def _text(value: str) -> str:
    _unicode(value)
    if _TEXT_CONTROL.search(value):
        raise ValueError("must not contain NUL or control characters other than tab and newlines")
    return value


def _opaque(value: str) -> str:
    _unicode(value)
    if _ID_CONTROL.search(value):
        raise ValueError("must not contain NUL or control characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or only whitespace")
    return value


def _policy_max(limit: str) -> dict[str, Any]:
    return {"x-policy-max-length": limit}


# The model layer refuses what no string may hold (lone surrogates, NUL and C0 controls other than tab and
# newlines: a ``validation_error``); the services refuse the rest of what each pattern says (a blank statement,
# a control character in an id, a malformed URL) with their own error types, as before. Both are 422s.

# Free text a person wrote (report text, notes); may be empty. Length: the policy's max_text_chars.
Text = Annotated[str, AfterValidator(_text),
                 Field(json_schema_extra={"pattern": TEXT_PATTERN, **_policy_max("max_text_chars")})]
# Free text that must say something (statements of reasons, appeal statements, campaign notes).
Statement = Annotated[str, AfterValidator(_text),
                      Field(min_length=1,
                            json_schema_extra={"pattern": STATEMENT_PATTERN, **_policy_max("max_text_chars")})]
# An id the platform chose (accounts, subjects, reporters). Length: the policy's max_id_chars.
ExternalId = Annotated[str, AfterValidator(_text),
                       Field(min_length=1, json_schema_extra={"pattern": ID_PATTERN, **_policy_max("max_id_chars")})]
# A short label or key (fingerprints, idempotency keys, classifier names, map keys, codes); bounded by its field.
Label = Annotated[str, AfterValidator(_opaque), AfterValidator(_not_blank),
                  Field(min_length=1, json_schema_extra={"pattern": ID_PATTERN})]
# A password: anything a person can type.
Password = Annotated[str, AfterValidator(_text), Field(json_schema_extra={"pattern": TEXT_PATTERN})]
# Webhook secrets and descriptions: the webhook service refuses control characters itself.
Opaque = Annotated[str, AfterValidator(_unicode), Field(json_schema_extra={"pattern": OPAQUE_PATTERN})]
# An absolute http(s) URL (validation.urls checks the pattern). Length: the policy's max_url_chars.
Url = Annotated[str, AfterValidator(_text),
                Field(json_schema_extra={"pattern": URL_PATTERN, **_policy_max("max_url_chars")})]

# A webhook receiver's URL: stricter than evidence URLs, since fairflag connects to it.
WebhookUrl = Annotated[str, AfterValidator(_unicode),
                      Field(json_schema_extra={"pattern": WEBHOOK_URL_PATTERN, **_policy_max("max_url_chars")})]


def when(field: str, value: str, *, then_required: str | tuple[str, ...] = (), otherwise_required: str = "",
         otherwise_null: str | tuple[str, ...] = ()) -> dict[str, Any]:
    """A JSON Schema ``if``/``then``/``else`` for a rule the service enforces: fields a value of ``field``
    requires (non-null), and fields that must be null or absent otherwise."""
    required = (then_required,) if isinstance(then_required, str) else then_required
    nulls = (otherwise_null,) if isinstance(otherwise_null, str) else otherwise_null
    rule: dict[str, Any] = {"if": {"properties": {field: {"const": value}}, "required": [field]}}
    if required:
        rule["then"] = {"required": list(required), "properties": {f: {"not": {"type": "null"}} for f in required}}
    otherwise: dict[str, Any] = {}
    if otherwise_required:
        otherwise = {"required": [otherwise_required], "properties": {otherwise_required: {"not": {"type": "null"}}}}
    if nulls:
        otherwise.setdefault("properties", {}).update({f: {"type": "null"} for f in nulls})
    if otherwise:
        rule["else"] = otherwise
    return rule


def _json_time(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise ValueError("must be an RFC 3339 date-time string")
    return value


def _in_utc_range(value: datetime) -> datetime:
    """Every rule compares, and the database stores, the instant in UTC: a time whose offset carries it outside
    years 1 to 9999 there (``0001-01-01T00:00:00+14:00``) is refused here, as a 422, rather than overflowing in
    whichever rule converts it first. The value itself is kept as sent (an idempotent retry hashes the body)."""
    try:
        ensure_utc(value)
    except OverflowError:
        raise ValueError("is out of range (years 1 to 9999 in UTC)") from None
    return value


# Strict JSON types for input fields: the spec says integer / number / boolean / date-time string, and so
# does the server (pydantic's lax mode would turn false into 0, "5" into 5 and 0 into 1970-01-01).
Integer = Annotated[int, Strict()]
Number = Annotated[float, Strict()]  # an integer is a number too
Bool = Annotated[bool, Strict()]
Time = Annotated[datetime, BeforeValidator(_json_time), AfterValidator(_in_utc_range)]


class Input(BaseModel):
    """Unknown fields are refused; every string field uses one of the types above
    (tests/test_strings.py checks the spec: every string in a request body carries a pattern)."""

    model_config = ConfigDict(extra="forbid")
