"""`VerifiedCookies`: the signed cookie values a worker has already verified, so that the
requests of a signed-in browser, which send the same value again and again, cost one HMAC
check per worker instead of one per request. The framework layers check the age themselves,
against the signing time kept here."""

import threading
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from typing import Any, Optional

__all__ = ["VERIFIED_COOKIES", "VerifiedCookies", "immutable_values"]

VERIFIED_COOKIES = 10_000
"""How many cookie values a worker remembers having verified (least recently used dropped)."""
_IMMUTABLE = (str, bytes, int, float, bool, type(None))


def immutable_values(data: Mapping[str, Any]) -> bool:
    """Whether every value in `data` is immutable, so that the requests sharing it cannot
    change one another's copy (a list or a dict in a session would be shared, not copied)."""
    return all(type(value) in _IMMUTABLE for value in data.values())


class VerifiedCookies:
    """Cookie values by their exact text: what each holds and when it was signed (Unix
    seconds), under the `keys` it was verified with. Safe across threads."""

    def __init__(self, size: int = VERIFIED_COOKIES) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[Hashable, dict[str, Any], float]] = OrderedDict()
        self._mutex = threading.Lock()

    def get(self, value: str, keys: Hashable) -> Optional[tuple[dict[str, Any], float]]:
        """What `value` holds and when it was signed, or None when it was not verified here
        under `keys` (the app's secret keys changed since, or it never was)."""
        with self._mutex:
            entry = self._entries.get(value)
            if entry is None:
                return None
            self._entries.move_to_end(value)
        if entry[0] != keys:
            return None
        return entry[1], entry[2]

    def put(self, value: str, keys: Hashable, data: dict[str, Any], signed_at: float) -> None:
        """Remembers that `value`, signed at `signed_at` with one of `keys`, holds `data`
        (which the caller must not change afterwards)."""
        with self._mutex:
            self._entries[value] = (keys, data, signed_at)
            self._entries.move_to_end(value)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"VerifiedCookies(size={self.size!r}, held={len(self._entries)!r})"
