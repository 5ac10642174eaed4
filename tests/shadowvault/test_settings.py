from __future__ import annotations

import os
import subprocess
import sys

from tests.processes import PROJECT_ROOT

PRODUCTION_ENV = {
    "ENV_FILE": os.devnull,
    "DJANGO_SETTINGS_MODULE": "shadowvault.settings",
    "SECRET_KEY": "x7Hq2-VbN9pLm4Kc8Rt1Zw6Yd3Fs5Gj0Ue2Ia9Ob7Pn4Qm1Lk8Jh6",
    "REDIS_URL": "redis://127.0.0.1:9/0",
}


def run_manage(*args: str, env: dict[str, str], tmp_path) -> subprocess.CompletedProcess:
    # Only the basics: the test process's own environment holds test settings.
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env={**base, "DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_silent_with_production_variables(tmp_path) -> None:
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV, tmp_path=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_outside_debug(tmp_path) -> None:
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}

    result = run_manage("check", env=env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr
