"""Request bodies at the WSGI edge: refused when too large before a byte of
them is read, taken whole before the application runs, and de-chunked.

``mscc.wsgi.application`` is Django wrapped in ``RequestBodyGuard``:

* a ``Content-Length`` over the route's limit is a 413 at once, the body
  unread (``body_limit``: ``API_MAX_BODY_BYTES`` under ``/api/``,
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` elsewhere, every route, every content type:
  Django's own limit does not count the files of a multipart form);
* a body within the limit is read whole here, before Django runs, so a
  client that sends it slowly holds a greenlet of the gevent worker, never a
  database connection or one of the application's slots;
* a body sent with ``Transfer-Encoding: chunked`` has no ``Content-Length``,
  and Django reads such a body as empty (a referral "missing every field").
  gunicorn de-chunks it and says so (``wsgi.input_terminated``): it is read
  here up to the limit and handed on with its length. A server that does not
  de-chunk (Django's development server) gets a 411 saying to send a
  ``Content-Length``;
* at most ``MSCC_APP_CONCURRENCY`` requests of a worker run the application
  at once, so gevent's many connections never become as many database
  connections; a request that waits ``MSCC_APP_QUEUE_SECONDS`` for a slot is
  answered 503 with ``Retry-After``.

``mscc.middleware.RequestBodyLimitMiddleware`` checks the same limit inside
Django, for callers that do not come through this module (the test client).
"""

import io
import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

from core.logs import get_logger

log = get_logger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Bytes read from the input per call while taking a body.
_READ_CHUNK = 64 * 1024


def body_limit(path: str) -> int:
    """The largest request body accepted on ``path``, in bytes."""
    if path.startswith("/api/"):
        return int(settings.API_MAX_BODY_BYTES)
    return int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


def too_large_message(limit: int) -> str:
    return f"Request body is too large: the limit is {limit} bytes."


class RequestBodyGuard:
    """WSGI middleware: the rules of the module docstring."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self._slots: threading.BoundedSemaphore | None = None
        self._slots_lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        limit = body_limit(path)
        announced = (environ.get("CONTENT_LENGTH") or "").strip()
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        try:
            if announced:
                if not announced.isdigit():
                    return _refuse(environ, start_response, 400, "Content-Length is not a number.")
                length = int(announced)
                if length > limit:
                    log.warning("request.too_large", path=path, length=length, limit=limit)
                    return _refuse(environ, start_response, 413, too_large_message(limit))
                body = _read(environ["wsgi.input"], length)
                if len(body) < length:
                    return _refuse(environ, start_response, 400, "The request body ended early.")
                environ["wsgi.input"] = io.BytesIO(body)
            elif chunked:
                if not environ.get("wsgi.input_terminated"):
                    return _refuse(
                        environ,
                        start_response,
                        411,
                        "Send the body with a Content-Length header (this server does not "
                        "read chunked bodies).",
                    )
                body = _read(environ["wsgi.input"], limit + 1)
                if len(body) > limit:
                    log.warning("request.too_large", path=path, chunked=True, limit=limit)
                    return _refuse(environ, start_response, 413, too_large_message(limit))
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
                environ.pop("HTTP_TRANSFER_ENCODING", None)
        except OSError:
            # The client went away while sending: nobody is left to answer.
            return _refuse(environ, start_response, 400, "The request body ended early.")
        slots = self._application_slots()
        if not slots.acquire(timeout=float(settings.MSCC_APP_QUEUE_SECONDS)):
            log.warning("request.no_slot", path=path)
            return _refuse(
                environ,
                start_response,
                503,
                "The service is busy: try again in a few seconds.",
                retry_after=5,
            )
        try:
            return self.app(environ, start_response)
        finally:
            slots.release()

    def _application_slots(self) -> threading.BoundedSemaphore:
        # Made on first use, in the worker process after gunicorn's gevent
        # worker has patched threading, so waiting for a slot yields to the
        # other greenlets instead of blocking the worker.
        if self._slots is None:
            with self._slots_lock:
                if self._slots is None:
                    self._slots = threading.BoundedSemaphore(int(settings.MSCC_APP_CONCURRENCY))
        return self._slots


def _read(stream: Any, most: int) -> bytes:
    """Up to ``most`` bytes of ``stream``, fewer if it ends first."""
    parts: list[bytes] = []
    left = most
    while left > 0:
        data = stream.read(min(_READ_CHUNK, left))
        if not data:
            break
        parts.append(data)
        left -= len(data)
    return b"".join(parts)


def _refuse(
    environ: dict[str, Any],
    start_response: StartResponse,
    status: int,
    message: str,
    *,
    retry_after: int | None = None,
) -> list[bytes]:
    """Answer without running the application (and without reading the body).

    gunicorn reads and discards a body the application left unread before it
    takes the next request on a kept-alive connection; its body reader marked
    ``failed`` makes it close the connection instead, so a refused 100 MB
    upload is not read after all.
    """
    stream = environ.get("wsgi.input")
    if hasattr(stream, "failed"):
        stream.failed = True
    reasons = {
        400: "400 Bad Request",
        411: "411 Length Required",
        413: "413 Content Too Large",
        503: "503 Service Unavailable",
    }
    if environ.get("PATH_INFO", "").startswith("/api/"):
        body = json.dumps({"detail": message}).encode()
        content_type = "application/json"
    else:
        body = message.encode()
        content_type = "text/plain; charset=utf-8"
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Cache-Control", "no-store"),
    ]
    if retry_after is not None:
        headers.append(("Retry-After", str(retry_after)))
    start_response(reasons[status], headers)
    return [body]
