"""Attachments in multipart/mixed requests and responses, and signed statements."""

from __future__ import annotations

import hashlib
import json
import uuid

from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jws
from joserfc.jwk import OctKey, RSAKey

from gateway.lrs import repository
from gateway.lrs.attachments import AttachmentPart
from tests.api.test_xapi_slice import statement

BOUNDARY = "xapi-test-boundary"
SIGNATURE = "http://adlnet.gov/expapi/attachments/signature"


def multipart(document, parts: list[tuple[str, bytes]]) -> bytes:
    chunks = [
        f"--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(document).encode(),
    ]
    for content_type, content in parts:
        sha2 = hashlib.sha256(content).hexdigest()
        chunks.append(
            f"\r\n--{BOUNDARY}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n".encode()
        )
        chunks.append(content)
    chunks.append(f"\r\n--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


def attachment(content: bytes, content_type="text/plain", usage="http://example.com/usage/notes") -> dict:
    return {
        "usageType": usage,
        "display": {"ja": "メモ"},
        "contentType": content_type,
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
    }


def post_multipart(client, headers, body: bytes):
    return client.post(
        "/xapi/statements",
        data=body,
        headers={**headers, "Content-Type": f"multipart/mixed; boundary={BOUNDARY}"},
    )


def test_attachment_round_trip(client, xapi_headers):
    content = "コーチングメモ: 二次関数の頂点".encode()
    body = statement(id=str(uuid.uuid4()), attachments=[attachment(content)])
    response = post_multipart(client, xapi_headers, multipart(body, [("text/plain", content)]))
    assert response.status_code == 200, response.json
    fetched = client.get(
        "/xapi/statements",
        query_string={"statementId": body["id"], "attachments": "true"},
        headers=xapi_headers,
    )
    assert fetched.status_code == 200
    assert fetched.mimetype == "multipart/mixed"
    assert content in fetched.data
    assert hashlib.sha256(content).hexdigest().encode() in fetched.data


def test_attachment_without_its_part_is_rejected(client, xapi_headers):
    body = statement(attachments=[attachment(b"missing")])
    assert client.post("/xapi/statements", json=body, headers=xapi_headers).status_code == 400
    assert post_multipart(client, xapi_headers, multipart(body, [])).status_code == 400


def test_part_with_a_wrong_hash_or_no_attachment_is_rejected(client, xapi_headers):
    content = b"data"
    unreferenced = post_multipart(client, xapi_headers, multipart(statement(), [("text/plain", content)]))
    assert unreferenced.status_code == 400
    bad = multipart(statement(attachments=[attachment(content)]), [("text/plain", content)]).replace(
        b"\r\n\r\ndata", b"\r\n\r\nDATA"
    )
    assert post_multipart(client, xapi_headers, bad).status_code == 400


def test_file_url_only_attachments_need_no_part(client, xapi_headers):
    remote = {**attachment(b"remote"), "fileUrl": "https://files.example/notes.txt"}
    assert (
        client.post(
            "/xapi/statements", json=statement(attachments=[remote]), headers=xapi_headers
        ).status_code
        == 200
    )


def _signed(body: dict, algorithm: str = "RS256", key=None) -> tuple[dict, bytes]:
    key = key or RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    token = jws.serialize_compact({"alg": algorithm}, json.dumps(body), key, algorithms=[algorithm]).encode()
    return {**body, "attachments": [attachment(token, "application/octet-stream", SIGNATURE)]}, token


def test_signed_statements_are_verified(client, xapi_headers):
    for algorithm in ("RS256", "RS384", "RS512"):
        signed, token = _signed(statement(id=str(uuid.uuid4())), algorithm)
        response = post_multipart(
            client, xapi_headers, multipart(signed, [("application/octet-stream", token)])
        )
        assert response.status_code == 200, (algorithm, response.json)


def test_bad_signatures_are_rejected(client, xapi_headers):
    hmac_signed, token = _signed(statement(id=str(uuid.uuid4())), "HS256", OctKey.import_key(b"k" * 32))
    assert (
        post_multipart(
            client, xapi_headers, multipart(hmac_signed, [("application/octet-stream", token)])
        ).status_code
        == 400
    )

    signed, token = _signed(statement(id=str(uuid.uuid4())))
    tampered = {**signed, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    assert (
        post_multipart(
            client, xapi_headers, multipart(tampered, [("application/octet-stream", token)])
        ).status_code
        == 400
    )

    garbage = b"not-a-jws"
    broken = {**statement(), "attachments": [attachment(garbage, "application/octet-stream", SIGNATURE)]}
    assert (
        post_multipart(
            client, xapi_headers, multipart(broken, [("application/octet-stream", garbage)])
        ).status_code
        == 400
    )


# RFC 2046 §5.1.1 framing, as xAPI 1.0.3 Communication 1.5.2 / 2.0 4.1.3 require it.


def _valid_body() -> tuple[dict, bytes]:
    content = b"notes"
    return statement(id=str(uuid.uuid4()), attachments=[attachment(content)]), content


def test_a_preamble_and_an_epilogue_are_ignored(client, xapi_headers):
    body, content = _valid_body()
    framed = b"This is the preamble.\r\n" + multipart(body, [("text/plain", content)]) + b"epilogue"
    assert post_multipart(client, xapi_headers, framed).status_code == 200


def test_the_boundary_parameter_is_required(client, xapi_headers):
    body, content = _valid_body()
    response = client.post(
        "/xapi/statements",
        data=multipart(body, [("text/plain", content)]),
        headers={**xapi_headers, "Content-Type": "multipart/mixed;"},
    )
    assert response.status_code == 400
    assert response.json["error"]["details"] == {"header": "Content-Type"}


def test_statements_before_the_first_boundary_are_a_preamble_not_a_part(client, xapi_headers):
    # XAPI-00131: the statements are not preceded by a boundary, so the first part is the attachment.
    body, content = _valid_body()
    framed = multipart(body, [("text/plain", content)]).removeprefix(f"--{BOUNDARY}\r\n".encode())
    assert post_multipart(client, xapi_headers, framed).status_code == 400


def test_a_missing_delimiter_between_parts_is_rejected(client, xapi_headers):
    # XAPI-00130: the attachment's headers end up inside the statements part.
    body, content = _valid_body()
    framed = multipart(body, [("text/plain", content)]).replace(
        f"\r\n--{BOUNDARY}\r\nContent-Type: text".encode(), b"\r\nContent-Type: text"
    )
    assert post_multipart(client, xapi_headers, framed).status_code == 400


def test_a_body_without_its_close_delimiter_is_rejected(client, xapi_headers):
    body, content = _valid_body()
    framed = multipart(body, [("text/plain", content)]).removesuffix(f"\r\n--{BOUNDARY}--\r\n".encode())
    assert post_multipart(client, xapi_headers, framed).status_code == 400


def test_attachment_parts_need_content_transfer_encoding_binary(client, xapi_headers):
    # XAPI-00135 (1.0.3 Communication 1.5.2.s2.b2.b4).
    body, content = _valid_body()
    framed = multipart(body, [("text/plain", content)])
    missing = framed.replace(b"Content-Transfer-Encoding: binary\r\n", b"")
    assert post_multipart(client, xapi_headers, missing).status_code == 400
    base64 = framed.replace(b"Content-Transfer-Encoding: binary", b"Content-Transfer-Encoding: base64")
    assert post_multipart(client, xapi_headers, base64).status_code == 400
    assert post_multipart(client, xapi_headers, framed).status_code == 200


def test_non_json_numbers_are_rejected_in_the_statements_part(client, xapi_headers):
    body, content = _valid_body()
    framed = multipart({**body, "result": {"score": {"raw": 1}}}, [("text/plain", content)])
    nan = framed.replace(b'"raw": 1', b'"raw": NaN')
    assert post_multipart(client, xapi_headers, nan).status_code == 400


# Attachment contents are stored once per SHA-2, and only for statements that are stored.

VOIDED = {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}}


def _stored_contents(app) -> dict[str, dict]:
    """The attachment contents stored, by SHA-2: the GridFS file record and its chunk count."""
    with app.app_context():
        database = repository.batches().database
        files = database[f"{repository.ATTACHMENT_BUCKET}.files"]
        chunks = database[f"{repository.ATTACHMENT_BUCKET}.chunks"]
        return {
            record["_id"]: {**record, "chunks": chunks.count_documents({"files_id": record["_id"]})}
            for record in files.find()
        }


def test_the_same_content_in_two_requests_is_stored_once(app, client, xapi_headers):
    content = "同じ添付ファイル".encode()
    sha2 = hashlib.sha256(content).hexdigest()
    ids = []
    for _ in range(2):
        body = statement(id=str(uuid.uuid4()), attachments=[attachment(content)])
        response = post_multipart(client, xapi_headers, multipart(body, [("text/plain", content)]))
        assert response.status_code == 200, response.json
        ids.append(body["id"])
    stored = _stored_contents(app)
    assert list(stored) == [sha2]
    assert stored[sha2]["chunks"] == 1
    assert "writer" not in stored[sha2]["metadata"]  # kept: no request may discard it any more
    for statement_id in ids:
        fetched = client.get(
            "/xapi/statements",
            query_string={"statementId": statement_id, "attachments": "true"},
            headers=xapi_headers,
        )
        assert content in fetched.data


def test_a_request_refused_with_409_stores_no_new_content(app, client, xapi_headers):
    first, kept = _valid_body()
    assert post_multipart(client, xapi_headers, multipart(first, [("text/plain", kept)])).status_code == 200
    refused = b"a different statement with the same id"
    conflicting = {**first, "verb": {"id": "http://adlnet.gov/expapi/verbs/failed"}}
    conflicting["attachments"] = [attachment(kept), attachment(refused)]
    response = post_multipart(
        client, xapi_headers, multipart(conflicting, [("text/plain", kept), ("text/plain", refused)])
    )
    assert response.status_code == 409, response.json
    # The refused request's new content is gone; the content it shared with a stored statement stays.
    assert list(_stored_contents(app)) == [hashlib.sha256(kept).hexdigest()]
    fetched = client.get(
        "/xapi/statements",
        query_string={"statementId": first["id"], "attachments": "true"},
        headers=xapi_headers,
    )
    assert kept in fetched.data


def test_a_request_refused_by_the_voiding_rule_stores_no_content(app, client, xapi_headers):
    voided = client.post("/xapi/statements", json=statement(), headers=xapi_headers).json[0]
    voiding = statement(
        id=str(uuid.uuid4()), verb=VOIDED, object={"objectType": "StatementRef", "id": voided}
    )
    assert client.post("/xapi/statements", json=voiding, headers=xapi_headers).status_code == 200
    content = b"evidence"
    revoiding = statement(
        verb=VOIDED,
        object={"objectType": "StatementRef", "id": voiding["id"]},
        attachments=[attachment(content)],
    )
    response = post_multipart(client, xapi_headers, multipart(revoiding, [("text/plain", content)]))
    assert response.status_code == 400, response.json
    assert "cannot be voided" in response.json["error"]["message"]
    assert _stored_contents(app) == {}


def test_a_failed_writer_does_not_discard_content_another_request_claimed(app):
    part = AttachmentPart(hashlib.sha256(b"shared").hexdigest(), "text/plain", b"shared")
    with app.app_context():
        failing = repository.save_attachment_contents([part])
        succeeding = repository.save_attachment_contents([part])  # concurrent: finds and claims it
        assert failing.hashes == [part.sha2]
        assert succeeding.hashes == []
        repository.discard_attachment_contents(failing)
        assert repository.load_attachment_contents([part.sha2]) == [part]

        alone = AttachmentPart(hashlib.sha256(b"alone").hexdigest(), "text/plain", b"alone")
        repository.discard_attachment_contents(repository.save_attachment_contents([alone]))
        assert repository.load_attachment_contents([alone.sha2]) == []
