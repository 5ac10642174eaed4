"""Every endpoint in the OpenAPI schema, asked by a curator with hostile path values, query
values and JSON bodies, answers a 2xx or an error that says why (JSON): never a 500. (A small,
deterministic stand-in for a schema fuzzer: the values are the ones that broke things.)"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.factories import MediaFileFactory, SeriesFactory, SourceFactory, TitleFactory

pytestmark = pytest.mark.django_db

HOSTILE = ["0", str(2**63), "9" * 5000, "%C2%B2", "a" * 300]
BODIES = [[], "x", {"url": "http://[::1", "label": "\u0000", "group_order": ["\ud800"]}]


def requests_from_schema(schema: dict, values: list[str]):
    """(method, path with query, body) for each operation, value and body: each value in
    every path parameter and every query parameter at once; each request once (an operation
    without parameters would otherwise be asked the same for every value)."""
    asked = set()
    for template, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            parameters = operation.get("parameters", [])
            for value in values:
                path = template
                for parameter in parameters:
                    if parameter["in"] == "path":
                        path = path.replace("{" + parameter["name"] + "}", value)
                query = "&".join(f"{p['name']}={value}" for p in parameters if p["in"] == "query")
                path += f"?{query}" if query else ""
                for body in BODIES if method in ("post", "put", "patch") else [None]:
                    request = (method.upper(), path, json.dumps(body))
                    if request not in asked:
                        asked.add(request)
                        yield method.upper(), path, body


def test_no_endpoint_answers_hostile_input_with_a_5xx(tenant, curator, settings) -> None:
    settings.INGEST_ALLOW_HOSTS = []
    series = SeriesFactory(source=SourceFactory(tenant=tenant))
    media_file = MediaFileFactory(title=TitleFactory(tenant=tenant))
    # real ones too, so that hostile bodies reach past the lookups
    real = [series.slug, str(series.source_id), media_file.public_id, media_file.title.slug]
    client = Client(HTTP_HOST="tenant-a.test", raise_request_exception=False)
    client.force_login(curator)
    schema = json.loads(client.get("/api/schema/?format=json").content)

    failures, asked = [], 0
    for method, path, body in requests_from_schema(schema, HOSTILE + real):
        kwargs = (
            {} if body is None else {"data": json.dumps(body), "content_type": "application/json"}
        )
        response = client.generic(method, path, **kwargs)
        asked += 1
        # a 503 saying why is fine here: no Redis runs (a source search's rate limit needs it)
        if response.status_code == 500 or (
            response.status_code >= 400 and response["Content-Type"].startswith("text/html")
        ):
            failures.append((method, path[:80], response.status_code, response.content[:120]))

    assert asked > 300  # the schema was read
    assert failures == []
