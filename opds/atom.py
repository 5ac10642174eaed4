"""OPDS 1.2 feeds as Atom XML: the shapes, the media types and the link relations.

Navigation feeds list places to go (each entry has one link, rel `subsection` or a sort
rel, to another feed); acquisition feeds list publications (each entry has acquisition
links, and here images and the Page Streaming Extension's link). Hrefs are absolute paths
on the site the client asked, which clients resolve against the feed's own URL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from xml.etree import ElementTree

from shadowvault.xmltext import xml_safe

ATOM_NS = "http://www.w3.org/2005/Atom"
OPDS_NS = "http://opds-spec.org/2010/catalog"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
PSE_NS = "http://vaemendis.net/opds-pse/ns"
DC_NS = "http://purl.org/dc/terms/"

NAVIGATION = "application/atom+xml;profile=opds-catalog;kind=navigation"
ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
OPENSEARCH = "application/opensearchdescription+xml"

REL_SUBSECTION = "subsection"
REL_SORT_NEW = "http://opds-spec.org/sort/new"
REL_ACQUISITION = "http://opds-spec.org/acquisition"
REL_IMAGE = "http://opds-spec.org/image"
REL_THUMBNAIL = "http://opds-spec.org/image/thumbnail"
REL_PSE_STREAM = "http://vaemendis.net/opds-pse/stream"


@dataclass(frozen=True)
class Link:
    rel: str
    href: str
    type: str
    title: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # e.g. {"pse:count": "20"}


@dataclass
class Entry:
    id: str
    title: str
    updated: datetime
    links: list[Link]
    summary: str = ""
    language: str = ""
    issued: str = ""  # dcterms:issued, a date


@dataclass
class Pagination:
    """Where a paginated feed is: `number` of `count` pages of `size` entries, `total` in all."""

    number: int
    count: int
    size: int
    total: int


@dataclass
class Feed:
    id: str
    title: str
    updated: datetime
    kind: str  # NAVIGATION or ACQUISITION
    href: str  # the feed's own path, with its query but without `page`
    entries: list[Entry]
    page: Pagination | None = None
    links: list[Link] = field(default_factory=list)


def stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def page_href(href: str, number: int) -> str:
    if number == 1:
        return href
    return f"{href}{'&' if '?' in href else '?'}page={number}"


def feed_links(feed: Feed) -> list[Link]:
    """self, start, search, and first/previous/next/last when the feed has pages."""
    own = page_href(feed.href, feed.page.number) if feed.page else feed.href
    links = [
        Link("self", own, feed.kind),
        Link("start", "/opds/", NAVIGATION),
        Link("search", "/opds/search.xml", OPENSEARCH),
        *feed.links,
    ]
    if feed.page and feed.page.count > 1:
        number, count = feed.page.number, feed.page.count
        links += [Link("first", page_href(feed.href, 1), feed.kind)]
        if number > 1:
            links += [Link("previous", page_href(feed.href, number - 1), feed.kind)]
        if number < count:
            links += [Link("next", page_href(feed.href, number + 1), feed.kind)]
        links += [Link("last", page_href(feed.href, count), feed.kind)]
    return links


def add_link(parent: ElementTree.Element, link: Link) -> None:
    attributes = {"rel": link.rel, "href": link.href, "type": link.type}
    if link.title:
        attributes["title"] = xml_safe(link.title)
    ElementTree.SubElement(parent, "link", attributes | link.extra)


def add_text(parent: ElementTree.Element, tag: str, text: str, **attributes: str) -> None:
    ElementTree.SubElement(parent, tag, attributes).text = xml_safe(text)


def feed_xml(feed: Feed) -> bytes:
    root = ElementTree.Element(
        "feed",
        {
            "xmlns": ATOM_NS,
            "xmlns:opds": OPDS_NS,
            "xmlns:opensearch": OPENSEARCH_NS,
            "xmlns:pse": PSE_NS,
            "xmlns:dcterms": DC_NS,
        },
    )
    add_text(root, "id", feed.id)
    add_text(root, "title", feed.title)
    add_text(root, "updated", stamp(feed.updated))
    author = ElementTree.SubElement(root, "author")
    add_text(author, "name", "ShadowVault")
    add_text(author, "uri", "/opds/")
    for link in feed_links(feed):
        add_link(root, link)
    if feed.page:
        add_text(root, "opensearch:totalResults", str(feed.page.total))
        add_text(root, "opensearch:itemsPerPage", str(feed.page.size))
        add_text(root, "opensearch:startIndex", str((feed.page.number - 1) * feed.page.size + 1))
    for entry in feed.entries:
        element = ElementTree.SubElement(root, "entry")
        add_text(element, "title", entry.title)
        add_text(element, "id", entry.id)
        add_text(element, "updated", stamp(entry.updated))
        if entry.summary:
            add_text(element, "summary", entry.summary, type="text")
        if entry.language:
            add_text(element, "dcterms:language", entry.language)
        if entry.issued:
            add_text(element, "dcterms:issued", entry.issued)
        for link in entry.links:
            add_link(element, link)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def opensearch_xml(*, name: str, template: str) -> bytes:
    """The OpenSearch description: how a client asks this catalog's search."""
    root = ElementTree.Element("OpenSearchDescription", {"xmlns": OPENSEARCH_NS})
    add_text(root, "ShortName", name[:16] or "ShadowVault")
    add_text(root, "Description", f"Search the manga, films and series of {name}.")
    add_text(root, "InputEncoding", "UTF-8")
    add_text(root, "OutputEncoding", "UTF-8")
    ElementTree.SubElement(root, "Url", {"type": NAVIGATION, "template": template})
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
