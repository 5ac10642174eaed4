"""Every everyday kind of file plays in Chromium and in Firefox, through the real gateway.

The media matrix (tests/media_matrix.py) is stored as the ingest pipeline stores files, then a
real Celery worker runs the web-version step for each: the profile it picks and what ffprobe
sees in the result are checked, then both browsers sign in and play every case at once, in
one page: picture (frames decoded), sound (a Web Audio analyser hears the case's tone), a
seek to the middle that plays on, a subtitle cue at its time, and a switch of audio language
that changes the tone heard. All of it through nginx, the authorize call, the origin and the
slice cache (the path Telegram's files take). Screenshots land in artifacts/.
"""

from __future__ import annotations

import json
import re
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection

from ingest.clients.ffmpeg import media_probe
from ingest.models import WebVersionJob
from ingest.webversion import web_job_enqueue
from library.models import MediaFile, Membership, Subtitle
from shadowvault.storage.filesystem import FilesystemBackend
from tests import processes
from tests.browsers import sign_in
from tests.factories import TenantFactory, TitleFactory, UserFactory
from tests.media_matrix import CASES
from watching.models import ViewerPreferences

pytestmark = pytest.mark.integration
PASSWORD = "plays-everywhere-123"
MIME = {".mp4": "video/mp4", ".webm": "video/webm"}


@dataclass
class Prepared:
    originals: dict[str, MediaFile]  # by case name, as stored before the step
    jobs: dict[str, WebVersionJob]
    vault: Path


def jobs_wait(ids: list[int], *, timeout: float) -> None:
    def done() -> bool:
        return (
            not WebVersionJob.objects.filter(id__in=ids)
            .exclude(state__in=WebVersionJob.FINISHED)
            .exists()
        )

    processes.wait_until(done, timeout=timeout, what="every web-version job finishing")


@contextmanager
def prepared_matrix(*, redis_url: str, vault: Path, media_matrix: dict, work: Path):
    """The matrix stored on a site reached at 127.0.0.1, its web versions made by a worker."""
    tenant = TenantFactory(name="Matrix", domains=["127.0.0.1"])
    viewer = UserFactory(username="matrix-viewer")
    viewer.set_password(PASSWORD)
    viewer.save()
    Membership.objects.create(tenant=tenant, user=viewer, role=Membership.Role.VIEWER)
    env = {
        "REDIS_URL": redis_url,
        "TEST_DATABASE_NAME": str(connection.settings_dict["NAME"]),
        "VAULT_ROOT": str(vault),
        "STORAGE_BACKEND": "filesystem",
        "INGEST_WORK_ROOT": str(work),
        "INGEST_WEB_PRESET": "ultrafast",
        "INGEST_MAX_HEIGHT": "1080",
    }
    backend = FilesystemBackend(vault)
    originals, jobs = {}, {}
    with processes.celery_worker(env=env, queues="media", name="web-versions"):
        for name, path in media_matrix.items():
            locator = backend.put(path, name=path.name)
            facts = media_probe(path)
            originals[name] = MediaFile.objects.create(
                title=TitleFactory(tenant=tenant, title=f"Case {name}"),
                name=f"Case {name} [120p]{path.suffix}",
                storage=backend.name,
                locator=locator,
                size=path.stat().st_size,
                mime=MIME.get(path.suffix, "video/x-matroska"),
                sha256=locator["sha256"],
                state=MediaFile.State.READY,
                duration=facts.duration,
                width=facts.width,
                height=facts.height,
                video_codec=facts.video_codec,
                audio_codec=facts.audio_codec,
            )
            jobs[name] = web_job_enqueue(media_file=originals[name])
        jobs_wait([job.id for job in jobs.values()], timeout=120)
    for job in jobs.values():
        job.refresh_from_db()
    yield Prepared(originals=originals, jobs=jobs, vault=vault)


def probe(path: Path) -> dict:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def played(prepared: Prepared, name: str) -> MediaFile:
    """What a browser plays for the case: the web version, or the (replaced) original."""
    original = MediaFile.objects.get(id=prepared.originals[name].id)
    return original.derived.filter(version=MediaFile.Version.WEB).first() or original


def check_profiles(prepared: Prepared) -> None:
    """Each case gets its profile, and a web version that is what browsers play."""
    for case in CASES:
        job = prepared.jobs[case.name]
        assert (job.state, job.error) == ("ready", ""), case.name
        assert job.profile == case.profile, case.name
        original = MediaFile.objects.get(id=prepared.originals[case.name].id)
        web = original.derived.filter(version=MediaFile.Version.WEB).first()
        assert (web is not None) == case.has_web_version, case.name
        if case.replaces:  # a lossless remux took the original's place: one copy
            assert (original.mime, Path(original.name).suffix) == ("video/mp4", ".mp4")
            assert original.locator != prepared.originals[case.name].locator
            old = FilesystemBackend(prepared.vault).path_of(prepared.originals[case.name].locator)
            assert not old.exists(), f"{case.name}: the replaced object is still stored"
        version = web or original
        streams = probe(FilesystemBackend(prepared.vault).path_of(version.locator))["streams"]
        video = [s for s in streams if s["codec_type"] == "video"]
        audio = [s for s in streams if s["codec_type"] == "audio"]
        assert video[0]["codec_name"] == case.web_video, case.name
        assert {s["codec_name"] for s in audio} == {case.web_audio}, case.name
        if case.web_video == "h264":
            assert video[0]["pix_fmt"] == "yuv420p", case.name  # 8-bit 4:2:0
        if case.profile == "audio":  # the picture was copied, not encoded again
            assert (video[0]["codec_name"], video[0]["height"]) == ("h264", 120), case.name
        assert (version.video_codec, version.audio_codec) == (case.web_video, case.web_audio)


def check_tracks(prepared: Prepared) -> None:
    """5.1 becomes stereo; two audio languages stay two tracks, with an HLS index."""
    surround = played(prepared, "h264-ac3-51-mkv")
    languages = played(prepared, "two-languages-mkv")
    streams = probe(FilesystemBackend(prepared.vault).path_of(surround.locator))["streams"]
    assert [s["channels"] for s in streams if s["codec_type"] == "audio"] == [2]
    assert [(t["language"], t["title"]) for t in languages.audio_tracks] == [
        ("eng", "English"),
        ("fre", "Français"),
    ]
    assert [t["kind"] for t in languages.hls["tracks"]] == ["video", "audio", "audio"]


def check_subtitles(prepared: Prepared) -> None:
    """Embedded text subtitles become WebVTT objects, with language and title."""
    subtitles = list(
        Subtitle.objects.filter(media_file=prepared.originals["two-languages-mkv"]).order_by(
            "codec"
        )
    )
    assert [(s.codec, s.language, s.title, s.mime) for s in subtitles] == [
        ("ass", "fre", "Français stylé", "text/vtt"),
        ("subrip", "eng", "English", "text/vtt"),
    ]
    french = FilesystemBackend(prepared.vault).path_of(subtitles[0].locator).read_text()
    assert french.startswith("WEBVTT")
    assert re.search(r"00:01\.0\d\d --> 00:03\.5\d\d", french), french
    assert "<b>Bonjour</b> des sous-titres" in french  # ASS bold, as WebVTT has it


def check_bad_input(prepared: Prepared) -> None:
    """Audio only plays as audio; a corrupt file fails with the reason; 4K is capped."""
    audio_only = played(prepared, "audio-only")
    uhd = played(prepared, "uhd")
    corrupt = prepared.jobs["corrupt"]
    corrupt_original = MediaFile.objects.get(id=prepared.originals["corrupt"].id)
    assert prepared.jobs["audio-only"].profile == "audio"
    assert (audio_only.mime, audio_only.video_codec, audio_only.audio_codec) == (
        "audio/mp4",
        "",
        "aac",
    )
    assert prepared.jobs["uhd"].profile == "video"
    assert (uhd.video_codec, uhd.width, uhd.height) == ("h264", 1920, 1080)
    assert corrupt.state == "failed"
    assert "could not" in corrupt.error, corrupt.error
    assert corrupt_original.state == MediaFile.State.READY  # still playable by link
    assert not corrupt_original.derived.exists()


# In the page: every case in a <video> of its own, attached by the site's player to what
# /api/files/<id>/playback/ says, each heard through a Web Audio analyser. Its result (a
# promise, which WebDriver awaits) is the audio context's state.
ATTACH = """
const cases = arguments[0];
const context = new AudioContext();
window.matrix = {};
const frames = (v) => v.getVideoPlaybackQuality().totalVideoFrames;
window.state = (name) => {
  const v = window.matrix[name].video;
  return {time: v.currentTime, duration: v.duration, width: v.videoWidth, frames: frames(v),
          error: v.error && v.error.message};
};
window.seekMiddle = (name) => {  // and follow how far it plays on (it loops)
  const v = window.matrix[name].video;
  const run = {middle: v.duration / 2, seeked: false, furthest: 0, wrapped: false, last: 0,
               frames: frames(v)};
  window.matrix[name].seek = run;
  v.addEventListener('seeked', () => { run.seeked = true; run.last = v.currentTime; },
                     {once: true});
  v.addEventListener('timeupdate', () => {
    if (!run.seeked) return;
    if (v.currentTime < run.last - 0.2) run.wrapped = true;
    run.last = v.currentTime;
    run.furthest = Math.max(run.furthest, v.currentTime);
  });
  v.currentTime = run.middle;
  return run.middle;
};
window.playedOn = (name) => {
  const v = window.matrix[name].video, run = window.matrix[name].seek;
  return run.seeked && (run.furthest > run.middle + 0.3 || run.wrapped) && !v.error
    && (v.videoWidth === 0 || frames(v) > run.frames);
};
window.tone = (name) => {  // the loudest frequency heard now (Hz), and how loud (dBFS)
  const {analyser} = window.matrix[name];
  const bins = new Float32Array(analyser.frequencyBinCount);
  analyser.getFloatFrequencyData(bins);
  let peak = 1;
  for (let i = 2; i < bins.length; i++) if (bins[i] > bins[peak]) peak = i;
  return [peak * context.sampleRate / analyser.fftSize, bins[peak]];
};
window.hears = (name, hz) => {
  const [f, db] = window.tone(name);
  return Math.abs(f - hz) < 40 && db > -70;
};
const listen = (name, video) => {
  const analyser = context.createAnalyser();
  analyser.fftSize = 4096;
  context.createMediaElementSource(video).connect(analyser);
  analyser.connect(context.destination);
  window.matrix[name] = {video, analyser};
};
listen(cases[0].name, document.querySelector('video[data-resume-key]'));
const wall = document.createElement('div');  // every case in sight for the screenshot
wall.style = 'display: flex; flex-wrap: wrap; gap: 4px; font-size: 11px';
document.querySelector('.player').prepend(wall);
return Promise.all(cases.slice(1).map(async (c) => {
  const tile = document.createElement('figure');
  tile.style = 'margin: 0';
  const video = document.createElement('video');
  video.width = 160; video.height = 120; video.preload = 'auto';
  tile.append(video, c.name);
  wall.append(tile);
  const playback = await (await fetch(`/api/files/${c.id}/playback/`)).json();
  ShadowVaultPlayer.attach(video, playback, null);
  listen(c.name, video);
})).then(async () => {
  await context.resume();
  for (const {video} of Object.values(window.matrix)) {
    video.loop = true;
    video.play().catch(() => {});
  }
  return context.state;
}, (error) => String(error));
"""


def check_browser(browser, gateway, prepared: Prepared) -> None:
    """Every case shows a picture, sounds, seeks to its middle and plays on; the subtitles
    and the audio languages of the two-language file can be chosen."""
    first = "two-languages-mkv"
    names = [first, *(c.name for c in CASES if c.name != first), "audio-only", "uhd"]
    ViewerPreferences.objects.all().delete()  # each browser starts with the file's defaults
    sign_in(browser, gateway.url, username="matrix-viewer", password=PASSWORD)
    browser.open(f"{gateway.url}/watch/{prepared.originals[first].public_id}/")
    browser.wait_for("!!(window.ShadowVaultPlayer && window.Hls)", what="the player loading")
    cases = [{"name": n, "id": prepared.originals[n].public_id} for n in names]
    assert browser.run(ATTACH, cases) == "running", browser.name
    for name in names:
        picture = "true" if name == "audio-only" else "s.width > 0 && s.frames > 0"
        browser.wait_for(
            f"(s => s.time > 0.5 && {picture})(state({name!r}))",
            timeout=30,
            what=f"{name} playing (picture: {picture})",
        )
        browser.wait_for(f"hears({name!r}, 440)", timeout=15, what=f"{name} sounding 440 Hz")
    browser.screenshot("matrix-playing")
    for name in names:
        browser.run("return seekMiddle(arguments[0])", name)
    for name in names:
        browser.wait_for(
            f"playedOn({name!r})", timeout=20, what=f"{name} playing on after a seek to its middle"
        )
    check_tracks_in_browser(browser, gateway, prepared, first)


def check_tracks_in_browser(browser, gateway, prepared: Prepared, name: str) -> None:
    """On the watch page of the two-language file: a French subtitle cue shows at its time,
    the French audio is heard once chosen, and both languages are remembered (on the server)."""
    video = f"window.matrix[{name!r}].video"
    browser.run(
        "const menu = document.getElementById('subtitle-track'); menu.value = '1';"
        " menu.dispatchEvent(new Event('change'));"
    )
    browser.wait_for(
        f"Array.from({video}.textTracks[1].activeCues || []).some(c => c.text.includes('Bonjour'))",
        timeout=15,
        what="the French subtitle cue active",
    )
    assert browser.run(f"return {video}.textTracks[0].mode") == "disabled"
    browser.screenshot("matrix-subtitles")
    browser.wait_for(f"hears({name!r}, 440)", timeout=10, what="English audio (440 Hz)")
    browser.run(
        "const menu = document.getElementById('audio-track'); menu.value = '1';"
        " menu.dispatchEvent(new Event('change'));"
    )
    browser.wait_for(f"hears({name!r}, 1320)", timeout=20, what="French audio (1320 Hz)")
    assert browser.run(f"return {video}.hls.audioTrack") == 1
    processes.wait_until(
        lambda: ViewerPreferences.objects.filter(
            subtitle_language="fre", audio_language="fre"
        ).exists(),
        timeout=10,
        what="both choices saved on the server",
    )
    # a new page: French subtitles and French audio again, the viewer's choice
    browser.open(f"{gateway.url}/watch/{prepared.originals[name].public_id}/")
    browser.wait_for(
        "(v => v.textTracks.length === 2 && v.textTracks[1].mode === 'showing'"
        " && v.hls && v.hls.audioTrack === 1)(document.querySelector('video'))",
        what="the remembered subtitle and audio languages chosen",
    )
    assert browser.run("return document.getElementById('audio-track').value") == "1"


def test_the_media_matrix_plays_everywhere(
    transactional_db, redis_url, vault_root, media_matrix, gateway, chromium, firefox, tmp_path
) -> None:
    with prepared_matrix(
        redis_url=redis_url, vault=vault_root, media_matrix=media_matrix, work=tmp_path
    ) as prepared:
        check_profiles(prepared)
        check_tracks(prepared)
        check_subtitles(prepared)
        check_bad_input(prepared)
        for browser in (chromium, firefox):
            check_browser(browser, gateway, prepared)
