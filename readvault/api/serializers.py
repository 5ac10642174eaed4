from __future__ import annotations

from rest_framework import serializers

from readvault.models import Chapter, Series


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
