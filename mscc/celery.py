"""The Celery application: worker and beat of the production shape.

Tasks are thin wrappers around services; the database is the source of truth
for time, so beat only triggers short periodic sweeps (never long ETA tasks).
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mscc.settings")

app = Celery("mscc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The beat schedule, reviewed in code (a clinical-safety system keeps its
# cadences visible). Each entry says why it runs as often as it does.
app.conf.beat_schedule = {
    # Proves beat and at least one worker are alive: /health/ and the
    # coordinator pages warn when the last heartbeat is older than
    # MSCC_HEARTBEAT_STALE_SECONDS. Short, so a stopped worker is seen in minutes.
    "heartbeat": {
        "task": "notifications.tasks.heartbeat",
        "schedule": float(os.environ.get("MSCC_HEARTBEAT_SECONDS", "15")),
        # A heartbeat nobody ran in time is worthless; drop it rather than pile up.
        "options": {"expires": 60},
    },
    # The escalation sweep: the deadline's precision is this interval, so it
    # is short; each sweep is cheap when nothing is due (one index lookup).
    # A sweep that was not run in time is dropped: the next one covers it.
    "sweep_clocks": {
        "task": "notifications.tasks.sweep_clocks",
        "schedule": float(os.environ.get("MSCC_SWEEP_SECONDS", "15")),
        "options": {"expires": 60},
    },
    # Rota coverage gaps in the next 14 days, to each service's admins, every
    # morning (07:00 UTC): in time to arrange cover, not so often it is noise.
    "coverage_gaps": {
        "task": "notifications.tasks.coverage_gaps",
        "schedule": crontab(hour=7, minute=0),
    },
}
