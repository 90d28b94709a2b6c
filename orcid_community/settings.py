"""Settings of the ORCID Community Portal: one module, configured by the environment.

With no environment variable set (``make run``, ``make test``) the portal runs on an
embedded default: a SQLite file, Celery tasks executed eagerly, a local-memory cache
and mail printed to the console. ``DATABASE_URL`` and ``REDIS_URL`` switch to
PostgreSQL and a real broker and cache. Every variable is documented in README.md.

In sections, each setting once: the environment; applications and requests; database;
Redis and caches; Celery and the whole beat schedule; mail; accounts;
internationalization; files (static, media, consortium documents); security; rate
limits; the domain's own numbers; logging; demo.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# --- Environment ------------------------------------------------------------------------
BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DJANGO_DEBUG", default=False)

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (see README.md)."
        )
    # Development only: DEBUG is on, nothing here is secret.
    SECRET_KEY = "django-insecure-development-key-not-for-production"

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# A form refused for its CSRF token gets the portal's refusal page, not Django's bare one.
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"

# --- Applications and requests ------------------------------------------------------------
INSTALLED_APPS = [
    # django-modeltranslation: shipped data (checklist items, groups, forums) in every
    # language; before the admin so its admin classes are there.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.orcid",
    "allauth.mfa",
    # django-countries: country fields and country names in every language.
    "django_countries",
    # Project apps. ``core`` holds shared plumbing; ``accounts`` the custom user model.
    "core",
    "accounts",
    "consortia",
    "contributors",
    "forums",
    "events",
    "mail",
    # Mail in: replies and new topics by mail (the LMTP gateway); above forums.
    "inbound",
    # Open data: the public read API (django-ninja) and the feeds; reads the apps above.
    "ninja",
    "api",
    # The project layer (home page, navigation, seed_demo); it registers every app's tasks.
    "orcid_community",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.PersonPreferencesMiddleware",
    # After authentication, messages and the person's language: staff without two-factor
    # authentication are led to set it up before any other page (accounts.staff).
    "accounts.middleware.StaffTwoFactorMiddleware",
    # Below CsrfViewMiddleware: fills tokens into forms of cached pages (core.pagecache).
    "core.middleware.LateCsrfTokenMiddleware",
    # A DomainError a view lets through becomes the refusal page (core.errors).
    "core.errors.DomainErrorMiddleware",
]

# `make bench` only: serves /bench/bare/, a view rendering a small template through the
# same middleware, the yardstick every page is measured against (bench/urls.py adds it to
# the portal's pages). Never set in production.
BENCH_BARE_VIEW = env.bool("BENCH_BARE_VIEW", default=False)
ROOT_URLCONF = "bench.urls" if BENCH_BARE_VIEW else "orcid_community.urls"
WSGI_APPLICATION = "orcid_community.wsgi.application"
ASGI_APPLICATION = "orcid_community.asgi.application"

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
                "orcid_community.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite by default; PostgreSQL (psycopg 3) from DATABASE_URL.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE: concurrent writers wait for the lock instead of failing mid-transaction.
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    if env.bool("DATABASE_POOL", default=False):
        # psycopg 3's connection pool, one per process; exclusive with CONN_MAX_AGE.
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=4),
        }
        _db["CONN_MAX_AGE"] = 0
    else:
        # Persistent connections, checked before reuse.
        _db["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
        _db["CONN_HEALTH_CHECKS"] = True
# While PostgreSQL cannot be reached, pages that need it answer 503 with this Retry-After
# (core/outage.py).
DATABASE_RETRY_AFTER_SECONDS = env.int("DATABASE_RETRY_AFTER_SECONDS", default=30)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis and caches ---------------------------------------------------------------------
# Two roles (README, "Two Redis roles"): REDIS_URL holds what must stand — the Celery
# queues, sessions, cache generations, rate-limit counters, cached people — and
# PAGE_CACHE_URL the cached HTML (whole pages), which anyone can make more of
# (every search is a page): a Redis of its own with allkeys-lru evicts freely there
# without touching the first. Without PAGE_CACHE_URL the HTML shares REDIS_URL's Redis.
REDIS_URL = env.str("REDIS_URL", default="")
PAGE_CACHE_URL = env.str("PAGE_CACHE_URL", default="")
if PAGE_CACHE_URL and not REDIS_URL:
    raise ImproperlyConfigured(
        "PAGE_CACHE_URL needs REDIS_URL: the generations that keep cached pages fresh "
        "live there (see README.md)."
    )


# How long any Redis call may wait (cache and broker alike): a connection that does not
# open within REDIS_CONNECT_TIMEOUT, or an answer that does not come within
# REDIS_SOCKET_TIMEOUT (a frozen or unreachable Redis), is a failure, and the caller
# carries on without Redis (README, "Reliability: outages").
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=1.0)


def _redis_cache(url: str) -> dict:
    # Django's backend with one client per pool; a Redis that does not answer is a cache
    # miss, not an error (core/redis_cache.py). allauth's rate-limit keys are kept in the
    # process meanwhile, so sign-in, sign-up and password reset keep their limits instead
    # of answering 429 to everyone (its lock is a cache.add).
    return {
        "BACKEND": "core.redis_cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "occ",
        "OPTIONS": {
            "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
            "socket_timeout": REDIS_SOCKET_TIMEOUT,
            "LOCAL_WHEN_DOWN": ["allauth:rl:"],
        },
    }


if REDIS_URL:
    CACHES = {"default": _redis_cache(REDIS_URL)}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Cached pages (core.pagecache): the same cache as the default one unless PAGE_CACHE_URL.
CACHES["pages"] = _redis_cache(PAGE_CACHE_URL) if PAGE_CACHE_URL else dict(CACHES["default"])

# --- Celery: broker, tasks and the beat schedule ------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://"
# Without a broker, tasks run in-process when they are enqueued (still after commit).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only when it has finished: a worker killed mid-task leaves it
# on the queue for the next worker. Tasks are therefore written to be idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
# Redis redelivers an unacknowledged task after this many seconds; it must exceed the
# longest task (and any countdown) or the task runs twice.
# The socket timeouts bound every broker call: a publish to a frozen Redis fails after
# REDIS_SOCKET_TIMEOUT instead of hanging the request that enqueued it.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=60 * 60),
    "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
    "socket_timeout": REDIS_SOCKET_TIMEOUT,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_CONNECT_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish is tried once (redis-py replaces a connection the server closed when it is
# taken from the pool, so a restarted Redis needs no retry): enqueueing after commit never
# holds a request for more than REDIS_SOCKET_TIMEOUT or so; what could not be enqueued
# waits in the database for the sweeps (core.background).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": env.int("CELERY_PUBLISH_MAX_RETRIES", default=0),
    "interval_start": 0,
    "interval_step": 0,
    "interval_max": 0,
}
# After a publish failed, this process does not try the broker again for this long.
BROKER_RETRY_SECONDS = env.float("BROKER_RETRY_SECONDS", default=5.0)
CELERY_TASK_DEFAULT_RETRY_DELAY = 30
CELERY_TIMEZONE = "UTC"
# The beat schedule, every periodic task of every app (CELERY_TIMEZONE is UTC). Each task
# is idempotent: a rerun changes nothing.
CELERY_BEAT_SCHEDULE = {
    # The sweep: pending deliveries that are due (new ones the broker never got, retries
    # whose time has come, ones a dead worker held) are handed over again.
    "requeue-stale-deliveries": {
        "task": "mail.tasks.requeue_stale_deliveries",
        "schedule": env.float("MAIL_SWEEP_SECONDS", default=60.0),
    },
    # Cache invalidations a dead process or an unreachable Redis left owed (core.cache):
    # a page is never stale for longer than this after Redis answers.
    "replay-pending-invalidations": {
        "task": "core.tasks.replay_invalidations",
        "schedule": env.float("CACHE_SWEEP_SECONDS", default=30.0),
    },
    "forget-old-submissions": {
        "task": "core.tasks.forget_old_submissions",
        "schedule": 60 * 60 * 24,
    },
    # Digest runs whose building stalled (a killed worker) go on where they stopped.
    "resume-stalled-digests": {
        "task": "mail.tasks.resume_stalled_digests",
        "schedule": env.float("MAIL_SWEEP_SECONDS", default=60.0),
    },
    # Retention (README, "People's data"): old delivery records, signatures' IP addresses,
    # expired sessions and expired data exports go.
    "purge-personal-data": {
        "task": "accounts.tasks.purge_personal_data",
        "schedule": crontab(minute=30, hour=3),
    },
    # Decide nominations whose deadline has passed (a decided one is left alone).
    "contributors-decide-due-nominations": {
        "task": "contributors.tasks.decide_due_nominations",
        "schedule": 5 * 60,
    },
    # Forum digests: daily at 06:00 UTC, weekly on Monday at 06:00 UTC. A rerun of the same
    # period sends nothing twice (one Delivery per person, list and period).
    "forums-daily-digest": {
        "task": "forums.tasks.send_digests",
        "schedule": crontab(minute=0, hour=6),
        "args": ("daily",),
    },
    "forums-weekly-digest": {
        "task": "forums.tasks.send_digests",
        "schedule": crontab(minute=0, hour=6, day_of_week="mon"),
        "args": ("weekly",),
    },
    # Remind people registered for an outreach meeting a day before it starts. The task
    # runs often so a late registration is still reminded; each person gets the mail once
    # (mail delivery records are unique per person and meeting).
    "events-send-due-reminders": {
        "task": "events.tasks.send_due_reminders",
        "schedule": 15 * 60,
    },
}

# --- Mail -----------------------------------------------------------------------------
_email = env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
vars().update(_email)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="ORCID Community Portal <community@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute links in mail (and List-Unsubscribe) point here.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Where people write about their data, an accessibility problem or a moderator's decision
# (the privacy notice, the accessibility statement and the forum rules name it).
CONTACT_EMAIL = env.str("CONTACT_EMAIL", default="community@orcid.org")
MAIL_LIST_ID_DOMAIN = env.str("MAIL_LIST_ID_DOMAIN", default="community.orcid.example")
# Mail in (README, "Mail in"): the gateway receives for MAIL_LIST_ID_DOMAIN over LMTP.
INBOUND_MAX_BYTES = env.int("INBOUND_MAX_BYTES", default=10 * 1024 * 1024)
INBOUND_LMTP_HOST = env.str("INBOUND_LMTP_HOST", default="127.0.0.1")
INBOUND_LMTP_PORT = env.int("INBOUND_LMTP_PORT", default=8024)
# Moderation hold (README, "Forums"): in the API Users list, the posts of people without a
# verified contribution whose account is younger than this wait for a moderator; with
# FORUMS_HOLD_FIRST_MAIL, so does the first mail from each address of anyone not trusted.
FORUMS_HOLD_NEW_ACCOUNT_DAYS = env.int("FORUMS_HOLD_NEW_ACCOUNT_DAYS", default=3)
FORUMS_HOLD_FIRST_MAIL = env.bool("FORUMS_HOLD_FIRST_MAIL", default=False)
# The authserv-id of the receiving mail server(s) whose Authentication-Results is believed.
INBOUND_TRUSTED_AUTHSERV_IDS = env.list("INBOUND_TRUSTED_AUTHSERV_IDS", default=[])
# How sending is retried, like an MTA's queue (README, "Sending and retries"; `make drills`
# sets these, CELERY_VISIBILITY_TIMEOUT and MAIL_SWEEP_SECONDS compressed, to run outages
# of hours in minutes): a delivery is tried at most MAIL_MAX_ATTEMPTS times; after its n-th
# failed attempt the next one is due the n-th delay of MAIL_RETRY_SCHEDULE later (seconds,
# the last one repeating): 1, 5, 15 min, 1, 4, 12 h, then daily, about 3.7 days in all.
# Beat's sweep hands over what is due, and takes back what a send task has held for
# MAIL_STALE_AFTER_SECONDS without settling it (the worker died).
MAIL_MAX_ATTEMPTS = env.int("MAIL_MAX_ATTEMPTS", default=10)
MAIL_RETRY_SCHEDULE = env.list(
    "MAIL_RETRY_SCHEDULE",
    cast=float,
    default=[60.0, 300.0, 900.0, 3600.0, 14400.0, 43200.0, 86400.0],
)
MAIL_STALE_AFTER_SECONDS = env.float("MAIL_STALE_AFTER_SECONDS", default=300.0)
# Bounces (README, "Bounces"), Mailman's model: a hard bounce scores 1, a soft one 0.5, at
# most one a day; at MAIL_BOUNCE_THRESHOLD list mail to the address stops; a score with no
# bounce for MAIL_BOUNCE_STALE_DAYS starts again from 0.
MAIL_BOUNCE_THRESHOLD = env.float("MAIL_BOUNCE_THRESHOLD", default=5.0)
MAIL_BOUNCE_STALE_DAYS = env.int("MAIL_BOUNCE_STALE_DAYS", default=7)
# Seconds to wait for the mail server (connect, greeting, each command): a server that
# does not answer is an outage, not a worker that hangs.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=30.0)

# --- Accounts: django-allauth ----------------------------------------------------------
# Django's and allauth's backends, with the signed-in person looked up in the cache.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.ModelBackend",
    "accounts.backends.AuthenticationBackend",
]
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "account_login"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# Sign-up asks for the name to show (accounts.forms.SignupForm): the portal never makes a
# name out of an email address.
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env.str(
    "ACCOUNT_EMAIL_VERIFICATION", default="optional" if DEBUG else "mandatory"
)
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_LOGIN_ON_GET = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
# Staff cannot turn two-factor authentication off (accounts.adapters.MFAAdapter).
MFA_ADAPTER = "accounts.adapters.MFAAdapter"
MFA_TOTP_ISSUER = "ORCID Community Portal"
# A code of the previous or next 30 seconds is accepted too (clock drift, RFC 6238 §6).
MFA_TOTP_TOLERANCE = 1

ORCID_BASE_DOMAIN = env.str("ORCID_BASE_DOMAIN", default="orcid.org")
if ORCID_BASE_DOMAIN not in {"orcid.org", "sandbox.orcid.org"}:
    raise ImproperlyConfigured("ORCID_BASE_DOMAIN must be orcid.org or sandbox.orcid.org.")
ORCID_CLIENT_ID = env.str("ORCID_CLIENT_ID", default="")
_orcid = {"BASE_DOMAIN": ORCID_BASE_DOMAIN, "MEMBER_API": False, "SCOPE": ["/authenticate"]}
if ORCID_CLIENT_ID:
    _orcid["APPS"] = [
        {"client_id": ORCID_CLIENT_ID, "secret": env.str("ORCID_CLIENT_SECRET", default="")}
    ]
SOCIALACCOUNT_PROVIDERS = {"orcid": _orcid}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalization ---------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("pt-br", _("Portuguese (Brazil)")),
    ("es", _("Spanish")),
    ("ru", _("Russian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Data in every language (README, Languages): each translated field has a column per
# language (`title_ru`, `name_zh_hans`, …); English is required, any other may be empty and
# then shows English. A row created with the plain field (`title=`) fills English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_REQUIRED_LANGUAGES = ("en",)
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
MODELTRANSLATION_AUTO_POPULATE = "default"
MODELTRANSLATION_PREPOPULATE_LANGUAGE = "en"  # slugs come from the English name
# django-countries' Simplified Chinese name of Svalbard starts with a space, which sorted it
# first of every country list; our catalogs name it (and it alone) in each language.
COUNTRIES_OVERRIDE = {"SJ": _("Svalbard and Jan Mayen")}
TIME_ZONE = "UTC"
USE_I18N = True
# One style for a day and one for a moment (with its zone), per language.
FORMAT_MODULE_PATH = ["orcid_community.formats"]
USE_TZ = True

# --- Files: static (whitenoise, hashed names in production), media, documents ------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"
# Consortium documents live in their own private storage, never under MEDIA_URL: every
# download goes through a view that checks permission. Local disk by default; with
# DOCUMENTS_S3_BUCKET, S3-compatible object storage (django-storages, `pip install
# .[s3]`) so several web machines serve the same files. Credentials come from the usual
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment variables.
DOCUMENTS_MAX_UPLOAD_BYTES = env.int("DOCUMENTS_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
# Office documents are ZIP archives: the content check reads them within these bounds
# (consortia/documents.py) and refuses an archive that passes one: files in it, bytes one
# file unpacks to, bytes all files unpack to together.
DOCUMENTS_ARCHIVE_MAX_ENTRIES = env.int("DOCUMENTS_ARCHIVE_MAX_ENTRIES", default=2000)
DOCUMENTS_ARCHIVE_MAX_ENTRY_BYTES = env.int(
    "DOCUMENTS_ARCHIVE_MAX_ENTRY_BYTES", default=100 * 1024 * 1024
)
DOCUMENTS_ARCHIVE_MAX_BYTES = env.int("DOCUMENTS_ARCHIVE_MAX_BYTES", default=200 * 1024 * 1024)
DOCUMENTS_S3_BUCKET = env.str("DOCUMENTS_S3_BUCKET", default="")
if DOCUMENTS_S3_BUCKET:
    STORAGES["documents"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": DOCUMENTS_S3_BUCKET,
            "endpoint_url": env.str("DOCUMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("DOCUMENTS_S3_REGION", default="") or None,
            "location": "documents",
            "default_acl": "private",
            "file_overwrite": False,
            "querystring_auth": True,
        },
    }
else:
    STORAGES["documents"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.path("DOCUMENTS_ROOT", default=BASE_DIR / "private_documents"),
        },
    }

# --- Security -------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies whose X-Forwarded-For is believed (core.client.client_address): the
# same variable gunicorn reads (gunicorn_conf.py), addresses or networks, or "*".
FORWARDED_ALLOW_IPS = env.list("FORWARDED_ALLOW_IPS", default=["127.0.0.1"])
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers probe /healthz over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if REDIS_URL:
    # Sessions read from the cache (written through to the database): a signed-in
    # request skips its session query.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Messages wait in the session, not in a cookie of their own: the portal sets only the
# session, CSRF and language cookies, as the privacy notice says (/privacy/).
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

_orcid_origin = f"https://{ORCID_BASE_DOMAIN}"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        # Sign in with ORCID posts to us and is redirected to ORCID: allow that target.
        "form-action": [SELF, _orcid_origin],
    },
}

# --- Rate limits ----------------------------------------------------------------------
# Attempts per person (per client address for visitors not signed in) beyond which an
# action answers 429 (core/ratelimit.py): "count/period", period s, m, h or d. Counted
# in the default cache (Redis), per process while Redis does not answer.
RATE_LIMITS = {
    "join": "10/h",  # requests to join a consortium
    "propose": "5/d",  # consortium proposals
    "organization": "5/d",  # new organizations registered (joining or proposing)
    "invitation": "30/h",  # contact invitations sent by lead contacts
    "contact_request": "10/d",  # requests to act for a registered organization
    "session": "10/d",  # session proposals for outreach meetings
    "contribution": "30/h",  # contributions added to a profile
    "flag": "20/h",  # posts flagged to the moderators
    "data_export": "3/d",  # requests for a copy of one's data
    # Requests to the open data API and feeds (GET too), per client address.
    "api": env.str("API_RATE_LIMIT", default="600/m"),
}

# --- Double submissions ------------------------------------------------------------------
# A second identical POST of a creating form (a reply, a topic, a join request, a proposal)
# within this many seconds of the first one's answer is sent where the first one was,
# instead of making a second thing (core/submissions.py).
DUPLICATE_SUBMISSION_SECONDS = env.int("DUPLICATE_SUBMISSION_SECONDS", default=30)

# --- People's data -------------------------------------------------------------------------
# README, "People's data": how long the link to a data export works, and how long delivery
# records and the IP address of an agreement signature are kept (beat purges them daily).
DATA_EXPORT_LINK_HOURS = env.int("DATA_EXPORT_LINK_HOURS", default=72)
RETENTION_DELIVERY_DAYS = env.int("RETENTION_DELIVERY_DAYS", default=180)
RETENTION_IP_ADDRESS_DAYS = env.int("RETENTION_IP_ADDRESS_DAYS", default=365)

# --- The domain's own numbers ---------------------------------------------------------------
# OST nominations: the deadline defaults to 14 days after opening and may not be sooner
# than 72 hours, so every member of the steering group has time to read and vote.
CONTRIBUTORS_NOMINATION_DAYS = 14
CONTRIBUTORS_NOMINATION_MIN_HOURS = 72

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # aiosmtpd (the mail gateway) logs every SMTP command at INFO, addresses included: keep
    # its warnings only (the gateway logs each mail's outcome itself).
    "loggers": {"mail.log": {"level": "WARNING"}},
}

# --- Demo ---------------------------------------------------------------------------------
# Shown on the sign-in page and printed by `make run`; never in production.
DEMO_PASSWORD = "orcid-demo-2026"
