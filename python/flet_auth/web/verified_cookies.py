"""`VerifiedCookies`: the signed cookie values a worker has already verified, so that the
requests of a signed-in browser, which send the same value again and again, cost one HMAC
check per worker instead of one per request. A value verified before is only checked for
age, the way itsdangerous checks it (whole seconds since it was signed)."""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Optional

from itsdangerous import BadData, URLSafeTimedSerializer

__all__ = ["VERIFIED_COOKIES", "VerifiedCookies"]

VERIFIED_COOKIES = 10_000
"""How many cookie values a worker remembers having verified (least recently used dropped)."""
_IMMUTABLE = (str, bytes, int, float, bool, type(None))


class VerifiedCookies:
    """Cookie values by their exact text: what each holds and when it was signed, under the
    `keys` it was verified with. Safe across threads."""

    def __init__(self, size: int = VERIFIED_COOKIES) -> None:
        self.size = size
        self._entries: OrderedDict[str, tuple[Hashable, dict[str, Any], int]] = OrderedDict()
        self._mutex = threading.Lock()

    def loads(
        self,
        value: str,
        *,
        keys: Hashable,
        max_age: int,
        serializer: Callable[[], URLSafeTimedSerializer],
    ) -> Optional[Any]:
        """What the signed `value` holds, or None when it is tampered with, older than
        `max_age` seconds, or signed with none of `keys` (which name the serializer's keys:
        when they change, the value is verified again). `serializer()` is called only for a
        value not verified before. A JSON object whose values are all immutable is
        remembered and shared between callers, who must copy it before changing it; any other
        payload is verified every time."""
        with self._mutex:
            entry = self._entries.get(value)
            if entry is not None:
                self._entries.move_to_end(value)
        if entry is not None and entry[0] == keys:
            age = int(time.time()) - entry[2]
            return entry[1] if 0 <= age <= max_age else None
        try:
            data, signed = serializer().loads(value, max_age=max_age, return_timestamp=True)
        except BadData:
            return None
        if isinstance(data, dict) and all(type(v) in _IMMUTABLE for v in data.values()):
            with self._mutex:
                self._entries[value] = (keys, data, int(signed.timestamp()))
                self._entries.move_to_end(value)
                while len(self._entries) > self.size:
                    self._entries.popitem(last=False)
        return data

    def __repr__(self) -> str:
        return f"VerifiedCookies(size={self.size!r}, held={len(self._entries)!r})"
