from __future__ import annotations

import math

from rest_framework import serializers

# Longer than any film; a duration beyond it is a broken player, not a film.
MAX_DURATION_SECONDS = 7 * 24 * 3600
# Players report the end a hair past the duration they announced.
END_TOLERANCE_SECONDS = 1.0


class ProgressUpdateSerializer(serializers.Serializer):
    position = serializers.FloatField(min_value=0, help_text="Seconds from the start.")
    duration = serializers.FloatField(
        min_value=0.001,
        max_value=MAX_DURATION_SECONDS,
        help_text="Seconds, as the player knows it (the file's own duration wins when known).",
    )

    def validate_position(self, value: float) -> float:
        if not math.isfinite(value):
            raise serializers.ValidationError("Must be a finite number of seconds.")
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs["position"] > attrs["duration"] + END_TOLERANCE_SECONDS:
            raise serializers.ValidationError({"position": "Past the end (the duration)."})
        return attrs


class WatchedThingSerializer(serializers.Serializer):
    """What a progress entry or a continue-watching card is about."""

    title = serializers.CharField(source="title.slug")
    title_name = serializers.CharField(source="title.title")
    season = serializers.IntegerField(source="episode.season.number", allow_null=True)
    episode = serializers.IntegerField(source="episode.number", allow_null=True)
    episode_name = serializers.CharField(source="episode.name", allow_null=True)


class ProgressSerializer(WatchedThingSerializer):
    file = serializers.CharField(
        source="media_file.public_id", allow_null=True, help_text="The file played last."
    )
    position = serializers.FloatField()
    duration = serializers.FloatField()
    fraction = serializers.FloatField()
    watched = serializers.BooleanField(help_text="Played past 90 % at least once.")
    watched_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)


class ContinueItemSerializer(WatchedThingSerializer):
    file = serializers.CharField(source="media_file.public_id", help_text="The file to play.")
    position = serializers.FloatField(help_text="Where to start, in seconds.")
    fraction = serializers.FloatField()
    next_up = serializers.BooleanField(help_text="The episode after one the viewer finished.")


# ISO 639-1 or -2 (as ffprobe reports a track's language), with an optional region or script.
LANGUAGE_CODE = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"


def language_field(help_text: str) -> serializers.RegexField:
    return serializers.RegexField(
        LANGUAGE_CODE,
        max_length=16,
        allow_blank=True,
        help_text=help_text,
        error_messages={"invalid": 'Not a language code ("en", "fre", "pt-BR") or "".'},
    )


class PreferencesSerializer(serializers.Serializer):
    """What the player picks for this viewer on this site, on any browser or device."""

    subtitle_language = language_field('The subtitles shown when a file has them; "" for off.')
    audio_language = language_field('The audio played when a file has it; "" for its default.')
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)
