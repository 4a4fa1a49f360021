"""Signed statements (xAPI Data §2.6): the JWS in a signature attachment is checked with joserfc
and the `cryptography` X.509 support; no hand-written cryptography."""

from __future__ import annotations

import base64

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey

from gateway.errors import BadRequest
from gateway.lrs.attachments import SIGNATURE_USAGE, AttachmentPart
from gateway.lrs.comparison import equivalent
from gateway.lrs.jsontext import parse_json

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512")


class _SignatureRegistry(jws.JWSRegistry):
    """joserfc's JWS rules with room for an x5c chain in the protected header: its default limit
    (512 bytes) cannot hold even one certificate (about 1.5 KB each, base64 DER in base64url JSON)."""

    max_header_length = 16 * 1024


_REGISTRY = _SignatureRegistry(algorithms=ALLOWED_ALGORITHMS)


def _invalid(index: int, why: str) -> BadRequest:
    return BadRequest(
        f"statements[{index}] has an invalid signature: {why}",
        details={"property": f"statements[{index}].attachments"},
    )


def _certificate_key(chain: list[str], index: int) -> RSAKey:
    """The public key of the leaf certificate of an x5c chain whose links each verify."""
    try:
        certificates = [x509.load_der_x509_certificate(base64.b64decode(entry)) for entry in chain]
        for certificate, issuer in zip(certificates, certificates[1:], strict=False):
            certificate.verify_directly_issued_by(issuer)
        return RSAKey.import_key(certificates[0].public_key())
    except (ValueError, TypeError, InvalidSignature) as error:
        raise _invalid(index, f"the x5c certificate chain does not verify ({error})") from None


def verify_signatures(statements: list[dict], parts: dict[str, AttachmentPart]) -> None:
    for index, statement in enumerate(statements):
        signatures = [a for a in statement.get("attachments") or () if a.get("usageType") == SIGNATURE_USAGE]
        for attachment in signatures:
            if str(attachment.get("contentType", "")).split(";")[0].strip() != "application/octet-stream":
                raise _invalid(index, "a signature attachment must have contentType application/octet-stream")
            part = parts.get(str(attachment.get("sha2", "")).lower())
            if part is None:
                raise _invalid(index, "the signature attachment has no part")
            _verify(index, statement, part.content)


def _verify(index: int, statement: dict, token: bytes) -> None:
    try:
        compact = jws.extract_compact(token.strip(), registry=_REGISTRY)
    except (JoseError, ValueError, UnicodeDecodeError) as error:
        raise _invalid(index, f"not a JWS compact serialization ({error})") from None
    algorithm = compact.protected.get("alg")
    if algorithm not in ALLOWED_ALGORITHMS:
        raise _invalid(index, f"algorithm {algorithm!r} is not one of {', '.join(ALLOWED_ALGORITHMS)}")
    chain = compact.protected.get("x5c")
    if chain:
        key = _certificate_key(chain, index)
        try:
            jws.deserialize_compact(token.strip(), key, registry=_REGISTRY)
        except (JoseError, ValueError) as error:
            raise _invalid(
                index, f"the signature does not verify with the x5c certificate ({error})"
            ) from None
    try:
        payload = parse_json(compact.payload)
    except (ValueError, UnicodeDecodeError):
        raise _invalid(index, "the JWS payload is not a JSON statement") from None
    unsigned = {key: value for key, value in statement.items() if key != "attachments"}
    if not isinstance(payload, dict) or not equivalent(
        {key: value for key, value in payload.items() if key != "attachments"}, unsigned
    ):
        raise _invalid(index, "the JWS payload differs from the statement")
