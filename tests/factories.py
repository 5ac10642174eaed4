from __future__ import annotations

import factory
from django.contrib.auth.models import User

from library.models import Domain, Episode, Genre, MediaFile, Season, Tenant, Title


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
