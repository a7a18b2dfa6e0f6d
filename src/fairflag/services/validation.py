"""Checks of input against the policy's limits. Each failure names the field and the reason."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from fairflag.clock import ensure_utc
from fairflag.domain.errors import InvalidInput
from fairflag.policy import Policy
from fairflag.services.inputs import URL_PATTERN

URL = re.compile(URL_PATTERN)


def external_id(policy: Policy, value: str, field: str) -> str:
    if not value or not value.strip():
        raise InvalidInput("must not be empty", field=field)
    if len(value) > policy.limits.max_id_chars:
        raise InvalidInput(f"longer than {policy.limits.max_id_chars} characters", field=field)
    if any(ord(c) < 32 or c == "\x7f" for c in value):
        raise InvalidInput("contains control characters", field=field)
    return value


def text(policy: Policy, value: str | None, field: str, *, required: bool = False) -> str | None:
    if value is None or not value.strip():
        if required:
            raise InvalidInput("must not be empty", field=field)
        return None if value is None else value
    if len(value) > policy.limits.max_text_chars:
        raise InvalidInput(
            f"is {len(value)} characters; at most {policy.limits.max_text_chars} allowed", field=field
        )
    return value


def urls(policy: Policy, values: list[str], field: str) -> list[str]:
    if len(values) > policy.limits.max_evidence_urls:
        raise InvalidInput(f"at most {policy.limits.max_evidence_urls} URLs allowed", field=field)
    for i, value in enumerate(values):
        where = f"{field}[{i}]"
        if len(value) > policy.limits.max_url_chars:
            raise InvalidInput(f"longer than {policy.limits.max_url_chars} characters", field=where)
        if not URL.match(value) or "\n" in value:  # the rule the spec publishes (inputs.URL_PATTERN)
            raise InvalidInput("not an absolute http(s) URL", field=where)
    return values


def event_time(policy: Policy, value: datetime | None, now: datetime, field: str) -> datetime:
    """A platform-sent event time: not in the future, not older than the policy's backdating limit."""
    if value is None:
        return now
    value = ensure_utc(value)
    if value > now + timedelta(seconds=policy.limits.max_future_skew_s):
        raise InvalidInput("is in the future", field=field)
    if value < now - timedelta(seconds=policy.limits.max_backdate_s):
        raise InvalidInput(
            f"is more than {policy.limits.max_backdate_s} seconds in the past", field=field
        )
    return value


def past_time(policy: Policy, value: datetime | None, now: datetime, field: str) -> datetime | None:
    """An account's or subject's creation time: any past time, not in the future."""
    if value is None:
        return None
    value = ensure_utc(value)
    if value > now + timedelta(seconds=policy.limits.max_future_skew_s):
        raise InvalidInput("is in the future", field=field)
    return value
