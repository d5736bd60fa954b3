"""The plugin's error tree, and the JSON error responses of the web app."""

from __future__ import annotations

import re

from flask import Flask, json
from werkzeug.exceptions import HTTPException
from werkzeug.sansio.response import Response


class PluginError(Exception):
    """Base of every error the plugin raises on purpose."""


class ConfigError(PluginError):
    """A setting the app cannot start with; the message is one line naming the variable."""


def register_error_handlers(app: Flask) -> None:
    """Answer every HTTP error (unknown route, bad method, 500 ...) with a small JSON body.

    Unhandled exceptions reach the handler as a 500 after Flask has logged them with their
    traceback; the response carries only a generic message.
    """
    app.register_error_handler(HTTPException, _http_error)


def _http_error(error: HTTPException) -> Response:
    if error.response is not None:  # abort(response): the view already built the answer
        return error.response
    response = error.get_response()  # keeps headers such as Allow on a 405
    status = error.code or 500
    # A 5xx description may carry internal detail (abort(500, str(exc))): use the class's own.
    message = error.description if status < 500 else type(error).description
    body = {"error": _code_of(error.name), "status": status, "message": message}
    response.set_data(json.dumps(body))
    response.content_type = "application/json"
    return response


def _code_of(name: str) -> str:
    """``"Method Not Allowed"`` -> ``"method_not_allowed"``."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
