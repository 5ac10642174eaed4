"""Where each viewer is in each film and episode: kept on the server, so it follows them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from library.models import Episode, MediaFile, Tenant, Title

# A film or an episode counts as watched once this share of it has been played through.
WATCHED_FRACTION = 0.9
# Below this, a position is an opened page rather than something to come back to.
RESUME_MIN_SECONDS = 5.0


def is_finished(position: float, duration: float) -> bool:
    """Past the watched mark (the same sum as the continue-watching query's)."""
    return duration > 0 and position >= duration * WATCHED_FRACTION


class WatchProgress(models.Model):
    """A viewer's position in a film (episode empty) or in one episode of a series.

    One row per viewer and film or episode, whichever of its files (versions) was played:
    `media_file` is only the one played last. `watched_at` is set the first time the viewer
    gets past WATCHED_FRACTION and stays when they watch it again.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="watch_progress"
    )
    title = models.ForeignKey(Title, on_delete=models.CASCADE, related_name="+")
    episode = models.ForeignKey(
        Episode, on_delete=models.CASCADE, related_name="+", null=True, blank=True
    )
    media_file = models.ForeignKey(
        MediaFile, on_delete=models.SET_NULL, related_name="+", null=True, blank=True
    )
    position = models.FloatField(help_text="Seconds.")
    duration = models.FloatField(help_text="Seconds.")
    watched_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "title"],
                condition=Q(episode__isnull=True),
                name="watchprogress_unique_film",
            ),
            models.UniqueConstraint(
                fields=["user", "episode"],
                condition=Q(episode__isnull=False),
                name="watchprogress_unique_episode",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-updated_at"], name="watchprogress_user_recent"),
            models.Index(fields=["user", "title"], name="watchprogress_user_title"),
        ]

    def __str__(self) -> str:
        where = self.episode or self.title
        return f"{self.user} at {self.position:.0f}/{self.duration:.0f} s of {where}"

    @property
    def fraction(self) -> float:
        return min(1.0, self.position / self.duration) if self.duration > 0 else 0.0

    @property
    def finished(self) -> bool:
        """This pass got past the watched mark (a new pass starts from the beginning)."""
        return is_finished(self.position, self.duration)

    @property
    def resumable(self) -> bool:
        return not self.finished and self.position >= RESUME_MIN_SECONDS

    @property
    def watched(self) -> bool:
        return self.watched_at is not None


class ViewerPreferences(models.Model):
    """What a viewer wants the player to pick on one site, whatever browser or device they use.

    One row per viewer and tenant, made on the first save; no row reads as the defaults.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="viewer_preferences"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subtitle_language = models.CharField(
        max_length=16, blank=True, help_text='A language code; "" for subtitles off.'
    )
    audio_language = models.CharField(
        max_length=16, blank=True, help_text='A language code; "" for the file\'s default.'
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "viewer preferences"
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="viewerpreferences_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.tenant}"
