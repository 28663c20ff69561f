"""A worker process of the cross-worker refresh test: it opens the app's store, waits for
the others, and asks for a usable token of one login."""

from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any, Optional

from flet_auth.web.clients import WebClient
from flet_auth.web.logins import StoredLogin
from flet_auth.web.refresh import refresh_once, refresh_with_engine
from flet_auth.web.stores import open_store
from web.helpers import AppContext, login_store


def usable_token(
    store_url: str,
    settings: dict[str, Any],
    login_id: str,
    barrier: Barrier,
    results: "Queue[Optional[str]]",
) -> None:
    """Puts the access token this worker ends up with (None: no login) in `results`."""
    logins = login_store(open_store(store_url))
    client = WebClient("mock", None, settings, overwrite=False, context=AppContext())

    def refresh(fresh: StoredLogin) -> Optional[StoredLogin]:
        return refresh_with_engine(client, logins, login_id, fresh)

    barrier.wait(timeout=60)
    login = refresh_once(logins, login_id, lock_ttl=client.lock_ttl, refresh=refresh)
    results.put(login.token.access_token if login is not None else None)
