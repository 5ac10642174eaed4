from __future__ import annotations

import io
import tempfile
import zlib
from decimal import Decimal
from pathlib import Path

import factory
from django.contrib.auth.models import User
from PIL import Image

from library.models import Domain, Episode, Genre, MediaFile, Season, Tenant, Title
from readvault.models import Chapter, Page, Series, Source
from shadowvault.storage.filesystem import FilesystemBackend


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Tenant {n}")

    @factory.post_generation
    def domains(self, create: bool, extracted: list[str] | None, **kwargs) -> None:
        for domain in extracted or []:
            Domain.objects.create(tenant=self, domain=domain)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class GenreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Genre
        django_get_or_create = ("tmdb_id",)

    tmdb_id = factory.Sequence(lambda n: 1000 + n)
    name = factory.Sequence(lambda n: f"Genre {n}")


class TitleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Title

    tenant = factory.SubFactory(TenantFactory)
    kind = Title.Kind.MOVIE
    tmdb_id = factory.Sequence(lambda n: 500000 + n)
    title = factory.Sequence(lambda n: f"Film {n}")
    year = 2001


class SeasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Season

    title = factory.SubFactory(TitleFactory, kind=Title.Kind.SERIES)
    number = factory.Sequence(lambda n: n + 1)


class EpisodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Episode

    season = factory.SubFactory(SeasonFactory)
    number = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Episode {n}")


class MediaFileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MediaFile

    title = factory.SubFactory(TitleFactory)
    name = factory.LazyAttribute(lambda f: f"{f.title.title} ({f.title.year}) [1080p].mkv")
    storage = "filesystem"
    locator = factory.LazyFunction(lambda: {"path": "ab/abcdef"})
    size = 1024
    mime = "video/x-matroska"
    state = MediaFile.State.READY
    height = 1080
    width = 1920


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Source {n}")
    kind = Source.Kind.MANGADEX
    base_url = "https://api.manga.example"


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series

    source = factory.SubFactory(SourceFactory)
    tenant = factory.SelfAttribute("source.tenant")
    source_key = factory.Sequence(lambda n: f"series-{n}")
    title = factory.Sequence(lambda n: f"Series {n}")


def page_image(kind: str = "PNG", *, width: int = 64, height: int = 96, shade: int = 0) -> bytes:
    """A small real image (Pillow), different for each shade."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (shade % 256, 255 - shade % 256, 90)).save(buffer, kind)
    return buffer.getvalue()


def stored_chapter(series: Series, number: str, images: list[bytes], *, vault_root: Path, **fields):
    """An available chapter whose pages are `images`, stored in the filesystem vault."""
    chapter = Chapter.objects.create(
        series=series,
        source_key=fields.pop("source_key", f"ch-{number}"),
        number=Decimal(number),
        state=Chapter.State.AVAILABLE,
        **fields,
    )
    backend = FilesystemBackend(vault_root)
    for index, data in enumerate(images, start=1):
        with tempfile.NamedTemporaryFile() as upload:
            Path(upload.name).write_bytes(data)
            locator = backend.put(Path(upload.name), name=f"p{index}")
        with Image.open(io.BytesIO(data)) as image:
            width, height, mime = image.width, image.height, Image.MIME[image.format]
        Page.objects.create(
            chapter=chapter,
            index=index,
            storage="filesystem",
            locator=locator,
            width=width,
            height=height,
            size=len(data),
            mime=mime,
            sha256=locator["sha256"],
            crc32=zlib.crc32(data),
        )
    return chapter
