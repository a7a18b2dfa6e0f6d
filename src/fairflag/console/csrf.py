"""CSRF tokens for console forms.

Signed in, the token is bound to the session: an HMAC of the session token, which lives only in an HttpOnly
cookie, so another site can neither read nor compute it. Before login (the login form itself) it is a
double-submit value: a random cookie that the form must echo.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

FIELD = "csrf_token"
LOGIN_COOKIE = "ff_login_csrf"
_LABEL = b"fairflag console csrf v1"


def for_session(session_token: str) -> str:
    return hmac.new(session_token.encode(), _LABEL, hashlib.sha256).hexdigest()


def _same(a: str, b: str) -> bool:
    """Constant-time equality of two strings of any characters (compare_digest refuses non-ASCII str, and a
    form or a cookie may hold anything)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def session_ok(session_token: str, submitted: str) -> bool:
    return bool(submitted) and _same(for_session(session_token), submitted)


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def login_ok(cookie: str | None, submitted: str) -> bool:
    return bool(cookie) and bool(submitted) and _same(cookie or "", submitted)
