"""Flask responses for the core's `ErrorAnswer`s: JSON to API clients, a page to browsers."""

import logging

from flask import Response, jsonify, request

from flet_auth.web.errors import STORE_UNAVAILABLE, ErrorAnswer, StoreUnavailableError
from flet_auth.web.pages import error_page
from flet_auth.web.redirects import home_path

__all__ = ["error_response", "home", "store_unavailable", "wants_json"]

logger = logging.getLogger("flet_auth.flask")


def wants_json() -> bool:
    """Whether the request sends JSON or prefers it to HTML."""
    if request.is_json:
        return True
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", "application/json"])
    return best == "application/json" and accept[best] > accept["text/html"]


def home() -> str:
    """The app's home page."""
    return home_path(request.script_root)


def error_response(answer: ErrorAnswer) -> Response:
    """JSON when the answer has a JSON `error` and the client wants JSON, else the page."""
    if answer.error and wants_json():
        response = jsonify(answer.json())
        response.status_code = answer.status
    else:
        response = Response(error_page(answer, home()), answer.status, mimetype="text/html")
    if answer.retry_after is not None:
        response.headers["Retry-After"] = str(answer.retry_after)
    return response


def store_unavailable(error: StoreUnavailableError) -> Response:
    """The error handler of `StoreUnavailableError`: 503, try again in a moment."""
    logger.warning("login store unavailable: %s", error)
    return error_response(STORE_UNAVAILABLE)
