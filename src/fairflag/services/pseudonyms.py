"""Reporter pseudonyms for moderators: stable per installation, not reversible without the key.

Moderators need to see that two reports come from the same person, not who that person is.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fairflag.services.context import Context
from fairflag.store.rows import insert_new
from fairflag.store.tables import InstanceSecret

_KEY_NAME = "pseudonym_key"


def _key(ctx: Context) -> bytes:
    row = ctx.session.get(InstanceSecret, _KEY_NAME)
    if row is None:  # first start; two processes starting at once keep the first one's key
        row = insert_new(ctx.session, InstanceSecret,
                         {"name": _KEY_NAME, "value": secrets.token_hex(32), "created_at": ctx.now()})
        row = row or ctx.session.get(InstanceSecret, _KEY_NAME)
        assert row is not None
    return bytes.fromhex(row.value)


def pseudonym_for(ctx: Context, account_id: str) -> str:
    digest = hmac.new(_key(ctx), account_id.encode(), hashlib.sha256).hexdigest()
    return f"rp_{digest[:12]}"
