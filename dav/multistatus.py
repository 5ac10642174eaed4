"""PROPFIND (RFC 4918 §9.1): what a request asks for, and the 207 Multi-Status answer.

The live properties of a read-only tree: displayname, resourcetype, getcontentlength,
getcontenttype, getetag, getlastmodified, creationdate. Asked for by name, the ones an entry
has come back under 200 and the rest (any other namespace's too) under 404. A Movies folder
of 10k titles is one answer of 10k responses, so the text is put together from strings, not
an element tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from html import escape
from urllib.parse import quote

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from .tree import Entry

DAV = "DAV:"
COLLECTION = "<D:resourcetype><D:collection/></D:resourcetype>"
PROPFIND_MAX_BYTES = 64 * 1024
SEGMENT_SAFE = "!$'()*+,;=@"  # sub-delimiters but `&`, and `@`: left as they are
PCHARS = re.compile(r"[0-9A-Za-z\-._~!$'()*+,;=@%]*")
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class PropfindInvalid(Exception):
    """The request body is not a PROPFIND this server understands; the message says why."""


@dataclass(frozen=True)
class Wanted:
    """What a PROPFIND asks for: every property (allprop), their names (propname), or these
    (namespace, name) pairs (prop)."""

    mode: str
    names: tuple[tuple[str, str], ...] = ()


def propfind_parse(body: bytes) -> Wanted:
    """An empty body is allprop (RFC 4918 §9.1). Raises PropfindInvalid for anything that is
    not a propfind element, too large, in an unknown encoding, or XML with entities or a
    DTD."""
    if not body.strip():
        return Wanted("allprop")
    if len(body) > PROPFIND_MAX_BYTES:
        raise PropfindInvalid(f"The PROPFIND body is over {PROPFIND_MAX_BYTES} bytes.")
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except LookupError as exc:  # expat asks codecs for the declared encoding
        raise PropfindInvalid(f"The PROPFIND body declares an unknown encoding: {exc}.") from exc
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise PropfindInvalid(f"The PROPFIND body is not acceptable XML: {exc}.") from exc
    if root.tag != f"{{{DAV}}}propfind":
        raise PropfindInvalid("The PROPFIND body must be a DAV: propfind element.")
    for child in root:
        if child.tag == f"{{{DAV}}}prop":
            return Wanted("prop", tuple(split_tag(prop.tag) for prop in child))
        if child.tag in (f"{{{DAV}}}allprop", f"{{{DAV}}}propname"):
            return Wanted(child.tag.rpartition("}")[2])
    raise PropfindInvalid("The propfind element holds no prop, allprop or propname.")


def split_tag(tag: str) -> tuple[str, str]:
    namespace, brace, local = tag[1:].partition("}")
    return (namespace, local) if brace else ("", tag)


def multistatus(items: Iterable[tuple[str, Entry]], wanted: Wanted) -> str:
    """The 207 body for (href, entry) pairs."""
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<D:multistatus xmlns:D="DAV:">']
    for href, entry in items:
        parts.append(f"<D:response><D:href>{href}</D:href>{propstats(entry, wanted)}</D:response>")
    parts.append("</D:multistatus>\n")
    return "".join(parts)


def propstats(entry: Entry, wanted: Wanted) -> str:
    elements = live_props(entry)
    if wanted.mode == "propname":
        return propstat("".join(f"<D:{name}/>" for name in elements), "200 OK")
    if wanted.mode == "allprop":
        return propstat("".join(elements.values()), "200 OK")
    found, missing = [], []
    for namespace, name in wanted.names:
        if namespace == DAV and name in elements:
            found.append(elements[name])
        else:
            missing.append(empty_element(namespace, name))
    answer = propstat("".join(found), "200 OK") if found else ""
    return answer + (propstat("".join(missing), "404 Not Found") if missing else "")


def propstat(props: str, status: str) -> str:
    return (
        f"<D:propstat><D:prop>{props}</D:prop><D:status>HTTP/1.1 {status}</D:status></D:propstat>"
    )


def empty_element(namespace: str, name: str) -> str:
    if namespace == DAV:
        return f"<D:{name}/>"
    return f'<X:{name} xmlns:X="{escape(namespace)}"/>' if namespace else f'<{name} xmlns=""/>'


def live_props(entry: Entry) -> dict[str, str]:
    """The entry's live properties (only those it has), each as its XML element."""
    elements = {
        "displayname": f"<D:displayname>{escape(entry.name, quote=False)}</D:displayname>",
        "resourcetype": COLLECTION if entry.size is None else "<D:resourcetype/>",
    }
    if entry.size is not None:
        elements["getcontentlength"] = f"<D:getcontentlength>{entry.size}</D:getcontentlength>"
        mime = escape(entry.mime, quote=False)
        elements["getcontenttype"] = f"<D:getcontenttype>{mime}</D:getcontenttype>"
    if entry.etag:
        elements["getetag"] = f"<D:getetag>{escape(entry.etag, quote=False)}</D:getetag>"
    if modified := entry.modified:
        elements["getlastmodified"] = (
            f"<D:getlastmodified>{http_date(modified)}</D:getlastmodified>"
        )
        if entry.size is not None:  # a file's time is when it came; a folder's, its last change
            iso = f"{modified[:10]}T{modified[11:19]}Z"
            elements["creationdate"] = f"<D:creationdate>{iso}</D:creationdate>"
    return elements


@lru_cache(maxsize=4096)
def http_day(day: str) -> str:
    """`Mon, 30 Nov 2026` for `2026-11-30` (not strftime's %a %b: they follow the locale)."""
    moment = date.fromisoformat(day)
    return f"{DAYS[moment.weekday()]}, {moment.day:02d} {MONTHS[moment.month - 1]} {moment.year}"


def http_date(utc: str) -> str:
    """RFC 9110's IMF-fixdate of a UTC time as the database writes it (tree.db_time)."""
    return f"{http_day(utc[:10])} {utc[11:19]} GMT"


def href(prefix: str, segments: Iterable[str], *, folder: bool) -> str:
    """The percent-encoded path of an entry (folders end in `/`)."""
    path = "/".join(segment_quote(segment) for segment in segments)
    return f"{prefix}{path}/" if folder and path else f"{prefix}{path}"


def child_href(folder_href: str, entry: Entry) -> str:
    """The path of an entry of the folder at `folder_href` (which ends in `/`)."""
    return f"{folder_href}{segment_quote(entry.name)}{'/' if entry.is_folder else ''}"


def segment_quote(name: str) -> str:
    """A path segment, percent-encoded (RFC 3986 pchar; `&` encoded too, for the XML).

    `quote` is a Python call per byte; most names need only their spaces encoded, which two
    replacements do."""
    quoted = name.replace("%", "%25").replace(" ", "%20")
    return quoted if PCHARS.fullmatch(quoted) else quote(name, safe=SEGMENT_SAFE)
