"""Test settings: the real settings module, fed a test environment.

Nothing here talks to the machine's shared services: Redis points at a free port of its own,
where the `redis_url` fixture starts a private redis-server when a test needs one. The choice
is made once, in the environment, so worker processes started by tests inherit it.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
from pathlib import Path

os.environ.setdefault("ENV_FILE", os.devnull)  # a developer's .env must not leak into tests
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "k" * 20)
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
if "REDIS_URL" not in os.environ:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{probe.getsockname()[1]}/0"
os.environ.setdefault("CACHE_URL", "locmemcache://")
os.environ.setdefault("TMDB_API_BASE_URL", "http://127.0.0.1:9/3")
os.environ.setdefault("TMDB_API_KEY", "test-tmdb-key")
os.environ.setdefault("PLAYER_NEXT_UP_SECONDS", "3")  # browser tests wait for the countdown
# Per checkout: the gateway tests collect static files into DATA_DIR/static, and two
# checkouts on one machine (worktrees) must not serve each other's player.js.
os.environ.setdefault(
    "DATA_DIR",
    os.path.join(
        tempfile.gettempdir(),
        "shadowvault-test-data-"
        + hashlib.sha256(str(Path(__file__).resolve().parent.parent).encode()).hexdigest()[:10],
    ),
)

from shadowvault.settings import *  # noqa: F403
from shadowvault.settings import DATABASES

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - WhiteNoise warns when absent
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed only

# A Celery worker in another process must see the test database, so SQLite's test database is
# a file, not memory. A worker started by the tests is told the database by TEST_DATABASE_NAME.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        # Per process: two test runs on one machine must not share (and destroy) one file.
        "NAME": os.path.join(tempfile.gettempdir(), f"shadowvault-test-{os.getpid()}.sqlite3"),
    }
if os.environ.get("TEST_DATABASE_NAME"):
    DATABASES["default"]["NAME"] = os.environ["TEST_DATABASE_NAME"]
