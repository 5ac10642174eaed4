from __future__ import annotations

from django import template
from django.templatetags.static import static

register = template.Library()


@register.filter
def poster(path: str, size: str = "w342") -> str:
    """A TMDB image through the gateway (cached there; a placeholder when TMDB cannot be
    reached), or the placeholder when the title has no image."""
    if not path:
        return static("web/placeholder.svg")
    return f"/img/tmdb/{size}{path}"
