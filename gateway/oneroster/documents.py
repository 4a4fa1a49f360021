"""Per-org settings of the roster that are the gateway's own, not OneRoster data."""

from __future__ import annotations

from datetime import UTC, datetime

from mongoengine import DateTimeField, Document, StringField


class OrgIdentity(Document):
    """The xAPI account homePage of an org's users, when it is not the default one
    (see gateway.oneroster.identity)."""

    org_sourced_id = StringField(primary_key=True)
    home_page = StringField(required=True)
    updated_at = DateTimeField(required=True)

    meta = {"collection": "oneroster_org_identities", "auto_create_index": False}


DOCUMENTS = (OrgIdentity,)


def configured_home_page(org_sourced_id: str) -> str | None:
    setting = OrgIdentity.objects(org_sourced_id=org_sourced_id).only("home_page").first()
    return setting.home_page if setting else None


def save_home_page(org_sourced_id: str, home_page: str) -> None:
    OrgIdentity.objects(org_sourced_id=org_sourced_id).update_one(
        set__home_page=home_page, set__updated_at=datetime.now(UTC), upsert=True
    )


def forget_home_page(org_sourced_id: str) -> None:
    OrgIdentity.objects(org_sourced_id=org_sourced_id).delete()
