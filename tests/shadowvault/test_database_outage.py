"""A PostgreSQL restart under the running stack: clean 503s meanwhile, nothing lost after.

One outage of a private PostgreSQL server (whatever database the suite runs on) for web, a
worker and beat, to keep the suite quick: while it is down, requests that need the
database answer 503 with Retry-After (JSON under /api/), an ingest step that cannot claim its
job is retried, and beat keeps running; once it is back, the same requests answer as before
without restarting anything, and the step completes. (The origin's own lookups:
tests/streaming/test_origin.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import psycopg
import pytest
import requests

from tests import processes

pytestmark = pytest.mark.integration
HOST = "tenant-a.test"


def private_database_seed() -> dict:
    """Run in a process of its own against the private database: a tenant with a viewer and
    a film, an ingest job whose fetched file waits for identification, and a beat entry due
    every second. Returns what the test needs."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask
    from rest_framework.authtoken.models import Token

    from ingest.models import IngestItem, IngestJob
    from library.models import Membership
    from tests.factories import TenantFactory, TitleFactory, UserFactory

    tenant = TenantFactory(name="Tenant A", domains=[HOST])
    viewer = UserFactory(username="viewer")
    Membership.objects.create(tenant=tenant, user=viewer, role=Membership.Role.VIEWER)
    film = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)
    job = IngestJob.objects.create(
        tenant=tenant,
        url="https://example.com/Night.of.the.Living.Dead.1968.mp4",
        target_title=film,
        state=IngestJob.State.IDENTIFYING,
    )
    IngestItem.objects.create(job=job, source_path="Night.of.the.Living.Dead.1968.mp4")
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    task = "readvault.tasks.followed_refresh_task"  # nobody consumes its queue here
    PeriodicTask.objects.create(name=task, task=task, interval=every_second)
    return {"token": Token.objects.create(user=viewer).key, "job": job.id}


SEED = """
import json, django
django.setup()
from django.core.management import call_command
from tests.shadowvault.test_database_outage import private_database_seed
call_command("migrate", verbosity=0)
print(json.dumps(private_database_seed()))
"""


@pytest.fixture
def private_postgres() -> Iterator[tuple[processes.PostgresServer, dict]]:
    """A private PostgreSQL server, migrated and seeded; (the server, what the seed returned)."""
    with processes.postgres_server(processes.free_port()) as server:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
        env.update(DATABASE_URL=server.url, TEST_DATABASE_NAME="")
        seeded = subprocess.run(
            [sys.executable, "-c", SEED],
            cwd=processes.PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if seeded.returncode:
            raise RuntimeError(f"seeding the private database failed:\n{seeded.stderr[-3000:]}")
        yield server, json.loads(seeded.stdout.strip().splitlines()[-1])


def job_state(server: processes.PostgresServer, job_id: int) -> str:
    with psycopg.connect(server.url) as connection:
        row = connection.execute("SELECT state FROM ingest_ingestjob WHERE id = %s", [job_id])
        return row.fetchone()[0]


def test_a_database_restart_answers_503_meanwhile_and_loses_nothing(
    private_postgres, redis_url, redis_client
) -> None:
    from ingest.tasks import identify_job_task

    postgres, seed = private_postgres
    env = {"DATABASE_URL": postgres.url, "TEST_DATABASE_NAME": "", "REDIS_URL": redis_url}
    port = processes.free_port()
    web = f"http://127.0.0.1:{port}"
    member = {"Authorization": f"Token {seed['token']}", "Host": HOST}
    calls = {
        "api": lambda: requests.get(f"{web}/api/titles/", headers=member, timeout=10),
        "page": lambda: requests.get(f"{web}/accounts/login/", headers={"Host": HOST}, timeout=10),
        "healthz": lambda: requests.get(f"{web}/healthz", timeout=10),
        # the stream gate's own lookups (a link to a file nobody holds: 404 when answered)
        "link": lambda: requests.get(
            f"{web}/s/abcdefgh12/x.mp4", headers={"Host": HOST}, timeout=10
        ),
    }
    job_id = seed["job"]
    with ExitStack() as stack, ThreadPoolExecutor() as starting:
        # given web, a worker and beat on the private database, started side by side
        beat = stack.enter_context(processes.celery_beat(env=env))
        web_started = starting.submit(
            stack.enter_context,
            processes.asgi_server("shadowvault.asgi:application", port=port, env=env, name="web"),
        )
        worker = stack.enter_context(
            processes.celery_worker(
                env=env, queues="default", name="db-outage", pool="prefork", concurrency=1
            )
        )
        web_log = web_started.result()
        before = {name: call().status_code for name, call in calls.items()}

        # when PostgreSQL is down for three seconds, while a step of the job is sent
        postgres.stop()
        back_at = time.monotonic() + 3
        identify_job_task.delay(job_id)
        during = {name: call() for name, call in calls.items()}
        processes.wait_until(
            lambda: "Retry in" in worker.logfile.read_text(), timeout=20, what="the step retrying"
        )
        time.sleep(max(0.0, back_at - time.monotonic()))
        postgres.start()
        redis_client.delete("readvault")

        # then the same requests answer as before, without restarting web; the step ran
        # again and moved the job on; beat is up and sends again
        after = {name: call().status_code for name, call in calls.items()}
        processes.wait_until(
            lambda: job_state(postgres, job_id) == "sanitising",
            timeout=30,
            what="the identify step completing",
        )
        processes.wait_until(
            lambda: redis_client.llen("readvault") > 0,
            timeout=20,
            what="beat sending after the restart",
        )
        assert worker.poll() is None, "the worker stopped"
        assert beat.poll() is None, "beat stopped"
        assert "Traceback" not in web_log.read_text()

    assert before == {"api": 200, "page": 200, "healthz": 200, "link": 404}
    for name, answer in during.items():
        assert (name, answer.status_code) == (name, 503), answer.text
        assert int(answer.headers["Retry-After"]) > 0
        assert "Traceback" not in answer.text
    assert during["api"].headers["Content-Type"] == "application/json"
    assert during["api"].json()["detail"]
    assert during["page"].headers["Content-Type"].startswith("text/html")
    assert after == before
