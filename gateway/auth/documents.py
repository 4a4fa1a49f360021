"""Stored clients of the gateway."""

from __future__ import annotations

from mongoengine import BooleanField, DateTimeField, Document, ListField, StringField

ROLES = ("school", "board", "provider", "third_party", "student_app")


class ApiClient(Document):
    """A registered API client: a system acting for one organisation in one role."""

    client_id = StringField(primary_key=True)
    secret_hash = StringField(required=True)
    name = StringField(required=True, max_length=200)
    role = StringField(required=True, choices=ROLES)
    scopes = ListField(StringField(), required=True)
    organisation = StringField()
    created_at = DateTimeField(required=True)
    disabled = BooleanField(default=False)
    # The xAPI version of the client's latest request that named one: what the LRS declares when a
    # request of this client names none (gateway.lrs.versions).
    last_xapi_version = StringField()

    meta = {"collection": "api_clients", "auto_create_index": False, "indexes": ["name"]}


DOCUMENTS = (ApiClient,)
