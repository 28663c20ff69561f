"""The caps on logins in progress, shared by `LoginStore` and `AsyncLoginStore`: the newest
`PENDING_PER_BROWSER` of each browser, and `max_pending_logins` begun per `LOGIN_TTL` window
in all (at most twice that many alive at once, whatever the number of browsers)."""

import logging
import time

from flet_auth._core import LOGIN_TTL, ConfigurationError
from flet_auth.web.errors import TooManyLoginsError

__all__ = [
    "COUNTER_TTL",
    "DEFAULT_MAX_PENDING_LOGINS",
    "PENDING_PER_BROWSER",
    "check_max_pending_logins",
    "counter_name",
    "has_counter",
    "kept_and_dropped",
    "refuse_beyond",
]

logger = logging.getLogger("flet_auth.web")

PENDING_PER_BROWSER = 5
"""Logins in progress kept per browser: a newer one drops the oldest."""
DEFAULT_MAX_PENDING_LOGINS = 10_000
"""Logins that may begin in any `LOGIN_TTL` window (`FLET_AUTH_MAX_PENDING_LOGINS`)."""
COUNTER_TTL = 2 * LOGIN_TTL
"""How long a window's counter lives: past its window, while its logins may still be alive."""


def check_max_pending_logins(value: object) -> int:
    """`value` if it is a positive integer, else a `ConfigurationError`."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigurationError("max_pending_logins must be a positive integer")
    return value


def has_counter(store: object) -> bool:
    """Whether `store` can count (`incr`); without it, a warning, and the per-browser cap only."""
    if callable(getattr(store, "incr", None)):
        return True
    logger.warning("%r has no incr(): logins in progress are capped per browser only", store)
    return False


def counter_name() -> str:
    """The name of the counter of the current window (before the codec makes it a key)."""
    return str(int(time.time() // LOGIN_TTL))


def refuse_beyond(begun: int, cap: int) -> None:
    """Raises `TooManyLoginsError` when `begun` logins exceed `cap` (warning once a window)."""
    if begun <= cap:
        return
    if begun == cap + 1:
        logger.warning(
            "%d logins began in %d s: more are refused until the window ends", cap, LOGIN_TTL
        )
    raise TooManyLoginsError("too many logins are in progress; try again in a few minutes")


def kept_and_dropped(states: list[str], state: str) -> tuple[list[str], list[str]]:
    """A browser's states after `state` is added: those kept (newest last) and those dropped."""
    states = [*states, state]
    return states[-PENDING_PER_BROWSER:], states[:-PENDING_PER_BROWSER]
