"""Clustering state: one reporter's recent reports and signals, a cluster of linked reporters with
merge-friendly evidence sums, and the LSH parameters of the lockstep index."""

from __future__ import annotations

import functools
from collections import Counter, deque

from datasketch import MinHash, MinHashLSH


@functools.cache
def _lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands and rows for the LSH: datasketch integrates for them (~10 ms), so do it once per setting."""
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return lsh.b, lsh.r

class _Reporter:
    """One reporter's recent reports (capped), target multiset, cadence and the signals it carries."""

    __slots__ = ("cadence", "cluster", "co_pairs", "in_lsh", "kinds", "last_us", "minhash", "reports", "rid",
                 "stale", "targets", "vouched")

    def __init__(self, rid: str, cadence_history: int) -> None:
        self.rid = rid
        self.reports: deque[tuple[int, str]] = deque()
        self.targets: dict[str, int] = {}
        self.cadence: deque[tuple[int, str]] = deque(maxlen=cadence_history)
        self.kinds: dict[str, float] = {}
        self.cluster: _Cluster | None = None
        self.minhash: MinHash | None = None
        self.stale = False  # a target left the set: the MinHash must be rebuilt before the next use
        self.in_lsh = False
        self.last_us = 0
        self.co_pairs: dict[str, None] = {}  # reporters it passed the co-report threshold with, inside the window
        self.vouched = False  # a moderator marked one of its reports abusive (bad faith a person saw)


class _Cluster:
    """A set of linked reporters (union-find by relabelling: O(1) find, O(smaller) union, and deletion,
    which a parent-pointer forest cannot do) with merge-friendly evidence sums."""

    __slots__ = ("aliases", "confidence", "dead", "detected", "first_us", "key", "kind_count", "last_us",
                 "lsh_count", "members", "peak", "serial", "vouched")

    def __init__(self, serial: int, key: str, at_us: int) -> None:
        self.serial = serial
        self.key = key
        self.aliases: list[str] = []  # keys of clusters merged into this one
        self.members: set[str] = set()
        self.kind_count: Counter[str] = Counter()
        self.peak: dict[str, float] = {}
        self.lsh_count = 0
        self.vouched = 0  # members a moderator marked abusive
        self.first_us = at_us
        self.last_us = at_us
        self.confidence = 0.0
        self.detected = False
        self.dead = False
