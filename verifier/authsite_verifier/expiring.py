"""A set whose members expire, bounded in size."""

import heapq


class ExpiringSet:
    """Remember keys until a deadline (wall-clock seconds), at most `max_size`.

    Not thread-safe: the Verifier holds its lock around every call.
    """

    def __init__(self, max_size: int) -> None:
        self.max_size = max_size
        self._deadlines: dict[str, float] = {}
        # (deadline, key); stale pairs (a key re-added later) are skipped.
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._deadlines)

    def contains(self, key: str, now: float) -> bool:
        """Return whether `key` is remembered and its deadline has not passed."""
        deadline = self._deadlines.get(key)
        return deadline is not None and deadline > now

    def add(self, key: str, deadline: float, now: float) -> float | None:
        """Remember `key` until `deadline`; return the deadline of an evicted key.

        A key already present keeps the later of its two deadlines. When the
        set is full, the key that expires soonest is forgotten and its deadline
        returned, so that the caller knows until when it cannot trust the set.
        """
        self.prune(now)
        current = self._deadlines.get(key)
        if current is not None and current >= deadline:
            return None
        evicted = None
        if current is None and len(self._deadlines) >= self.max_size:
            evicted = self._pop_soonest()
        self._deadlines[key] = deadline
        heapq.heappush(self._heap, (deadline, key))
        return evicted

    def prune(self, now: float) -> None:
        """Forget every key whose deadline has passed."""
        while self._heap and self._heap[0][0] <= now:
            deadline, key = heapq.heappop(self._heap)
            if self._deadlines.get(key) == deadline:
                del self._deadlines[key]
        # Stale pairs pile up when keys are re-added; rebuild now and then.
        if len(self._heap) > 2 * len(self._deadlines) + 64:
            self._heap = [(d, k) for k, d in self._deadlines.items()]
            heapq.heapify(self._heap)

    def _pop_soonest(self) -> float | None:
        while self._heap:
            deadline, key = heapq.heappop(self._heap)
            if self._deadlines.get(key) == deadline:
                del self._deadlines[key]
                return deadline
        return None
