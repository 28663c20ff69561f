"""A desktop login against another user of the same machine: a hostile token file, a
damaged one, and a local process racing or flooding the loopback listener (issue 13)."""

import logging
import os
import time
from pathlib import Path

import pytest

from desktop_browser import Browser
from flet_auth import AuthPage
from flet_auth.security import InvalidToken
from flet_auth.store import FileTokenStore
from flet_auth.testing import MockOAuthServer

LOOPBACK = "http://127.0.0.1:0/callback"


@pytest.fixture
def store(tmp_path: Path) -> FileTokenStore:
    return FileTokenStore(tmp_path / "token", "store secret")


# --- item 9: a token file the app cannot decrypt


@pytest.mark.parametrize("damage", ["other key", "garbage"])
async def test_undecryptable_store_file_logs_a_warning_logs_in_and_is_overwritten(
    server: MockOAuthServer,
    store: FileTokenStore,
    damage: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    if damage == "other key":
        FileTokenStore(store.path, "the old key").save('{"access_token": "old"}')
    else:
        store.path.write_text("garbage")
    browser = Browser(server)
    with caplog.at_level(logging.WARNING, logger="flet_auth"):
        page = AuthPage(store=store)
        await page.login(server.provider(LOOPBACK), on_open_authorization_url=browser)
    assert browser.opened == 1 and page.auth is not None
    assert any(
        r.levelno == logging.WARNING and str(store.path) in r.getMessage() for r in caplog.records
    )
    token = await page.auth.get_token()
    assert token is not None and store.load() == token.to_json()


# --- item 10: FileTokenStore.load opens regular files only


def test_symlinked_store_file_is_refused_and_not_followed(
    store: FileTokenStore, tmp_path: Path
) -> None:
    target = FileTokenStore(tmp_path / "elsewhere", "store secret")
    target.save('{"access_token": "planted"}')
    store.path.symlink_to(target.path)
    with pytest.raises(InvalidToken, match="regular file"):
        store.load()


def test_fifo_store_file_is_refused_at_once(store: FileTokenStore) -> None:
    os.mkfifo(store.path)  # nobody ever writes to it: a plain open() would wait forever
    started = time.monotonic()
    with pytest.raises(InvalidToken, match="regular file"):
        store.load()
    assert time.monotonic() - started < 5


def test_device_store_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidToken, match="regular file"):
        FileTokenStore("/dev/zero", "store secret").load()


def test_oversized_store_file_is_refused_unread(store: FileTokenStore) -> None:
    with open(store.path, "wb") as f:
        f.truncate(64 * 1024 * 1024)  # sparse: big on paper, nothing on disk
    with pytest.raises(InvalidToken, match="too large"):
        store.load()


def test_store_saved_over_a_symlink_replaces_the_link_not_its_target(
    store: FileTokenStore, tmp_path: Path
) -> None:
    target = tmp_path / "victim"
    target.write_text("keep me")
    store.path.symlink_to(target)
    store.save('{"access_token": "new"}')
    assert target.read_text() == "keep me" and not store.path.is_symlink()
    assert store.load() == '{"access_token": "new"}'
