"""The OpenAPI document is committed and in sync; /docs works with no network."""

from __future__ import annotations

import json
import re
from pathlib import Path

from gateway.cli import OPENAPI_PATH, generate_openapi, render_openapi

REPO = Path(__file__).resolve().parents[2]


def test_committed_openapi_matches_the_app():
    committed = (REPO / OPENAPI_PATH).read_text()
    generated = render_openapi(generate_openapi())
    assert committed == generated, (
        "openapi/openapi.json is stale: run `make openapi` (kakehashi openapi write)"
    )


def test_openapi_documents_every_route(app):
    document = json.loads((REPO / OPENAPI_PATH).read_text())
    documented = {re.sub(r"\{[^}]+\}", "<>", path) for path in document["paths"]}
    internal = {"/openapi.json", "/docs", "/static/<>", "/docs/assets/<>"}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "<>", rule.rule)
        if path not in internal:
            assert path in documented, f"{rule.rule} is not in the OpenAPI document"


def test_docs_page_loads_its_assets_locally(client):
    page = client.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources, "the page references its scripts and styles"
    for source in sources:
        assert source.startswith("/"), f"{source} would need a network"
        with client.get(source) as asset:
            assert asset.status_code == 200
    assert client.get("/openapi.json").json["info"]["title"] == "Kakehashi gateway"
