from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from readvault.models import Series
from tests.factories import SeriesFactory, SourceFactory, page_image, stored_chapter

PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's


def basic(username: str, password: str = PASSWORD) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def library(tenant, vault) -> dict:
    """Three series: one followed with two releases of chapter 1 and a chapter 2, one
    unfollowed with a chapter, one without chapters yet."""
    source = SourceFactory(tenant=tenant)
    meshi = SeriesFactory(
        source=source,
        title="Dungeon Meshi",
        alt_titles=["Delicious in Dungeon"],
        description="Adventurers cook the monsters they defeat.",
        group_order=["Beta"],
    )
    akira = SeriesFactory(source=source, title="Akira", followed=False)
    blank = SeriesFactory(source=source, title="Blank")
    day = datetime(2024, 1, 5, tzinfo=UTC)
    chapters = {
        "meshi 1 alpha": stored_chapter(
            meshi, "1", [page_image(shade=1)], vault_root=vault, group="Alpha", published_at=day
        ),
        "meshi 1": stored_chapter(
            meshi,
            "1",
            [page_image("PNG", shade=i * 40) for i in range(3)] + [page_image("JPEG")],
            vault_root=vault,
            source_key="beta-1",
            group="Beta",
            language="en",
            title="Hot Pot",
            published_at=day,
        ),
        "meshi 2": stored_chapter(meshi, "2", [page_image(shade=99)], vault_root=vault),
        "akira 1": stored_chapter(akira, "1", [page_image(shade=7)], vault_root=vault),
    }
    Series.objects.filter(id=meshi.id).update(chapters_updated_at=datetime(2024, 2, 1, tzinfo=UTC))
    Series.objects.filter(id=akira.id).update(chapters_updated_at=datetime(2024, 3, 1, tzinfo=UTC))
    return {"meshi": meshi, "akira": akira, "blank": blank, **chapters}
