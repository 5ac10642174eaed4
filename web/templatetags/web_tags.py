from __future__ import annotations

from django import template
from django.conf import settings
from django.templatetags.static import static

register = template.Library()


@register.filter
def poster(path: str, size: str = "w342") -> str:
    """A TMDB image URL, or the neutral placeholder when the title has no image."""
    if not path:
        return static("web/placeholder.svg")
    return f"{settings.TMDB_IMAGE_BASE_URL}/{size}{path}"
