"""The HTML page of an `ErrorAnswer`, for browsers."""

from html import escape

from flet_auth.web.errors import ErrorAnswer

__all__ = ["error_page"]


def error_page(answer: ErrorAnswer, home: str) -> str:
    """A small page with the answer's title and message and a link to `home`, all escaped."""
    title = escape(answer.title)
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><h1>{title}</h1>"
        f'<p id="error">{escape(answer.message)}</p><p><a href="{escape(home)}">Home</a></p>'
        "</body></html>"
    )
