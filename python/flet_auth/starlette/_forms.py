"""The few form fields the built-in routes read (a logout's `csrf_token`, a redirect back by
`form_post`), from a bounded `application/x-www-form-urlencoded` body: no multipart parser
is needed for them."""

from urllib.parse import parse_qsl

from starlette.requests import Request

__all__ = ["MAX_FORM_BYTES", "form_fields", "redirect_values"]

MAX_FORM_BYTES = 64 * 1024
"""The largest form body read; a larger one reads as no fields."""


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of a urlencoded form body (the first value of each), or none for another
    content type or a body over `MAX_FORM_BYTES`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method != "POST" or kind != "application/x-www-form-urlencoded":
        return {}
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return {}
    fields: dict[str, str] = {}
    for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


async def redirect_values(request: Request) -> dict[str, str]:
    """The parameters of a redirect back: the query's, and a `form_post` body's over them."""
    values = dict(request.query_params)
    values.update(await form_fields(request))
    return values
