"""GET/PUT/DELETE /api/progress/...: a viewer's position, per film or episode, for client apps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from library.models import Membership
from tests.factories import EpisodeFactory, MediaFileFactory, TitleFactory, UserFactory
from watching.services import progress_save

pytestmark = pytest.mark.django_db

TENANT_B_HOST = "tenant-b.test"


@pytest.fixture
def film(tenant):
    return MediaFileFactory(title=TitleFactory(tenant=tenant, title="Metropolis"), duration=600.0)


def put(client, media_file, **body):
    return client.put(f"/api/progress/{media_file.public_id}/", body, format="json")


def test_a_viewer_saves_a_position_and_reads_it_back(api_as, viewer, film) -> None:
    client = api_as(viewer)

    saved = put(client, film, position=120.5, duration=600)
    read = client.get(f"/api/progress/{film.public_id}/")

    assert saved.status_code == 200, saved.content
    assert read.json() == saved.json()
    body = read.json()
    assert (body["file"], body["title"], body["title_name"]) == (
        film.public_id,
        film.title.slug,
        "Metropolis",
    )
    assert (body["position"], body["duration"], body["watched"]) == (120.5, 600.0, False)
    assert body["fraction"] == pytest.approx(120.5 / 600)
    assert body["season"] is None
    assert body["episode"] is None


def test_nothing_saved_reads_as_the_start(api_as, viewer, film) -> None:
    body = api_as(viewer).get(f"/api/progress/{film.public_id}/").json()

    assert (body["position"], body["watched"], body["updated_at"]) == (0.0, False, None)


def test_progress_belongs_to_the_episode_not_to_one_of_its_files(api_as, viewer, tenant) -> None:
    # given an episode stored twice (an original and a web version, say)
    episode = EpisodeFactory(season__title__tenant=tenant, season__number=2, number=5)
    original = MediaFileFactory(title=episode.season.title, episode=episode, height=1080)
    web = MediaFileFactory(title=episode.season.title, episode=episode, height=720)
    client = api_as(viewer)

    # when the viewer plays one of them
    put(client, web, position=300, duration=1200)

    # then the other resumes there too, and says which one was played
    body = client.get(f"/api/progress/{original.public_id}/").json()
    assert (body["position"], body["file"]) == (300.0, web.public_id)
    assert (body["season"], body["episode"]) == (2, 5)


def test_ninety_percent_marks_it_watched_for_good(api_as, viewer, film) -> None:
    client = api_as(viewer)

    almost = put(client, film, position=539, duration=600).json()
    watched = put(client, film, position=540, duration=600).json()
    again = put(client, film, position=30, duration=600).json()  # watching it again

    assert almost["watched"] is False
    assert watched["watched"] is True
    assert (again["watched"], again["watched_at"]) == (True, watched["watched_at"])
    assert again["position"] == 30.0


def test_the_files_own_duration_wins_over_the_players(api_as, viewer, film) -> None:
    body = put(api_as(viewer), film, position=590, duration=10_000).json()

    assert (body["duration"], body["watched"]) == (600.0, True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"position": -1, "duration": 600}, "position"),
        ({"position": 700, "duration": 600}, "position"),  # past the end
        ({"position": 10, "duration": 0}, "duration"),
        ({"position": 10, "duration": 30 * 24 * 3600}, "duration"),
        ({"position": "soon", "duration": 600}, "position"),
        ({"duration": 600}, "position"),
        ({"position": 10}, "duration"),
    ],
)
def test_bad_input_is_refused_with_the_field_that_is_wrong(
    api_as, viewer, film, body, field
) -> None:
    client = api_as(viewer)

    response = client.put(f"/api/progress/{film.public_id}/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert client.get(f"/api/progress/{film.public_id}/").json()["updated_at"] is None


def test_not_a_number_is_refused(api_as, viewer, film) -> None:
    client = api_as(viewer)

    for raw in ('{"position": NaN, "duration": 600}', '{"position": 1e999, "duration": 600}'):
        response = client.put(
            f"/api/progress/{film.public_id}/", raw, content_type="application/json"
        )
        assert response.status_code == 400, raw
    assert client.get(f"/api/progress/{film.public_id}/").json()["updated_at"] is None


def test_another_viewers_progress_is_invisible(api_as, viewer, tenant, film) -> None:
    other = UserFactory(username="other-viewer")
    Membership.objects.create(tenant=tenant, user=other, role=Membership.Role.VIEWER)
    put(api_as(viewer), film, position=200, duration=600)

    theirs = api_as(other)

    assert theirs.get(f"/api/progress/{film.public_id}/").json()["position"] == 0.0
    assert theirs.get("/api/progress/").json()["results"] == []
    assert theirs.get("/api/progress/continue/").json() == []


def test_another_tenants_file_and_progress_are_out_of_reach(
    api_as, viewer, outsider, other_tenant, film
) -> None:
    # given a viewer of both sites with progress on site A
    Membership.objects.create(tenant=other_tenant, user=viewer, role=Membership.Role.VIEWER)
    put(api_as(viewer), film, position=200, duration=600)

    # then site B lists none of it and knows no such file, for them or for its own members
    on_b = api_as(viewer, host=TENANT_B_HOST)
    assert on_b.get("/api/progress/").json()["results"] == []
    assert on_b.get("/api/progress/continue/").json() == []
    assert on_b.get(f"/api/progress/{film.public_id}/").status_code == 404
    assert put(on_b, film, position=1, duration=600).status_code == 404
    outsiders = api_as(outsider, host=TENANT_B_HOST)
    assert outsiders.delete(f"/api/progress/{film.public_id}/").status_code == 404
    # and on site A, a non-member is refused
    assert api_as(outsider).get(f"/api/progress/{film.public_id}/").status_code == 403
    assert api_as(viewer).get(f"/api/progress/{film.public_id}/").json()["position"] == 200.0


def test_anonymous_clients_must_authenticate(api_as, film) -> None:
    response = put(api_as(None), film, position=1, duration=600)

    assert response.status_code in (401, 403)


def test_a_signed_in_browser_must_send_the_csrf_token(viewer, film) -> None:
    client = APIClient(HTTP_HOST="tenant-a.test", enforce_csrf_checks=True)
    client.force_login(viewer)

    response = put(client, film, position=1, duration=600)

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_delete_forgets_it(api_as, viewer, film) -> None:
    client = api_as(viewer)
    put(client, film, position=590, duration=600)

    gone = client.delete(f"/api/progress/{film.public_id}/")

    assert gone.status_code == 204
    assert client.get(f"/api/progress/{film.public_id}/").json()["watched"] is False
    assert client.get("/api/progress/").json()["results"] == []


def test_the_list_is_the_most_recent_first_and_filters_by_title(api_as, viewer, tenant) -> None:
    first = MediaFileFactory(title=TitleFactory(tenant=tenant), duration=100.0)
    second = MediaFileFactory(title=TitleFactory(tenant=tenant), duration=100.0)
    client = api_as(viewer)
    with time_machine.travel(datetime(2026, 1, 1, 20, 0, tzinfo=UTC), tick=False):
        put(client, second, position=10, duration=100)
    with time_machine.travel(datetime(2026, 1, 1, 21, 0, tzinfo=UTC), tick=False):
        put(client, first, position=10, duration=100)

    listed = client.get("/api/progress/").json()["results"]
    filtered = client.get(f"/api/progress/?title={second.title.slug}").json()["results"]

    assert [item["file"] for item in listed] == [first.public_id, second.public_id]
    assert listed[0]["updated_at"] == "2026-01-01T21:00:00Z"
    assert [item["file"] for item in filtered] == [second.public_id]


def test_continue_watching_resumes_films_and_offers_next_episodes(api_as, viewer, tenant) -> None:
    part_way = MediaFileFactory(title=TitleFactory(tenant=tenant, title="Part way"), duration=100.0)
    done = MediaFileFactory(title=TitleFactory(tenant=tenant, title="Done"), duration=100.0)
    pilot = EpisodeFactory(season__title__tenant=tenant, season__number=1, number=1)
    second = EpisodeFactory(season=pilot.season, number=2)
    pilot_file = MediaFileFactory(title=pilot.season.title, episode=pilot, duration=100.0)
    second_file = MediaFileFactory(title=pilot.season.title, episode=second, duration=100.0)
    client = api_as(viewer)
    put(client, part_way, position=40, duration=100)
    put(client, done, position=99, duration=100)
    put(client, pilot_file, position=100, duration=100)

    row = client.get("/api/progress/continue/").json()

    assert [(item["file"], item["position"], item["next_up"]) for item in row] == [
        (second_file.public_id, 0.0, True),
        (part_way.public_id, 40.0, False),
    ]
    assert (row[0]["season"], row[0]["episode"]) == (1, 2)


def test_the_schema_describes_progress(client, tenant) -> None:
    response = client.get("/api/schema/", HTTP_HOST="tenant-a.test", HTTP_ACCEPT="application/json")

    paths = response.json()["paths"]
    assert {"get", "put", "delete"} <= set(paths["/api/progress/{public_id}/"])
    assert "/api/progress/" in paths
    assert "/api/progress/continue/" in paths
    body = response.json()["components"]["schemas"]["ProgressUpdate"]
    assert set(body["required"]) == {"position", "duration"}


def test_the_continue_row_costs_the_same_for_few_and_many_cards(api_as, viewer, tenant) -> None:
    def seed(count: int) -> None:
        for _ in range(count):
            # a finished episode (its card: the next one), an episode part-way, and a film
            # part-way whose file is gone (no card: no other file to fall back on)
            finished = EpisodeFactory(season__title__tenant=tenant, number=1)
            done = MediaFileFactory(title=finished.season.title, episode=finished, duration=100.0)
            following = EpisodeFactory(season=finished.season, number=2)
            MediaFileFactory(title=following.season.title, episode=following, duration=100.0)
            progress_save(user=viewer, media_file=done, position=100, duration=100)
            part_way = EpisodeFactory(season__title__tenant=tenant, number=1)
            started = MediaFileFactory(title=part_way.season.title, episode=part_way)
            progress_save(user=viewer, media_file=started, position=50, duration=100)
            film = MediaFileFactory(title=TitleFactory(tenant=tenant), duration=100.0)
            progress_save(user=viewer, media_file=film, position=50, duration=100)
            film.delete()

    def queries() -> tuple[int, int, set[tuple[int, bool]]]:
        client = api_as(type(viewer).objects.get(pk=viewer.pk))
        with CaptureQueriesContext(connection) as captured:
            row = client.get("/api/progress/continue/").json()
        return len(captured), len(row), {(item["episode"], item["next_up"]) for item in row}

    seed(2)
    few = queries()
    seed(10)
    many = queries()

    assert (few[1], many[1]) == (4, 12)
    assert few[2] == many[2] == {(2, True), (1, False)}
    assert few[0] == many[0]
