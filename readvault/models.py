"""Manga: sources to scrape, series followed from them, their chapters and stored pages."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from library.models import Tenant
from library.public_ids import new_file_public_id, new_title_slug


class Source(models.Model):
    class Kind(models.TextChoices):
        MANGADEX = "mangadex", "MangaDex-style JSON API"
        HTML = "html", "HTML site (CSS selectors)"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="manga_sources")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    base_url = models.URLField(help_text="API root, or the site's root for HTML sources.")
    requests_per_minute = models.PositiveIntegerField(
        default=40, help_text="Shared by all workers."
    )
    enabled = models.BooleanField(default=True)
    # HTML sources: CSS selectors, configured here instead of code per site.
    chapter_link_selector = models.CharField(
        max_length=300,
        blank=True,
        help_text="On a series page: one <a> per chapter, e.g. 'ul.chapters a'.",
    )
    chapter_number_pattern = models.CharField(
        max_length=200,
        blank=True,
        default=r"(?i)chapter\s*([\d.]+)",
        help_text="Regex on the link text; group 1 is the number.",
    )
    page_image_selector = models.CharField(
        max_length=300,
        blank=True,
        help_text="On a chapter page: the page images, e.g. 'div.reader img'.",
    )
    page_image_attribute = models.CharField(
        max_length=40,
        blank=True,
        default="src",
        help_text="Where the image URL is (src, data-src, …).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="source_name_per_tenant")
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from .sources.html import html_settings_problems

        if self.kind == self.Kind.HTML:
            problems = html_settings_problems(
                link_selector=self.chapter_link_selector,
                number_pattern=self.chapter_number_pattern,
                image_selector=self.page_image_selector,
                image_attribute=self.page_image_attribute,
            )
            if problems:
                raise ValidationError(problems)


class Series(models.Model):
    class Status(models.TextChoices):
        ONGOING = "ongoing", "Ongoing"
        COMPLETED = "completed", "Completed"
        HIATUS = "hiatus", "Hiatus"
        CANCELLED = "cancelled", "Cancelled"
        UNKNOWN = "unknown", "Unknown"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="manga_series")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="series")
    # The series' id (or page path) on its source ("source_id" would clash with the FK).
    source_key = models.CharField(max_length=300)
    slug = models.CharField(max_length=16, unique=True, default=new_title_slug, editable=False)
    title = models.CharField(max_length=300)
    alt_titles = models.JSONField(default=list, blank=True)
    description = models.TextField(blank=True)
    cover_url = models.URLField(blank=True, max_length=1000)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNKNOWN)
    followed = models.BooleanField(default=True, help_text="Refreshed on its own schedule.")
    refresh_minutes = models.PositiveIntegerField(default=360)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    refresh_error = models.TextField(blank=True)
    language = models.CharField(max_length=16, default="en", help_text="Preferred language.")
    group_order = models.JSONField(
        default=list, blank=True, help_text="Preferred scanlation groups, best first."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When a chapter last became readable: "recently updated" lists (OPDS) sort on it.
    chapters_updated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name_plural = "series"
        ordering = ["title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source", "source_key"], name="series_once_per_source"
            )
        ]
        # A-Z lists (the reader API, OPDS) walk this instead of sorting every series.
        indexes = [
            models.Index(fields=["tenant", "title", "id"], name="series_tenant_title"),
            models.Index(
                fields=["tenant", "chapters_updated_at", "id"], name="series_tenant_updated"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Chapter(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        AVAILABLE = "available", "Available"
        FAILED = "failed", "Failed"

    series = models.ForeignKey(Series, on_delete=models.CASCADE, related_name="chapters")
    source_key = models.CharField(max_length=300, help_text="The chapter's id on the source.")
    number = models.DecimalField(max_digits=8, decimal_places=2, help_text="10.5 sorts after 10.")
    volume = models.CharField(max_length=20, blank=True)
    title = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=16, blank=True)
    group = models.CharField(max_length=200, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["number", "id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "source_key"], name="chapter_once_per_series")
        ]
        indexes = [models.Index(fields=["series", "state", "number"], name="chapter_series_state")]

    def __str__(self) -> str:
        return f"{self.series} #{self.number.normalize()}"


class Page(models.Model):
    chapter = models.ForeignKey(Chapter, on_delete=models.CASCADE, related_name="pages")
    index = models.PositiveIntegerField()
    public_id = models.CharField(
        max_length=24, unique=True, default=new_file_public_id, editable=False
    )
    storage = models.CharField(max_length=32)
    locator = models.JSONField(default=dict)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveBigIntegerField()
    mime = models.CharField(max_length=50)
    sha256 = models.CharField(max_length=64)
    # For CBZ downloads (readvault.cbz); pages stored before it existed get it on first use.
    crc32 = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["index"]
        constraints = [
            models.UniqueConstraint(fields=["chapter", "index"], name="page_once_per_chapter")
        ]

    def __str__(self) -> str:
        return f"{self.chapter} p{self.index}"
