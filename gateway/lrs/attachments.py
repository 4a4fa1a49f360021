"""Statement attachments: multipart/mixed requests and responses, matching parts to attachment
objects by SHA-2, and storing the content once per hash (GridFS) outside statement documents."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from requests_toolbelt.multipart.decoder import MultipartDecoder, NonMultipartContentTypeException

from gateway.errors import BadRequest

HASH_HEADER = "X-Experience-API-Hash"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"


@dataclass(frozen=True)
class AttachmentPart:
    """One attachment's content as received: its declared hash, media type and bytes."""

    sha2: str
    content_type: str
    content: bytes


def _header(part, name: str) -> str | None:
    for key, value in part.headers.items():
        if key.decode("latin-1").lower() == name.lower():
            return value.decode("latin-1").strip()
    return None


def parse_multipart_statements(body: bytes, content_type: str) -> tuple[object, dict[str, AttachmentPart]]:
    """The statement JSON (first part) and the attachment parts keyed by their SHA-2 hash.

    xAPI: the first part is application/json; every other part carries X-Experience-API-Hash,
    which must be the SHA-2 of its content."""
    try:
        decoder = MultipartDecoder(body, content_type)
    except (NonMultipartContentTypeException, ValueError) as error:
        raise BadRequest(
            f"malformed multipart/mixed body: {error}", details={"header": "Content-Type"}
        ) from None
    parts = list(decoder.parts)
    if not parts:
        raise BadRequest("the multipart body has no parts", details={"property": "body"})
    first, *rest = parts
    if (_header(first, "Content-Type") or "").split(";")[0].strip().lower() != "application/json":
        raise BadRequest("the first part must be the statements as application/json", details={"part": 0})
    try:
        statements = json.loads(first.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest(f"the statements part is not valid JSON: {error}", details={"part": 0}) from None
    attachments: dict[str, AttachmentPart] = {}
    for index, part in enumerate(rest, start=1):
        declared = _header(part, HASH_HEADER)
        if not declared:
            raise BadRequest(f"part {index} has no {HASH_HEADER} header", details={"part": index})
        if not _matches_sha2(declared, part.content):
            raise BadRequest(
                f"part {index}: {HASH_HEADER} does not match its content", details={"part": index}
            )
        attachments[declared.lower()] = AttachmentPart(
            declared.lower(), _header(part, "Content-Type") or "application/octet-stream", part.content
        )
    return statements, attachments


def _matches_sha2(declared: str, content: bytes) -> bool:
    """xAPI allows any SHA-2 variant; the hex length tells which."""
    algorithm = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}.get(
        len(declared)
    )
    return algorithm is not None and algorithm(content).hexdigest() == declared.lower()


def match_parts(statements: list[dict], parts: dict[str, AttachmentPart]) -> None:
    """Every attachment without a fileUrl has its part, and every part belongs to an attachment."""
    referenced = set()
    for index, statement in enumerate(statements):
        for position, attachment in enumerate(_attachments_of(statement)):
            sha2 = str(attachment.get("sha2", "")).lower()
            referenced.add(sha2)
            if sha2 not in parts and "fileUrl" not in attachment:
                raise BadRequest(
                    f"statements[{index}].attachments[{position}] has no fileUrl and no part with its sha2",
                    details={"property": f"statements[{index}].attachments[{position}].sha2"},
                )
    unreferenced = sorted(set(parts) - referenced)
    if unreferenced:
        raise BadRequest(
            "attachment parts match no attachment of the statements", details={"sha2": unreferenced}
        )


def _attachments_of(statement: dict) -> list[dict]:
    attachments = statement.get("attachments") if isinstance(statement, dict) else None
    return attachments if isinstance(attachments, list) else []


def multipart_response(document: object, parts: list[AttachmentPart]) -> tuple[bytes, str]:
    """A multipart/mixed body: the JSON document first, then each attachment."""
    boundary = "kakehashi-" + secrets.token_hex(16)
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(document, ensure_ascii=False).encode(),
    ]
    for part in parts:
        chunks.append(
            (
                f"\r\n--{boundary}\r\nContent-Type: {part.content_type}\r\n"
                f"Content-Transfer-Encoding: binary\r\n{HASH_HEADER}: {part.sha2}\r\n\r\n"
            ).encode()
        )
        chunks.append(part.content)
    chunks.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/mixed; boundary={boundary}"


def referenced_hashes(statements: list[dict]) -> list[str]:
    seen: dict[str, None] = {}
    for statement in statements:
        for attachment in _attachments_of(statement):
            seen.setdefault(str(attachment.get("sha2", "")).lower())
    return [sha2 for sha2 in seen if sha2]
