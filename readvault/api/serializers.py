from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from rest_framework import serializers

from ingest.url_guard import URLRefused, url_check
from readvault.models import Chapter, Series, Source
from readvault.sources.html import html_settings_problems


class SeriesSerializer(serializers.ModelSerializer):
    class Meta:
        model = Series
        fields = ["slug", "title", "alt_titles", "description", "status", "cover_url", "language"]


class ChapterSerializer(serializers.ModelSerializer):
    class Meta:
        model = Chapter
        fields = ["id", "number", "volume", "title", "language", "group", "published_at"]


class PageLinkSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()


# --- Curators ---


class SourceSerializer(serializers.ModelSerializer):
    """A manga source; HTML sources' selectors and pattern are checked before they are kept."""

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "kind",
            "base_url",
            "requests_per_minute",
            "enabled",
            "chapter_link_selector",
            "chapter_number_pattern",
            "page_image_selector",
            "page_image_attribute",
        ]
        extra_kwargs = {"requests_per_minute": {"min_value": 1, "max_value": 600}}

    def validate_base_url(self, value: str) -> str:
        if urlsplit(value).scheme not in ("http", "https"):
            raise serializers.ValidationError("Use an http or https URL.")
        try:
            url_check(value, allow_hosts=settings.INGEST_ALLOW_HOSTS)
        except URLRefused as exc:
            raise serializers.ValidationError(
                f"This address cannot be used: {exc.reason}."
            ) from exc
        return value

    def validate(self, attrs: dict) -> dict:
        current = self.instance or Source()  # on create, the model's defaults
        merged = {field: getattr(current, field) for field in self.Meta.fields} | attrs
        tenant = self.context["tenant"]
        same_name = Source.objects.filter(tenant=tenant, name=merged["name"])
        if self.instance is not None:
            same_name = same_name.exclude(id=self.instance.id)
        if same_name.exists():
            raise serializers.ValidationError({"name": "This site has a source of that name."})
        if merged["kind"] == Source.Kind.HTML:
            problems = html_settings_problems(
                link_selector=merged["chapter_link_selector"],
                number_pattern=merged["chapter_number_pattern"],
                image_selector=merged["page_image_selector"],
                image_attribute=merged["page_image_attribute"],
            )
            if problems:
                raise serializers.ValidationError(problems)
        return attrs


class SourceSearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, trim_whitespace=True)


class SourceHitSerializer(serializers.Serializer):
    source_key = serializers.CharField(source="source_id")
    title = serializers.CharField()
    alt_titles = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    status = serializers.CharField()
    followed_slug = serializers.CharField(
        allow_null=True, help_text="The series' slug here, when it is already followed."
    )


class FollowSerializer(serializers.Serializer):
    source_key = serializers.CharField(
        max_length=300, help_text="The series' id on the source (its page path on HTML sites)."
    )


class SeriesSettingsSerializer(serializers.ModelSerializer):
    """What curators set on a followed series."""

    class Meta:
        model = Series
        fields = ["followed", "refresh_minutes", "language", "group_order"]
        extra_kwargs = {"refresh_minutes": {"min_value": 10}}

    def validate_group_order(self, value) -> list[str]:
        if not (isinstance(value, list) and all(isinstance(g, str) for g in value)):
            raise serializers.ValidationError("A list of group names, best first.")
        return value


class CuratedSeriesSerializer(SeriesSerializer):
    source = serializers.IntegerField(source="source_id", read_only=True)

    class Meta(SeriesSerializer.Meta):
        fields = [
            *SeriesSerializer.Meta.fields,
            "source",
            "source_key",
            "followed",
            "refresh_minutes",
            "group_order",
            "last_refreshed_at",
            "refresh_error",
        ]


class ReleaseSerializer(serializers.ModelSerializer):
    """Every release of every chapter, with where it stands."""

    pages = serializers.IntegerField(source="page_count", read_only=True)

    class Meta:
        model = Chapter
        fields = [
            "id",
            "number",
            "volume",
            "title",
            "language",
            "group",
            "published_at",
            "state",
            "error",
            "pages",
            "created_at",
        ]
