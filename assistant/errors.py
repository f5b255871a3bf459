"""JSON errors for the chat interface; the framework's HTML pages never reach it."""

import logging
import time

from flask import current_app
from flask import jsonify
from flask import render_template
from flask import request
from werkzeug.exceptions import HTTPException

from assistant.extensions import limiter

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "bad_request",
    409: "conflict",
    413: "too_large",
    415: "unsupported_file",
    429: "rate_limited",
}
MESSAGES = {
    400: "That request couldn't be read. Please try again.",
    401: "This conversation needs its key. Please reload the chat to continue.",
    404: "We couldn't find that. Please check the address, or start a new chat.",
    405: "That action isn't available here.",
    409: "That isn't possible at this step.",
    413: "That's larger than we can take. Please send something smaller.",
    415: "That kind of file isn't supported. Please upload a PDF, PNG or JPEG.",
    429: "Too many requests just now. Please wait a moment and try again.",
    500: "Something went wrong on our side. Your answers are saved; please try "
    "again in a moment.",
}


class ApiError(Exception):
    def __init__(
        self, status: int, code: str | None = None, message: str | None = None
    ):
        super().__init__(message)
        self.status = status
        self.code = code or CODES.get(status, "bad_request")
        self.message = message or MESSAGES.get(status, MESSAGES[400])


def error_response(status: int, code: str, message: str, headers=None):
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def wants_json() -> bool:
    return request.path.startswith("/api/")


def register_error_handlers(app) -> None:
    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return error_response(error.status, error.code, error.message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if status == 429:
            retry = _retry_after(error)
            message = (
                f"You've sent a lot of messages in a short time. Please wait "
                f"{retry} seconds and try again; nothing you entered is lost."
            )
            if wants_json():
                return error_response(
                    429, "rate_limited", message, {"Retry-After": str(retry)}
                )
            response = app.make_response(
                (render_template("errors/error.html", status=429, message=message), 429)
            )
            response.headers["Retry-After"] = str(retry)
            return response
        message = MESSAGES.get(status, MESSAGES[400])
        if status == 413 and request.mimetype == "multipart/form-data":
            message = _file_too_large()
        if wants_json():
            return error_response(status, CODES.get(status, "bad_request"), message)
        return render_template(
            "errors/error.html", status=status, message=message
        ), status

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        if wants_json():
            return error_response(500, "server_error", MESSAGES[500])
        return render_template(
            "errors/error.html", status=500, message=MESSAGES[500]
        ), 500


def _file_too_large() -> str:
    """The refusal of an upload the server stopped reading, naming the limit."""
    from assistant.documents import too_large_message

    return too_large_message(current_app.config["MAX_FILE_BYTES"])


def _retry_after(error) -> int:
    current = limiter.current_limit
    if current is not None:
        return max(1, int(current.reset_at - time.time()))
    return 60
