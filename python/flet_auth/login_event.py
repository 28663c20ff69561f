"""`LoginEvent`: what `on_login` handlers receive, as `flet.LoginEvent`."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: `import flet_auth` stays fast
if TYPE_CHECKING:
    from typing import Any, Optional
__all__ = ["LoginEvent"]


class LoginEvent:
    """The end of a login: `error` is empty on success, else the OAuth error code."""

    def __init__(
        self,
        error: Optional[str] = "",
        error_description: Optional[str] = "",
        name: str = "login",
        control: Any = None,
    ) -> None:
        self.error = error
        self.error_description = error_description
        self.name = name
        self.control = control

    def __repr__(self) -> str:
        return f"LoginEvent(error={self.error!r}, error_description={self.error_description!r})"
