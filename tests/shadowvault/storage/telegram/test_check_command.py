"""`manage.py telegram_check` run for real, reading the server's key from a .env file the way
a curator writes it, or through `make run`'s reader; and a key that is no key."""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
import time

import pytest
import rsa
from django.db import connection

from shadowvault.storage.telegram.client import key_fingerprint
from tests.processes import PROJECT_ROOT, free_port


@pytest.fixture(scope="module")
def server_key() -> rsa.PublicKey:
    public, _ = rsa.newkeys(512)
    return public


def openssl_pem(key: rsa.PublicKey) -> str:
    """The key as openssl writes it: SubjectPublicKeyInfo, "BEGIN PUBLIC KEY"."""
    from cryptography.hazmat.primitives import serialization

    loaded = serialization.load_pem_public_key(key.save_pkcs1())
    return loaded.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@pytest.fixture
def check_env(django_db_setup, django_db_blocker) -> dict[str, str]:
    """This process's environment without Telegram settings, pointed at the test database."""
    with django_db_blocker.unblock():
        database = str(connection.settings_dict["NAME"])
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "STORAGE_"))}
    return {
        **base,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "TEST_DATABASE_NAME": database,
        "PYTHONUNBUFFERED": "1",
    }


def env_file(tmp_path, key_line: str, *, tokens: str = "111:secret-a") -> str:
    path = tmp_path / ".env"
    path.write_text(
        "STORAGE_BACKEND=telegram\n"
        "TELEGRAM_API_ID=12345\n"
        "TELEGRAM_API_HASH=0123456789abcdef\n"
        f"TELEGRAM_BOT_TOKENS={tokens}\n"
        f"TELEGRAM_SERVER=2:127.0.0.1:{free_port()}\n"  # nothing listens: never reached
        f"{key_line}\n"
    )
    return str(path)


def first_line_with(env: dict[str, str], text: str, *, timeout: float = 30) -> str:
    """Start telegram_check, return its first output line holding `text`, and stop it: what
    follows is the sessions trying a server that is not there."""
    process = subprocess.Popen(
        [sys.executable, "manage.py", "telegram_check"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[str] = []
    try:
        with selectors.DefaultSelector() as selector:
            selector.register(process.stdout, selectors.EVENT_READ)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and selector.select(deadline - time.monotonic()):
                line = process.stdout.readline()
                if not line:
                    break
                seen.append(line)
                if text in line:
                    return line
    finally:
        process.kill()
        process.wait()
    raise AssertionError(f"telegram_check never printed {text!r}:\n{''.join(seen)}")


def test_a_pem_over_several_lines_in_env_is_the_key_the_sessions_trust(
    check_env, tmp_path, server_key
) -> None:
    pem = server_key.save_pkcs1().decode().strip()
    path = env_file(tmp_path, f'TELEGRAM_SERVER_PUBLIC_KEY="{pem}"')

    line = first_line_with({**check_env, "ENV_FILE": path}, "key fingerprint")

    assert line.strip().endswith(f"key fingerprint {key_fingerprint(server_key)}")


def test_a_pem_on_one_line_passed_on_by_make_runs_reader_is_the_same_key(
    check_env, tmp_path, server_key, devstack
) -> None:
    # openssl's form, "BEGIN PUBLIC KEY", written with \n between its lines
    pem = openssl_pem(server_key).strip().replace("\n", "\\n")
    values = devstack.read_env_file(env_file(tmp_path, f"TELEGRAM_SERVER_PUBLIC_KEY={pem}"))
    env = {**check_env, **values, "ENV_FILE": os.devnull}  # as make run starts its children

    line = first_line_with(env, "key fingerprint")

    assert line.strip().endswith(f"key fingerprint {key_fingerprint(server_key)}")


@pytest.mark.django_db
def test_a_bad_key_is_one_clear_line_per_session(check_env, tmp_path) -> None:
    path = env_file(
        tmp_path,
        "TELEGRAM_SERVER_PUBLIC_KEY=-----BEGIN RSA PUBLIC KEY-----",
        tokens="111:secret-a,222:secret-b",
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "telegram_check"],
        cwd=PROJECT_ROOT,
        env={**check_env, "ENV_FILE": path},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "2 problem(s) found" in result.stderr
    sessions = [line for line in result.stdout.splitlines() if line.startswith("bot-")]
    assert [line.split()[0] for line in sessions] == ["bot-111", "bot-222"]
    for line in sessions:
        assert "cannot connect: TELEGRAM_SERVER_PUBLIC_KEY is not an RSA public key" in line
        assert "on one line with \\n between its lines" in line
