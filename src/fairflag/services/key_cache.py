"""Service keys verified recently, held by the core for a few seconds.

Why: a platform sends its key with every report, and verifying it costs a connection, a transaction and a
round trip before the report's own. The cache maps the SHA-256 of a token (never the token) to its key id,
until ``ttl`` after it was verified. Revoking a key forgets it here at once (``revoke_service_key`` does it
in the process that revokes); another process that cached the key stops accepting it within ``ttl``.
Times come from the core's clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

KEY_CACHE_TTL = timedelta(seconds=2)
MAX_ENTRIES = 10_000  # a platform has a handful of keys; the bound only stops a flood of distinct valid tokens


class VerifiedKeys:
    def __init__(self, ttl: timedelta = KEY_CACHE_TTL) -> None:
        self.ttl = ttl
        self._by_hash: dict[str, tuple[str, datetime]] = {}

    def get(self, token_hash: str, now: datetime) -> str | None:
        """The key id verified for this token less than ``ttl`` ago, else None."""
        hit = self._by_hash.get(token_hash)
        if hit is None or now - hit[1] >= self.ttl:
            return None
        return hit[0]

    def put(self, token_hash: str, key_id: str, now: datetime) -> None:
        if self.ttl <= timedelta(0):
            return
        if len(self._by_hash) >= MAX_ENTRIES:
            self._by_hash.clear()
        self._by_hash[token_hash] = (key_id, now)

    def forget(self, key_id: str) -> None:
        """Drop every cached token of the key (revoked: it must stop working now)."""
        for token_hash, (cached, _) in list(self._by_hash.items()):
            if cached == key_id:
                self._by_hash.pop(token_hash, None)
