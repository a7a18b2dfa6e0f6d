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


def session_ok(session_token: str, submitted: str) -> bool:
    return bool(submitted) and hmac.compare_digest(for_session(session_token), submitted)


def new_login_token() -> str:
    return secrets.token_urlsafe(32)


def login_ok(cookie: str | None, submitted: str) -> bool:
    return bool(cookie) and bool(submitted) and hmac.compare_digest(cookie or "", submitted)
