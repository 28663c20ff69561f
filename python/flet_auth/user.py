"""`User`: the logged-in user's profile, as in `flet.auth.user`."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: `import flet_auth` stays fast
if TYPE_CHECKING:
    from typing import Any

    from flet_auth.group import Group

__all__ = ["User"]


class User(dict):  # type: ignore[type-arg]
    """The provider's user fields, plus `id` (a string) and `groups`."""

    id: str
    groups: list[Group]

    def __init__(self, kwargs: dict[str, Any], id: str) -> None:
        super().__init__(kwargs)
        self.id = id
        self.groups = []
