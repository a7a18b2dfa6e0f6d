"""Bounded sliding-window state: reports by key and co-report pair counters, each with one time-ordered
expiry queue, so eviction touches only what expires and memory follows the reports inside the window."""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable


class _Window:
    """Reports of one key (subject, fingerprint, text) inside a sliding window, with distinct members.

    ``pending`` holds members not yet linked through this window, so a cohort link touches each member once
    per window lifetime (amortized O(1) per report) instead of rescanning the window. Most windows never
    link anyone, so the linked-member bookkeeping is created on first use.
    """

    __slots__ = ("counts", "entries", "linked", "linked_order", "pending")

    def __init__(self) -> None:
        self.entries: deque[tuple[int, str]] = deque()
        self.counts: dict[str, int] = {}
        self.pending: dict[str, None] = {}
        self.linked: set[str] | None = None
        self.linked_order: deque[str] | None = None

    @property
    def distinct(self) -> int:
        return len(self.counts)

    def add(self, t: int, member: str) -> None:
        self.entries.append((t, member))
        count = self.counts.get(member)
        if count is None:
            self.counts[member] = 1
            if self.linked is None or member not in self.linked:
                self.pending[member] = None
        else:
            self.counts[member] = count + 1

    def evict(self, cutoff: int) -> None:
        while self.entries and self.entries[0][0] < cutoff:
            _, member = self.entries.popleft()
            left = self.counts[member] - 1
            if left:
                self.counts[member] = left
            else:
                del self.counts[member]
                self.pending.pop(member, None)
                if self.linked is not None:
                    self.linked.discard(member)

    def mark_linked(self, member: str) -> None:
        if self.linked is None or self.linked_order is None:
            self.linked, self.linked_order = set(), deque()
        self.linked.add(member)
        self.linked_order.append(member)

    def anchor(self) -> str | None:
        """The earliest linked member still inside the window (each member is dropped from the front once)."""
        if self.linked is None or self.linked_order is None:
            return None
        while self.linked_order and self.linked_order[0] not in self.linked:
            self.linked_order.popleft()
        return self.linked_order[0] if self.linked_order else None


class _KeyedWindows:
    """Windows by key sharing one time-ordered expiry queue: eviction pops only expired entries (amortized
    O(1) per report) and deletes emptied keys, so memory is proportional to the reports inside the window."""

    __slots__ = ("queue", "span", "windows")

    def __init__(self, span_us: int) -> None:
        self.span = span_us
        self.windows: dict[Hashable, _Window] = {}
        self.queue: deque[tuple[int, Hashable]] = deque()

    def add(self, key: Hashable, t: int, member: str) -> _Window:
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = _Window()
        window.add(t, member)
        self.queue.append((t, key))
        return window

    def get(self, key: Hashable) -> _Window | None:
        return self.windows.get(key)

    def expire(self, cutoff: int) -> list[Hashable]:
        """Evict entries older than ``cutoff``; returns the keys that emptied."""
        gone: list[Hashable] = []
        while self.queue and self.queue[0][0] < cutoff:
            _, key = self.queue.popleft()
            window = self.windows.get(key)
            if window is None:
                continue
            window.evict(cutoff)
            if not window.entries:
                del self.windows[key]
                gone.append(key)
        return gone


class _PairCounts:
    """Weighted co-report counters of unit pairs (in thousandths) sharing one time-ordered expiry queue, like
    ``_KeyedWindows``: eviction pops only expired increments and deletes emptied pairs, so memory is
    proportional to the increments inside the window. ``linked`` remembers, for each pair that reached the
    threshold, the two reporters credited with a partner (None for a pair with a campaign), so the credit is
    taken back when the pair expires. Two reporters meet on a subject once (only first reports count), but
    a campaign meets a reporter once per member: ``seen`` keeps its subjects so each counts once."""

    __slots__ = ("counts", "linked", "queue", "seen")

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}
        self.linked: dict[tuple[str, str], tuple[str, str] | None] = {}
        self.seen: set[tuple[tuple[str, str], str]] = set()
        self.queue: deque[tuple[int, tuple[str, str], int, str | None]] = deque()

    def add(self, key: tuple[str, str], t: int, milli: int, subject: str | None = None) -> int:
        """Add ``milli`` to the pair; with a ``subject``, only if the pair has not counted it yet."""
        if subject is not None:
            if (key, subject) in self.seen:
                return self.counts.get(key, 0)
            self.seen.add((key, subject))
        total = self.counts.get(key, 0) + milli
        self.counts[key] = total
        self.queue.append((t, key, milli, subject))
        return total

    def expire(self, cutoff: int) -> list[tuple[str, str]]:
        """Evict increments older than ``cutoff``; returns the credited reporters of pairs that emptied."""
        gone: list[tuple[str, str]] = []
        while self.queue and self.queue[0][0] < cutoff:
            _, key, milli, subject = self.queue.popleft()
            if subject is not None:
                self.seen.discard((key, subject))
            left = self.counts[key] - milli
            if left > 0:
                self.counts[key] = left
                continue
            del self.counts[key]
            credited = self.linked.pop(key, None)
            if credited is not None:
                gone.append(credited)
        return gone
