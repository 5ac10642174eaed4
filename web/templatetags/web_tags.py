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


@register.filter
def codecs(version) -> str:
    """`H264 + AAC, 1080p, 1.2 MB`: what a version of a file (a MediaFile, or the dict the
    playback description has) is, in a few words."""
    from django.template.defaultfilters import filesizeformat

    facts = version if isinstance(version, dict) else vars(version)
    names = [c.upper() for c in (facts.get("video_codec"), facts.get("audio_codec")) if c]
    parts = [" + ".join(names) or "unknown codecs"]
    if facts.get("height"):
        parts.append(f"{facts['height']}p")
    parts.append(filesizeformat(facts.get("size") or 0))
    return ", ".join(parts)
