"""The web-version step against bare ffmpeg, and first frames through the gateway.

    python benchmarks/webversion.py [--seconds 600] [--encode-seconds 20] [--rounds 3]

On a throw-away database and vault (removed afterwards):
1. Remux: a 1080p H.264/AAC Matroska file of `--seconds` at 8 Mb/s (600 MB for the default
   ten minutes) becomes MP4. The baseline is bare
   `ffmpeg -c copy -movflags +faststart` of the same file; the pipeline is the step's service
   (`web_version_prepare`, the sanitised file handed over as after an ingest): probing,
   the playback plan, subtitles, ffmpeg with -progress, checking what it made, and storing
   it through the storage backend. Printed with and without the store, which the baseline
   does not do (a copy, a sha256 and an fsync: `FilesystemBackend.put`).
2. Encode: a 1080p MPEG-4 Part 2 file of `--encode-seconds` becomes H.264 (libx264 with
   INGEST_WEB_PRESET and INGEST_WEB_CRF) and AAC. Baseline: the very ffmpeg command the
   step builds, run bare. Also printed: the encode's speed as a multiple of real time.
3. Through the gateway (nginx, web, origin; the filesystem direct way) in headless
   Chromium, a cache-cleared visitor each time: time to the first frame and from a seek to
   the middle until a frame is shown, for an H.264/AC3 original (Matroska) against its web
   version (progressive MP4), and for a two-language original against its web version over
   HLS (hls.js, byte ranges of one object).
Ratios are pipeline / baseline (targets: remux <= 1.2, encode <= 1.1); medians of `--rounds`.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway import bench_viewer, throwaway_django

WORKDIR = throwaway_django("sv-bench-web-")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from ingest.clients.ffmpeg import streams_probe  # noqa: E402
from ingest.jobs import job_claim  # noqa: E402
from ingest.models import WebVersionJob  # noqa: E402
from ingest.playback import playback_plan, web_command  # noqa: E402
from ingest.webversion import web_version_prepare, web_work_dir  # noqa: E402
from library.models import Domain, MediaFile, Tenant, Title  # noqa: E402
from shadowvault.storage import storage_backend  # noqa: E402
from streaming.nginx import gateway_config, nginx_render  # noqa: E402
from streaming.playback import playback_for  # noqa: E402
from tests import browsers, processes  # noqa: E402
from tests.media_matrix import ASS  # noqa: E402

SOURCE_VIDEO = "testsrc2=size=1920x1080:rate=25:duration={seconds}"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", *args], check=True)


def make_sources(seconds: int, encode_seconds: int) -> dict[str, Path]:
    """The originals, as the sanitise step would store them."""
    made = WORKDIR / "sources"
    made.mkdir()
    h264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]
    sources = {
        "remux": made / "remux.mkv",
        "ac3": made / "ac3.mkv",
        "languages": made / "languages.mkv",
        "encode": made / "encode.mkv",
    }
    print(f"making the sources (1080p, {seconds} s and {encode_seconds} s) ...", flush=True)
    # 10 s at a film's bit rate (8 Mb/s), looped by stream copy to `seconds`: a remux has a
    # film's bytes to move, and making them costs no encode
    clip = made / "clip.mkv"
    ffmpeg(
        *["-f", "lavfi", "-i", SOURCE_VIDEO.format(seconds=10)],
        *["-f", "lavfi", "-i", "sine=frequency=440:duration=10"],
        *h264,
        *("-b:v", "8M", "-maxrate", "8M", "-bufsize", "16M", "-g", "100", "-c:a", "aac"),
        str(clip),
    )
    loops = str(max(0, seconds // 10 - 1))
    ffmpeg("-stream_loop", loops, "-i", str(clip), "-c", "copy", str(sources["remux"]))
    ffmpeg("-i", str(sources["remux"]), "-c:v", "copy", "-c:a", "ac3", str(sources["ac3"]))
    (made / "styled.ass").write_text(ASS)  # styled subtitles: the original is kept
    ffmpeg(
        *("-i", str(sources["remux"])),
        *("-f", "lavfi", "-i", f"sine=frequency=1320:duration={seconds}"),
        *("-i", str(made / "styled.ass")),
        *("-map", "0:v", "-map", "0:a", "-map", "1:a", "-map", "2", "-c:v", "copy"),
        *("-c:a", "aac", "-c:s", "ass"),
        *("-metadata:s:a:0", "language=eng", "-metadata:s:a:1", "language=fre"),
        str(sources["languages"]),
    )
    ffmpeg(
        *("-f", "lavfi", "-i", SOURCE_VIDEO.format(seconds=encode_seconds)),
        *("-f", "lavfi", "-i", f"sine=frequency=440:duration={encode_seconds}"),
        *("-c:v", "mpeg4", "-q:v", "3", "-c:a", "aac", str(sources["encode"])),
    )
    return sources


def original_store(title: Title, path: Path) -> MediaFile:
    locator = storage_backend().put(path, name=path.name)
    return MediaFile.objects.create(
        title=title,
        name=f"{path.stem} [1080p].mkv",
        storage=storage_backend().name,
        locator=locator,
        size=path.stat().st_size,
        mime="video/x-matroska",
        sha256=locator["sha256"],
        state=MediaFile.State.READY,
        height=1080,
    )


STORED_FIELDS = ("name", "locator", "size", "mime", "sha256", "hls", "profile")


def step_run(original: MediaFile, source: Path) -> tuple[float, float]:
    """The step's service on a claimed job, the source handed over: (total s, store s).

    The original is first put back as stored (a remux of an earlier round replaced it).
    """
    MediaFile.objects.filter(id=original.id).update(
        **{field: getattr(original, field) for field in STORED_FIELDS}
    )
    original.derived.all().delete()
    WebVersionJob.objects.filter(media_file=original).delete()
    job = WebVersionJob.objects.create(tenant=original.title.tenant, media_file=original)
    job = job_claim(
        job.id, states=("queued",), running="preparing", owner="bench", model=WebVersionJob
    )
    web_work_dir(job.id).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, web_work_dir(job.id) / "source")
    put = storage_backend().put
    stored = []

    def timed_put(*args, **kwargs):
        started = time.perf_counter()
        try:
            return put(*args, **kwargs)
        finally:
            stored.append(time.perf_counter() - started)

    storage_backend().put = timed_put
    try:
        started = time.perf_counter()
        web_version_prepare(job)
        total = time.perf_counter() - started
    finally:
        storage_backend().put = put
        shutil.rmtree(web_work_dir(job.id), ignore_errors=True)
    return total, sum(stored)


def bare_run(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def seal_run(path: Path) -> float:
    """What any durable, content-addressed store must do with a finished file however it is
    made: read it once for its sha256 and have it on disk (fsync). Seconds."""
    started = time.perf_counter()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
        os.fsync(handle.fileno())
    return time.perf_counter() - started


def bare_command(source: Path, target: Path, *, remux: bool) -> list[str]:
    if remux:
        return [
            *("ffmpeg", "-v", "error", "-nostdin", "-y", "-i", str(source)),
            *("-map", "0:V:0", "-map", "0:a", "-c", "copy", "-movflags", "+faststart"),
            str(target),
        ]
    plan = playback_plan(streams_probe(source), container="matroska", max_height=1080)
    command = web_command(
        source, target, plan, preset=settings.INGEST_WEB_PRESET, crf=settings.INGEST_WEB_CRF
    )
    at = command.index("-progress")
    return command[:at] + command[at + 2 :]


def compare(name: str, original: MediaFile, source: Path, rounds: int, remux: bool) -> dict:
    bare, seal, step, store = [], [], [], []
    for _ in range(rounds):  # alternate, so load that comes and goes hits both alike
        target = WORKDIR / f"bare-{name}.mp4"
        bare.append(bare_run(bare_command(source, target, remux=remux)))
        seal.append(seal_run(target))
        total, stored = step_run(original, source)
        step.append(total)
        store.append(stored)
    print(
        f"  {name} rounds, bare: {fmt(bare)}; its sha256 + fsync: {fmt(seal)}; "
        f"step: {fmt(step)}; store: {fmt(store)}"
    )
    return {
        "bare": statistics.median(bare),
        "sealed": statistics.median([b + s for b, s in zip(bare, seal, strict=True)]),
        "step": statistics.median(step),
        "store": statistics.median(store),
    }


def fmt(values: list[float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


FIRST_FRAME = """
const [kind, url] = [arguments[0], arguments[1]];
const video = document.createElement('video');
video.muted = true;
document.body.append(video);
const frame = () => new Promise((done) => video.requestVideoFrameCallback(() => done()));
const started = performance.now();
let hls = null;
if (kind === 'hls') { hls = new Hls(); hls.loadSource(url); hls.attachMedia(video); }
else video.src = url;
video.play();
// A file that never shows a frame says why, instead of selenium's bare "script timeout".
const stuck = (what) => new Promise((_, fail) => setTimeout(() => fail(new Error(
  `${what}: no frame in 20 s from ${url} (readyState ${video.readyState}, networkState `
  + `${video.networkState}, error ${video.error && video.error.message})`)), 20000));
return Promise.race([frame(), stuck('start')]).then(async () => {
  const first = performance.now() - started;
  await new Promise((done) => setTimeout(done, 300));
  const seeking = performance.now();
  const seeked = new Promise((done) => video.addEventListener('seeked', done, {once: true}));
  video.currentTime = video.duration / 2;
  await Promise.race([seeked.then(frame), stuck('seek')]);
  const seek = performance.now() - seeking;
  if (hls) hls.destroy();
  video.remove();
  return [first, seek];
});
"""


def first_frames(
    browser, base: str, media_file: MediaFile, viewer: str, rounds: int
) -> tuple[float, float]:
    playback = playback_for(media_file, viewer=viewer, host="127.0.0.1", as_is=True)
    kind, url = ("hls", playback.hls_url) if playback.hls_url else ("progressive", playback.url)
    port = base.rsplit(":", 1)[1]
    url = url.replace(":8080", f":{port}")
    firsts, seeks = [], []
    for _ in range(rounds):
        browser.reset()
        browser.open(f"{base}/accounts/login/")  # any page of the site: same origin
        browser.run(
            "const s = document.createElement('script'); s.src = '/static/vendor/hls.min.js';"
            " document.body.append(s); return new Promise((done) => { s.onload = done; });"
        )
        first, seek = browser.run(FIRST_FRAME, kind, url)
        firsts.append(first)
        seeks.append(seek)
    return statistics.median(firsts), statistics.median(seeks)


def through_gateway(
    pairs: dict[str, tuple[MediaFile, MediaFile]], viewer: str, rounds: int
) -> dict:
    call_command("collectstatic", interactive=False, verbosity=0)
    ports = {name: processes.free_port() for name in ("web", "origin", "gateway")}
    env = {
        key: os.environ[key]
        for key in ("TEST_DATABASE_NAME", "VAULT_ROOT", "STORAGE_BACKEND", "LOG_LEVEL")
    }
    env["GATEWAY_LISTEN"] = f"127.0.0.1:{ports['gateway']}"
    config = nginx_render(
        gateway_config(
            prefix=str(WORKDIR / "nginx"),
            listen=f"127.0.0.1:{ports['gateway']}",
            web=f"127.0.0.1:{ports['web']}",
            origin=f"127.0.0.1:{ports['origin']}",
            vault_objects=str(Path(settings.VAULT_ROOT).resolve() / "objects"),
            filesystem_direct=True,
        )
    )
    results = {}
    with ExitStack() as stack:
        stack.enter_context(
            processes.asgi_server(
                "shadowvault.asgi:application", port=ports["web"], env=env, name="web"
            )
        )
        stack.enter_context(
            processes.asgi_server(
                "streaming.origin_asgi:app", port=ports["origin"], env=env, name="origin"
            )
        )
        stack.enter_context(processes.nginx(config))
        processes.wait_until(
            lambda: processes.port_open(ports["gateway"]), timeout=10, what="nginx"
        )
        browser = browsers.start("chromium")
        stack.callback(browser.quit)
        base = f"http://127.0.0.1:{ports['gateway']}"
        for name, (original, web) in pairs.items():
            results[name] = {
                "original": first_frames(browser, base, original, viewer, rounds),
                "web": first_frames(browser, base, web, viewer, rounds),
            }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=600, help="of the remux and play sources")
    parser.add_argument("--encode-seconds", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sources = make_sources(args.seconds, args.encode_seconds)
    tenant = Tenant.objects.create(name="Bench")
    Domain.objects.create(tenant=tenant, domain="127.0.0.1")
    title = Title.objects.create(tenant=tenant, kind="movie", title="Bench", year=2000)
    originals = {name: original_store(title, path) for name, path in sources.items()}

    print(f"remux, {args.rounds} rounds ...", flush=True)
    remux = compare("remux", originals["remux"], sources["remux"], args.rounds, remux=True)
    print(f"encode ({settings.INGEST_WEB_PRESET}, CRF {settings.INGEST_WEB_CRF}) ...", flush=True)
    encode = compare("encode", originals["encode"], sources["encode"], args.rounds, remux=False)
    for name in ("ac3", "languages"):  # their web versions, for the players
        step_run(originals[name], sources[name])
    pairs = {
        name: (originals[name], originals[name].derived.get()) for name in ("ac3", "languages")
    }
    print("first frames through the gateway ...", flush=True)
    frames = through_gateway(pairs, bench_viewer(tenant), args.rounds)
    report(args, remux, encode, frames)


def report(args, remux: dict, encode: dict, frames: dict) -> None:
    print()
    print(
        "| measure | bare ffmpeg | web-version step | ratio | step without the store "
        "| bare + sha256 + fsync | step / that |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, row in (("remux", remux), ("encode", encode)):
        without = row["step"] - row["store"]
        print(
            f"| {name} 1080p, s | {row['bare']:.2f} | {row['step']:.2f} "
            f"(store {row['store']:.2f}) | {row['step'] / row['bare']:.2f} | "
            f"{without:.2f} ({without / row['bare']:.2f} x) | {row['sealed']:.2f} | "
            f"{row['step'] / row['sealed']:.2f} |"
        )
    speed_bare = args.encode_seconds / encode["bare"]
    speed_step = args.encode_seconds / encode["step"]
    print()
    print(
        f"encode speed at 1080p ({settings.INGEST_WEB_PRESET}, CRF {settings.INGEST_WEB_CRF}): "
        f"{speed_bare:.2f} x real time bare, {speed_step:.2f} x through the step"
    )
    print()
    print("| Chromium through the gateway, ms | original: first frame / seek | web version |")
    print("| --- | --- | --- |")
    for name, row in frames.items():
        label = {"ac3": "H.264/AC3 MKV vs MP4", "languages": "2 languages MKV vs HLS"}[name]
        original, web = row["original"], row["web"]
        print(f"| {label} | {original[0]:.0f} / {original[1]:.0f} | {web[0]:.0f} / {web[1]:.0f} |")


if __name__ == "__main__":
    try:
        main()
    finally:
        shutil.rmtree(WORKDIR, ignore_errors=True)
