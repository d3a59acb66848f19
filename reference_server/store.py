"""State behind one interface, so several workers or hosts can later share one flow.

Values are JSON-shaped (dicts, lists, str, int, float, bool, None) so that a shared store
(SQLite file, Redis) can hold them unchanged. Every operation that decides a race (single use,
first writer wins, counters) is one atomic call here, never a get-then-put in a handler.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

Json = Any
Updater = Callable[[Json | None], Json | None]


class Store(Protocol):
    def get(self, key: str) -> Json | None: ...
    def put(self, key: str, value: Json, ttl: float | None = None) -> None: ...
    def add(self, key: str, value: Json, ttl: float | None = None) -> bool:
        """Store only if absent; True when this call created the key."""

    def pop(self, key: str) -> Json | None:
        """Remove and return: the winner of a single-use race gets the value, others None."""

    def update(self, key: str, fn: Updater, ttl: float | None = None) -> Json | None:
        """Atomic read-modify-write; fn returning None deletes the key. Returns fn's result."""

    def incr(self, key: str, window: float) -> int:
        """Count events in a fixed window starting at the first event; returns the new count."""

    def items(self, prefix: str = "") -> Iterator[tuple[str, Json]]: ...
    def clear(self) -> None: ...


class MemoryStore:
    """In-process store: one lock, lazy expiry. Values are deep-copied in and out."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._data: dict[str, tuple[Json, float | None]] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def _live(self, key: str) -> Json | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires is not None and self._clock() >= expires:
            del self._data[key]
            return None
        return value

    def _expiry(self, ttl: float | None) -> float | None:
        return None if ttl is None else self._clock() + ttl

    def get(self, key: str) -> Json | None:
        with self._lock:
            return copy.deepcopy(self._live(key))

    def put(self, key: str, value: Json, ttl: float | None = None) -> None:
        with self._lock:
            self._data[key] = (copy.deepcopy(value), self._expiry(ttl))

    def add(self, key: str, value: Json, ttl: float | None = None) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = (copy.deepcopy(value), self._expiry(ttl))
            return True

    def pop(self, key: str) -> Json | None:
        with self._lock:
            value = self._live(key)
            self._data.pop(key, None)
            return value

    def update(self, key: str, fn: Updater, ttl: float | None = None) -> Json | None:
        with self._lock:
            current = self._live(key)
            old_expiry = self._data[key][1] if current is not None else None
            new = fn(copy.deepcopy(current))
            if new is None:
                self._data.pop(key, None)
            else:
                self._data[key] = (copy.deepcopy(new), self._expiry(ttl) if ttl is not None else old_expiry)
            return copy.deepcopy(new)

    def incr(self, key: str, window: float) -> int:
        with self._lock:
            current = self._live(key)
            if current is None:
                self._data[key] = (1, self._expiry(window))
                return 1
            self._data[key] = (current + 1, self._data[key][1])
            return current + 1

    def items(self, prefix: str = "") -> Iterator[tuple[str, Json]]:
        with self._lock:
            snapshot = [(k, copy.deepcopy(v)) for k, (v, _) in self._data.items() if k.startswith(prefix)]
        yield from snapshot

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
