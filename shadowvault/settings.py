"""ShadowVault settings, read from the environment (and `.env` when present).

Every variable is listed with its default in `.env.example`. The defaults are the embedded,
single-box set-up: SQLite under `data/`, Redis on localhost, DEBUG off.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from shadowvault.envfile import env_file_apply

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over the file; ENV_FILE=/dev/null ignores it.
env_file_apply(env.str("ENV_FILE", default=str(BASE_DIR / ".env")))


def env_required(name: str) -> str:
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable (see .env.example).")
    return value


# --- Core ---
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="") if DEBUG else env_required("SECRET_KEY")
if DEBUG and not SECRET_KEY:
    SECRET_KEY = "insecure-debug-only-key-" + "x" * 40
DATA_DIR = Path(env.str("DATA_DIR", default=str(BASE_DIR / "data")))
DATA_DIR.mkdir(parents=True, exist_ok=True)  # SQLite cannot create its own directory
# The tenants' domains are the host allow-list: library.middleware.TenantMiddleware answers 404
# to any host no tenant owns, before any view can use the Host header. A second list here would
# have to be kept in step with the Domain table (and a restart per new tenant), so by default
# Django lets every host through to that check. Set a list to narrow it further.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "shadowvault.apps.ShadowVaultAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "library",
    "shadowvault.storage",
    "streaming",
    "ingest",
    "readvault",
    "watching",
    "dav",
    "web",
    "telegrambot",
]

MIDDLEWARE = [
    "shadowvault.request_guard.RequestGuardMiddleware",  # NUL anywhere: a 400, before any lookup
    "shadowvault.error_answers.EmptyErrorMiddleware",  # an empty 4xx gets its reason
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "library.middleware.TenantMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shadowvault.urls"
WSGI_APPLICATION = "shadowvault.wsgi.application"
ASGI_APPLICATION = "shadowvault.asgi.application"

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

# --- Database ---
# SQLite under DATA_DIR by default; PostgreSQL with DATABASE_URL=postgres://user:pass@host/db.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'shadowvault.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets web, worker and beat read while one of them writes; IMMEDIATE avoids the
    # "database is locked" upgrade deadlock between two writers.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Storage ---
# "filesystem" (files under VAULT_ROOT) is the embedded default.
STORAGE_BACKEND = env.str("STORAGE_BACKEND", default="filesystem")
VAULT_ROOT = Path(env.str("VAULT_ROOT", default=str(DATA_DIR / "vault")))
# What a store left untouched for this long (a temporary file in VAULT_ROOT/incoming, the
# parts a Telegram upload posted) was left by a worker that died; beat's sweep removes it. A
# running store keeps touching what it writes.
STORAGE_LEFTOVER_SECONDS = env.int("STORAGE_LEFTOVER_SECONDS", default=3600)
# Telegram session pool: how many distinct viewers one session serves at once, and how long a
# viewer's slot lives without renewal (a dead process frees its slots after this).
TELEGRAM_USERS_PER_SESSION = env.int("TELEGRAM_USERS_PER_SESSION", default=15)
TELEGRAM_VIEWER_LEASE_SECONDS = env.int("TELEGRAM_VIEWER_LEASE_SECONDS", default=60)
# Telegram backend (STORAGE_BACKEND=telegram): API credentials from my.telegram.org, then the
# sessions of the pool: bot tokens (their logins are kept encrypted in the database) and user
# string sessions from `manage.py telegram_login`.
TELEGRAM_API_ID = env.int("TELEGRAM_API_ID", default=0)
TELEGRAM_API_HASH = env.str("TELEGRAM_API_HASH", default="")
TELEGRAM_BOT_TOKENS = env.list("TELEGRAM_BOT_TOKENS", default=[])
TELEGRAM_SESSIONS = env.list("TELEGRAM_SESSIONS", default=[])
# Fernet key (urlsafe base64 of 32 bytes) for stored bot logins; derived from SECRET_KEY when
# empty, so rotating SECRET_KEY then costs one fresh login per bot.
TELEGRAM_SESSION_KEY = env.str("TELEGRAM_SESSION_KEY", default="")
# The storage channel of tenants that have not registered their own (marked id, -100...).
TELEGRAM_DEFAULT_CHANNEL = env.int("TELEGRAM_DEFAULT_CHANNEL", default=0)
# Another MTProto server than Telegram's production DCs: "dc_id:host:port" and its RSA key, a
# PEM ("BEGIN RSA PUBLIC KEY" or "BEGIN PUBLIC KEY"); in .env, in double quotes over several
# lines, or on one line with \n between the PEM's lines.
TELEGRAM_SERVER = env.str("TELEGRAM_SERVER", default="")
TELEGRAM_SERVER_PUBLIC_KEY = env.str("TELEGRAM_SERVER_PUBLIC_KEY", default="", multiline=True)
# Bots may upload 2000 MiB per document; larger files are split into parts of this size.
TELEGRAM_MAX_FILE_BYTES = env.int("TELEGRAM_MAX_FILE_BYTES", default=2000 * 1024 * 1024)
# Ranged reads ask for this many 1 MiB chunks at once, and never more than
# TELEGRAM_REQUESTS_PER_DC at a time per session and data centre (flood limits are per DC).
TELEGRAM_READ_AHEAD = env.int("TELEGRAM_READ_AHEAD", default=4)
# 1 MiB chunks an origin process may hold for viewers playing on: the read-ahead window after
# each nginx slice, asked for while the player takes that slice (64 chunks: 64 MiB).
TELEGRAM_CARRY_CHUNKS = env.int("TELEGRAM_CARRY_CHUNKS", default=64)
TELEGRAM_REQUESTS_PER_DC = env.int("TELEGRAM_REQUESTS_PER_DC", default=6)
# Uploads send this many 512 KiB parts of a file at once, within the same per-DC cap as reads.
TELEGRAM_UPLOAD_PARTS_IN_FLIGHT = env.int("TELEGRAM_UPLOAD_PARTS_IN_FLIGHT", default=6)
# The bot (`manage.py runbot`, the first bot token): who may command it, and for which tenant
# it registers channels and leeches (empty: the only tenant there is).
TELEGRAM_ADMIN_IDS = [int(v) for v in env.list("TELEGRAM_ADMIN_IDS", default=[])]
TELEGRAM_BOT_TENANT = env.str("TELEGRAM_BOT_TENANT", default="")

# --- Streaming ---
# Where viewers' links point: the gateway (nginx). "{host}" is the host the API was asked on.
# Empty: http://{host} on GATEWAY_LISTEN's port, so moving the dev gateway moves the links.
STREAM_GATEWAY_ORIGIN = env.str("STREAM_GATEWAY_ORIGIN", default="")
STREAM_LINK_TTL_SECONDS = env.int("STREAM_LINK_TTL_SECONDS", default=6 * 3600)
# A playlist's entries last its running time up to each entry plus STREAM_LINK_TTL_SECONDS,
# but never longer than this (a leaked playlist opens its files for at most this long).
PLAYLIST_LINK_MAX_SECONDS = env.int("PLAYLIST_LINK_MAX_SECONDS", default=48 * 3600)
# Link-signing keys, newest first: the first signs, all verify (rotation without broken
# links). Empty: one key derived from SECRET_KEY.
STREAM_SIGNING_KEYS = env.list("STREAM_SIGNING_KEYS", default=[])
# The header nginx sends the origin; empty: derived from SECRET_KEY.
ORIGIN_SECRET = env.str("ORIGIN_SECRET", default="")
# Processes behind the gateway (make run, render_nginx).
GATEWAY_LISTEN = env.str("GATEWAY_LISTEN", default="127.0.0.1:8080")
WEB_BIND = env.str("WEB_BIND", default="127.0.0.1:8000")
ORIGIN_BIND = env.str("ORIGIN_BIND", default="127.0.0.1:8001")
NGINX_DIR = Path(env.str("NGINX_DIR", default=str(DATA_DIR / "nginx")))
NGINX_CACHE_MAX_SIZE = env.str("NGINX_CACHE_MAX_SIZE", default="10g")
# Files of the filesystem backend: nginx sends them straight from VAULT_ROOT (an internal
# location, sendfile) rather than through the origin and the slice cache, which would keep a
# second copy of a local file and, cold, cap a viewer at nginx's cache-fill speed
# (benchmarks/stream.py). Turn it off when nginx runs where VAULT_ROOT is not mounted.
STREAM_FILESYSTEM_DIRECT = env.bool("STREAM_FILESYSTEM_DIRECT", default=True)

# --- Web player ---
# At the end of an episode the player offers the next one and plays it after this many
# seconds unless the viewer cancels (0: offer only, never play on by itself).
PLAYER_NEXT_UP_SECONDS = env.int("PLAYER_NEXT_UP_SECONDS", default=10)

# --- Ingest ---
# Exact host:port pairs exempt from the URL guard's public-address rule (a LAN seedbox); for
# BitTorrent, whose address filter knows no ports, the host's address on every port.
INGEST_ALLOW_HOSTS = env.list("INGEST_ALLOW_HOSTS", default=[])
INGEST_MAX_BYTES = env.int("INGEST_MAX_BYTES", default=50 * 1024**3)
# A magnet without metadata, or a download without progress, for this long fails as stalled.
# INGEST_MAX_BYTES holds on the bytes written, whatever the server announced.
INGEST_STALL_SECONDS = env.int("INGEST_STALL_SECONDS", default=600)
INGEST_MAX_HEIGHT = env.int("INGEST_MAX_HEIGHT", default=1080)
# Web versions encoded to H.264 (HEVC, MPEG-4 Part 2, 10-bit sources...): libx264's preset
# (ultrafast ... veryslow: slower is smaller at the same quality) and CRF (lower is better).
INGEST_WEB_PRESET = env.str("INGEST_WEB_PRESET", default="veryfast")
INGEST_WEB_CRF = env.int("INGEST_WEB_CRF", default=21)
# A running step renews its lease this often-ish; a worker that dies frees the job after it.
INGEST_LEASE_SECONDS = env.int("INGEST_LEASE_SECONDS", default=90)
# A step that fails for a reason that may pass (an HTTP 503, a dead worker) runs again this
# many times, after INGEST_RETRY_BACKOFF_SECONDS, doubling each time (capped at
# CELERY_TASK_MAX_COUNTDOWN); then its job fails with the last error. Kept on the job, so no
# restart or sweep resets it. Refusals (a 404, the URL guard) are never retried.
INGEST_RETRIES = env.int("INGEST_RETRIES", default=5)
INGEST_RETRY_BACKOFF_SECONDS = env.int("INGEST_RETRY_BACKOFF_SECONDS", default=30)
# Where jobs download and remux (a directory per job, removed whatever happens). On
# VAULT_ROOT's filesystem, a finished web version is moved into the vault, not copied.
INGEST_WORK_ROOT = Path(
    env.str("INGEST_WORK_ROOT", default=str(Path(tempfile.gettempdir()) / "shadowvault-ingest"))
)
# The aria2c daemon (make run and the tests start one, loopback only, with this secret).
ARIA2_RPC_URL = env.str("ARIA2_RPC_URL", default="http://127.0.0.1:6800/jsonrpc")
ARIA2_RPC_SECRET = env.str("ARIA2_RPC_SECRET", default="")

# --- Operations ---
# When set, /metrics wants "Authorization: Bearer <METRICS_TOKEN>"; unset, it answers only
# clients on this machine (loopback), since it counts every tenant's jobs and bytes.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# Flower (Celery's dashboard) behind the gateway at /flower/, with basic auth.
FLOWER_BIND = env.str("FLOWER_BIND", default="127.0.0.1:5555")
FLOWER_USER = env.str("FLOWER_USER", default="ops")
FLOWER_PASSWORD = env.str("FLOWER_PASSWORD", default="")

# --- Redis and cache ---
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {"default": env.cache("CACHE_URL", default="rediscache://127.0.0.1:6379/1")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # Fails open: while Redis is down the cache is empty (throttles let requests through),
    # never a 500; a Redis that stops answering costs a request one second at most.
    CACHES["default"]["BACKEND"] = "shadowvault.cache.FailOpenRedisCache"
    CACHES["default"].setdefault("OPTIONS", {})
    CACHES["default"]["OPTIONS"].setdefault("socket_connect_timeout", 1)
    CACHES["default"]["OPTIONS"].setdefault("socket_timeout", 1)

# --- Auth and security ---
# Every password check goes through the sign-in limiter (shadowvault/login_throttle.py): an
# account that failed LOGIN_FAILURES_PER_ACCOUNT times, or an address that failed
# LOGIN_FAILURES_PER_ADDRESS times, is refused until LOGIN_LOCK_SECONDS after its first failure.
AUTHENTICATION_BACKENDS = ["shadowvault.login_throttle.ThrottledModelBackend"]
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=10)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=30)
LOGIN_LOCK_SECONDS = env.int("LOGIN_LOCK_SECONDS", default=15 * 60)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# nginx terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
X_FRAME_OPTIONS = "DENY"
# HTTP Basic (OPDS, WebDAV, the API): how long a checked password stays trusted without
# hashing it again (it is still checked against the user's current state on every request).
BASIC_AUTH_CACHE_SECONDS = env.int("BASIC_AUTH_CACHE_SECONDS", default=300)

# --- Internationalisation and static files ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(DATA_DIR / "static")))
# Browser libraries from npm (package.json, installed by `npm ci` in scripts/bootstrap.sh):
# only these files of node_modules are static files (web/static_finders.py).
NODE_MODULES_DIR = BASE_DIR / "node_modules"
NODE_STATIC_FILES = {"vendor/hls.min.js": "hls.js/dist/hls.min.js"}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "web.static_finders.NodeModulesFinder",
]
# WhiteNoise serves the admin's and the API docs' static files from the web process until the
# gateway (nginx) takes them over; no manifest, so a missing collectstatic never breaks a page.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- REST API ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "library.api.authentication.BasicAppAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["library.api.permissions.IsTenantMember"],
    # JSON nested past a bound is a 400, not a RecursionError (library/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "library.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "library.api.pagination.TitlePagination",
    "PAGE_SIZE": 24,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "library.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ShadowVault API",
    "DESCRIPTION": "StreamVault catalog and ReadVault reader API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "library.models.Title.Kind",
        "SourceKindEnum": "readvault.models.Source.Kind",
    },
}

# --- TMDB ---
TMDB_API_BASE_URL = env.str("TMDB_API_BASE_URL", default="https://api.themoviedb.org/3")
TMDB_API_KEY = env.str("TMDB_API_KEY", default="")
TMDB_BEARER_TOKEN = env.str("TMDB_BEARER_TOKEN", default="")
TMDB_IMAGE_BASE_URL = env.str("TMDB_IMAGE_BASE_URL", default="https://image.tmdb.org/t/p")
TMDB_TIMEOUT_SECONDS = env.float("TMDB_TIMEOUT_SECONDS", default=10.0)
TMDB_MAX_RETRIES = env.int("TMDB_MAX_RETRIES", default=3)
TMDB_LANGUAGE = env.str("TMDB_LANGUAGE", default="en-US")

# --- Celery ---
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = ("shadowvault.celery.route_task",)
# A task is acknowledged only once it has run, and re-delivered if its worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TRACK_STARTED = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
# The longest task (a big torrent fetch, overriding the limits above) and the longest retry
# countdown must both stay under the broker's visibility timeout, or Redis re-delivers a task
# that is still running or still waiting: tests/shadowvault/test_celery_config.py holds this.
CELERY_TASK_MAX_TIME_LIMIT = env.int("CELERY_TASK_MAX_TIME_LIMIT", default=6 * 3600)
CELERY_TASK_MAX_COUNTDOWN = env.int("CELERY_TASK_MAX_COUNTDOWN", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": max(CELERY_TASK_MAX_TIME_LIMIT, CELERY_TASK_MAX_COUNTDOWN) + 3600,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = CELERY_BROKER_TRANSPORT_OPTIONS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BEAT_SCHEDULER = "shadowvault.beat:LockedDatabaseScheduler"
CELERY_BEAT_LOCK_KEY = "shadowvault:beat-lock"
CELERY_BEAT_LOCK_TIMEOUT = env.int("CELERY_BEAT_LOCK_TIMEOUT", default=60)

# --- Logging ---
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
