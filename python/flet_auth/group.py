"""`Group`: a group or role of a user, as in `flet.auth.group`."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: `import flet_auth` stays fast
if TYPE_CHECKING:
    from typing import Any
__all__ = ["Group"]


class Group(dict):  # type: ignore[type-arg]
    """A group or role of a :class:`~flet_auth.User`: the provider's fields plus `name`."""

    name: str

    def __init__(self, kwargs: dict[str, Any], name: str) -> None:
        super().__init__(kwargs)
        self.name = name
