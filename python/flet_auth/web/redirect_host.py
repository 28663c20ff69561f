"""The warning for an app whose `redirect_uri` would be built from the request's `Host`
header: a forged `Host` then chooses where the provider sends the code."""

import logging
from collections.abc import Iterable

__all__ = ["warn_unpinned_redirect_host"]

logger = logging.getLogger("flet_auth.web")


def warn_unpinned_redirect_host(clients: Iterable[str], how_to_pin: str) -> bool:
    """Logs one warning naming the providers `clients` whose `redirect_uri` comes from the
    request's Host header, and how to pin it; False (and nothing logged) when there are none."""
    names = sorted(clients)
    if not names:
        return False
    logger.warning(
        "the redirect_uri of %s is built from the request's Host header, which the client "
        "chooses; pin it with %s",
        ", ".join(names),
        how_to_pin,
    )
    return True
