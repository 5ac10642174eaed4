"""Web versions and subtitles in admin and on the command line, per site."""

from __future__ import annotations

import io
import shutil

import pytest
from django.core.management import call_command

from ingest.models import WebVersionJob
from library.models import Subtitle
from shadowvault.storage.filesystem import FilesystemBackend
from tests.factories import MediaFileFactory, TitleFactory
from tests.media_matrix import SRT

pytestmark = pytest.mark.django_db


def test_admin_retries_a_failed_web_version(admin_as, curator, tenant) -> None:
    original = MediaFileFactory(title=TitleFactory(tenant=tenant))
    job = WebVersionJob.objects.create(
        tenant=tenant, media_file=original, state="failed", error="ffmpeg could not …"
    )

    page = admin_as(curator).get("/admin/ingest/webversionjob/").content.decode()
    assert "ffmpeg could not" in page
    response = admin_as(curator).post(
        "/admin/ingest/webversionjob/", {"action": "retry_jobs", "_selected_action": [job.id]}
    )

    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.state, job.error) == ("queued", "")


def test_files_stored_before_the_step_get_it_from_the_command_and_admin(
    admin_as, curator, tenant, other_tenant
) -> None:
    mine = [MediaFileFactory(title=TitleFactory(tenant=tenant)) for _ in range(2)]
    theirs = MediaFileFactory(title=TitleFactory(tenant=other_tenant))
    out = io.StringIO()

    call_command("prepare_web_versions", "--tenant", tenant.name, stdout=out)

    assert "queued 2 new web version(s)" in out.getvalue()
    assert set(WebVersionJob.objects.values_list("media_file", flat=True)) == {m.id for m in mine}
    response = admin_as(curator).post(
        "/admin/library/mediafile/",
        {"action": "prepare_web_versions", "_selected_action": [theirs.id]},
    )
    assert response.status_code == 302
    assert not WebVersionJob.objects.filter(media_file=theirs).exists()  # another site's


def test_a_curator_uploads_subtitles_and_they_are_stored_as_webvtt(
    admin_as, curator, tenant, settings, tmp_path
) -> None:
    settings.VAULT_ROOT = tmp_path / "vault"
    settings.STORAGE_BACKEND = "filesystem"
    from shadowvault.storage import storage_backend

    storage_backend.cache_clear()
    media_file = MediaFileFactory(title=TitleFactory(tenant=tenant))
    url = f"/admin/library/mediafile/{media_file.id}/change/"
    form = {"name": media_file.name, "title": media_file.title_id, "state": "ready"}
    inline = {
        "subtitles-TOTAL_FORMS": "0",
        "subtitles-INITIAL_FORMS": "0",
        "subtitles-MIN_NUM_FORMS": "0",
        "subtitles-MAX_NUM_FORMS": "1000",
    }
    playlist = io.BytesIO(b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n")
    playlist.name = "film.srt"  # a playlist posing as subtitles
    try:
        bad = admin_as(curator).post(url, {**form, **inline, "subtitle_upload": playlist})
        upload = io.BytesIO(SRT.encode())
        upload.name = "film.srt"
        good = admin_as(curator).post(
            url, {**form, **inline, "subtitle_upload": upload, "subtitle_language": "en"}
        )
    finally:
        storage_backend.cache_clear()

    assert bad.status_code == 200
    assert "Not a subtitle file" in bad.content.decode()
    assert "an HLS playlist" in bad.content.decode()
    assert good.status_code == 302, good.content.decode()[:3000]
    subtitle = Subtitle.objects.get(media_file=media_file)
    assert (subtitle.language, subtitle.origin, subtitle.mime) == ("en", "upload", "text/vtt")
    stored = FilesystemBackend(tmp_path / "vault").path_of(subtitle.locator).read_text()
    assert stored.startswith("WEBVTT")
    shutil.rmtree(tmp_path / "vault", ignore_errors=True)
