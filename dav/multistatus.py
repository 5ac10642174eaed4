"""PROPFIND (RFC 4918 §9.1): what a request asks for, and the 207 Multi-Status answer.

The live properties of a read-only tree: displayname, resourcetype, getcontentlength,
getcontenttype, getetag, getlastmodified, creationdate. Asked for by name, the ones an entry
has come back under 200 and the rest (any other namespace's too) under 404. A Movies folder
of 10k titles is one answer of 10k responses, so the text is put together from strings, not
an element tree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from urllib.parse import quote

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from .tree import Entry

DAV = "DAV:"
PROPFIND_MAX_BYTES = 64 * 1024
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
    not a propfind element, too large, or XML with entities or a DTD."""
    if not body.strip():
        return Wanted("allprop")
    if len(body) > PROPFIND_MAX_BYTES:
        raise PropfindInvalid(f"The PROPFIND body is over {PROPFIND_MAX_BYTES} bytes.")
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
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
    values = live_props(entry)
    if wanted.mode == "propname":
        return propstat("".join(f"<D:{name}/>" for name in values), "200 OK")
    if wanted.mode == "allprop":
        return propstat(
            "".join(prop_element(name, value) for name, value in values.items()), "200 OK"
        )
    found, missing = [], []
    for namespace, name in wanted.names:
        if namespace == DAV and name in values:
            found.append(prop_element(name, values[name]))
        else:
            missing.append(empty_element(namespace, name))
    answer = propstat("".join(found), "200 OK") if found else ""
    return answer + (propstat("".join(missing), "404 Not Found") if missing else "")


def propstat(props: str, status: str) -> str:
    return (
        f"<D:propstat><D:prop>{props}</D:prop><D:status>HTTP/1.1 {status}</D:status></D:propstat>"
    )


def prop_element(name: str, value: str) -> str:
    return f"<D:{name}>{value}</D:{name}>" if value else f"<D:{name}/>"


def empty_element(namespace: str, name: str) -> str:
    if namespace == DAV:
        return f"<D:{name}/>"
    return f'<X:{name} xmlns:X="{escape(namespace)}"/>' if namespace else f'<{name} xmlns=""/>'


def live_props(entry: Entry) -> dict[str, str]:
    """The entry's live properties as XML content (escaped), only those it has."""
    values = {
        "displayname": escape(entry.name, quote=False),
        "resourcetype": "<D:collection/>" if entry.is_folder else "",
    }
    if entry.size is not None:
        values["getcontentlength"] = str(entry.size)
        values["getcontenttype"] = escape(entry.mime, quote=False)
    if entry.etag:
        values["getetag"] = escape(entry.etag, quote=False)
    if entry.modified is not None:
        values["getlastmodified"] = http_date(entry.modified)
        values["creationdate"] = entry.modified.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return values


def http_date(moment: datetime) -> str:
    """RFC 9110's IMF-fixdate, without the locale `strftime("%a %b")` would use."""
    moment = moment.astimezone(UTC)
    return (
        f"{DAYS[moment.weekday()]}, {moment.day:02d} {MONTHS[moment.month - 1]} {moment.year} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} GMT"
    )


def href(prefix: str, segments: Iterable[str], *, folder: bool) -> str:
    """The percent-encoded path of an entry (folders end in `/`)."""
    path = "/".join(quote(segment, safe="") for segment in segments)
    return f"{prefix}{path}/" if folder and path else f"{prefix}{path}"
