"""xAPI value formats: IRIs, UUIDs, hashes, language maps, extensions, timestamps, durations, media types."""

from __future__ import annotations

import functools
import re
import urllib.parse
from datetime import datetime

import isodate
import langcodes
from rfc3986_validator import validate_rfc3986

from gateway.lrs.jsontext import MAX_NESTING
from gateway.lrs.validation.core import At, string

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SHA1_HEX = re.compile(r"[0-9a-fA-F]{40}")
# SHA-224, SHA-256, SHA-384 or SHA-512, hex encoded.
_SHA2_HEX = re.compile(r"[0-9a-fA-F]{56}|[0-9a-fA-F]{64}|[0-9a-fA-F]{96}|[0-9a-fA-F]{128}")
# Best effort for the address after "mailto:": one "@" with something either side, no query (?subject=...).
_EMAIL_ADDRESS = re.compile(r"[^@?\s]+@[^@?\s]+")
# langcodes turns "_" into "-" before checking, but BCP 47 only separates subtags with "-".
_LANGUAGE_TAG_CHARACTERS = re.compile(r"[A-Za-z0-9-]+")
# ISO 8601 has no negative zero offset (RFC 3339 uses it for "offset unknown"); the conformance suite
# requires rejecting -00, -0000 and -00:00.
_NEGATIVE_ZERO_OFFSET = re.compile(r"-00(?::?00)?\Z")
# isodate.parse_duration is too lax for xAPI: it accepts "P4W1D" (weeks mixed with other units, which the
# conformance suite rejects), "PT" and "P1DT" (no value after the designator), a fraction on a component
# that is not the last one ("PT1.5H2M"), the alternative format "P0003-06-04T12:30:05" (which xAPI forbids)
# and a trailing newline. This is the ISO 8601:2004 4.4.3.2 format; fractions are checked separately.
_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
_DURATION = re.compile(
    rf"P(?:{_NUMBER}W|(?=[0-9]|T[0-9])(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T(?=[0-9])(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?)"
)
_DURATION_COMPONENT = re.compile(rf"{_NUMBER}[YMWDHS]")
# RFC 6838 type/subtype (RFC 9110 tokens) with optional parameters.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf'{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|"(?:[^"\\]|\\.)*"))*')


# RFC 3987 §2.2: the non-ASCII characters an IRI may contain (ucschar; iprivate only in the query).
_UCSCHAR = (
    "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef"
    "\U00010000-\U0001fffd\U00020000-\U0002fffd\U00030000-\U0003fffd\U00040000-\U0004fffd"
    "\U00050000-\U0005fffd\U00060000-\U0006fffd\U00070000-\U0007fffd\U00080000-\U0008fffd"
    "\U00090000-\U0009fffd\U000a0000-\U000afffd\U000b0000-\U000bfffd\U000c0000-\U000cfffd"
    "\U000d0000-\U000dfffd\U000e1000-\U000efffd"
)
_IPRIVATE = "\ue000-\uf8ff\U000f0000-\U000ffffd\U00100000-\U0010fffd"
_DISALLOWED_NON_ASCII = re.compile(f"[^\x00-\x7f{_UCSCHAR}]")
_DISALLOWED_OUTSIDE_QUERY = re.compile(f"[{_IPRIVATE}]")


def _iri_to_uri(value: str) -> str:
    """RFC 3987 §3.1: an IRI is mapped to a URI by percent-encoding its non-ASCII characters as UTF-8."""
    return "".join(char if char < "\x80" else urllib.parse.quote(char, safe="") for char in value)


def iri(value: object, at: At, *, kind: str = "an IRI", rule: str = "IRI") -> str:
    """An absolute IRI (RFC 3987); IRLs are checked the same way, since whether they resolve is not ours to test.

    The IRI is mapped to a URI (RFC 3987 §3.1) and checked by `rfc3986-validator` (MIT); the
    GPL-licensed `rfc3987` package is avoided, and the MIT `rfc3987-syntax` takes ~20 ms per IRI."""
    string(value, at)
    if not _is_iri(value, rule):
        at.fail(f"must be {kind}")
    return value


@functools.lru_cache(maxsize=16384)
def _is_iri(value: str, rule: str) -> bool:
    """Cached: statements repeat the same verb, activity and extension IRIs over and over."""
    if rule == "URI" and not value.isascii():
        return False
    before_fragment = value.split("#", 1)[0]
    outside_query = before_fragment.split("?", 1)[0] + value[len(before_fragment) :]
    if _DISALLOWED_NON_ASCII.search(value) or _DISALLOWED_OUTSIDE_QUERY.search(outside_query):
        return False
    # The validator's pattern ends in "$", which also matches before a final newline.
    return not value.endswith("\n") and bool(validate_rfc3986(_iri_to_uri(value), rule="URI"))


def uri(value: object, at: At) -> str:
    return iri(value, at, kind="a URI", rule="URI")


def uuid(value: object, at: At) -> str:
    """A UUID in its standard hyphenated string form, either case, any version or variant."""
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        at.fail("must be a UUID string such as 3fa85f64-5717-4562-b3fc-2c963f66afa6")
    return value


def mailto(value: object, at: At) -> str:
    iri(value, at, kind='a "mailto:" IRI')
    if not value.startswith("mailto:") or not _EMAIL_ADDRESS.fullmatch(value.removeprefix("mailto:")):
        at.fail('must be a "mailto:" IRI holding an email address')
    return value


def sha1_hex(value: object, at: At) -> str:
    if not isinstance(value, str) or not _SHA1_HEX.fullmatch(value):
        at.fail("must be a hex-encoded SHA-1 hash (40 hex digits)")
    return value


def sha2_hex(value: object, at: At) -> str:
    if not isinstance(value, str) or not _SHA2_HEX.fullmatch(value):
        at.fail("must be a hex-encoded SHA-2 hash")
    return value


def language_tag(value: object, at: At) -> str:
    """An RFC 5646 (BCP 47) tag, well formed and made of registered subtags."""
    if not (isinstance(value, str) and _is_language_tag(value)):
        at.fail("must be an RFC 5646 language tag such as en-US")
    return value


@functools.lru_cache(maxsize=4096)
def _is_language_tag(value: str) -> bool:
    return bool(_LANGUAGE_TAG_CHARACTERS.fullmatch(value)) and langcodes.tag_is_valid(value)


def language_map(value: object, at: At) -> dict[str, str]:
    if not isinstance(value, dict):
        at.fail("must be a language map (an object from language tags to strings)")
    for tag, text in value.items():
        language_tag(tag, at.key(tag))
        string(text, at.key(tag))
    return value


def extensions(value: object, at: At) -> dict[str, object]:
    """An object whose keys are IRIs; its values are any JSON, null included."""
    if not isinstance(value, dict):
        at.fail("must be an extensions object")
    for key, extension in value.items():
        iri(key, at.key(key), kind="an IRI (extension keys are IRIs)")
        if isinstance(extension, dict | list):
            _storable_extension(extension, at.key(key))
    return value


def _storable_extension(value: dict | list, at: At) -> None:
    """An extension value is any JSON, but one that can be stored and sent back: no U+0000 in an
    object key (BSON cannot hold it), and the statement nested at most MAX_NESTING levels in all
    (extension values are the only part of a statement that nests freely, so the body of a
    statement write is not walked for its depth as a whole). Iterative: values nest deeply."""
    room = MAX_NESTING - at.depth - 1  # and one for the array of a batch
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > room:
            at.fail(f"is nested more than {MAX_NESTING} levels deep (counted from the statement body)")
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, dict) and any("\0" in key for key in item):
            at.fail("has an object key containing U+0000, which cannot be stored")
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


# The form nearly every client sends, read by datetime.fromisoformat (20 times faster than isodate,
# same result for this form); anything else, or a value it refuses, goes to isodate.
_COMMON_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)


@functools.lru_cache(maxsize=4096)
def parse_datetime(value: str) -> datetime:
    """isodate's ISO 8601 date-time parser, cached: storing a statement reads its timestamp three
    times (validation, UTC normalisation, the comparison digest)."""
    if _COMMON_DATETIME.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    return isodate.parse_datetime(value)


def timestamp(value: object, at: At) -> str:
    """An ISO 8601 date and time; xAPI 2.0 also requires the time zone offset."""
    string(value, at)
    try:
        moment = parse_datetime(value)
    except (ValueError, OverflowError):
        at.fail("must be an ISO 8601 date and time such as 2024-05-04T17:00:00.000Z")
    if _NEGATIVE_ZERO_OFFSET.search(value):
        at.fail("must not use a negative zero offset (-00:00): use Z or +00:00")
    if at.is_2_0 and moment.tzinfo is None:
        at.fail("must include a time zone offset (Z or +hh:mm)")
    return value


def duration(value: object, at: At) -> str:
    string(value, at)
    if not _DURATION.fullmatch(value):
        at.fail("must be an ISO 8601 duration such as PT1H30M or P4W")
    components = _DURATION_COMPONENT.findall(value)
    if any(("." in part or "," in part) for part in components[:-1]):
        at.fail("may have a decimal fraction only in its last component")
    return value


def media_type(value: object, at: At) -> str:
    if not isinstance(value, str) or not _MEDIA_TYPE.fullmatch(value):
        at.fail("must be an Internet media type such as text/plain")
    return value
