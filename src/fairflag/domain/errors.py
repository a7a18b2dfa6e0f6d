"""The base of every domain error. Services declare their specific errors beside themselves;
the HTTP layer translates the categories below into status codes in one place."""

from __future__ import annotations

from enum import StrEnum


class ErrorCategory(StrEnum):
    invalid = "invalid"  # the input breaks a rule: 422
    not_found = "not_found"  # 404
    conflict = "conflict"  # the state forbids it now: 409
    forbidden = "forbidden"  # the actor may not: 403
    unauthenticated = "unauthenticated"  # 401
    rate_limited = "rate_limited"  # 429, with Retry-After


class DomainError(Exception):
    """A refusal with a stable machine-readable ``code``, the offending ``field`` and a reason."""

    category: ErrorCategory = ErrorCategory.invalid
    code: str = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(DomainError):
    category = ErrorCategory.invalid
    code = "invalid_input"


class NotFound(DomainError):
    category = ErrorCategory.not_found
    code = "not_found"


class Conflict(DomainError):
    category = ErrorCategory.conflict
    code = "conflict"


class Forbidden(DomainError):
    category = ErrorCategory.forbidden
    code = "forbidden"


class Unauthenticated(DomainError):
    category = ErrorCategory.unauthenticated
    code = "unauthenticated"


class RateLimited(DomainError):
    """Too many requests for a limit of the policy; ``retry_after_s`` says when one would be allowed."""

    category = ErrorCategory.rate_limited
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after_s = retry_after_s
