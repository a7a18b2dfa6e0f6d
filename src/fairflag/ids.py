"""Identifier factories. Live traffic uses random ids; simulations and replays use seeded ones so
the same history produces the same ids."""

from __future__ import annotations

import random
import secrets
import threading
from typing import Protocol


class IdFactory(Protocol):
    def new(self, prefix: str) -> str: ...


class RandomIds:
    def new(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(10)}"


class SeededIds:
    """Ids from a seeded stream. A caller that also draws other data from a seed must give this one a seed of
    its own (a string works), or the other data reappears inside ids."""

    def __init__(self, seed: int | str) -> None:
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_{self._rng.getrandbits(80):020x}"
