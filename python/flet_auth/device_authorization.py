"""`DeviceAuthorization`: a device login in progress (RFC 8628), for programs without a
browser of their own (command-line tools, TVs)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: `import flet_auth` stays fast
if TYPE_CHECKING:
    from typing import Any, Optional, Protocol

    from flet_auth._core import DeviceAuthorizationResponse

    class _Service(Protocol):
        """What the flow needs of `AuthorizationService` (not imported: it imports this)."""

        def _plain_user_endpoint(self) -> Optional[str]: ...
        async def _after_token(self, endpoint: Optional[str], data: Any) -> None: ...
        def _after_token_sync(self, endpoint: Optional[str], data: Any) -> None: ...


__all__ = ["DeviceAuthorization"]


class DeviceAuthorization:
    """What `AuthorizationService.start_device_login()` returns: show the user `user_code` and
    `verification_uri` (or `verification_uri_complete`, say as a QR code), then `await wait()`.

    `wait()` polls the token endpoint every `interval` seconds (5 s longer after each
    `slow_down`) until the user approves; then the service has the token and the user. A
    denial raises `OAuthError` with `error == "access_denied"`, codes that expire (after
    `expires_in` seconds) `"expired_token"`. Cancelling `wait()` stops the polling.
    """

    __slots__ = ("_response", "_service")

    def __init__(self, service: _Service, response: DeviceAuthorizationResponse) -> None:
        self._service = service
        self._response = response

    @property
    def user_code(self) -> str:
        """The code the user enters at `verification_uri`."""
        return self._response.user_code

    @property
    def verification_uri(self) -> str:
        """Where the user goes, on another device, to enter `user_code`."""
        return self._response.verification_uri

    @property
    def verification_uri_complete(self) -> Optional[str]:
        """`verification_uri` with the user code in it, when the provider gives one."""
        return self._response.verification_uri_complete

    @property
    def expires_in(self) -> int:
        """How many seconds the codes are valid for, from the start of the login."""
        return self._response.expires_in

    @property
    def interval(self) -> float:
        """Seconds between polls: the provider's (5 by default), 5 more after each `slow_down`."""
        return self._response.interval

    async def wait(self) -> None:
        """Polls until the user decides; then the service has the token and the user."""
        service = self._service
        endpoint = service._plain_user_endpoint()
        _, data = await self._response._wait(endpoint)
        await service._after_token(endpoint, data)

    def wait_sync(self) -> None:
        """`wait` for code without an event loop."""
        service = self._service
        endpoint = service._plain_user_endpoint()
        _, data = self._response._wait_sync(endpoint)
        service._after_token_sync(endpoint, data)

    def __repr__(self) -> str:
        return (
            f"DeviceAuthorization(user_code={self.user_code!r}, "
            f"verification_uri={self.verification_uri!r}, expires_in={self.expires_in})"
        )
