"""Starlette responses for the core's `ErrorAnswer`s: JSON to API clients, a page to browsers;
and the exception that carries an answer out of a dependency."""

import logging

from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from flet_auth.web.errors import STORE_UNAVAILABLE, ErrorAnswer
from flet_auth.web.pages import error_page
from flet_auth.web.redirects import home_path

__all__ = [
    "AnswerRaised",
    "answer_raised",
    "error_response",
    "home",
    "store_unavailable",
    "wants_json",
]

logger = logging.getLogger("flet_auth.starlette")


def _quality(accept: str, wanted: str) -> float:
    """The highest `q` the `Accept` header gives `wanted` (or its `type/*`, or `*/*`)."""
    kind = wanted.split("/")[0]
    best = 0.0
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() not in (wanted, f"{kind}/*", "*/*"):
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        best = max(best, q)
    return best


def wants_json(request: HTTPConnection) -> bool:
    """Whether the request sends JSON or prefers JSON to HTML in its `Accept` header."""
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        return True
    accept = request.headers.get("accept", "")
    return _quality(accept, "application/json") > _quality(accept, "text/html")


def home(request: HTTPConnection) -> str:
    """The app's home page."""
    return home_path(request.scope.get("root_path", ""))


def error_response(request: HTTPConnection, answer: ErrorAnswer) -> Response:
    """JSON when the answer has a JSON `error` and the client wants JSON, else the page."""
    response: Response
    if answer.error and wants_json(request):
        response = JSONResponse(answer.json(), answer.status)
    else:
        response = HTMLResponse(error_page(answer, home(request)), answer.status)
    if answer.retry_after is not None:
        response.headers["Retry-After"] = str(answer.retry_after)
    return response


class AnswerRaised(Exception):
    """Carries the response of a dependency that refuses the request (login required, say)
    to the app's exception handler."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def answer_raised(request: Request, exc: Exception) -> Response:
    """The exception handler of `AnswerRaised`: its response."""
    assert isinstance(exc, AnswerRaised)
    return exc.response


async def store_unavailable(request: Request, exc: Exception) -> Response:
    """The exception handler of `StoreUnavailableError`: 503, try again in a moment."""
    logger.warning("login store unavailable: %s", exc)
    return error_response(request, STORE_UNAVAILABLE)
