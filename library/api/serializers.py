from __future__ import annotations

from rest_framework import serializers

from library.models import AppPassword, Episode, Genre, MediaFile, Season, Title


class GenreSerializer(serializers.ModelSerializer):
    class Meta:
        model = Genre
        fields = ["tmdb_id", "name"]


class MediaFileSerializer(serializers.ModelSerializer):
    """What a client may know of a file: never its storage or locator."""

    class Meta:
        model = MediaFile
        fields = [
            "public_id",
            "name",
            "size",
            "mime",
            "duration",
            "width",
            "height",
            "video_codec",
            "audio_codec",
        ]


class EpisodeSerializer(serializers.ModelSerializer):
    files = MediaFileSerializer(many=True, read_only=True)

    class Meta:
        model = Episode
        fields = ["number", "name", "overview", "air_date", "runtime", "still_path", "files"]


class SeasonSerializer(serializers.ModelSerializer):
    episodes = EpisodeSerializer(many=True, read_only=True)

    class Meta:
        model = Season
        fields = ["number", "name", "overview", "air_date", "poster_path", "episodes"]


class TitleListSerializer(serializers.ModelSerializer):
    genres = GenreSerializer(many=True, read_only=True)

    class Meta:
        model = Title
        fields = [
            "slug",
            "kind",
            "tmdb_id",
            "title",
            "original_title",
            "year",
            "genres",
            "runtime",
            "poster_path",
            "popularity",
        ]


class TitleDetailSerializer(TitleListSerializer):
    seasons = SeasonSerializer(many=True, read_only=True)
    files = MediaFileSerializer(many=True, read_only=True, source="movie_files")

    class Meta(TitleListSerializer.Meta):
        fields = [
            *TitleListSerializer.Meta.fields,
            "overview",
            "backdrop_path",
            "created_at",
            "updated_at",
            "seasons",
            "files",
        ]


class TMDBSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, trim_whitespace=True)
    kind = serializers.ChoiceField(choices=Title.Kind.choices)
    page = serializers.IntegerField(min_value=1, max_value=500, default=1)


class TMDBSearchResultSerializer(serializers.Serializer):
    tmdb_id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    original_title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    overview = serializers.CharField()
    poster_path = serializers.CharField()
    popularity = serializers.FloatField()


class TitleImportSerializer(serializers.Serializer):
    tmdb_id = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=Title.Kind.choices)


class AppPasswordSerializer(serializers.ModelSerializer):
    class Meta:
        model = AppPassword
        fields = ["id", "label", "created_at", "last_used_at"]
        read_only_fields = ["id", "created_at", "last_used_at"]


class AppPasswordCreatedSerializer(AppPasswordSerializer):
    password = serializers.CharField(read_only=True, help_text="Shown this once only.")

    class Meta(AppPasswordSerializer.Meta):
        fields = [*AppPasswordSerializer.Meta.fields, "password"]
