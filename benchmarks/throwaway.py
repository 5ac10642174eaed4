"""A throw-away Django for benchmarks: the test settings over a temp database and vault.

Import it before anything that touches Django; it sets the environment (which the
processes a benchmark starts inherit) and calls `django.setup()`.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def throwaway_django(prefix: str, **env: str) -> Path:
    """Set up Django on a fresh SQLite database in a new temp dir; return the dir."""
    import django

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "TEST_DATABASE_NAME": str(workdir / "db.sqlite3"),
            "VAULT_ROOT": str(workdir / "vault"),
            "INGEST_WORK_ROOT": str(workdir / "work"),
            "STORAGE_BACKEND": "filesystem",
            "LOG_LEVEL": "WARNING",
            **env,
        }
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return workdir


def bench_viewer(tenant) -> str:
    """A member of `tenant`, as links sign them: the gateway serves users who may watch there."""
    from django.contrib.auth.models import User

    from library.models import Membership
    from streaming.services import viewer_key

    user = User.objects.create(username="bench")
    Membership.objects.create(tenant=tenant, user=user)
    return viewer_key(user.id)
