"""gunicorn settings for the production shape (read from the working folder).

Slow clients: a sync worker serves one connection at a time, so a few
connections that send their request a byte at a time stall the service
(issue 9: three did). gevent workers hold each connection in a greenlet, so
thousands of slow connections cost memory, not workers; a connection that has
not sent its whole request head within ``keepalive`` seconds is closed; a
body is read whole before Django runs (``mscc/request_body.py``), and at most
``MSCC_APP_CONCURRENCY`` requests of a worker run Django at once.
"""

import gc
import multiprocessing
import os
import sys
from typing import Any

from gunicorn.glogging import Logger

# The project's own modules (core/redact.py), whatever folder gunicorn runs from.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from core.redact import redact_path

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
# gevent (cooperative): a slow or idle client holds a greenlet, not the worker.
# GUNICORN_WORKER_CLASS=sync is the old set-up, kept for comparison only.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gevent")
# Connections one worker holds open at once (slow or not).
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", 1000))
# Under gevent this is also the time a client has to send its request line
# and headers (each request, the first included): a slowloris connection
# that trickles its headers is closed after it.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
timeout = 30
# Request heads larger than these are refused by gunicorn itself (400/431).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

if worker_class == "gevent":
    # Django keeps a database connection per thread, and under gevent each
    # request is a greenlet of its own: a connection kept after the request
    # would belong to a greenlet that has ended. Close it after each request
    # (the settings read CONN_MAX_AGE when a worker imports the app).
    os.environ.setdefault("CONN_MAX_AGE", "0")


class RedactingLogger(Logger):
    """The access log with NHS numbers taken out of the path (a client may
    put one in a path by mistake); the query is never logged (below)."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_path(atoms.get("U") or "")
        return atoms


logger_class = RedactingLogger
accesslog = "-"
# The path without its query string, and no referrer: a query may carry an NHS
# number (GET /api/v1/referrals/?nhs_number=...), and logs carry ids only.
# Method, path, status, bytes and milliseconds.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker: object) -> None:
    # Move everything loaded at start-up (Django, the app) out of the garbage
    # collector's view: each full collection then scans only request garbage,
    # which halves its pauses and with them the tail latency.
    gc.collect()
    gc.freeze()
