"""The fetchers: a season pack over BitTorrent (web seed), a magnet that stalls, yt-dlp pages."""

from __future__ import annotations

import shutil

import pytest

from ingest.models import IngestItem, IngestJob
from ingest.services import job_create
from library.models import MediaFile
from tests.factories import EpisodeFactory, SeasonFactory, TitleFactory
from tests.ingest.conftest import job_wait
from tests.torrent_fixture import make_torrent, tracker_answer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
State = IngestJob.State


@pytest.fixture
def season_pack(media_root):
    """Two episodes and an English subtitle for the first, in a folder the server serves."""
    pack = media_root / "Sherlock.S01.720p"
    if not pack.exists():
        pack.mkdir()
        source = media_root / "Night.of.the.Living.Dead.1968.mp4"
        shutil.copy(source, pack / "Sherlock.S01E01.720p.mp4")
        (pack / "Sherlock.S01E02.720p.mp4").write_bytes(source.read_bytes()[::-1][::-1])
        (pack / "Sherlock.S01E01.720p.en.srt").write_text("1\n00:00:01,000 --> 00:00:02,000\nHi\n")
    return pack


@pytest.fixture
def sherlock(tenant):
    title = TitleFactory(tenant=tenant, kind="series", title="Sherlock", year=2010)
    season = SeasonFactory(title=title, number=1)
    EpisodeFactory(season=season, number=1, name="A Study in Pink")
    EpisodeFactory(season=season, number=2, name="The Blind Banker")
    return title


def test_a_season_pack_torrent_becomes_its_episodes_with_subtitles(
    ingest_worker, torrent_worker, ingest_settings, media_server, season_pack, sherlock, tenant
) -> None:
    torrent = make_torrent(season_pack, web_seed=f"{media_server.base_url}/")

    job = job_wait(job_create(tenant=tenant, torrent=torrent, title=sherlock))

    assert job.state == State.READY, job.error
    files = (
        MediaFile.objects.filter(title=sherlock)
        .select_related("episode")
        .order_by("episode__number")
    )
    assert [f.name for f in files] == [
        "Sherlock (2010) - S01E01 - A Study in Pink [240p].mp4",
        "Sherlock (2010) - S01E02 - The Blind Banker [240p].mp4",
    ]
    subtitles = list(files[0].subtitles.all())
    assert [(s.language, s.name, s.mime) for s in subtitles] == [  # as WebVTT
        ("en", "Sherlock (2010) - S01E01 - A Study in Pink [240p].en.vtt", "text/vtt")
    ]
    assert not files[1].subtitles.exists()


def test_stalled_magnets_fail_as_stalled_and_hold_up_nothing_else(
    ingest_worker, torrent_worker, ingest_settings, media_server, tenant
) -> None:
    # given two magnets whose tracker knows no peer
    media_server.pages["/announce"] = tracker_answer([])
    magnets = [
        job_create(
            tenant=tenant,
            url=f"magnet:?xt=urn:btih:{n}123456789abcdef0123456789abcdef01234567&dn=nothing"
            f"&tr={media_server.base_url}/announce",
            title=TitleFactory(tenant=tenant),
        )
        for n in range(2)
    ]

    # when a direct download comes after them
    title = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)
    direct = job_create(
        tenant=tenant, url=f"{media_server.base_url}/Night.of.the.Living.Dead.1968.mp4", title=title
    )

    # then it starts while the magnets still look for peers, and they end as stalled
    assert job_wait(direct, timeout=60).state == State.READY
    for magnet in magnets:
        magnet = job_wait(magnet, timeout=60)
        assert magnet.state == State.FAILED
        assert "stalled" in magnet.error
        assert "metadata" in magnet.error
        assert direct.started_at < magnet.finished_at


def test_ytdlp_takes_the_video_of_a_page(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    media_server.pages["/watch/night.html"] = (
        "<html><head><title>Night of the Living Dead 1968</title></head><body>"
        '<video src="/Night.of.the.Living.Dead.1968.mp4" controls></video></body></html>'
    )
    title = TitleFactory(tenant=tenant, title="Night of the Living Dead", year=1968)

    job = job_wait(
        job_create(tenant=tenant, url=f"{media_server.base_url}/watch/night.html", title=title)
    )

    assert job.state == State.READY, job.error
    assert IngestItem.objects.get(job=job).media_file.height == 240


def test_a_page_whose_video_points_inside_is_refused(
    ingest_worker, ingest_settings, media_server, tenant
) -> None:
    media_server.pages["/watch/inner.html"] = (
        '<html><body><video src="http://127.0.0.1:9/internal/secret.mp4"></video></body></html>'
    )

    job = job_wait(
        job_create(
            tenant=tenant,
            url=f"{media_server.base_url}/watch/inner.html",
            title=TitleFactory(tenant=tenant),
        )
    )

    assert job.state == State.FAILED
    assert "refused by the URL guard" in job.error
