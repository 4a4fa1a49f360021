"""The API documentation UI at /docs, with Swagger UI's assets served locally (no CDN), since
schools often run on closed networks. The assets come from the swagger-ui-bundle package."""

from __future__ import annotations

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/docs/assets/"

blp = Blueprint("docs_assets", __name__)


@blp.route(ASSETS_URL + "<path:filename>")
def swagger_ui_asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


OPENAPI_SETTINGS = {
    "API_TITLE": "Kakehashi gateway",
    "API_VERSION": "0.1.0",
    # Swagger UI 4 (the version swagger-ui-bundle ships) renders OpenAPI 3.0.x.
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    "OPENAPI_SWAGGER_UI_URL": ASSETS_URL,
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Kakehashi exchanges learning data between schools, after-school providers and "
                "approved third parties, with the student's consent and within each municipality's "
                "security rules: an xAPI Learning Record Store (1.0.3 and 2.0), OneRoster rostering, "
                "OAuth2 and a release policy engine."
            ),
            "license": {"name": "Apache-2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0"},
        },
        "components": {
            "securitySchemes": {
                "basicAuth": {
                    "type": "http",
                    "scheme": "basic",
                    "description": "client_id / client_secret",
                },
            }
        },
    },
}
