"""Settings for the citizen-issue routing platform, read from the environment.

Everything that differs between a laptop and production comes from environment variables
(see ``.env.example``). With none set, the platform runs on SQLite with tasks executed
eagerly in the web process; ``DATABASE_URL`` selects PostgreSQL and ``REDIS_URL`` selects
Redis as the Celery broker and the cache.

https://docs.djangoproject.com/en/5.2/ref/settings/
https://django-environ.readthedocs.io/en/latest/
"""

import importlib.metadata
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
env_file = BASE_DIR / ".env"
if env_file.exists():
    environ.Env.read_env(env_file)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# pytest (8.2+) exports PYTEST_VERSION to the test process and the workers it starts.
TESTING = "PYTEST_VERSION" in os.environ

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set (production has no default secret key)."
        )
    SECRET_KEY = "insecure-development-key-never-used-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "guardian",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "agencies",
    "issues",
    # The dispatcher, one app per room (README, "How it is built"); ``coordination`` itself
    # keeps the rooms' early migrations and the commands that span them (seed_demo).
    "coordination",
    "coordination.deadlines",
    "coordination.rules",
    "coordination.learning",
    "coordination.dispatch",
    "coordination.outbound",
    "coordination.open311",
    "coordination.reporting",
    "coordination.hot",
    "coordination.knowledge",
    "coordination.desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # While debugging, the site's own 404 page rather than Django's technical one.
    "platform_gov.notfound.FriendlyNotFoundMiddleware",
    "csp.middleware.CSPMiddleware",
    "platform_gov.security.PermissionsPolicyMiddleware",
    # Before the session and everything that queries: NUL and lone surrogates answer 400.
    "platform_gov.characters.RejectUnstorableCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as axes asks: it turns a locked-out sign-in into the lock-out page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "platform_gov.urls"
WSGI_APPLICATION = "platform_gov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "platform_gov.context_processors.platform",
            ],
        },
    },
]
# Forms are drawn with Django's Jinja2 form templates: the same HTML, a third of the time.
FORM_RENDERER = "platform_gov.renderers.FormRenderer"

# Database: SQLite by default, PostgreSQL when DATABASE_URL says so.
# https://django-environ.readthedocs.io/en/latest/types.html#environ-env-db-url
# An empty DATABASE_URL counts as unset, as compose files often pass one through empty.
DATABASES = {
    "default": environ.Env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so two writers queue instead of
    # failing with "database is locked" half-way through a transaction.
    # https://docs.djangoproject.com/en/5.2/ref/databases/#database-is-locked-errors
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
else:
    # Tests serve requests from short-lived threads: persistent connections would outlive
    # them and keep the test database from being dropped.
    DATABASES["default"]["CONN_MAX_AGE"] = (
        0 if TESTING else env.int("DATABASE_CONN_MAX_AGE", default=60)
    )
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username and address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    # Reads a person's permissions in one query where ModelBackend keeps them; signs no one in.
    "platform_gov.backends.PermissionsInOneQuery",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "coordination:after_login"
LOGOUT_REDIRECT_URL = "issues:home"

# Internationalisation: Chinese first (the city's language), English second.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Residents' photos: outside the web root (no MEDIA_URL serves them), read back only through
# a view that checks permission. In production point it at a persistent volume.
PRIVATE_MEDIA_ROOT = env.path("PRIVATE_MEDIA_ROOT", default=BASE_DIR / "private_media")
ATTACHMENTS_MAX_COUNT = 3
ATTACHMENTS_MAX_BYTES = 5 * 1024 * 1024

# In development and tests serve static files straight from the apps (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_AUTOREFRESH = DEBUG or TESTING

# Redis: the Celery broker and the cache. Without it, tasks run eagerly after commit.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and TESTING and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    # The suite on several processes (pytest-xdist): each its own Redis database, so one's
    # Celery worker never takes another's messages nor sees its cache.
    _redis = urlsplit(REDIS_URL)
    _base = int(_redis.path.lstrip("/") or 0)
    _offset = 1 + int(os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw"))
    REDIS_URL = _redis._replace(path=f"/{(_base + _offset) % 16}").geturl()
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "platform_gov.redis_cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "platform_gov",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery. https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# An eager task that fails must not turn the resident's committed report into an error page;
# the periodic sweep routes what was left behind.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True  # a task lost with its worker is delivered again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
# Publishing must not hang a web request while the broker is down: fail fast, keep the row,
# and let the sweep enqueue it later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# A message taken by a worker that dies unacknowledged (acks late) goes back to the queue
# after this long: minutes, not an hour. Every task's run is much shorter, and no task waits
# in the broker longer (retries of sends are scheduled in the database, by the outbox).
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=300)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Periodic sweeps have a queue of their own: a backlog of routing or mail cannot delay them.
CELERY_TASK_ROUTES = {
    "coordination.dispatch.tasks.issue_route": {"queue": "routing"},
    "coordination.dispatch.tasks.issues_route_stale": {"queue": "sweeps"},
    "coordination.dispatch.tasks.deadlines_sweep": {"queue": "sweeps"},
    "coordination.dispatch.tasks.issues_close_unrated": {"queue": "sweeps"},
    "coordination.outbound.tasks.outbox_sweep": {"queue": "sweeps"},
    "issues.tasks.photos_sweep": {"queue": "sweeps"},
    "coordination.reporting.tasks.rollup_*": {"queue": "sweeps"},
    "coordination.desk.tasks.mailbox_sweep": {"queue": "sweeps"},
    "coordination.learning.tasks.duplicates_sweep": {"queue": "sweeps"},
    "coordination.outbound.tasks.outbox_relay": {"queue": "notifications"},
    "coordination.outbound.tasks.notify_*": {"queue": "notifications"},
    "coordination.outbound.tasks.webhook*": {"queue": "webhooks"},
    "coordination.outbound.hot.notify_*": {"queue": "notifications"},
    # One writer clusters hot issues: a worker of concurrency 1 on this queue (README).
    "coordination.hot.tasks.*": {"queue": "hot"},
}
CELERY_BEAT_SCHEDULE = {
    "route-stale-submitted-issues": {
        "task": "coordination.dispatch.tasks.issues_route_stale",
        "schedule": timedelta(seconds=env.int("ROUTING_SWEEP_INTERVAL_SECONDS", default=30)),
    },
    "watch-deadlines": {
        "task": "coordination.dispatch.tasks.deadlines_sweep",
        "schedule": timedelta(seconds=env.int("DEADLINE_SWEEP_INTERVAL_SECONDS", default=60)),
    },
    "send-due-outbox-messages": {
        "task": "coordination.outbound.tasks.outbox_sweep",
        "schedule": timedelta(seconds=env.int("OUTBOX_SWEEP_INTERVAL_SECONDS", default=30)),
    },
    "close-unrated-issues": {
        "task": "coordination.dispatch.tasks.issues_close_unrated",
        "schedule": timedelta(hours=1),
    },
    "sweep-orphaned-photos": {
        "task": "issues.tasks.photos_sweep",
        "schedule": timedelta(hours=1),
    },
    # Sunday night: a new classifier version when enough new decisions came in.
    "retrain-classifier": {
        "task": "coordination.learning.tasks.classifier_retrain",
        "schedule": crontab(minute=30, hour=3, day_of_week="sunday"),
    },
    "measure-hot-issues": {
        "task": "coordination.hot.tasks.hot_refresh",
        "schedule": timedelta(minutes=env.int("HOT_REFRESH_MINUTES", default=10)),
    },
    "sweep-unclustered-issues": {
        "task": "coordination.hot.tasks.hot_sweep",
        "schedule": timedelta(minutes=5),
    },
    # Routed issues whose pairing with duplicates was lost (its message, with the broker).
    "sweep-unpaired-issues": {
        "task": "coordination.learning.tasks.duplicates_sweep",
        "schedule": timedelta(minutes=5),
    },
    # The dashboard's rollup: the recent days often, everything nightly.
    "refresh-rollup": {
        "task": "coordination.reporting.tasks.rollup_refresh_recent",
        "schedule": timedelta(minutes=env.int("ROLLUP_REFRESH_MINUTES", default=5)),
    },
    "rebuild-rollup": {
        "task": "coordination.reporting.tasks.rollup_rebuild_all",
        "schedule": crontab(minute=15, hour=2),
    },
}
# The hotline's mailbox (imaps://user:password@host:993/INBOX), read every minute when set;
# each new message is filed as an issue of channel e-mail (coordination.desk.mailbox).
INBOUND_MAIL_URL = env.str("INBOUND_MAIL_URL", default="")
if INBOUND_MAIL_URL:
    CELERY_BEAT_SCHEDULE["read-the-hotline-mailbox"] = {
        "task": "coordination.desk.tasks.mailbox_sweep",
        "schedule": timedelta(seconds=env.int("INBOUND_MAIL_INTERVAL_SECONDS", default=60)),
    }
# The days the frequent task recounts (today included).
ROLLUP_REFRESH_DAYS = env.int("ROLLUP_REFRESH_DAYS", default=45)
# The dashboard's figures are cached until the rollup changes, at most this long.
FIGURES_CACHE_SECONDS = env.int("FIGURES_CACHE_SECONDS", default=3600)
# Public figures: counts below this are shown as "<N" (no resident singled out).
FIGURES_SUPPRESS_BELOW = env.int("FIGURES_SUPPRESS_BELOW", default=5)
# How long the dispatcher's page may show the agencies' rates from the cache (0: never).
RATES_CACHE_SECONDS = env.int("RATES_CACHE_SECONDS", default=0 if TESTING else 300)
# Photo files without a row are deleted once this old (filings in progress keep theirs).
PHOTOS_SWEEP_AFTER = timedelta(minutes=env.int("PHOTOS_SWEEP_AFTER_MINUTES", default=60))

# How long an issue may stay ``submitted`` before the sweep enqueues its routing again; an
# issue whose routing was enqueued (``Issue.routing_enqueued_at``) less than
# ROUTING_REQUEUE_AFTER ago is left to the message already waiting in the queue.
# How many waiting issues one routing message takes with it (one transaction): under load
# the queue drains in batches; with no backlog each issue is routed on its own at once.
ROUTING_BATCH = env.int("ROUTING_BATCH", default=50)
ROUTING_STALE_AFTER = timedelta(seconds=env.int("ROUTING_STALE_AFTER_SECONDS", default=60))
ROUTING_REQUEUE_AFTER = timedelta(seconds=env.int("ROUTING_REQUEUE_AFTER_SECONDS", default=300))
# The outbox: a message being sent is leased for this long; should its sender die, the sweep
# sends it again once the lease runs out (longer than any one send: webhooks time out at 13 s).
OUTBOX_LEASE = timedelta(seconds=env.int("OUTBOX_LEASE_SECONDS", default=300))

# The 12345 workflow. Working time follows WORK_CALENDAR (weekends, hours) and the holidays and
# make-up working days kept in the admin (CalendarDay).
WORK_CALENDAR = {
    "timezone": TIME_ZONE,
    "day_start": env.str("WORK_DAY_START", default="09:00"),
    "day_end": env.str("WORK_DAY_END", default="18:00"),
    "breaks": [["12:00", "13:30"]],
    "weekend": [5, 6],
}
# An agency may ask to return an assignment within this much working time of receiving it.
BOUNCE_WINDOW = timedelta(hours=env.int("BOUNCE_WINDOW_WORKING_HOURS", default=8))
# Departments summoned by a street office's whistle must respond within this (calendar) time.
WHISTLE_RESPONSE = timedelta(minutes=env.int("WHISTLE_RESPONSE_MINUTES", default=30))
# Warn this much working time before a deadline; escalate to the dispatcher this long after.
DEADLINE_WARNING = timedelta(hours=env.int("DEADLINE_WARNING_WORKING_HOURS", default=2))
ESCALATE_TO_DISPATCHER_AFTER = timedelta(
    hours=env.int("ESCALATE_TO_DISPATCHER_AFTER_WORKING_HOURS", default=4)
)
# A resolved issue nobody rates closes after this many days; it may be reopened within the
# reopen window after resolution.
FEEDBACK_CLOSE_AFTER = timedelta(days=env.int("FEEDBACK_CLOSE_AFTER_DAYS", default=7))
REOPEN_WINDOW = timedelta(days=env.int("REOPEN_WINDOW_DAYS", default=7))

# The dispatcher learns (coordination.learning). Duplicates: open issues filed within this
# distance and time of each other whose texts are at least this alike (0-1).
DUPLICATE_DISTANCE_METERS = env.int("DUPLICATE_DISTANCE_METERS", default=500)
DUPLICATE_WINDOW = timedelta(days=env.int("DUPLICATE_WINDOW_DAYS", default=14))
DUPLICATE_MIN_SCORE = env.float("DUPLICATE_MIN_SCORE", default=0.3)
# The weekly retraining runs when this many new labels came since the active version; it
# activates the new version when its figures hold up ("better"), always, or never.
CLASSIFIER_RETRAIN_MIN_LABELS = env.int("CLASSIFIER_RETRAIN_MIN_LABELS", default=50)
CLASSIFIER_RETRAIN_ACTIVATE = env.str("CLASSIFIER_RETRAIN_ACTIVATE", default="better")
# The precision a version must reach (with 99 % assurance, on text it has not seen) before
# its predictions route issues without a person.
CLASSIFIER_TARGET_PRECISION = env.float("CLASSIFIER_TARGET_PRECISION", default=0.97)
# Categories that say "I don't know" (其他): a confident prediction routes in their place.
CLASSIFIER_OTHER_CATEGORIES = env.list("CLASSIFIER_OTHER_CATEGORIES", default=["other"])
# seed_demo trains the demo city's classifier (a few seconds); the tests switch it off.
DEMO_CLASSIFIER = env.bool("DEMO_CLASSIFIER", default=not TESTING)

# Rate limits per client address on what needs no account (429 with Retry-After beyond them).
RATE_LIMITS = {
    "submit": env.str("RATE_LIMIT_SUBMIT", default="30/hour"),
    "track": env.str("RATE_LIMIT_TRACK", default="300/hour"),
    "token": env.str("RATE_LIMIT_TOKEN", default="20/hour"),
    "signup": env.str("RATE_LIMIT_SIGNUP", default="10/hour"),
    # Finding an issue by its tracking number and four digits of the phone: few tries.
    "track_number": env.str("RATE_LIMIT_TRACK_NUMBER", default="10/hour"),
}

# Caches of what pages only show (the case page's organisation lists, a place's public area)
# ask whether their table changed at most this often per process (``platform_gov.stamps``);
# 0: on every request. What decides (routing, validation) always reads the tables.
DISPLAY_STAMP_SECONDS = env.float("DISPLAY_STAMP_SECONDS", default=0 if TESTING else 2)

# The audit of staff's views of a resident's contact (``ContactAccess``) keeps one row per
# person, issue, level and way (page, API, admin) in this many seconds; 0: a row per view.
CONTACT_ACCESS_WINDOW_SECONDS = env.int("CONTACT_ACCESS_WINDOW_SECONDS", default=600)

# Wrong answers (phone digits or e-mail) allowed per tracking number and hour on /track/.
TRACK_NUMBER_MAX_FAILURES = env.int("TRACK_NUMBER_MAX_FAILURES", default=5)

# DRF. https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    # How many reverse proxies stand in front of the app; 0 (direct): X-Forwarded-For is
    # ignored, so a forged header cannot dodge a rate limit.
    "NUM_PROXIES": env.int("TRUSTED_PROXIES", default=0),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A refused change (WorkflowError) and a service's field errors answer 400, never 500.
    "EXCEPTION_HANDLER": "platform_gov.errors.api_exception_handler",
}

# OpenAPI 3 at /api/schema/, Swagger UI at /api/docs/ served from our own static files.
# https://drf-spectacular.readthedocs.io/en/latest/settings.html
try:
    API_VERSION = importlib.metadata.version("platform-gov")
except importlib.metadata.PackageNotFoundError:  # run from a checkout that was not installed
    API_VERSION = "0.0.0"
SPECTACULAR_SETTINGS = {
    "TITLE": "Qinghe City 12345 API",
    "VERSION": API_VERSION,
    "DESCRIPTION": (
        "The REST API of the citizen-issue routing platform; `API.md` is its outline and the "
        "contract.\n\n"
        "* Authentication: a session (browser) or `Authorization: Token <key>`; "
        '`POST /api/v1/auth/token/` with `username` and `password` answers `{"token": ...}`. '
        "Residents' endpoints need no login.\n"
        "* Objects a user may not see answer **404, never 403**, so their existence does not "
        "leak.\n"
        '* Errors answer `{"detail": "..."}`, or field errors '
        '`{"field": ["message"]}` with 400.'
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a ``status`` or a ``kind``: each choice set gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "IssueStatusEnum": "issues.models.Issue.Status",
        "UpdateKindEnum": "issues.models.Update.Kind",
        "RuleSetStatusEnum": "coordination.rules.models.RuleSet.Status",
        "AssignmentStatusEnum": "coordination.dispatch.models.Assignment.Status",
        "QueueStatusEnum": ["pending", "accepted", "done"],
        "CoordinationRequestKindEnum": "coordination.dispatch.models.CoordinationRequest.Kind",
        "CoordinationRequestStatusEnum": "coordination.dispatch.models.CoordinationRequest.Status",
        "HandoffKindEnum": "coordination.dispatch.models.Handoff.Kind",
        "AgencyKindEnum": "agencies.models.Agency.Kind",
        "TopicStatusEnum": "coordination.hot.models.Topic.Status",
        "IssueChannelEnum": "issues.models.Issue.Channel",
        "DeskChannelEnum": ["phone", "email", "letter", "walk_in"],
    },
    # OpenAPI links (response → next request), which drf-spectacular has no decorator for.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "coordination.api.links.add_links",
    ],
    "SWAGGER_UI_DIST": "SIDECAR",
    # No badge from the public validator: it would send our schema's address to another site
    # (and the Content-Security-Policy blocks it anyway).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# django-guardian: the anonymous user is not needed (residents are served by token), so no
# "AnonymousUser" row is made. https://django-guardian.readthedocs.io/en/stable/configuration.html
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

DEMO_PASSWORD = env.str("DEMO_PASSWORD", default="demo-pass-2026")
PLATFORM_NAME = _("Qinghe City 12345 Citizen Service")

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="12345@qinghe.example")
# The file backend's directory (``EMAIL_BACKEND=django.core.mail.backends.filebased...``):
# the fault test reads what a worker process sent from there.
if env.str("EMAIL_FILE_PATH", default=""):
    EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH")
# Webhooks to this machine's loopback over plain HTTP: only ever in tests (a worker process
# started by the suite posts to the test's own receiver).
WEBHOOK_ALLOW_INSECURE_LOCALHOST = TESTING and env.bool(
    "WEBHOOK_ALLOW_INSECURE_LOCALHOST", default=False
)
# The public address of the platform: every absolute link (e-mails, password resets) is built
# on it, never on the host a request happened to name. ``make run`` sets it from PORT.
# PUBLIC_BASE_URL is its older name, still read.
SITE_URL = env.str(
    "SITE_URL", default=env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")
).rstrip("/")
PUBLIC_BASE_URL = SITE_URL

# Maps (Leaflet): a tile server's URL template and the attribution its terms ask for, e.g.
# https://tile.openstreetmap.org/{z}/{x}/{y}.png and "© OpenStreetMap contributors". Empty:
# no tiles; the city's areas are the base layer and the maps work offline.
MAP_TILE_URL = env.str("MAP_TILE_URL", default="")
MAP_TILE_ATTRIBUTION = env.str("MAP_TILE_ATTRIBUTION", default="")

# Webhook URLs must reach the public internet (no server-side request forgery into the
# platform's own network); a deployment whose partners sit on a government intranet may
# allow private addresses. Loopback and link-local (cloud metadata) stay refused.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env.bool("WEBHOOK_ALLOW_PRIVATE_NETWORKS", default=False)
# Without a broker (``make run``) tasks run in the web process: a webhook delivery then runs
# on a background thread after the response, never inside the resident's request (a partner
# that does not answer would hold it for every timeout and retry). Tests deliver in line.
WEBHOOKS_EAGER_IN_BACKGROUND = env.bool("WEBHOOKS_EAGER_IN_BACKGROUND", default=not TESTING)

# Security headers and cookies: on by default outside development.
# https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
if not DEBUG and not TESTING:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Preloading is hard to undo (https://hstspreload.org/#removal): switch it off for a
    # domain that is not ready to be HTTPS-only for good.
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)

# Content-Security-Policy (django-csp 4): our own files only, no inline script or style.
# An inline block that cannot move to static/ carries the request's nonce
# (``nonce="{{ request.csp_nonce }}"``, e.g. the Swagger UI's start-up script).
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # data: for the small SVG icons in the admin's and Swagger UI's style sheets.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

if MAP_TILE_URL:
    # The tiles are images from the tile server ({s} subdomains become a wildcard).
    _tiles = urlsplit(MAP_TILE_URL.replace("{s}", "tiles"))
    _tile_host = (
        _tiles.netloc.replace("tiles.", "*.", 1) if "{s}" in MAP_TILE_URL else _tiles.netloc
    )
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(f"{_tiles.scheme}://{_tile_host}")

# Browser features the pages may use: the report form may ask for the location (and a
# phone's camera for photos); everything else a page could ask for is off.
PERMISSIONS_POLICY = {
    "geolocation": ["self"],
    "camera": ["self"],
    "microphone": [],
    "payment": [],
    "usb": [],
    "interest-cohort": [],
}

# Sign-in lock-out (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, that pair is refused (429, the lock-out page or {"detail"}) until
# AXES_COOLOFF_MINUTES pass without another try. A successful sign-in clears the count. The
# address is the one the rate limits use (TRUSTED_PROXIES), so X-Forwarded-For cannot dodge it.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "platform_gov.security.client_ip_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_COOLOFF_MESSAGE = _("Too many failed sign-in attempts. Please try again later.")

# Logs: every handler redacts residents' phone numbers, e-mail addresses and access tokens
# (platform_gov/logging.py). Django's own "django" and "django.server" loggers would write
# through handlers of their own; configured here, they go through the redacting one.
# https://docs.djangoproject.com/en/5.2/topics/logging/#default-logging-configuration
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "platform_gov.logging.RedactPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django": {"level": "INFO"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # SQL with its parameters (names, phones) at DEBUG: never.
        "django.db.backends": {"level": "WARNING"},
    },
}

# Hot issues (coordination.hot). The clustering's parameters are coordination.hot.engine.Config's
# defaults, tuned on real complaints with ``python -m bench.hot``; HOT_CONFIG (JSON) overrides
# some of them, e.g. {"window_days": 14}. A change applies to new complaints; ``manage.py
# hot_rebuild`` clusters every issue again with it.
HOT_CONFIG = env.json("HOT_CONFIG", default={})
# Early warning (coordination/hot/services/warnings.py): complaints of the last
# HOT_WARNING_HOURS against the daily mean of the HOT_WARNING_BASELINE_DAYS before (at least
# HOT_WARNING_FLOOR_PER_DAY), judged as a Poisson count: a warning opens at
# HOT_WARNING_MIN_COUNT complaints with a probability below HOT_WARNING_P, and ends once the
# count is no longer unusual at HOT_WARNING_P_END.
HOT_WARNING_HOURS = env.int("HOT_WARNING_HOURS", default=24)
HOT_WARNING_BASELINE_DAYS = env.int("HOT_WARNING_BASELINE_DAYS", default=28)
HOT_WARNING_MIN_COUNT = env.int("HOT_WARNING_MIN_COUNT", default=5)
HOT_WARNING_P = env.float("HOT_WARNING_P", default=0.001)
HOT_WARNING_P_END = env.float("HOT_WARNING_P_END", default=0.05)
HOT_WARNING_FLOOR_PER_DAY = env.float("HOT_WARNING_FLOOR_PER_DAY", default=0.2)
# The board lists hot issues of at least this many complaints.
HOT_BOARD_MIN_SIZE = env.int("HOT_BOARD_MIN_SIZE", default=2)
