"""Rendered fragments that many browsers ask for at the same moment, kept for a moment.

When the moderator moves to the next agenda item, every following browser (up to a hundred in
a joint meeting) polls within the next two seconds and asks for the same new item. Rendering it
once per process and handing the same HTML to the others keeps the server free for the marks
being changed meanwhile. A fragment is kept under a key that names everything it shows (the
meeting's state version, the area's mark clock, the view, the language), so a change anywhere,
by any process, asks for a fresh one; the short lifetime bounds what the key does not name
(the timer's seconds). Each process keeps its own: a second worker renders its own copy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from flask import current_app

LIFETIME_SECONDS = 1.0
KEPT = 64


class FragmentCache:
    """Fragments by key, each kept `lifetime` seconds; one render per key at a time."""

    def __init__(self, lifetime: float = LIFETIME_SECONDS, size: int = KEPT) -> None:
        self._lifetime = lifetime
        self._size = size
        self._entries: dict[Hashable, tuple[float, str]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self.renders = 0  # how many fragments were rendered (tests and benchmarks)

    def _fresh(self, key: Hashable) -> str | None:
        entry = self._entries.get(key)
        if entry is not None and time.monotonic() - entry[0] < self._lifetime:
            return entry[1]
        return None

    def get(self, key: Hashable, render: Callable[[], str]) -> str:
        """The kept fragment of `key`, or a new one from `render()`. Requests that ask for the
        same key while it renders wait for that render instead of rendering it again."""
        with self._lock:
            body = self._fresh(key)
            if body is not None:
                return body
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                body = self._fresh(key)
            if body is not None:
                return body
            body = render()
            with self._lock:
                self.renders += 1
                self._entries[key] = (time.monotonic(), body)
                if len(self._entries) > self._size:
                    self._forget_expired()
        return body

    def _forget_expired(self) -> None:
        now = time.monotonic()
        for key in [k for k, (at, _) in self._entries.items() if now - at >= self._lifetime]:
            del self._entries[key]
            lock = self._locks.get(key)
            if lock is not None and not lock.locked():
                del self._locks[key]


def fragment_cache() -> FragmentCache:
    """The current app's fragment cache (created on first use)."""
    cache: FragmentCache | None = current_app.extensions.get("fitgap.web.fragments")
    if cache is None:
        cache = current_app.extensions.setdefault("fitgap.web.fragments", FragmentCache())
    return cache
