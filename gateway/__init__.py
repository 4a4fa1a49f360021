"""Kakehashi gateway: the Flask application factory."""

from __future__ import annotations

from flask import Flask

from gateway.auth.documents import DOCUMENTS as AUTH_DOCUMENTS
from gateway.config import config_from_env, data_dir, persistent_secret_key
from gateway.demo.documents import DOCUMENTS as DEMO_DOCUMENTS
from gateway.docs import OPENAPI_SETTINGS
from gateway.extensions import Api
from gateway.http_errors import register_error_handlers
from gateway.logging import configure_logging, init_request_logging
from gateway.lrs.activities.models import DOCUMENTS as ACTIVITY_DOCUMENTS
from gateway.lrs.alternate_syntax import AlternateRequestSyntax
from gateway.lrs.documents import DOCUMENTS as LRS_DOCUMENTS
from gateway.lrs.xapi_documents.models import DOCUMENTS as XAPI_DOCUMENT_DOCUMENTS
from gateway.oneroster.documents import DOCUMENTS as ROSTER_IDENTITY_DOCUMENTS
from gateway.oneroster.repository import DOCUMENTS as ROSTER_DOCUMENTS
from gateway.policy.audit import DOCUMENTS as AUDIT_DOCUMENTS
from gateway.policy.consent import DOCUMENTS as CONSENT_DOCUMENTS
from gateway.policy.release import init_release_policy
from gateway.policy.rights import DOCUMENTS as RIGHTS_DOCUMENTS
from gateway.storage.connection import connect
from gateway.units.documents import DOCUMENTS as UNIT_DOCUMENTS

# Every stored document type, for index creation and test clean-up.
DOCUMENTS = (
    *AUTH_DOCUMENTS,
    *LRS_DOCUMENTS,
    *XAPI_DOCUMENT_DOCUMENTS,
    *ACTIVITY_DOCUMENTS,
    *DEMO_DOCUMENTS,
    *ROSTER_DOCUMENTS,
    *ROSTER_IDENTITY_DOCUMENTS,
    *UNIT_DOCUMENTS,
    *CONSENT_DOCUMENTS,
    *AUDIT_DOCUMENTS,
    *RIGHTS_DOCUMENTS,
)


def create_app(config: dict | None = None) -> Flask:
    """Builds the gateway. `config` overrides what the environment says (gateway.config).

    Creating the app does not touch the database, so the gateway starts (and /readyz reports 503)
    while the database is down.
    """
    from gateway import docs, health
    from gateway.auth import views as auth_views
    from gateway.auth.server import init_oauth
    from gateway.lrs import views as lrs_views
    from gateway.lrs.activities import views as activity_views
    from gateway.lrs.xapi_documents import views as document_views
    from gateway.oneroster import views as oneroster_views
    from gateway.policy import audit_views, consent_views, explain_views, rights_views
    from gateway.reports import views as report_views
    from gateway.units import views as unit_views
    from gateway.xapi_profile.validation import kakehashi_profile

    app = Flask(__name__)
    app.config.update(OPENAPI_SETTINGS)
    app.config.update(config_from_env())
    app.config.update(config or {})
    if not app.config.get("MONGODB_URI"):
        raise RuntimeError(
            "MONGODB_URI is not set: point it at MongoDB, or use `kakehashi serve`, which starts the embedded database"
        )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = persistent_secret_key(data_dir(app.config))
    app.json.sort_keys = False
    app.json.ensure_ascii = False

    configure_logging(app.config["KAKEHASHI_LOG_LEVEL"])
    connect(app.config["MONGODB_URI"], app.config["MONGODB_DB"], app.config["KAKEHASHI_DB_TIMEOUT_MS"])

    api = Api(app)
    register_error_handlers(app)
    init_request_logging(app)
    api.register_blueprint(health.blp)
    init_oauth(app)
    api.register_blueprint(auth_views.blp)
    api.register_blueprint(lrs_views.blp)
    api.register_blueprint(document_views.blp)
    api.register_blueprint(activity_views.blp)
    api.register_blueprint(unit_views.blp)
    api.register_blueprint(report_views.blp)
    for blueprint in (
        consent_views.blp,
        consent_views.me_blp,
        audit_views.blp,
        audit_views.me_blp,
        rights_views.blp,
        explain_views.blp,
    ):
        api.register_blueprint(blueprint)
    oneroster_views.register(app, api)
    app.register_blueprint(docs.blp)
    # the catalog and security profiles are validated here: an invalid file stops the start-up
    init_release_policy(app)
    # so is the xAPI profile that statements declaring it are checked against
    kakehashi_profile()
    app.wsgi_app = AlternateRequestSyntax(app.wsgi_app, "/xapi/", app.config["MAX_CONTENT_LENGTH"])
    app.extensions["kakehashi.api"] = api
    return app
