"""`make run` completes a `.env` it did not write: what is missing, never what is there."""

from __future__ import annotations

import os

import environ
import pytest

LOCAL_HTTP = {
    "SECURE_SSL_REDIRECT": "false",
    "SESSION_COOKIE_SECURE": "false",
    "CSRF_COOKIE_SECURE": "false",
    "SECURE_HSTS_SECONDS": "0",
}
SECRETS = ("SECRET_KEY", "ARIA2_RPC_SECRET", "FLOWER_PASSWORD")


@pytest.fixture
def env_file(devstack, tmp_path, monkeypatch):
    path = tmp_path / ".env"
    monkeypatch.setattr(devstack, "ENV_FILE", path)
    # make run loads .env into its environment: ours must not keep what these tests load
    monkeypatch.setattr(os, "environ", dict(os.environ))
    for key in (*SECRETS, *LOCAL_HTTP):
        monkeypatch.delenv(key, raising=False)
    return path


def as_django_environ_reads_it(path, monkeypatch) -> dict[str, str]:
    values: dict[str, str] = {}
    monkeypatch.setattr(environ.Env, "ENVIRON", values)
    environ.Env.read_env(str(path), overwrite=True)
    return values


def test_a_copied_env_example_gets_a_secret_key_and_plain_http(
    devstack, env_file, monkeypatch, capsys
) -> None:
    # given the newcomer's first step: .env.example copied, a TMDB key set
    example = (devstack.ROOT / ".env.example").read_text()
    env_file.write_text(example.replace("TMDB_API_KEY=\n", 'TMDB_API_KEY="my-key"\n'))

    devstack.ensure_env_file()

    values = as_django_environ_reads_it(env_file, monkeypatch)
    assert len(values["SECRET_KEY"]) >= 50
    assert values["ARIA2_RPC_SECRET"]
    assert values["FLOWER_PASSWORD"]
    assert {key: values[key] for key in LOCAL_HTTP} == LOCAL_HTTP
    assert values["TMDB_API_KEY"] == "my-key"
    assert env_file.read_text().count("SECRET_KEY=") == 1  # filled in where it stood
    said = capsys.readouterr().out
    assert "SECRET_KEY (new)" in said
    assert "SECURE_SSL_REDIRECT=false" in said
    assert values["SECRET_KEY"] not in said  # secrets are named, never printed


def test_what_the_user_wrote_is_kept(devstack, env_file, monkeypatch) -> None:
    env_file.write_text(
        "SECRET_KEY='mine'\nSECURE_SSL_REDIRECT=true\nSECURE_HSTS_SECONDS=60\n"
        "ARIA2_RPC_SECRET=aria\nFLOWER_PASSWORD=flower"  # no newline at the end
    )

    devstack.ensure_env_file()

    values = as_django_environ_reads_it(env_file, monkeypatch)
    assert values["SECRET_KEY"] == "mine"
    assert values["SECURE_SSL_REDIRECT"] == "true"
    assert values["SECURE_HSTS_SECONDS"] == "60"
    assert (values["ARIA2_RPC_SECRET"], values["FLOWER_PASSWORD"]) == ("aria", "flower")
    assert values["SESSION_COOKIE_SECURE"] == values["CSRF_COOKIE_SECURE"] == "false"


def test_a_complete_env_is_left_as_it_is(devstack, env_file, capsys) -> None:
    devstack.ensure_env_file()  # a fresh one
    written = env_file.read_text()
    capsys.readouterr()

    devstack.ensure_env_file()

    assert env_file.read_text() == written
    assert "added" not in capsys.readouterr().out


def test_a_secret_set_in_the_environment_is_not_written(devstack, env_file, monkeypatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    env_file.write_text("SECRET_KEY=\n")

    devstack.env_file_complete()

    assert "SECRET_KEY=\n" in env_file.read_text()
