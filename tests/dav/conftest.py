"""A small library behind the real gateway, for WebDAV clients and players."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest

from library.app_passwords import app_password_create
from library.models import MediaFile, Membership, Subtitle, Title
from readvault.models import Series, Source
from shadowvault.storage.filesystem import FilesystemBackend
from tests.factories import (
    EpisodeFactory,
    SeasonFactory,
    TenantFactory,
    TitleFactory,
    UserFactory,
    page_image,
    stored_chapter,
)
from tests.ingest.conftest import make_clip
from tests.streaming.conftest import MiB, direct_gateway, gateway, vault_root  # noqa: F401

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


@dataclass
class Library:
    """What the module's tests read, by the path the share gives it."""

    app_password: str
    viewer_id: int
    show: Title
    clip: bytes  # a 3 s H.264 clip, 160x120
    pages: list[bytes]  # chapter 1's (Manga/Meshi/Chapter 0001.cbz)
    film: bytes  # 3 MiB and a bit of random bytes: ranges across nginx's 1 MiB slices
    other_tenant_path: str  # a title folder of tenant B
    files: dict[str, bytes] = field(default_factory=dict)  # share path -> stored bytes


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> bytes:
    """A 3 s H.264 clip, 160x120, made once per module."""
    path = tmp_path_factory.mktemp("dav-clip") / "clip.mp4"
    return make_clip(path, seconds=3, size="160x120", tags=False).read_bytes()


@pytest.fixture
def library(transactional_db, vault_root, clip, tmp_path) -> Library:  # noqa: F811
    """Tenant A (tenant-a.test and 127.0.0.1, for clients that ask by address) with a viewer
    (account and app password), two films, a series and a manga; tenant B with an outsider
    and a film."""
    backend = FilesystemBackend(vault_root)
    film = os.urandom(3 * MiB + 12345)

    def put(name: str, data: bytes) -> dict:
        (tmp_path / "upload").write_bytes(data)
        return backend.put(tmp_path / "upload", name=name)

    def store(title: Title, name: str, data: bytes, **fields) -> MediaFile:
        locator = put(name, data)
        return MediaFile.objects.create(
            title=title,
            name=name,
            storage="filesystem",
            locator=locator,
            size=len(data),
            mime="video/mp4" if name.endswith(".mp4") else "video/x-matroska",
            sha256=locator["sha256"],
            state=MediaFile.State.READY,
            duration=3.0,
            **fields,
        )

    tenant = TenantFactory(name="Tenant A", domains=["tenant-a.test", "127.0.0.1"])
    other = TenantFactory(name="Tenant B", domains=["tenant-b.test"])
    viewer, outsider = UserFactory(username="viewer"), UserFactory(username="outsider")
    Membership.objects.create(tenant=tenant, user=viewer)
    Membership.objects.create(tenant=other, user=outsider)
    _, secret = app_password_create(user=viewer, tenant=tenant, label="rclone")

    movie = TitleFactory(tenant=tenant, title="Clip", year=2020)
    clip_file = store(movie, "Clip (2020) [120p].mp4", clip)
    subtitle = b"1\n00:00:00,500 --> 00:00:02,000\nHello\n"
    locator = put("Clip (2020) [120p].en.srt", subtitle)
    Subtitle.objects.create(
        media_file=clip_file,
        language="en",
        name="Clip (2020) [120p].en.srt",
        storage="filesystem",
        locator=locator,
        size=len(subtitle),
        sha256=locator["sha256"],
        mime="application/x-subrip",
    )
    store(TitleFactory(tenant=tenant, title="AC/DC: Live", year=1991), "ACDC.mkv", film)
    show = TitleFactory(tenant=tenant, title="Show", year=2019, kind=Title.Kind.SERIES)
    season = SeasonFactory(title=show, number=1)
    for number, name in ((1, "Pilot"), (2, "Second")):
        episode = EpisodeFactory(season=season, number=number, name=name)
        store(show, f"Show (2019) - S01E0{number} - {name} [120p].mp4", clip, episode=episode)
    store(TitleFactory(tenant=other, title="Elsewhere", year=2001), "Elsewhere.mkv", film)
    source = Source.objects.create(tenant=tenant, name="s", kind="mangadex", base_url="https://x")
    meshi = Series.objects.create(tenant=tenant, source=source, source_key="m", title="Meshi")
    pages = [page_image(shade=10), page_image("JPEG", shade=20)]
    stored_chapter(meshi, "1", pages, vault_root=vault_root)
    stored_chapter(meshi, "10.5", pages[:1], vault_root=vault_root)

    return Library(
        app_password=secret,
        viewer_id=viewer.id,
        show=show,
        clip=clip,
        pages=pages,
        film=film,
        other_tenant_path="Movies/Elsewhere (2001)/Elsewhere.mkv",
        files={
            "Movies/Clip (2020)/Clip (2020) [120p].mp4": clip,
            "Movies/Clip (2020)/Clip (2020) [120p].en.srt": subtitle,
            "Movies/AC-DC - Live (1991)/ACDC.mkv": film,
            "Series/Show (2019)/Season 01/Show (2019) - S01E01 - Pilot [120p].mp4": clip,
            "Series/Show (2019)/Season 01/Show (2019) - S01E02 - Second [120p].mp4": clip,
        },
    )
