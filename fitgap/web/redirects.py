"""Where a form may send the user back to: only a path of this site (no open redirects)."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None, fallback: str = "/") -> str:
    """`target` if it is a local path, else `fallback`."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    # Browsers read "/\\host" as "//host"; control characters have no place in a path either.
    if "\\" in target or any(ord(ch) < 0x20 for ch in target):
        return fallback
    return target
