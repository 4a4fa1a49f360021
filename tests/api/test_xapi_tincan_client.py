"""A real xAPI client library (TinCanPython, 1.0.3) against the gateway over HTTP."""

from __future__ import annotations

import uuid

from tincan import Activity, ActivityDefinition, Agent, AgentAccount, LanguageMap, RemoteLRS, Statement, Verb


def _lrs(live_server: str, credentials) -> RemoteLRS:
    client_id, client_secret = credentials
    return RemoteLRS(
        endpoint=f"{live_server}/xapi/", version="1.0.3", username=client_id, password=client_secret
    )


def _statement() -> Statement:
    return Statement(
        id=uuid.uuid4(),
        actor=Agent(
            name="生徒 花子", account=AgentAccount(home_page="https://id.school.example", name="s-002")
        ),
        verb=Verb(id="http://adlnet.gov/expapi/verbs/completed", display=LanguageMap({"en-US": "completed"})),
        object=Activity(
            id="https://kakehashi.example/units/8350213111100000",
            definition=ActivityDefinition(name=LanguageMap({"ja": "正の数と負の数"})),
        ),
    )


def test_tincan_saves_retrieves_and_queries(live_server, make_credentials):
    # lrs.about() is not used: TinCanPython refuses an About that also lists "2.0.0".
    lrs = _lrs(live_server, make_credentials("all"))
    statement = _statement()
    saved = lrs.save_statement(statement)
    assert saved.success, saved.data

    fetched = lrs.retrieve_statement(str(statement.id))
    assert fetched.success, fetched.data
    assert fetched.content.id == statement.id
    assert fetched.content.object.definition.name["ja"] == "正の数と負の数"

    batch = lrs.save_statements([_statement() for _ in range(3)])
    assert batch.success, batch.data

    queried = lrs.query_statements({"limit": 2})
    assert queried.success, queried.data
    assert len(queried.content.statements) == 2
    more = lrs.more_statements(queried.content)
    assert more.success, more.data
    assert len(more.content.statements) == 2


def test_tincan_sees_wrong_credentials_rejected(live_server, make_credentials):
    client_id, _ = make_credentials("all")
    response = _lrs(live_server, (client_id, "not-the-secret")).save_statement(_statement())
    assert not response.success
    assert response.response.status == 401
