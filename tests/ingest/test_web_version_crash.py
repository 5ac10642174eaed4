"""A worker SIGKILLed while it encodes a web version: the step is taken up again and ends once.

Its own module: no other media worker may be alive to take the job meanwhile.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from ingest.models import WebVersionJob
from ingest.tasks import jobs_recover_task
from ingest.webversion import web_job_enqueue
from shadowvault.storage.filesystem import FilesystemBackend
from tests import processes
from tests.factories import MediaFileFactory, TitleFactory
from tests.ingest.test_web_version_step import web_job_wait
from tests.media_matrix import HEVC, ffmpeg

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def encoders_writing_in(directory: Path) -> list[int]:
    """Processes whose command line names `directory` (an ffmpeg left behind)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if str(directory).encode() in command and b"ffmpeg" in command:
            found.append(int(pid))
    return found


def test_a_worker_killed_while_encoding_loses_nothing(
    ingest_env, ingest_settings, tenant, tmp_path
) -> None:
    # given an HEVC film long enough to be caught mid-encode on a slow preset
    source = tmp_path / "long.mkv"
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=duration=10:size=480x270:rate=25"),
        *("-f", "lavfi", "-i", "sine=frequency=440:duration=10"),
        *HEVC,
        *("-pix_fmt", "yuv420p", "-c:a", "ac3", str(source)),
    )
    backend = FilesystemBackend(Path(ingest_env["VAULT_ROOT"]))
    locator = backend.put(source, name="long.mkv")
    original = MediaFileFactory(
        title=TitleFactory(tenant=tenant),
        locator=locator,
        sha256=locator["sha256"],
        size=source.stat().st_size,
        video_codec="hevc",
        audio_codec="ac3",
        height=270,
        duration=10.0,
    )
    slow = {**ingest_env, "INGEST_WEB_PRESET": "veryslow"}
    with processes.celery_worker(env=slow, queues="media", name="doomed-encoder") as doomed:
        job = web_job_enqueue(media_file=original)
        processes.wait_until(
            lambda: WebVersionJob.objects.get(id=job.id).progress > 0,
            timeout=60,
            what="the encode under way",
        )
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()
    job.refresh_from_db()
    assert job.state == WebVersionJob.State.PREPARING  # left mid-step, its lease running out
    work = Path(ingest_env["INGEST_WORK_ROOT"]) / f"web-{job.id}"
    processes.wait_until(
        lambda: not encoders_writing_in(work), timeout=10, what="the orphaned ffmpeg gone"
    )

    with processes.celery_worker(env=ingest_env, queues="media", name="rescuer"):
        time.sleep(2 * 3 + 1)  # two leases (INGEST_LEASE_SECONDS=3) without a heartbeat
        assert jobs_recover_task() == 1  # what beat runs every minute
        job = web_job_wait(original, timeout=120)

    assert (job.state, job.error, job.attempts) == ("ready", "", 2)
    web = original.derived.get()
    assert (web.video_codec, web.audio_codec, web.height) == ("h264", "aac", 270)
    assert 9.5 < web.duration < 10.5
    assert not work.exists()  # the work directory went with the job
