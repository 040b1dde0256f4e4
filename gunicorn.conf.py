"""gunicorn settings for the production shape (read from the working folder)."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
# Sync workers: the app is short requests against PostgreSQL.
worker_class = "sync"
timeout = 30
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
