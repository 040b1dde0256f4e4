"""Settings for the MSCC coordinator service.

Everything is read from the environment once, here. With no environment at all
the service runs on the embedded default: SQLite and a file-system Celery broker
under ``var/``, so one command starts web, worker and beat on a laptop.
Production sets ``DEBUG=false``, ``SECRET_KEY``, ``DATABASE_URL`` (PostgreSQL)
and ``CELERY_BROKER_URL`` (Redis); a missing secret then stops start-up.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from core.client_address import trusted_networks
from core.rates import parse_rate

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("MSCC_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
# Runtime files of the embedded default (SQLite, broker queue, beat state).
VAR_DIR.mkdir(parents=True, exist_ok=True)

# DEBUG defaults on only so the embedded default works with no settings at all.
DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    # Development-only key: never used when DEBUG is off (see below).
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-not-for-production")
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set (50+ characters) when DEBUG is off.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # API tokens: one per sign-in, stored hashed, expiring, revocable.
    "knox",
    # Failed sign-ins, counted per (username, client address) in the database.
    "axes",
    # Two-factor: authenticator apps (TOTP) and recovery codes (static tokens).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_htmx",
    "core",
    "referrals",
    "accounts",
    "pathways",
    "notifications",
    "coordinator",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files keep their caching and need no policy.
    "csp.middleware.CSPMiddleware",
    "mscc.middleware.ResponseHeadersMiddleware",
    "mscc.middleware.RequestBodyLimitMiddleware",
    # A view that lost the database answers 503 with Retry-After, never a 500.
    "mscc.middleware.DatabaseFaultMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff whose session has not passed it may only set it up or sign out.
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Puts the request where django-simple-history can find the acting user,
    # including users that DRF authenticated by token inside the view.
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "mscc.urls"
WSGI_APPLICATION = "mscc.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# The embedded default is SQLite in var/; production names PostgreSQL in DATABASE_URL.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one SQLite file: take the write lock when a
    # transaction begins and wait for it (up to 20 s), rather than fail with
    # "database is locked" when two processes upgrade to writing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
else:
    # Reuse connections between requests; checked before use so a restarted
    # database does not surface as an error on the next request.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "referrals.User"

# The lockout backend first: it refuses a locked (username, address) pair
# before any password is checked; then the ordinary one checks passwords.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# NCSC password guidance: length, and a deny list of common passwords; no
# composition rules (they make passwords harder to remember, not to guess),
# and no expiry. "Summer2026" is refused for its length.
MSCC_PASSWORD_MIN_LENGTH = env.int("MSCC_PASSWORD_MIN_LENGTH", default=12)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": MSCC_PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Clocks are stored in UTC and shown in UK time: MSCC runs 24/7 across DST changes.
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Largest API request body accepted (bytes). A referral is a few KB; anything
# far larger is a mistake or an attack, refused with 413 before it is read.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
# Largest body on every other route (pages, sign-in, admin), refused the same
# way from its Content-Length (mscc/request_body.py), multipart files
# included: no page takes an upload.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("MAX_BODY_BYTES", default=API_MAX_BODY_BYTES * 4)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# Deepest nesting of arrays and objects in a JSON body: a referral needs 3;
# thousands exhaust the parser's recursion (a 400 naming it, never a 500).
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=20)
# Requests of one web worker process that run the application at once
# (mscc/request_body.py): gevent holds thousands of connections, and this
# keeps them from becoming thousands of database connections. A request that
# finds no slot for MSCC_APP_QUEUE_SECONDS is answered 503 with Retry-After.
MSCC_APP_CONCURRENCY = env.int("MSCC_APP_CONCURRENCY", default=16)
MSCC_APP_QUEUE_SECONDS = env.float("MSCC_APP_QUEUE_SECONDS", default=20.0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Knox tokens (``Authorization: Token <token>``, as before), checked
        # for expiry on every request (accounts/authentication.py).
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.StrictJSONParser"],
    # DRF's browsable API only in development: in production the API answers
    # JSON alone (no HTML pages of it for anyone who finds the address).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.api.exceptions.exception_handler",
    # Sign-in is throttled per client address (core/client_address.py), in the
    # shared cache below, to slow password guessing across many usernames.
    "DEFAULT_THROTTLE_RATES": {"sign_in": env.str("SIGN_IN_RATE", default="30/min")},
}

# --- Cache -------------------------------------------------------------------
# What every process must count together (the sign-in throttle) lives here,
# never in one process's memory. CACHE_URL (e.g. redis://host:6379/1) in
# production; the embedded default is a file cache in var/, which the web
# processes of one machine share.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Sign-in -----------------------------------------------------------------
# The client address comes from here alone (core/client_address.py): the
# addresses or networks of the reverse proxies whose X-Forwarded-For is
# believed. Empty by default: X-Forwarded-For is then ignored and the peer is
# the client. Set it to the proxy in front of gunicorn, e.g. 10.0.0.5/32.
MSCC_TRUSTED_PROXIES = [
    p.strip() for p in env.list("MSCC_TRUSTED_PROXIES", default=[]) if p.strip()
]
try:
    trusted_networks(MSCC_TRUSTED_PROXIES)
except ValueError as error:
    raise ImproperlyConfigured(f"MSCC_TRUSTED_PROXIES: {error}") from error
# Failed sign-ins (a wrong password or a wrong code) that pause one
# (username, client address) pair, and for how long after the last of them.
# Never the account outright: the same username from another address, and
# other usernames from this address, go on (nobody can lock the on-call
# coordinator out at 3 a.m.).
MSCC_SIGN_IN_FAILURE_LIMIT = env.int("MSCC_SIGN_IN_FAILURE_LIMIT", default=10)
MSCC_SIGN_IN_COOLOFF_SECONDS = env.int("MSCC_SIGN_IN_COOLOFF_SECONDS", default=15 * 60)
AXES_FAILURE_LIMIT = MSCC_SIGN_IN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(seconds=MSCC_SIGN_IN_COOLOFF_SECONDS)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# The pause runs from the last counted failure: attempts while paused are
# refused unchecked and do not extend it, so it always ends.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A successful sign-in clears that pair's count.
AXES_RESET_ON_SUCCESS = True
# What axes keeps of a failed request's form: never the code of a second factor.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp", "code"]

# Two-factor (TOTP, with recovery codes) for staff roles: everyone but
# referrers, and anyone who may open the admin site. On whenever DEBUG is off;
# the embedded demo and the test suite run without it.
MSCC_REQUIRE_2FA = env.bool("MSCC_REQUIRE_2FA", default=not DEBUG)
# The name an authenticator app shows beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="MSCC coordinator service")
# After a wrong code the authenticator waits 1, 2, 4 ... s before checking
# another (capped: accounts/two_factor.py): six digits are guessable without
# it. Recovery codes (40 random bits each) need no wait of their own.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 0
# Days an invitation link (team page, accounts/invites.py) stays good: it
# also stops working once used, since it is bound to the unset password.
MSCC_INVITE_DAYS = env.int("MSCC_INVITE_DAYS", default=7)

# API tokens (django-rest-knox): one per sign-in. A token lapses after
# MSCC_TOKEN_IDLE_SECONDS unused (each use moves that on, written at most once
# a minute) and MSCC_TOKEN_MAX_AGE_SECONDS after its sign-in whatever the use.
# Revoked by the API sign-out, "sign out everywhere" and a password change.
MSCC_TOKEN_IDLE_SECONDS = env.int("MSCC_TOKEN_IDLE_SECONDS", default=60 * 60)
MSCC_TOKEN_MAX_AGE_SECONDS = env.int("MSCC_TOKEN_MAX_AGE_SECONDS", default=12 * 60 * 60)
REST_KNOX = {
    "TOKEN_TTL": timedelta(seconds=MSCC_TOKEN_IDLE_SECONDS),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(seconds=MSCC_TOKEN_MAX_AGE_SECONDS),
    "MIN_REFRESH_INTERVAL": 60,
    # The public contract's header: Authorization: Token <token>.
    "AUTH_HEADER_PREFIX": "Token",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "MSCC coordinator service API",
    "DESCRIPTION": "Referral intake, NG234 triage, pathway clocks and the coordinator queue.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its docs page are for signed-in users only (session or
    # token), never public: they map every call of a clinical service.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Every operation's error answers (core/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.error_responses",
    ],
    # Swagger UI served from our own static files: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No deep links: Swagger UI then writes each operation's path as a link
    # inside its expand button, a link within a button (axe nested-interactive,
    # WCAG 4.1.2).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
}

# --- Celery ------------------------------------------------------------------
# The embedded default broker is kombu's file-system transport: no server needed,
# and a real worker and beat still run. Production uses Redis.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    (_broker_dir / "processed").mkdir(parents=True, exist_ok=True)
    (_broker_dir / "control").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir),
        "data_folder_out": str(_broker_dir),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast exchanges (worker control); kombu's default is ./control.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any task's hard time limit, so a slow task is not redelivered
        # while it still runs; a lost worker's task comes back after this.
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600),
        # The lock a worker holds while it puts a lost worker's messages back
        # on the queue. A worker killed while holding it leaves it behind, and
        # no worker restores anything until it expires (kombu's default: 300 s).
        # Restoring takes milliseconds, so a minute is ample.
        "unacked_mutex_expire": env.int("CELERY_UNACKED_MUTEX_EXPIRE", default=60),
    }
# Only JSON crosses the broker: tasks take primary keys, never pickled objects.
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_SERIALIZER = "json"
# Results are not needed: every task records its outcome in a database row.
CELERY_TASK_IGNORE_RESULT = True
# At-least-once delivery: acknowledge after the task ran, requeue if the worker died.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# On losing the broker, a worker cancels the tasks it holds so that they are
# redelivered (Celery 6's default; set now to be explicit and quiet).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# One message at a time per process, so a dying worker holds at most one.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# No task may hang a worker: soft limit raises inside the task, hard limit kills it.
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=90)
CELERY_TIMEZONE = "UTC"
# The queue this deployment's tasks go to; tests give their worker a private one.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="mscc")
# Beat keeps its state file in var/, never in the source tree.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Seconds between heartbeats that prove beat and a worker are both alive.
MSCC_HEARTBEAT_SECONDS = env.int("MSCC_HEARTBEAT_SECONDS", default=15)
# A heartbeat older than this is reported as a stopped worker or beat.
MSCC_HEARTBEAT_STALE_SECONDS = env.int("MSCC_HEARTBEAT_STALE_SECONDS", default=120)

# --- E-mail ------------------------------------------------------------------
# EMAIL_URL (e.g. smtp+tls://user:password@smtp.example.org:587) configures SMTP;
# with none, mail is written to the console.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="mscc-coordinator@localhost")

# --- Security ----------------------------------------------------------------
# Content-Security-Policy (django-csp): scripts, styles, images and fonts only
# from this site's own files. No inline script, handler or style anywhere:
# every page's JavaScript and CSS is a static file (htmx's own indicator
# style is turned off in base.html for the same reason).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Swagger UI's icons are data: URLs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# No page uses a device or a browser feature of these (mscc/middleware.py).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)  # one shift
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # On unless the service is served over plain HTTP on this machine only
    # (scripts/run-demo: production error pages without a certificate).
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)

# --- Domain ------------------------------------------------------------------
# The address people open from an e-mail or pager message. With DEBUG off it
# must be set: a default would send a coordinator's 3 a.m. link to the wrong
# host or port (issue 11). scripts/run-demo sets it from PORT.
MSCC_BASE_URL = env.str("MSCC_BASE_URL", default="http://127.0.0.1:8000" if DEBUG else "")
if not DEBUG and not MSCC_BASE_URL:
    raise ImproperlyConfigured(
        "MSCC_BASE_URL must be set when DEBUG is off: the address (scheme, host and port) "
        "that links in e-mail and pager messages open, e.g. https://mscc.example.nhs.uk."
    )
if urlsplit(MSCC_BASE_URL).scheme not in ("http", "https") or not urlsplit(MSCC_BASE_URL).netloc:
    raise ImproperlyConfigured(
        f"MSCC_BASE_URL must be an http(s) address with a host, not {MSCC_BASE_URL!r}."
    )
MSCC_BASE_URL = MSCC_BASE_URL.rstrip("/")
# Seconds between escalation sweeps (beat); coordinator pages warn when the
# last sweep is older than MSCC_SWEEP_STALE_SECONDS.
MSCC_SWEEP_SECONDS = env.float("MSCC_SWEEP_SECONDS", default=15.0)
MSCC_SWEEP_STALE_SECONDS = env.int("MSCC_SWEEP_STALE_SECONDS", default=120)
# Delivery retries: attempts before a delivery is marked failed, and the
# longest back-off between them (never an ETA longer than a few minutes).
MSCC_DELIVERY_MAX_ATTEMPTS = env.int("MSCC_DELIVERY_MAX_ATTEMPTS", default=6)
MSCC_DELIVERY_MAX_BACKOFF_SECONDS = env.int("MSCC_DELIVERY_MAX_BACKOFF_SECONDS", default=120)
# Storm guard (issue 11): past this many escalations raised for one service
# in one sweep, the on-call coordinator (the service lead if nobody is on
# call) also gets one summary notice an hour, to open the queue. It never
# acknowledges, supersedes or holds back any referral's own escalations.
MSCC_ESCALATION_STORM_THRESHOLD = env.int("MSCC_ESCALATION_STORM_THRESHOLD", default=50)
# Intake limits: referrals one referrer, and one
# referring organisation, may send through the API and the referral page in
# any period of the rate ("60/h": 60 in any hour; s, m, h or d), counted in
# the database. Coordinators and senior clinicians are not limited; past a
# limit the answer is 429 with Retry-After, telling the referrer to phone.
MSCC_INTAKE_RATE_USER = env.str("MSCC_INTAKE_RATE_USER", default="60/h")
MSCC_INTAKE_RATE_ORG = env.str("MSCC_INTAKE_RATE_ORG", default="600/h")
for _rate in (MSCC_INTAKE_RATE_USER, MSCC_INTAKE_RATE_ORG):
    try:
        parse_rate(_rate)
    except ValueError as _exc:
        raise ImproperlyConfigured(str(_exc)) from _exc
# An event (or MDT decision) more than this many days before the earliest of
# the referral's suspicion, neurological onset and receipt is refused as a
# mistyped date (so is one before the patient's date of birth).
MSCC_EVENT_LOOKBACK_DAYS = env.int("MSCC_EVENT_LOOKBACK_DAYS", default=90)
# Seconds a client is told to wait (Retry-After) when the database does not
# answer: about as long as a PostgreSQL restart or fail-over takes.
MSCC_DATABASE_RETRY_AFTER_SECONDS = env.int("MSCC_DATABASE_RETRY_AFTER_SECONDS", default=15)
# Seconds of client clock skew tolerated on times that must not be in the future.
MSCC_FUTURE_SKEW_SECONDS = env.int("MSCC_FUTURE_SKEW_SECONDS", default=300)
# The audit dashboard's SPC charts judge "assurance" (will the standard be
# met month after month?) against this percentage. NG234's time standards are
# for every person, so 100 by default; an alliance that agrees a working
# target with its commissioners (95, say) sets it here.
MSCC_AUDIT_SPC_TARGET_PERCENT = env.float("MSCC_AUDIT_SPC_TARGET_PERCENT", default=100.0)
if not 0 <= MSCC_AUDIT_SPC_TARGET_PERCENT <= 100:
    raise ImproperlyConfigured("MSCC_AUDIT_SPC_TARGET_PERCENT must be from 0 to 100.")
# The "Making Data Count" rule lengths: a run of this many months on one side
# of the mean, and a trend of this many rising or falling, are special cause
# (NHS England's advice: 7); limits are called reliable from this many months
# (advice: 15). Fewer makes the charts quicker to signal and more often wrong.
MSCC_AUDIT_SPC_RUN_LENGTH = env.int("MSCC_AUDIT_SPC_RUN_LENGTH", default=7)
MSCC_AUDIT_SPC_TREND_LENGTH = env.int("MSCC_AUDIT_SPC_TREND_LENGTH", default=7)
MSCC_AUDIT_SPC_RELIABLE_MONTHS = env.int("MSCC_AUDIT_SPC_RELIABLE_MONTHS", default=15)
if min(MSCC_AUDIT_SPC_RUN_LENGTH, MSCC_AUDIT_SPC_TREND_LENGTH, MSCC_AUDIT_SPC_RELIABLE_MONTHS) < 2:
    raise ImproperlyConfigured("The MSCC_AUDIT_SPC_* lengths are 2 or more.")

# --- Logging -----------------------------------------------------------------
# One JSON object a line on stderr (core/logs.py), carrying ids, references and
# durations, never a patient's identifiers. LOG_LEVEL: DEBUG, INFO, WARNING...
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "core.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's records reach the root's JSON handler; without this its own
        # DEBUG-only console handler would print each of them a second time.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # django-axes logs usernames and addresses in free text; the accounts
        # app logs each sign-in event itself, with ids (accounts/signals.py).
        "axes": {"handlers": [], "level": "ERROR", "propagate": True},
    },
}
# Workers keep the JSON handler above: by default Celery replaces the root
# logger's handlers with its own plain-text one.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
