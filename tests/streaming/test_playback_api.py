"""What a player is handed: the playback description and the HLS playlists, per site."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from library.models import MediaFile, Subtitle
from streaming.objects import media_file_object
from streaming.services import link_expiry, signed_query, viewer_key
from streaming.signing import LinkGrant
from tests.factories import MediaFileFactory, TitleFactory

pytestmark = pytest.mark.django_db
HLS = {
    "tracks": [
        {
            "id": 1,
            "kind": "video",
            "codec": "avc1.64001f",
            "init": [9000, 700],
            "segments": [[1000, 4000, 4.0], [20000, 3000, 2.5]],
        },
        {
            "id": 2,
            "kind": "audio",
            "codec": "mp4a.40.2",
            "init": [9700, 600],
            "segments": [[5000, 500, 4.0], [23000, 300, 2.5]],
        },
        {
            "id": 3,
            "kind": "audio",
            "codec": "mp4a.40.2",
            "init": [10300, 600],
            "segments": [[5500, 500, 4.0], [23300, 300, 2.5]],
        },
    ]
}
TRACKS = [
    {"language": "eng", "title": "English", "codec": "aac", "channels": 2},
    {"language": "fre", "title": "Français", "codec": "aac", "channels": 2},
]


@pytest.fixture
def film(tenant) -> MediaFile:
    """An MKV original with a web version of two audio languages, and three subtitles."""
    original = MediaFileFactory(title=TitleFactory(tenant=tenant), profile="remux")
    MediaFileFactory(
        title=original.title,
        version=MediaFile.Version.WEB,
        source=original,
        name="Film (2001) [1080p].web.mp4",
        mime="video/mp4",
        video_codec="h264",
        audio_codec="aac",
        audio_tracks=TRACKS,
        hls=HLS,
    )
    for language, image in (("eng", False), ("fre", False), ("ger", True)):
        Subtitle.objects.create(
            media_file=original,
            language=language,
            title=language.upper(),
            codec="hdmv_pgs_subtitle" if image else "subrip",
            image=image,
            name=f"film.{language}.vtt",
            storage="" if image else "filesystem",
            locator={} if image else {"backend": "filesystem", "sha256": "a" * 64},
            mime="" if image else "text/vtt",
        )
    return original


def web_of(original: MediaFile) -> MediaFile:
    return original.derived.get()


def link_query(media_file: MediaFile, user) -> str:
    """The query of `user`'s signed link to `media_file`, which its HLS playlists take."""
    stored = media_file_object(media_file.public_id)
    return signed_query(
        LinkGrant(stored.public_id, stored.tenant_id, viewer_key(user.id), link_expiry())
    )


def playlist(client, web: MediaFile, name: str, *, query: str, host=None):
    return client.get(f"/m/{web.public_id}/{name}.m3u8?{query}", HTTP_HOST=host or "tenant-a.test")


def test_the_playback_of_an_original_is_its_web_version_over_hls(api_as, viewer, film) -> None:
    response = api_as(viewer).get(f"/api/files/{film.public_id}/playback/")

    assert response.status_code == 200
    body = response.json()
    web = web_of(film)
    assert (body["public_id"], body["version"], body["delivery"]) == (web.public_id, "web", "hls")
    assert urlsplit(body["hls_url"]).path == f"/m/{web.public_id}/master.m3u8"
    assert [(a["language"], a["title"]) for a in body["audio"]] == [
        ("eng", "English"),
        ("fre", "Français"),
    ]
    assert [(s["language"], s["label"]) for s in body["subtitles"]] == [
        ("eng", "ENG"),
        ("fre", "FRE"),
    ]
    for subtitle in body["subtitles"]:  # each its own signed gateway link
        query = parse_qs(urlsplit(subtitle["url"]).query)
        assert set(query) == {"exp", "v", "sig"}
        assert query["v"] == [f"u{viewer.id}"]
    assert body["image_subtitles"] == [
        {"language": "ger", "title": "GER", "codec": "hdmv_pgs_subtitle"}
    ]
    assert [v["version"] for v in body["versions"]] == ["original", "web"]


def test_as_is_plays_the_original_progressively(api_as, viewer, film) -> None:
    body = api_as(viewer).get(f"/api/files/{film.public_id}/playback/?as_is=1").json()

    assert (body["public_id"], body["delivery"], body["hls_url"]) == (
        film.public_id,
        "progressive",
        "",
    )
    assert urlsplit(body["url"]).path.startswith(f"/s/{film.public_id}/")


def test_another_sites_file_has_no_playback(api_as, outsider, film) -> None:
    response = api_as(outsider, "tenant-b.test").get(f"/api/files/{film.public_id}/playback/")
    assert response.status_code == 404


def test_the_master_playlist_offers_each_audio_language(client, viewer, film) -> None:
    web = web_of(film)
    query = link_query(web, viewer)

    response = playlist(client, web, "master", query=query)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.apple.mpegurl"
    text = response.content.decode()
    assert text.startswith("#EXTM3U\n")
    assert (
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",LANGUAGE="eng",DEFAULT=YES,'
        f'AUTOSELECT=YES,CHANNELS="2",URI="audio-0.m3u8?{query}"'
    ) in text
    assert 'NAME="Français",LANGUAGE="fre",DEFAULT=NO' in text
    # 4000 bytes in 4 s and 3000 in 2.5 s: the busier is 9600 b/s; audio's 1000 + 960
    assert (
        '#EXT-X-STREAM-INF:BANDWIDTH=10600,CODECS="avc1.64001f,mp4a.40.2",'
        'RESOLUTION=1920x1080,AUDIO="audio"\n'
        f"video.m3u8?{query}\n"
    ) in text


def test_a_media_playlist_is_byte_ranges_of_the_one_stored_file(client, viewer, film) -> None:
    web = web_of(film)
    query = link_query(web, viewer)

    text = playlist(client, web, "audio-1", query=query).content.decode()

    url = f"/s/{web.public_id}/Film%20%282001%29%20%5B1080p%5D.web.mp4?{query}"
    assert f'#EXT-X-MAP:URI="{url}",BYTERANGE="600@10300"' in text
    assert f"#EXTINF:4.000000,\n#EXT-X-BYTERANGE:500@5500\n{url}\n" in text
    assert f"#EXTINF:2.500000,\n#EXT-X-BYTERANGE:300@23300\n{url}\n" in text
    assert "#EXT-X-TARGETDURATION:4\n" in text
    assert text.endswith("#EXT-X-ENDLIST\n")


def test_playlists_want_the_files_signature(client, viewer, film) -> None:
    web = web_of(film)
    good = link_query(web, viewer)
    other = link_query(film, viewer)

    assert playlist(client, web, "video", query=good).status_code == 200
    assert playlist(client, web, "video", query=other).status_code == 403  # another file's
    forged = good.replace(f"v=u{viewer.id}", f"v=u{viewer.id + 1}")
    assert playlist(client, web, "video", query=forged).status_code == 403
    assert playlist(client, web, "audio-7", query=good).status_code == 404
    assert playlist(client, web, "audio-\u00b2", query=good).status_code == 404  # int() refused "²"
    assert playlist(client, web, "audio-" + "9" * 5000, query=good).status_code == 404  # and this
    assert playlist(client, web, "video", query=good, host="tenant-b.test").status_code == 404
    assert playlist(client, film, "master", query=link_query(film, viewer)).status_code == 404
    viewer.is_active = False  # a deactivated viewer's links stop, playlists too
    viewer.save()
    assert playlist(client, web, "video", query=good).status_code == 403
