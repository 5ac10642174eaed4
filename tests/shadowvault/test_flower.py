"""Flower, as make run starts it: basic auth, and it sees the workers and every queue."""

from __future__ import annotations

import sys

import pytest
import requests

from shadowvault.celery import QUEUES
from tests import processes

pytestmark = pytest.mark.integration


def test_flower_asks_for_a_password_and_shows_workers_and_queues(redis_url) -> None:
    port = processes.free_port()
    env = {"REDIS_URL": redis_url}
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "shadowvault",
        "flower",
        "--address=127.0.0.1",
        f"--port={port}",
        "--url_prefix=flower",
        "--basic_auth=ops:s3cret",
    ]
    with (
        processes.celery_worker(env=env, queues=",".join(QUEUES), name="watched"),
        processes.server_process(command, port=port, env=env, name="flower"),
    ):
        base = f"http://127.0.0.1:{port}/flower"
        anonymous = requests.get(f"{base}/", timeout=10)
        workers = requests.get(
            f"{base}/api/workers", params={"refresh": "1"}, auth=("ops", "s3cret"), timeout=30
        )
        broker = requests.get(f"{base}/broker", auth=("ops", "s3cret"), timeout=30)

    assert anonymous.status_code == 401
    assert any(name.startswith("watched-") for name in workers.json())
    assert all(f">{queue}<" in broker.text for queue in QUEUES)
