"""Signed statements whose JWS header carries an x5c certificate chain (xAPI Data 2.6, RFC 7515 4.1.6).

The LRS checks what gateway/lrs/signatures.py promises: every certificate of the chain is directly
issued by the next one, and the JWS verifies with the leaf certificate's key. It does not decide
whether the chain ends in a trusted root.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from joserfc import jws
from joserfc.jwk import RSAKey

from tests.api.test_xapi_attachments import SIGNATURE, attachment, multipart, post_multipart
from tests.api.test_xapi_slice import statement


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _certificate(subject: str, key, issuer: str, issuer_key, *, ca: bool) -> x509.Certificate:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(issuer_key, hashes.SHA256())
    )


def _ca(name: str = "Kakehashi Test CA") -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _key()
    return _certificate(name, key, name, key, ca=True), key


def _leaf(ca: x509.Certificate, ca_key) -> tuple[x509.Certificate, rsa.RSAPrivateKey]:
    key = _key()
    issuer = ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    return _certificate("Learning tool", key, issuer, ca_key, ca=False), key


def _x5c(*certificates: x509.Certificate) -> list[str]:
    return [base64.b64encode(certificate.public_bytes(Encoding.DER)).decode() for certificate in certificates]


def _post_signed(client, headers, signing_key, chain: list[str]):
    body = statement(id=str(uuid.uuid4()))
    token = jws.serialize_compact(
        {"alg": "RS256", "x5c": chain}, json.dumps(body), RSAKey.import_key(signing_key), algorithms=["RS256"]
    ).encode()
    signed = {**body, "attachments": [attachment(token, "application/octet-stream", SIGNATURE)]}
    response = post_multipart(client, headers, multipart(signed, [("application/octet-stream", token)]))
    return response, body["id"]


def _stored(client, headers, statement_id: str) -> bool:
    return (
        client.get(
            "/xapi/statements", query_string={"statementId": statement_id}, headers=headers
        ).status_code
        == 200
    )


def test_a_statement_signed_by_the_leaf_of_its_x5c_chain_is_accepted(client, xapi_headers):
    ca, ca_key = _ca()
    leaf, leaf_key = _leaf(ca, ca_key)
    response, statement_id = _post_signed(client, xapi_headers, leaf_key, _x5c(leaf, ca))
    assert response.status_code == 200, response.json
    assert response.json == [statement_id]


def test_a_signature_not_made_with_the_x5c_leaf_key_is_rejected(client, xapi_headers):
    ca, ca_key = _ca()
    leaf, _ = _leaf(ca, ca_key)
    response, statement_id = _post_signed(client, xapi_headers, _key(), _x5c(leaf, ca))
    assert response.status_code == 400
    assert "statements[0] has an invalid signature" in response.json["error"]["message"]
    assert "does not verify with the x5c certificate" in response.json["error"]["message"]
    assert not _stored(client, xapi_headers, statement_id)


def test_a_chain_whose_leaf_was_not_issued_by_the_next_certificate_is_rejected(client, xapi_headers):
    ca, ca_key = _ca()
    leaf, leaf_key = _leaf(ca, ca_key)
    impostor, _ = _ca()  # the same subject name as the issuer, another key: the leaf's signature fails
    other, _ = _ca("Another CA")  # another name: the leaf names a different issuer
    for next_certificate in (impostor, other):
        response, statement_id = _post_signed(client, xapi_headers, leaf_key, _x5c(leaf, next_certificate))
        assert response.status_code == 400, next_certificate.subject
        assert "the x5c certificate chain does not verify" in response.json["error"]["message"]
        assert not _stored(client, xapi_headers, statement_id)


def test_an_x5c_entry_that_is_not_a_certificate_is_rejected(client, xapi_headers):
    response, _ = _post_signed(
        client, xapi_headers, _key(), [base64.b64encode(b"not a certificate").decode()]
    )
    assert response.status_code == 400
    assert "the x5c certificate chain does not verify" in response.json["error"]["message"]
