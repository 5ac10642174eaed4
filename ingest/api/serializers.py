from __future__ import annotations

from pathlib import PurePath

from rest_framework import serializers

from ingest.models import IngestItem, IngestJob


class IngestItemSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    file = serializers.CharField(source="media_file.public_id", default=None)

    class Meta:
        model = IngestItem
        fields = ["name", "state", "error", "file"]

    def get_name(self, item: IngestItem) -> str:
        return item.clean_name or PurePath(item.source_path).name


class IngestJobSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source_label")
    title = serializers.CharField(source="target_title.slug", default=None)
    items = IngestItemSerializer(many=True, read_only=True)

    class Meta:
        model = IngestJob
        fields = [
            "id",
            "source",
            "title",
            "target_season",
            "target_episode",
            "state",
            "progress",
            "bytes_done",
            "bytes_total",
            "speed",
            "eta",
            "error",
            "attempts",
            "items",
            "created_at",
            "updated_at",
            "started_at",
            "finished_at",
        ]


class IngestJobCreateSerializer(serializers.Serializer):
    url = serializers.CharField(required=False, allow_blank=True, max_length=8192)
    torrent = serializers.FileField(required=False, help_text="A .torrent file, instead of a URL.")
    title = serializers.CharField(required=False, help_text="Slug of the catalog title it is.")
    season = serializers.IntegerField(required=False, min_value=0, max_value=999)
    episode = serializers.IntegerField(required=False, min_value=0, max_value=9999)
