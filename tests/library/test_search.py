"""Search folds case, accents and width in every script, in the catalog and in ReadVault,
through the API and the web pages alike (and the same on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from library.models import Title
from readvault.models import Series, Source
from tests.factories import TitleFactory

pytestmark = pytest.mark.django_db

FOUND = [
    ("amelie", "Amélie"),
    ("AMÉLIE", "Amélie"),
    ("destin d'amelie", "Amélie"),  # in its original title
    ("pokemon", "Pokémon"),
    ("POKÉMON", "Pokémon"),
    ("ボールト", "The Vault"),  # an alternative (original) title in Japanese
    ("ﾎﾞｰﾙﾄ", "The Vault"),  # the same, typed in half-width kana
    ("strasse", "Die Straße"),
]
NOT_FOUND = ["ホールト", "amelies"]  # kana voicing is not an accent; no partial words past one


@pytest.fixture
def catalog(tenant, other_tenant) -> None:
    TitleFactory(tenant=tenant, title="Amélie", original_title="Le Fabuleux Destin d'Amélie")
    TitleFactory(tenant=tenant, title="Pokémon")
    TitleFactory(tenant=tenant, title="The Vault", original_title="ボールト", kind="series")
    TitleFactory(tenant=tenant, title="Die Straße")
    TitleFactory(tenant=other_tenant, title="Amélie elsewhere")


@pytest.fixture
def manga(tenant, other_tenant) -> None:
    for owner, suffix in ((tenant, ""), (other_tenant, " elsewhere")):
        source = Source.objects.create(
            tenant=owner, name="s", kind="mangadex", base_url="https://api.example"
        )
        for key, title, alternatives in [
            ("a", "Amélie", ["Le Fabuleux Destin d'Amélie"]),
            ("p", "Pokémon", []),
            ("v", "The Vault", ["ボールト", "Das Gewölbe"]),
            ("s", "Die Straße", []),
        ]:
            Series.objects.create(
                tenant=owner,
                source=source,
                source_key=key,
                title=title + suffix,
                alt_titles=alternatives,
            )


# where: (API path, its query parameter, web page)
SEARCHES = {
    "catalog": ("/api/titles/", "search", "/browse/"),
    "readvault": ("/api/manga/", "q", "/manga/"),
}


def api_search(client, where: str, query: str) -> list[str]:
    path, parameter, _ = SEARCHES[where]
    return [found["title"] for found in client.get(path, {parameter: query}).json()["results"]]


@pytest.mark.parametrize("where", SEARCHES)
@pytest.mark.parametrize(("query", "title"), FOUND)
def test_search_finds_names_whatever_the_case_and_accents(
    api_as, admin_as, viewer, catalog, manga, where, query, title
) -> None:
    assert api_search(api_as(viewer), where, query) == [title]
    page = admin_as(viewer).get(SEARCHES[where][2], {"q": query}).content.decode()
    assert title in page
    assert "elsewhere" not in page


@pytest.mark.parametrize("query", NOT_FOUND)
def test_what_differs_is_not_found(api_as, viewer, catalog, manga, query) -> None:
    assert api_search(api_as(viewer), "catalog", query) == []
    assert api_search(api_as(viewer), "readvault", query) == []


def test_a_renamed_title_is_found_by_its_new_name(api_as, viewer, tenant) -> None:
    title = TitleFactory(tenant=tenant, title="Working Title")
    Title.objects.update_or_create(id=title.id, defaults={"original_title": "Éclair"})
    title.refresh_from_db()
    title.title = "Ça"
    title.save(update_fields=["title"])

    assert api_search(api_as(viewer), "catalog", "eclair") == ["Ça"]
    assert api_search(api_as(viewer), "catalog", "ca") == ["Ça"]
    assert api_search(api_as(viewer), "catalog", "working") == []
