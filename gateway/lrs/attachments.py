"""Statement attachments: multipart/mixed requests and responses, matching parts to attachment
objects by SHA-2, and storing the content once per hash (GridFS) outside statement documents."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass

from werkzeug.http import parse_options_header

from gateway.errors import BadRequest
from gateway.lrs.jsontext import parse_json

HASH_HEADER = "X-Experience-API-Hash"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"


@dataclass(frozen=True)
class AttachmentPart:
    """One attachment's content as received: its declared hash, media type and bytes."""

    sha2: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class _BodyPart:
    headers: dict[str, str]  # lower-case names
    content: bytes


def _boundary(content_type: str) -> bytes:
    _mimetype, options = parse_options_header(content_type)
    boundary = options.get("boundary", "")
    # RFC 2046 §5.1.1: 1 to 70 characters, not ending in a space.
    if not boundary or len(boundary) > 70 or boundary.endswith(" ") or not boundary.isascii():
        raise BadRequest(
            "multipart/mixed needs a boundary parameter in its Content-Type (RFC 2046 §5.1.1)",
            details={"header": "Content-Type"},
        )
    return boundary.encode("ascii")


def _split_body_parts(body: bytes, boundary: bytes) -> list[bytes]:
    """The body parts between the delimiters of an RFC 2046 §5.1.1 multipart body. The preamble
    before the first delimiter and the epilogue after the close delimiter are ignored, as the RFC
    says; a body without a first delimiter or a close delimiter is malformed."""
    delimiter = b"--" + boundary
    if body.startswith(delimiter):
        position = len(delimiter)
    else:
        first = body.find(b"\r\n" + delimiter)
        if first < 0:
            raise BadRequest(
                "malformed multipart/mixed body: no boundary delimiter line", details={"property": "body"}
            )
        position = first + 2 + len(delimiter)
    parts = []
    while body[position : position + 2] != b"--":
        line_end = body.find(b"\r\n", position)
        # Only transport padding (spaces and tabs) may follow a delimiter on its line.
        if line_end < 0 or body[position:line_end].strip(b" \t"):
            raise BadRequest(
                "malformed multipart/mixed body: a boundary delimiter is not on a line of its own",
                details={"property": "body"},
            )
        start = line_end + 2
        end = body.find(b"\r\n" + delimiter, start)
        if end < 0:
            raise BadRequest(
                "malformed multipart/mixed body: no close delimiter", details={"property": "body"}
            )
        parts.append(body[start:end])
        position = end + 2 + len(delimiter)
    return parts


def _body_part(raw: bytes, index: int) -> _BodyPart:
    """A part's header fields (RFC 5322 syntax, as RFC 2046 says) and its content, kept as bytes."""
    if raw.startswith(b"\r\n"):
        head, content = b"", raw[2:]
    else:
        head, separator, content = raw.partition(b"\r\n\r\n")
        if not separator:
            raise BadRequest(
                f"malformed multipart/mixed body: part {index} has no blank line after its headers",
                details={"part": index},
            )
    headers = {}
    for line in head.split(b"\r\n") if head else ():
        name, colon, value = line.partition(b":")
        if not colon or not name.strip() or name != name.strip():
            raise BadRequest(
                f"malformed multipart/mixed body: part {index} has a malformed header line",
                details={"part": index},
            )
        headers[name.decode("latin-1").lower()] = value.decode("latin-1").strip()
    return _BodyPart(headers, content)


def parse_multipart_statements(body: bytes, content_type: str) -> tuple[object, dict[str, AttachmentPart]]:
    """The statement JSON (first part) and the attachment parts keyed by their SHA-2 hash.

    xAPI 1.0.3 Communication 1.5.2 / 2.0 4.1.3: the body is RFC 2046 multipart/mixed; the first
    part is the statements as application/json; every other part carries X-Experience-API-Hash
    (which must be the SHA-2 of its content) and Content-Transfer-Encoding: binary.
    (Hand-written: werkzeug's parser wants multipart/form-data, and the stdlib email parser
    rewrites binary content.)"""
    parts = [
        _body_part(raw, index) for index, raw in enumerate(_split_body_parts(body, _boundary(content_type)))
    ]
    if not parts:
        raise BadRequest("the multipart body has no parts", details={"property": "body"})
    first, *rest = parts
    if first.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise BadRequest("the first part must be the statements as application/json", details={"part": 0})
    try:
        statements = parse_json(first.content.decode("utf-8"), limit_nesting=False)  # as validated
    except (UnicodeDecodeError, ValueError) as error:
        raise BadRequest(f"the statements part is not valid JSON: {error}", details={"part": 0}) from None
    attachments: dict[str, AttachmentPart] = {}
    for index, part in enumerate(rest, start=1):
        declared = part.headers.get(HASH_HEADER.lower())
        if not declared:
            raise BadRequest(f"part {index} has no {HASH_HEADER} header", details={"part": index})
        if part.headers.get("content-transfer-encoding", "").lower() != "binary":
            raise BadRequest(
                f"part {index} must have the header Content-Transfer-Encoding: binary",
                details={"part": index},
            )
        if not _matches_sha2(declared, part.content):
            raise BadRequest(
                f"part {index}: {HASH_HEADER} does not match its content", details={"part": index}
            )
        attachments[declared.lower()] = AttachmentPart(
            declared.lower(), part.headers.get("content-type") or "application/octet-stream", part.content
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
