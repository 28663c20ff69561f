"""`User`: the logged-in user's profile, as in `flet.auth.user`."""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flet_auth.group import Group

__all__ = ["User"]


class User(dict):  # type: ignore[type-arg]
    """The provider's user fields, plus `id` (a string) and `groups`."""

    id: str
    groups: list["Group"]

    def __init__(self, kwargs: dict[str, Any], id: str) -> None:
        super().__init__(kwargs)
        self.id = id
        self.groups = []
