"""Rate limits on the service (policy ``[rate_limits]``): per platform service key and per reporter.

Both are refusals before any work: a limited request stores nothing (429 with ``Retry-After``).

- The reporter's limit (new reports per minute and per hour) is taken inside the report's own transaction, after
  the idempotency check and the report's field checks (its key holds the reporter id, at most max_id_chars): a
  retry of an acknowledged report replays it instead of being limited, and a report that is refused for any
  reason (or rolled back) gives its slot back. Its row is locked until the report
  commits, which only makes one reporter's reports take turns.
- The report-link limit (links to the report page per reporter and hour, services.report_links) is taken the
  same way, inside the link's own transaction once the request is valid: a refused request takes no slot.
- The service key's limit (requests per second, with a burst) is taken in a unit of its own before the request
  runs (:meth:`fairflag.core.Fairflag.count`): held for a whole report transaction, one hot row would make every
  request of the platform wait for the one before.

The platform asserts the reporter's id, so a flood under one id is the platform's flood: refusing it is a
service limit. Unfounded reports are a different matter, handled as misuse (DSA Art. 23, services.reputation).
"""

from __future__ import annotations

import math

from fairflag.domain.errors import RateLimited
from fairflag.services.context import Context
from fairflag.store import ratelimits


class ServiceKeyRateLimited(RateLimited):
    code = "service_key_rate_limited"


class ReporterRateLimited(RateLimited):
    code = "reporter_rate_limited"


class ReportLinkRateLimited(RateLimited):
    code = "report_link_rate_limited"


def _take(ctx: Context, key: str, per_s: float, burst: int) -> float:
    # Begin the transaction before reading the clock: on SQLite that is where a writer waits for the lock, and a
    # "now" read before a wait of more than the tolerance (2 s for the key's default burst) is older than the tat
    # that the requests served meanwhile wrote, so the request was refused (seen under load 50 in bench http).
    ctx.session.connection()
    interval = 1.0 / per_s
    return ratelimits.take(ctx.session, key, now=ctx.now().timestamp(), interval=interval,
                           tolerance=(burst - 1) * interval)


def _retry_after(wait_s: float) -> int:
    return max(1, math.ceil(wait_s))


def take_service_key(ctx: Context, key_id: str) -> None:
    """One request of this service key; raises :class:`ServiceKeyRateLimited` over the limit."""
    limits = ctx.policy.rate_limits
    if not limits.enabled:
        return
    wait = _take(ctx, f"key:{key_id}", limits.service_key_per_s, limits.service_key_burst)
    if wait > 0:
        raise ServiceKeyRateLimited(
            f"more than {limits.service_key_per_s:g} requests per second (burst {limits.service_key_burst}) with "
            "this service key", retry_after_s=_retry_after(wait))


def take_reporter(ctx: Context, reporter_id: str, source: str) -> None:
    """One new report of this reporter; raises :class:`ReporterRateLimited` when the reporter is over its
    minute or its hour (see :func:`take_reporters`)."""
    refusal = take_reporters(ctx, [(reporter_id, source)])[0]
    if refusal is not None:
        raise refusal


def take_reporters(ctx: Context, reports: list[tuple[str, str]]) -> list[ReporterRateLimited | None]:
    """One new report each, for ``(reporter_id, source)`` pairs in order (a reporter may appear several times);
    the refusal for each one over its reporter's minute or hour, else ``None``. Call inside the reports'
    transaction: a refusal writes nothing (a slot of the minute taken before the hour refused is given back), and
    a rollback returns the slots of the others. Sources whose volume is their job (trusted flaggers, classifiers:
    ``reporter_exempt_sources``) are not counted; a report that claims such a source falsely is refused by the
    report's own checks, which run first."""
    limits = ctx.policy.rate_limits
    refusals: list[ReporterRateLimited | None] = [None] * len(reports)
    if not limits.enabled:
        return refusals
    counted = [i for i, (_, source) in enumerate(reports) if source not in limits.reporter_exempt_sources]
    took_minute: list[int] = []
    for period_s, limit, label in ((60, limits.reporter_per_minute, "minute"),
                                   (3600, limits.reporter_per_hour, "hour")):
        interval = period_s / limit
        waits = ratelimits.take_each(ctx.session, [f"rep{period_s}:{reports[i][0]}" for i in counted],
                                     now=ctx.now().timestamp(), interval=interval, tolerance=(limit - 1) * interval)
        allowed = []
        for i, wait in zip(counted, waits, strict=True):
            if wait > 0:
                refusals[i] = ReporterRateLimited(f"this reporter filed more than {limit} reports in one {label}",
                                                  retry_after_s=_retry_after(wait), field="reporter_id")
            else:
                allowed.append(i)
        if period_s == 60:
            took_minute = allowed
        else:
            ratelimits.give_back(ctx.session, [f"rep60:{reports[i][0]}" for i in took_minute if refusals[i]],
                                 interval=60 / limits.reporter_per_minute)
        counted = allowed
    return refusals


def take_report_link(ctx: Context, reporter_id: str) -> None:
    """One new link to the report page for this reporter; raises :class:`ReportLinkRateLimited` over
    ``report_links_per_hour`` (that many at once, then one every hour divided by it). Call inside the link's
    transaction, after its input is checked: a refusal of any kind then takes no slot."""
    limits = ctx.policy.rate_limits
    if not limits.enabled:
        return
    per_hour = limits.report_links_per_hour
    wait = _take(ctx, f"link3600:{reporter_id}", per_hour / 3600, per_hour)
    if wait > 0:
        raise ReportLinkRateLimited(f"at most {per_hour} report links per user and hour",
                                    retry_after_s=_retry_after(wait), field="reporter_id")
