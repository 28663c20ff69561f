"""Memory of 10,000 live services, each holding its own token, measured as RSS.

Run once per peer in a fresh process (the worker does): tracemalloc cannot see the Rust
heap, RSS sees everything. Every service gets its token through the public
`dehydrate_token(saved_json)` (no request: the saved token is valid), so only the services and
their tokens are counted, after the library, the runtime and one service exist.
"""

import gc
import json
import time
from typing import Any

from payloads import CLIENT_ID, CLIENT_SECRET, REDIRECT_URL


def rss_kib() -> int:
    """Resident set size of this process, from /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def saved_token(i: int) -> str:
    """A distinct valid token per service, in Flet's `OAuthToken.to_json()` format."""
    return json.dumps(
        {
            "access_token": f"gho_{i:036d}",
            "scope": ["read"],
            "token_type": "Bearer",
            "expires_in": 3600,
            "expires_at": time.time() + 3600,
            "refresh_token": f"ghr_{i:064d}",
        }
    )


def _classes(peer: str) -> tuple[Any, Any]:
    if peer == "flet-auth":
        from flet_auth import AuthorizationService, OAuthProvider
    else:
        from flet.auth import OAuthProvider
        from flet.auth.authorization_service import AuthorizationService
    return AuthorizationService, OAuthProvider


SECRETS = "secrets-only"
"""Not a library: each 'service' is only its access and refresh token as Python strings, the
least any library holding the tokens in the process needs."""


def _secrets_only(count: int) -> dict[str, Any]:
    access: list[str] = []
    refresh: list[str] = []

    def keep(i: int) -> None:
        data = json.loads(saved_token(i))
        access.append(data["access_token"])
        refresh.append(data["refresh_token"])

    keep(-1)
    gc.collect()
    before = rss_kib()
    for i in range(count):
        keep(i)
    gc.collect()
    after = rss_kib()
    return {
        "services": count,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "bytes_per_service": (after - before) * 1024 / count,
    }


async def run(peer: str, base: str, count: int) -> dict[str, Any]:
    if peer == SECRETS:
        return _secrets_only(count)
    service_class, provider_class = _classes(peer)
    provider = provider_class(
        CLIENT_ID, CLIENT_SECRET, base + "/authorize", base + "/token", REDIRECT_URL
    )

    async def new_service(i: int) -> Any:
        service = service_class(provider, fetch_user=False, fetch_groups=False)
        await service.dehydrate_token(saved_token(i))
        assert (await service.get_token()).access_token == f"gho_{i:036d}"
        return service

    keep = [await new_service(-1)]  # library, runtime and first service in the baseline
    gc.collect()
    before = rss_kib()
    keep.extend([await new_service(i) for i in range(count)])
    gc.collect()
    after = rss_kib()
    assert len(keep) == count + 1
    return {
        "services": count,
        "rss_before_kib": before,
        "rss_after_kib": after,
        "bytes_per_service": (after - before) * 1024 / count,
    }
